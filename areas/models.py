import datetime
import re

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from organisations.roles import is_coordinator


class PlanState(models.TextChoices):
    """A plan's life cycle: a draft (uploaded, seen by coordinators only) until a coordinator
    activates it; an active plan has ended once its outcome deadline has passed."""

    DRAFT = "draft", _("Utkast")
    ACTIVE = "active", _("Aktiv")


# A plan's short name is its address (/plan/<slug>/, /insyn/<slug>/, /api/v1/plans/<slug>/,
# /oppna-data/<slug>/): the characters Django's slug path converter takes.
SLUG_CHARACTERS = re.compile(r"^[-a-zA-Z0-9_]+$")
# Fixed words of the addresses that sit where a plan's short name sits: a plan named so would be
# hidden by the fixed page (/insyn/sprak/<language>/ matches before /insyn/<slug>/).
# tests/test_plan_upload.py walks the URL configuration to keep this list complete.
RESERVED_SLUGS = frozenset({"sprak"})


def plan_slug_problem(slug):
    """Why `slug` cannot be a plan's short name (its characters, or a word the addresses use),
    or None; the length is the field's own check."""
    if not SLUG_CHARACTERS.match(slug):
        return _(
            "Kortnamnet får bara innehålla bokstäverna a–z och A–Z (inte å, ä eller ö), siffror, "
            "bindestreck och understreck, utan mellanslag, t.ex. 2026-2027."
        )
    if slug.casefold() in RESERVED_SLUGS:
        return _(
            "”%(slug)s” används redan i webbplatsens adresser och kan inte vara en plans "
            "kortnamn. Välj ett annat, t.ex. 2026-2027."
        ) % {"slug": slug}
    return None


def sees_drafts(user):
    """Draft plans are the coordinators' (and superusers') only."""
    return is_coordinator(user)


class PlanQuerySet(models.QuerySet):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)

    def current(self):
        return pick_current(self.all())

    def activated(self):
        return self.exclude(state=PlanState.DRAFT)

    def visible_to(self, user):
        """Every plan for a coordinator; the activated ones for anyone else."""
        return self.all() if sees_drafts(user) else self.activated()


def pick_current(plans):
    """The plan shown by default: the newest activated one whose period has started, else the
    earliest activated one. A draft is never anyone's start page."""
    plans = sorted((p for p in plans if not p.is_draft), key=lambda p: p.period_start)
    today = timezone.localdate()
    started = [p for p in plans if p.period_start <= today]
    return started[-1] if started else (plans[0] if plans else None)


class Plan(models.Model):
    slug = models.SlugField(
        _("kortnamn"),
        max_length=50,
        unique=True,
        help_text=_("Används i adressen, t.ex. 2024-2025."),
    )
    title = models.CharField(_("titel"), max_length=300)
    period_start = models.DateField(_("periodens början"))
    period_end = models.DateField(_("periodens slut"))
    outcome_deadline = models.DateField(
        _("förväntat utfall senast"),
        help_text=_("Datum då det förväntade utfallet ska vara uppnått."),
    )
    state = models.CharField(
        _("läge"),
        max_length=10,
        choices=PlanState.choices,
        # Plans that were there before the life cycle, the fixtures and old backups are
        # active; every way to add a new plan makes it a draft (the upload, import_plan,
        # admin's form).
        default=PlanState.ACTIVE,
        help_text=_(
            "Ett utkast syns bara för samordnare: ingen kan rapportera på det, det kan inte "
            "publiceras och blir aldrig någons startsida. En samordnare aktiverar planen på dess "
            "översiktssida."
        ),
    )
    # Insyn: the plan's public pages, open data and API answer for anyone only when this is on.
    published = models.BooleanField(
        _("publicerad för insyn"),
        default=False,
        help_text=_(
            "Planens insynssidor, öppna data och API visas utan inloggning. Namn och e-post "
            "visas aldrig."
        ),
    )
    public_comments = models.BooleanField(
        _("visa kommentarer för insyn"),
        default=False,
        help_text=_(
            "Rapporternas kommentarer och slutbedömningarnas motiveringar visas på "
            "insynssidorna och i öppna data."
        ),
    )

    objects = PlanQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-period_start"]
        verbose_name = _("handlingsplan")
        verbose_name_plural = _("handlingsplaner")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="plan_period_end_after_start",
            ),
            models.CheckConstraint(
                condition=~models.Q(state=PlanState.DRAFT, published=True),
                name="plan_draft_not_published",
                violation_error_message=_(
                    "Ett utkast kan inte publiceras för insyn. Aktivera planen först."
                ),
            ),
        ]

    def __str__(self):
        return self.title

    def natural_key(self):
        return (self.slug,)

    def get_absolute_url(self):
        return reverse("overview", args=[self.slug])

    def clean(self):
        super().clean()
        errors = {}
        # The characters are the field's own check (Django's message); a reserved word is ours.
        if self.slug and SLUG_CHARACTERS.match(self.slug) and plan_slug_problem(self.slug):
            errors["slug"] = plan_slug_problem(self.slug)
        if self.is_draft and self.published:
            errors["published"] = _(
                "Ett utkast kan inte publiceras för insyn. Aktivera planen först (läge ”Aktiv”)."
            )
        if self.is_draft and self.pk and self._is_followed_up():
            errors["state"] = _(
                "Planen har rapporter, slutbedömningar eller uppföljningsomgångar och kan inte "
                "bli ett utkast igen."
            )
        if errors:
            raise ValidationError(errors)

    def _is_followed_up(self):
        """Has anything been reported, assessed or asked for in this plan?"""
        if self.rounds.exists():
            return True
        areas = StrategicArea.objects.filter(plan=self)
        return areas.filter(
            models.Q(insatser__activities__reports__isnull=False)
            | models.Q(insatser__activities__assessments__isnull=False)
        ).exists()

    @property
    def is_draft(self):
        return self.state == PlanState.DRAFT

    def is_visible_to(self, user):
        return not self.is_draft or sees_drafts(user)

    @property
    def has_ended(self):
        return timezone.localdate() > self.outcome_deadline

    @property
    def assessment_is_open(self):
        """Targets are assessed (Uppnått / Delvis / Ej uppnått) from the plan's last quarter
        on: from the first of the month two months before the period's last month; never in a
        draft, where nothing is reported."""
        if self.is_draft:
            return False
        last_month = self.period_end.replace(day=1)
        return timezone.localdate() >= last_month - datetime.timedelta(days=61)

    def days_left(self):
        return (self.outcome_deadline - timezone.localdate()).days


