from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The longest code or alias a field can hold (OrganisationAlias.alias): longer text names nothing.
MAX_SPELLING_LENGTH = 60


class OrganisationQuerySet(models.QuerySet):
    def get_by_natural_key(self, code):
        return self.get(code=code)

    def matching_code(self, code):
        """Organisations whose code, or a spelling the source uses, is `code` (any case)."""
        code = code.strip()
        return self.filter(Q(code__iexact=code) | Q(aliases__alias__iexact=code)).distinct()

    def resolve(self, code):
        """The organisation known by `code` or by a spelling the source uses (any case), or
        None: a code wins over an alias, the exact spelling over another case (so neither a
        code that is another's alias nor two aliases differing in case is ambiguous). One
        query; nothing is asked for a text longer than any code or alias."""
        code = code.strip()
        if not code or len(code) > MAX_SPELLING_LENGTH:
            return None
        rank = Case(
            When(code=code, then=Value(0)),
            When(code__iexact=code, then=Value(1)),
            When(aliases__alias=code, then=Value(2)),
            default=Value(3),
        )
        return (
            self.filter(Q(code__iexact=code) | Q(aliases__alias__iexact=code))
            .annotate(match_rank=rank)
            .order_by("match_rank", "code")
            .first()
        )

    def lookup(self, code):
        """The one organisation known by this code or alias; DoesNotExist if none."""
        return self.matching_code(code).get()

    def by_code(self):
        """{casefolded code or alias: organisation} for every organisation, in two queries:
        for reading files that name many organisations."""
        known = {}
        for organisation in self.prefetch_related("aliases"):
            known[organisation.code.casefold()] = organisation
            for alias in organisation.aliases.all():
                known.setdefault(alias.alias.casefold(), organisation)
        return known


class Organisation(models.Model):
    class Kind(models.TextChoices):
        FORVALTNING = "forvaltning", _("Förvaltning")
        BOLAG = "bolag", _("Bolag")
        KOMMUNALFORBUND = "kommunalforbund", _("Kommunalförbund")
        EXTERN = "extern", _("Extern")
        OVRIG = "ovrig", _("Övrig")

    code = models.CharField(_("kod"), max_length=30, unique=True)
    name = models.CharField(_("namn"), max_length=200)
    kind = models.CharField(_("typ"), max_length=20, choices=Kind.choices)
    in_abbreviation_list = models.BooleanField(
        _("i planens förkortningslista"),
        default=False,
        help_text=_("Organisationen står i handlingsplanens lista över förkortningar."),
    )
    # Part of the data version (activities/versions.py): a renamed organisation changes pages.
    # Not auto_now: fixtures load organisations without it.
    updated_at = models.DateTimeField(_("ändrad"), default=timezone.now, editable=False)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisationer")

    def __str__(self):
        return f"{self.name} ({self.code})"

    def natural_key(self):
        return (self.code,)

    def save(self, *args, **kwargs):
        self.updated_at = timezone.now()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "updated_at"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        """The organisation's page in the current plan."""
        return reverse("organisation_in_current_plan", args=[self.code])

    def get_plan_url(self, plan_slug):
        return reverse("organisations:detail", args=[plan_slug, self.code])


class OrganisationAliasManager(models.Manager):
    def get_by_natural_key(self, alias):
        return self.get(alias=alias)


class OrganisationAlias(models.Model):
    """A spelling the source uses for an organisation, e.g. GSF for Grundskoleförvaltningen."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="aliases",
        verbose_name=_("organisation"),
    )
    alias = models.CharField(_("alias"), max_length=MAX_SPELLING_LENGTH, unique=True)
    note = models.CharField(_("anmärkning"), max_length=200, blank=True)

    objects = OrganisationAliasManager()

    class Meta:
        ordering = ["alias"]
        verbose_name = _("alias")
        verbose_name_plural = _("alias")

    def __str__(self):
        return self.alias

    def natural_key(self):
        return (self.alias,)

    natural_key.dependencies = ["organisations.organisation"]


class Membership(models.Model):
    """A user's membership of an organisation: it gives the right to report for it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("användare"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    created = models.DateTimeField(_("skapad"), auto_now_add=True)

    class Meta:
        ordering = ["organisation__code", "user__username"]
        verbose_name = _("medlemskap")
        verbose_name_plural = _("medlemskap")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], name="membership_unique_user_organisation"
            )
        ]

    def __str__(self):
        return f"{self.user} – {self.organisation.code}"


@receiver([post_save, post_delete], sender=OrganisationAlias)
def _alias_changes_its_organisation(sender, instance, **kwargs):
    """An alias added, changed or removed (in admin, alone or inline) is a change of its
    organisation for the data version (activities/versions.py reads the organisations' times
    of change): the tables' search and organisation filters read aliases."""
    Organisation.objects.filter(pk=instance.organisation_id).update(updated_at=timezone.now())
