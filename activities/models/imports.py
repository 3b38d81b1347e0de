import datetime
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# How long an upload waits for its confirmation before prune_pending_imports removes it.
PENDING_IMPORT_LIFETIME = datetime.timedelta(days=1)


def _new_token():
    return secrets.token_urlsafe(16)


def _expiry():
    return timezone.now() + PENDING_IMPORT_LIFETIME


class PendingImportQuerySet(models.QuerySet):
    def expired(self):
        return self.filter(expires_at__lte=timezone.now())

    def live(self):
        return self.filter(expires_at__gt=timezone.now())


class PendingUpload(models.Model):
    """An upload waiting for its user to look at the preview and confirm: kept in the
    database, not the session, so a large file does not weigh on every request of its user,
    and any app process can take the confirmation. Expired ones are pruned."""

    token = models.CharField(_("nyckel"), max_length=32, unique=True, default=_new_token)
    filename = models.CharField(_("filnamn"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("uppladdad"), auto_now_add=True)
    expires_at = models.DateTimeField(_("tas bort"), default=_expiry, db_index=True)

    objects = PendingImportQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.filename} ({self.user})"


class PendingImport(PendingUpload):
    """An uploaded report file, read but not yet saved."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="pending_imports",
        verbose_name=_("användare"),
    )
    plan = models.ForeignKey(
        "areas.Plan",
        on_delete=models.CASCADE,
        related_name="pending_imports",
        verbose_name=_("handlingsplan"),
    )
    upload = models.JSONField(_("inlästa rader"))

    class Meta(PendingUpload.Meta):
        verbose_name = _("import som väntar")
        verbose_name_plural = _("importer som väntar")


class PendingPlanImport(PendingUpload):
    """An uploaded workbook of a new plan, checked and waiting for the coordinator to look at
    the preview and confirm. The file itself is kept (it is at most MAX_UPLOAD_BYTES) and read
    again on confirmation, through the same checks as `manage.py import_plan`."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="pending_plan_imports",
        verbose_name=_("användare"),
    )
    workbook = models.BinaryField(_("arbetsbok"))

    class Meta(PendingUpload.Meta):
        verbose_name = _("planimport som väntar")
        verbose_name_plural = _("planimporter som väntar")
