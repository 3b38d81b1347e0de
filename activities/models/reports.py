from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organisations.models import Organisation

from .plan import Activity, Target


class Status(models.TextChoices):
    NOT_STARTED = "not_started", _("Ej påbörjad")
    ON_TRACK = "on_track", _("Pågår enligt plan")
    AT_RISK = "at_risk", _("Pågår med risk")
    DELAYED = "delayed", _("Försenad")
    COMPLETED = "completed", _("Genomförd")
    CANCELLED = "cancelled", _("Avbruten")

    @classmethod
    def needing_comment(cls):
        """A report with one of these statuses must say why (DESIGN.md, issue 4)."""
        return (cls.AT_RISK, cls.DELAYED, cls.CANCELLED)


# Shown where an activity has no report at all; not a stored status.
NOT_REPORTED = "not_reported"
NOT_REPORTED_LABEL = _("Ej rapporterad")


class Assessment(models.TextChoices):
    ACHIEVED = "achieved", _("Uppnått")
    PARTLY_ACHIEVED = "partly", _("Delvis uppnått")
    NOT_ACHIEVED = "not_achieved", _("Ej uppnått")


class ReportingRoundQuerySet(models.QuerySet):
    def opened(self, day=None):
        return self.filter(opens_on__lte=day or timezone.localdate())

    def current_for(self, plan):
        """The round new reports on this plan belong to: the latest one that has opened.
        A report after its deadline still counts for it (late) until the next round opens."""
        return self.filter(plan=plan).opened().order_by("-opens_on", "-id").first()


