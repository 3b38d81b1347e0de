"""An export built in the background (activities/export_jobs.py, `manage.py run_jobs`): a file
too large to send within one request, asked for once and shared by everyone who asks for the
same file at the same data version."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def _new_token():
    # In the progress page's and the download's address: unguessable, so an address is no
    # way into a file the asker may not read (the views check the permission again too).
    return secrets.token_urlsafe(24)


class ExportJob(models.Model):
    class Kind(models.TextChoices):
        OPEN_DATA = "open_data", _("Öppna data")
        PLAN = "plan", _("Handlingsplanen som Excel")
        TABLE = "table", _("Aktivitetstabellen som Excel")
        TEMPLATE = "template", _("Rapportmall")

    class State(models.TextChoices):
        QUEUED = "queued", _("I kö")
        RUNNING = "running", _("Skapas")
        DONE = "done", _("Klar")
        FAILED = "failed", _("Misslyckades")

    token = models.CharField(_("nyckel"), max_length=40, unique=True, default=_new_token)
    # A digest of what is built and for whom: identical requests share one job
    # (export_jobs.job_key); `data_version` says which data it holds.
    key = models.CharField(_("innehållsnyckel"), max_length=64, db_index=True)
    kind = models.CharField(_("export"), max_length=16, choices=Kind.choices)
    plan = models.ForeignKey(
        "areas.Plan",
        on_delete=models.CASCADE,
        related_name="export_jobs",
        verbose_name=_("handlingsplan"),
    )
    # Open data's file name (aktiviteter, rapporter, …); empty for the other exports.
    dataset = models.CharField(_("fil"), max_length=30, blank=True)
    extension = models.CharField(_("format"), max_length=8, default="xlsx")
    # The request's query string (the selection, the table's filters, the template's round).
    query = models.TextField(_("urval"), blank=True)
    # The report template's organisations, by code.
    organisations = models.JSONField(_("organisationer"), default=list, blank=True)
    language = models.CharField(_("språk"), max_length=8, default="sv")
    # Who it was asked for: "public" or "coordinator" (open data), "signed_in" (the plan
    # workbook and the table), "reporter"/"coordinator" (the report template). The download
    # checks the asker's permission again, as the export's own address does.
    audience = models.CharField(_("mottagare"), max_length=16)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="export_jobs",
        verbose_name=_("beställd av"),
    )
    data_version = models.CharField(_("dataversion"), max_length=32)
    filename = models.CharField(_("filnamn"), max_length=255)
    status = models.CharField(
        _("status"), max_length=8, choices=State.choices, default=State.QUEUED, db_index=True
    )
    rows_done = models.PositiveIntegerField(_("rader skrivna"), default=0)
    rows_total = models.PositiveIntegerField(_("rader väntade"), null=True, blank=True)
    # The finished file's name in settings.EXPORT_DIR, and its size.
    path = models.CharField(_("fil på disk"), max_length=255, blank=True)
    size = models.BigIntegerField(_("storlek"), null=True, blank=True)
    error = models.TextField(_("fel"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("försök"), default=0)
    # Which runner holds it (host:pid:random); its heartbeat is the last progress it wrote.
    runner = models.CharField(_("körs av"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("beställd"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("påbörjad"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("senast hörd"), null=True, blank=True)
    finished_at = models.DateTimeField(_("klar"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("exportjobb")
        verbose_name_plural = _("exportjobb")
        constraints = [
            # One job queued or running per request (export_jobs.job_for): two requests at
            # once cannot both start one. Finished ones stay beside it, one per data version.
            models.UniqueConstraint(
                fields=["key"],
                condition=Q(status__in=["queued", "running"]),
                name="export_job_one_live_per_key",
            ),
        ]

    def __str__(self):
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def is_open_data(self):
        return self.kind == self.Kind.OPEN_DATA

    @property
    def is_waiting(self):
        return self.status in (self.State.QUEUED, self.State.RUNNING)

    @property
    def percent(self):
        """Rows written of those expected, 0–99 while it runs (the estimate can be short)."""
        if not self.rows_total:
            return None
        return min(99, self.rows_done * 100 // self.rows_total)
