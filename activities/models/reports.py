from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organisations.models import Organisation

from .status import Status
from .targets import TargetValue


@dataclass(frozen=True)
class ReportContent:
    """What a report says: its status, comment and numbers ({target id: value})."""

    status: str
    comment: str
    values: dict[int, Decimal]


class StatusReportQuerySet(models.QuerySet):
    # Reports are filed by the reporting core (activities.reporting.file_reports), which
    # checks them, appends them and updates the stored current state in one transaction.

    def latest_per_activity_and_organisation(self):
        """{(activity id, organisation id): ReportContent} of the newest report per pair among
        these, in two queries."""
        latest = {}
        for report in self.order_by("-created_at", "-id").values(
            "id", "activity_id", "organisation_id", "status", "comment"
        ):
            latest.setdefault((report["activity_id"], report["organisation_id"]), report)
        values = {}
        for value in TargetValue.objects.filter(
            report__in=[r["id"] for r in latest.values()], value__isnull=False
        ).values("report_id", "target_id", "value"):
            values.setdefault(value["report_id"], {})[value["target_id"]] = value["value"]
        return {
            key: ReportContent(r["status"], r["comment"], values.get(r["id"], {}))
            for key, r in latest.items()
        }

    def newest_first(self):
        return self.order_by("-created_at", "-id")


class StatusReport(models.Model):
    """One report on an activity. Reports are appended, never edited: history is the table."""

    activity = models.ForeignKey(
        "activities.Activity",
        on_delete=models.PROTECT,
        related_name="reports",
        verbose_name=_("aktivitet"),
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
        "activities.ReportingRound",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("uppföljningsomgång"),
    )
    # Empty for a report from a target's responsible organisation that does not lead the
    # activity: it reports the target's value, not the activity's status.
    status = models.CharField(
        _("status"), max_length=20, choices=Status.reportable_choices(), blank=True
    )
    COMMENT_MAX_LENGTH = 5000
    comment = models.TextField(_("kommentar"), blank=True, max_length=COMMENT_MAX_LENGTH)
    created_at = models.DateTimeField(_("rapporterad"), default=timezone.now, db_index=True)
    # The report form's one-time token: the same form sent twice files one report.
    submission_token = models.CharField(
        _("formulärnyckel"), max_length=64, null=True, blank=True, unique=True, editable=False
    )

    objects = StatusReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("statusrapport")
        verbose_name_plural = _("statusrapporter")
        indexes = [models.Index(fields=["activity", "-created_at"], name="report_activity_latest")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=[*Status.reportable_values(), ""]),
                name="report_status_known",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=Status.needing_comment()) | ~models.Q(comment=""),
                name="report_comment_when_needed",
            ),
        ]

    def __str__(self):
        return f"{self.activity.reference} {self.get_status_display()} ({self.organisation.code})"