class StrategicAreaQuerySet(models.QuerySet):
    def get_by_natural_key(self, plan_slug, number):
        return self.get(plan__slug=plan_slug, number=number)


class StrategicArea(models.Model):
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="areas", verbose_name=_("handlingsplan")
    )
    number = models.PositiveSmallIntegerField(_("nummer"))
    name = models.CharField(_("namn"), max_length=200)
    participants_text = models.TextField(
        _("deltagande förvaltningar och bolag (text)"),
        blank=True,
        help_text=_("Meningen under områdets rubrik, ordagrant ur planen."),
    )
    participating_organisations = models.ManyToManyField(
        "organisations.Organisation",
        blank=True,
        related_name="areas",
        verbose_name=_("deltagande förvaltningar och bolag"),
    )

    objects = StrategicAreaQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[participating_organisations])

    class Meta:
        ordering = ["plan", "number"]
        verbose_name = _("strategiskt område")
        verbose_name_plural = _("strategiska områden")
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="area_unique_number_in_plan"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="area_number_positive"),
        ]

    def __str__(self):
        return f"{self.number}. {self.name}"

    def natural_key(self):
        return (self.plan.slug, self.number)

    natural_key.dependencies = ["areas.plan", "organisations.organisation"]

    def get_absolute_url(self):
        return reverse("areas:detail", args=[self.plan.slug, self.number])


class InsatsQuerySet(models.QuerySet):
    def get_by_natural_key(self, plan_slug, area_number, number):
        return self.get(area__plan__slug=plan_slug, area__number=area_number, number=number)


class Insats(models.Model):
    area = models.ForeignKey(
        StrategicArea,
        on_delete=models.PROTECT,
        related_name="insatser",
        verbose_name=_("strategiskt område"),
    )
    number = models.PositiveSmallIntegerField(_("nummer"))
    title = models.TextField(_("insats"))

    objects = InsatsQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["area__plan", "area__number", "number"]
        verbose_name = _("insats")
        verbose_name_plural = _("insatser")
        constraints = [
            models.UniqueConstraint(fields=["area", "number"], name="insats_unique_number_in_area"),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="insats_number_positive"
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def reference(self):
        """'3.2' — needs area loaded (select_related) to avoid a query."""
        return f"{self.area.number}.{self.number}"

    def natural_key(self):
        return (*self.area.natural_key(), self.number)

    natural_key.dependencies = ["areas.strategicarea"]

    def get_absolute_url(self):
        return f"{self.area.get_absolute_url()}#insats-{self.number}"
