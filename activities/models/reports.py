from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organisations.models import Organisation

from .status import Status
from .targets import TargetValue


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
        submission_token=None,
    ):
        """Append one report with its target values, all or nothing. See file_many().
        A `submission_token` already used raises IntegrityError and writes nothing."""
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
                    "submission_token": submission_token,
                }
            ]
        )[0]

    def file_many(self, entries):
        """Append reports with their target values in two inserts, all or nothing.

        Each entry holds activity, organisation, author, status ("" for a value-only report
        from a target's responsible organisation) and optionally comment, round,
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
                    submission_token=e.get("submission_token"),
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
            # The activities' stored current state, in the same transaction. Activity builds on
            # this module, so it is reached through the relation rather than imported.
            activity_model = self.model._meta.get_field("activity").related_model
            activity_model.objects.record_reports(reports, values)
        return reports

    def latest_per_activity_and_organisation(self):
        """{(activity id, organisation id): (status, comment, {target id: value})} of the
        newest report per pair among these, in two queries."""
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
            key: (r["status"], r["comment"], values.get(r["id"], {})) for key, r in latest.items()
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