class ReportingRound(models.Model):
    """A request to every lead organisation for a report, e.g. "Uppföljning T2 2025"."""

    plan = models.ForeignKey(
        "areas.Plan",
        on_delete=models.PROTECT,
        related_name="rounds",
        verbose_name=_("handlingsplan"),
    )
    name = models.CharField(_("namn"), max_length=120)
    opens_on = models.DateField(_("öppnar"))
    deadline = models.DateField(_("sista dag"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("skapad av"),
    )
    created_at = models.DateTimeField(_("skapad"), auto_now_add=True)

    objects = ReportingRoundQuerySet.as_manager()

    class Meta:
        ordering = ["-deadline", "-id"]
        verbose_name = _("uppföljningsomgång")
        verbose_name_plural = _("uppföljningsomgångar")
        constraints = [
            models.UniqueConstraint(fields=["plan", "name"], name="round_unique_name_in_plan"),
            models.CheckConstraint(
                condition=models.Q(deadline__gte=models.F("opens_on")),
                name="round_deadline_after_opening",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("rounds:detail", args=[self.plan.slug, self.pk])

    def completeness(self):
        """Who owes and who has given a report in this round, in two queries.

        A report is due from every lead organisation of every activity in the plan (a co-led
        activity is due from each lead). Returns (rows, missing, due_count, reported_count):
        rows = [(organisation, reported, due, still owed)] sorted by code; missing = [(activity,
        organisation)] pairs still owed, by organisation code and then in plan order.
        """
        from .plan import ActivityOrganisation, Role

        due = {
            (r.activity_id, r.organisation_id): (r.activity, r.organisation)
            for r in ActivityOrganisation.objects.filter(
                role=Role.LEAD, activity__insats__area__plan_id=self.plan_id
            )
            .select_related("organisation", "activity__insats__area__plan")
            .order_by(
                "organisation__code",
                "activity__insats__area__number",
                "activity__insats__number",
                "activity__number",
            )
        }
        done = set(self.reports.values_list("activity_id", "organisation_id").distinct())
        per_org = {}
        for (activity_id, org_id), (_activity, organisation) in due.items():
            counts = per_org.setdefault(org_id, [organisation, 0, 0])
            counts[2] += 1
            if (activity_id, org_id) in done:
                counts[1] += 1
        rows = sorted(
            ((org, done, owed, owed - done) for org, done, owed in per_org.values()),
            key=lambda row: row[0].code,
        )
        missing = [pair for key, pair in due.items() if key not in done]
        reported = sum(row[1] for row in rows)
        return rows, missing, len(due), reported

    @property
    def is_past_deadline(self):
        return timezone.localdate() > self.deadline


class StatusReportQuerySet(models.QuerySet):
    def file(
        self,
        *,
        activity,
        organisation,
        author,
        status,
        comment="",
        round=None,
        values=None,
        assessments=None,
        on_behalf=False,
        created_at=None,
    ):
        """Append one report with its target values, all or nothing. See file_many()."""
        return self.file_many(
            [
                {
                    "activity": activity,
                    "organisation": organisation,
                    "author": author,
                    "status": status,
                    "comment": comment,
                    "round": round,
                    "values": values,
                    "assessments": assessments,
                    "on_behalf": on_behalf,
                    "created_at": created_at,
                }
            ]
        )[0]

    def file_many(self, entries):
        """Append reports with their target values in two inserts, all or nothing.

        Each entry holds activity, organisation, author, status and optionally comment, round,
        on_behalf, created_at, and `values` / `assessments` mapping Target → Decimal /
        Assessment value (None or "" skipped). Permission checks are the caller's
        (activities.permissions); this only writes. The report form files one report, the Excel
        import thousands, through the same code.
        """
        entries = list(entries)
        now = timezone.now()
        with transaction.atomic():
            reports = self.bulk_create(
                StatusReport(
                    activity=e["activity"],
                    organisation=e["organisation"],
                    author=e["author"],
                    status=e["status"],
                    comment=e.get("comment", ""),
                    round=e.get("round"),
                    on_behalf=e.get("on_behalf", False),
                    created_at=e.get("created_at") or now,
                )
                for e in entries
            )
            values = []
            for report, entry in zip(reports, entries, strict=True):
                numbers = entry.get("values") or {}
                assessments = entry.get("assessments") or {}
                for target in {*numbers, *assessments}:
                    value, assessment = numbers.get(target), assessments.get(target) or ""
                    if value is not None or assessment:
                        values.append(
                            TargetValue(
                                report=report, target=target, value=value, assessment=assessment
                            )
                        )
            TargetValue.objects.bulk_create(values)
        return reports

    def newest_first(self):
        return self.order_by("-created_at", "-id")


class StatusReport(models.Model):
    """One report on an activity. Reports are appended, never edited: history is the table."""

    activity = models.ForeignKey(
        Activity, on_delete=models.PROTECT, related_name="reports", verbose_name=_("aktivitet")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="reports",
        verbose_name=_("rapporterande organisation"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="status_reports",
        verbose_name=_("rapporterad av"),
    )
    on_behalf = models.BooleanField(
        _("rapporterad för organisationens räkning"),
        default=False,
        help_text=_("Samordnaren är inte själv medlem i organisationen."),
    )
    round = models.ForeignKey(
        ReportingRound,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("uppföljningsomgång"),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    comment = models.TextField(_("kommentar"), blank=True, max_length=5000)
    created_at = models.DateTimeField(_("rapporterad"), default=timezone.now, db_index=True)

    objects = StatusReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("statusrapport")
        verbose_name_plural = _("statusrapporter")
        indexes = [models.Index(fields=["activity", "-created_at"], name="report_activity_latest")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="report_status_known"
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=Status.needing_comment()) | ~models.Q(comment=""),
                name="report_comment_when_needed",
            ),
        ]

    def __str__(self):
        return f"{self.activity.reference} {self.get_status_display()} ({self.organisation.code})"


class TargetValue(models.Model):
    """A value reported for one target in one report, and/or the final assessment."""

    report = models.ForeignKey(
        StatusReport,
        on_delete=models.CASCADE,
        related_name="values",
        verbose_name=_("statusrapport"),
    )
    target = models.ForeignKey(
        Target, on_delete=models.PROTECT, related_name="reported_values", verbose_name=_("mål")
    )
    value = models.DecimalField(
        _("värde"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    assessment = models.CharField(
        _("bedömning"), max_length=20, choices=Assessment.choices, blank=True
    )

    class Meta:
        ordering = ["target__position"]
        verbose_name = _("rapporterat värde")
        verbose_name_plural = _("rapporterade värden")
        constraints = [
            models.UniqueConstraint(fields=["report", "target"], name="value_one_per_target"),
            models.CheckConstraint(
                condition=models.Q(value__gte=0) | models.Q(value__isnull=True),
                name="value_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.target}: {self.value}"
