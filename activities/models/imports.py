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


class PendingImport(models.Model):
    """An uploaded report file, read but not yet saved: the user looks at the preview and then
    confirms. Kept in the database, not the session, so a large file does not weigh on every
    request of its user, and any app process can take the confirmation."""

    token = models.CharField(_("nyckel"), max_length=32, unique=True, default=_new_token)
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
    filename = models.CharField(_("filnamn"), max_length=255, blank=True)
    upload = models.JSONField(_("inlästa rader"))
    created_at = models.DateTimeField(_("uppladdad"), auto_now_add=True)
    expires_at = models.DateTimeField(_("tas bort"), default=_expiry, db_index=True)

    objects = PendingImportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import som väntar")
        verbose_name_plural = _("importer som väntar")

    def __str__(self):
        return f"{self.filename} ({self.user})"


class PendingPlanImport(models.Model):
    """An uploaded workbook of a new plan, checked and waiting for the coordinator to look at
    the preview and confirm. The file itself is kept (it is at most MAX_UPLOAD_BYTES) and read
    again on confirmation, through the same checks as `manage.py import_plan`."""

    token = models.CharField(_("nyckel"), max_length=32, unique=True, default=_new_token)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="pending_plan_imports",
        verbose_name=_("användare"),
    )
    filename = models.CharField(_("filnamn"), max_length=255, blank=True)
    workbook = models.BinaryField(_("arbetsbok"))
    created_at = models.DateTimeField(_("uppladdad"), auto_now_add=True)
    expires_at = models.DateTimeField(_("tas bort"), default=_expiry, db_index=True)

    objects = PendingImportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("planimport som väntar")
        verbose_name_plural = _("planimporter som väntar")

    def __str__(self):
        return f"{self.filename} ({self.user})"
