from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Prefetch, Q, Value, When
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from activities.db import Casefold
from areas.models import Insats
from organisations.models import Organisation

from .current import recompute
from .reports import StatusReport
from .status import Assessment, Status
from .targets import Target


class Role(models.TextChoices):
    LEAD = "lead", _("Leder arbetet")
    PARTICIPANT = "participant", _("Deltar i arbetet")


# What a compact row reads of each lead role (ActivityQuerySet.for_rows).
ROW_ROLE_FIELDS = ["activity_id", "organisation", "current_report", "role", "position"]
ROW_ROLE_FIELDS += ["organisation__code", "organisation__name", "current_report__status"]


class ActivityQuerySet(models.QuerySet):
    def get_by_natural_key(self, plan_slug, area_number, insats_number, number):
        return self.get(
            insats__area__plan__slug=plan_slug,
            insats__area__number=area_number,
            insats__number=insats_number,
            number=number,
        )

    def by_reference(self, plan, reference):
        """The activity numbered "area.insats.activity" in this plan (a queryset of one)."""
        area_number, insats_number, number = (int(part) for part in reference.split("."))
        return self.filter(
            insats__area__plan=plan,
            insats__area__number=area_number,
            insats__number=insats_number,
            number=number,
        )

    def in_plan_order(self):
        return self.order_by("insats__area__number", "insats__number", "number")

    def with_related(self, authors=False):
        """Everything a list row shows, in a fixed number of queries however many rows; targets
        carry their newest reported value, and each lead's current report and assessment their
        author only with `authors` (the activity page names them; lists and exports do not).
        (The Excel template and import read less: excel.report_template.reporting_activities.)"""
        targets = (
            Target.objects.select_related("responsible_organisation")
            .order_by("position")
            .with_latest_value()
        )
        return self.select_related("insats__area__plan").prefetch_related(
            Prefetch(
                "roles",
                queryset=ActivityOrganisation.objects.select_related(
                    *(
                        ["organisation", "current_report__author", "current_assessment__author"]
                        if authors
                        else ["organisation", "current_report", "current_assessment"]
                    )
                ).order_by("position"),
            ),
            Prefetch("targets", queryset=targets),
        )

    def for_rows(self):
        """What a compact list (includes/activity_rows.html) shows: the lead organisations,
        with each one's current report for its own status. Only the leads are prefetched, so
        `roles`, `participants` and `targets` are not for these rows."""
        return self.select_related("insats__area__plan").prefetch_related(
            Prefetch(
                "roles",
                queryset=ActivityOrganisation.objects.filter(role=Role.LEAD)
                .select_related("organisation", "current_report")
                .only(*ROW_ROLE_FIELDS)
                .order_by("position"),
            )
        )

    def with_last_report(self):
        """`last_reported_at` and `last_reported_by_org` (a code) of the newest status report,
        for the table and the workbooks (the status itself is the stored `current_status`)."""
        return self.annotate(
            last_reported_at=F("latest_report__created_at"),
            last_reported_by_org=F("latest_report__organisation__code"),
        )

    def recompute_current(self):
        """Rebuild these activities' stored current state from their whole history."""
        recompute(list(self.values_list("pk", flat=True)))

    def order_by_status(self, descending=False):
        """By current status in the vocabulary's display order, then in plan order."""
        order = Case(
            *(When(current_status=s.value, then=Value(s.order)) for s in Status),
            output_field=models.IntegerField(),
        )
        return self.order_by(
            order.desc() if descending else order.asc(),
            "insats__area__number",
            "insats__number",
            "number",
        )

    def _with_role(self, organisation, role=None):
        # EXISTS, not a join: a join would repeat rows and clash with other role filters.
        roles = ActivityOrganisation.objects.filter(
            activity=OuterRef("pk"), organisation=organisation
        )
        if role:
            roles = roles.filter(role=role)
        return self.filter(Exists(roles))

    def led_by(self, organisation):
        return self._with_role(organisation, Role.LEAD)

    def with_participant(self, organisation):
        return self._with_role(organisation, Role.PARTICIPANT)

    def involving(self, organisation):
        return self._with_role(organisation)

    def reported_on_by(self, organisations):
        """Activities these organisations report on: they lead it, or own one of its targets
        (see permissions.reporting_organisations_of)."""
        leads = ActivityOrganisation.objects.filter(
            activity=OuterRef("pk"), organisation__in=organisations, role=Role.LEAD
        )
        owned = Target.objects.filter(
            activity=OuterRef("pk"), responsible_organisation__in=organisations
        )
        return self.filter(Exists(leads) | Exists(owned))

    def still_to_report(self, organisation, window):
        """What the organisation reports on (see reported_on_by) and still owes in the round
        whose `window` is given (models.rounds.Window; Window(None) without a round in
        progress): no report of its own filed in the window, and not finished before it. A
        lead's work is finished when its own status is Genomförd or Avbruten; a target's
        responsible organisation that does not lead is done when the activity is. The same
        rule as Min organisation's "Att rapportera" (activities/work_list.py)."""
        reported = window.reported(activity="pk", organisation=organisation.pk)
        leads = ActivityOrganisation.objects.filter(
            activity=OuterRef("pk"), organisation=organisation, role=Role.LEAD
        )
        finished = Exists(leads.filter(window.finished_before())) | (
            ~Exists(leads) & window.activity_finished_before()
        )
        return self.reported_on_by([organisation]).exclude(Q(reported) | finished)

    def search(self, text):
        """Free text over reference, description, expected outcome and organisation codes,
        ignoring case (å/ä/ö too).

        A reference ("3.2", "3.2.3") matches the activities it numbers; an organisation code or
        alias ("SBF", "GSF") the activities the organisation leads or takes part in."""
        text = " ".join(text.split())
        if not text:
            return self
        needle = text.casefold()
        matches = Q(_description_folded__contains=needle) | Q(_outcome_folded__contains=needle)
        # An organisation named by code or by a spelling the plan uses (GSF finds GRF's).
        matches |= Q(
            Exists(
                ActivityOrganisation.objects.filter(activity=OuterRef("pk")).filter(
                    Q(organisation__in=Organisation.objects.matching_code(text))
                    | Q(source_spelling__iexact=text)
                )
            )
        )
        parts = text.rstrip(".").split(".")
        if 1 < len(parts) <= 3 and all(p.isascii() and p.isdecimal() for p in parts):
            numbers = dict(
                zip(
                    ["insats__area__number", "insats__number", "number"],
                    map(int, parts),
                    strict=False,
                )
            )
            matches |= Q(**numbers)
        return self.annotate(
            _description_folded=Casefold("description"),
            _outcome_folded=Casefold("expected_outcome"),
        ).filter(matches)


class Activity(models.Model):
    insats = models.ForeignKey(
        Insats, on_delete=models.PROTECT, related_name="activities", verbose_name=_("insats")
    )
    number = models.PositiveSmallIntegerField(_("nummer"))
    description = models.TextField(_("aktivitet"))
    expected_outcome = models.TextField(_("förväntat utfall"), help_text=_("Ordagrant ur planen."))
    organisations = models.ManyToManyField(
        Organisation,
        through="ActivityOrganisation",
        related_name="activities",
        verbose_name=_("organisationer"),
    )
    # Kept up to date by the reporting core (activities.reporting) in the report's own
    # transaction, so no page derives them from the history: the overall status from the
    # leads' own (Status.overall), and the newest report with a status from any lead.
    current_status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.NOT_REPORTED,
        editable=False,
        db_index=True,
    )
    latest_report = models.ForeignKey(
        StatusReport,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("senaste rapport"),
    )

    # The final assessment from the leads' own (Assessment.overall), kept by
    # activities.reporting.file_assessments(); "" until every lead has assessed.
    final_assessment = models.CharField(
        _("slutbedömning"),
        max_length=20,
        choices=Assessment.choices,
        blank=True,
        editable=False,
        db_index=True,
    )

    # The activity of an earlier plan that this one continues ("fortsätter 3.2.3 i
    # 2024–2025"); set by the plan import, shown on both activities' pages.
    predecessor = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="successors",
        verbose_name=_("fortsätter"),
        help_text=_("Aktiviteten i en tidigare plan som den här fortsätter."),
    )

    objects = ActivityQuerySet.as_manager()
    history = HistoricalRecords(
        excluded_fields=["current_status", "latest_report", "final_assessment"]
    )

    class Meta:
        ordering = ["insats__area__plan", "insats__area__number", "insats__number", "number"]
        verbose_name = _("aktivitet")
        verbose_name_plural = _("aktiviteter")
        constraints = [
            models.UniqueConstraint(
                fields=["insats", "number"], name="activity_unique_number_in_insats"
            ),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="activity_number_positive"
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.short_description}"

    @property
    def reference(self):
        """'3.2.3' (area.insats.activity); needs insats__area selected to avoid queries."""
        return f"{self.insats.area.number}.{self.insats.number}.{self.number}"

    @property
    def short_description(self):
        text = " ".join(self.description.split())
        return text if len(text) <= 80 else text[:79].rstrip() + "…"

    def natural_key(self):
        return (*self.insats.natural_key(), self.number)

    natural_key.dependencies = ["areas.insats"]

    def get_absolute_url(self):
        area = self.insats.area
        return reverse(
            "activities:detail",
            args=[area.plan.slug, f"{area.number}.{self.insats.number}.{self.number}"],
        )

    # The role lists read the prefetched `roles` (see ActivityQuerySet.with_related).
    def _organisations_in_role(self, role):
        return [r.organisation for r in self.roles.all() if r.role == role]

    @property
    def leads(self):
        return self._organisations_in_role(Role.LEAD)

    def status_of(self, organisation):
        """The organisation's own status on this activity (its newest report as a lead), or
        None when it does not lead it. Reads the prefetched roles."""
        for role in self.roles.all():
            if role.organisation_id == organisation.pk and role.role == Role.LEAD:
                report = role.current_report
                return report.status if report else Status.NOT_REPORTED.value
        return None

    def assessment_of(self, organisation):
        """The organisation's current final assessment (an OutcomeAssessment), or None when it
        has given none or does not lead the activity. Reads the prefetched roles."""
        for role in self.roles.all():
            if role.organisation_id == organisation.pk and role.role == Role.LEAD:
                return role.current_assessment
        return None

    @property
    def participants(self):
        return self._organisations_in_role(Role.PARTICIPANT)


class ActivityOrganisationManager(models.Manager):
    def get_by_natural_key(self, plan_slug, area_number, insats_number, number, code):
        return self.get(
            activity=Activity.objects.get_by_natural_key(
                plan_slug, area_number, insats_number, number
            ),
            organisation__code=code,
        )


class ActivityOrganisation(models.Model):
    """An organisation's role in an activity: it leads the work or takes part in it."""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="roles", verbose_name=_("aktivitet")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="activity_roles",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("roll"), max_length=20, choices=Role.choices)
    position = models.PositiveSmallIntegerField(
        _("ordning"), default=0, help_text=_("Ordningen i planens cell.")
    )
    source_spelling = models.CharField(
        _("stavning i planen"),
        max_length=60,
        blank=True,
        help_text=_("Så som organisationen skrivs i planens tabell, t.ex. GSF."),
    )

    # A lead organisation's own status: its newest report (kept by activities.reporting).
    current_report = models.ForeignKey(
        StatusReport,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("senaste egna rapport"),
    )

    current_assessment = models.ForeignKey(
        "OutcomeAssessment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("senaste slutbedömning"),
    )

    objects = ActivityOrganisationManager()
    history = HistoricalRecords(excluded_fields=["current_report", "current_assessment"])

    class Meta:
        ordering = ["activity", "role", "position"]
        verbose_name = _("organisationens roll")
        verbose_name_plural = _("organisationernas roller")
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "organisation"], name="activity_one_role_per_organisation"
            )
        ]

    def __str__(self):
        return f"{self.organisation.code}: {self.get_role_display()}"

    def natural_key(self):
        return (*self.activity.natural_key(), self.organisation.code)

    natural_key.dependencies = ["activities.activity", "organisations.organisation"]
