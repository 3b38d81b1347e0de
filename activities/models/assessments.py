"""The final assessment of an activity's expected outcome, given by each lead organisation at
the end of the plan (or by a coordinator on its behalf): Uppnått / Delvis uppnått / Ej uppnått,
with a motivation. Appended like reports; the newest per lead counts, and is stored on the
lead's role together with the activity's overall assessment (Assessment.overall), by the
reporting core (activities.reporting.file_assessments)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organisations.models import Organisation

from .activity import Activity
from .status import Assessment

MOTIVATION_MAX_LENGTH = 5000


class OutcomeAssessment(models.Model):
    activity = models.ForeignKey(
        Activity,
        on_delete=models.PROTECT,
        related_name="assessments",
        verbose_name=_("aktivitet"),
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("bedömd av"),
    )
    on_behalf = models.BooleanField(_("för organisationens räkning"), default=False)
    assessment = models.CharField(_("bedömning"), max_length=20, choices=Assessment.choices)
    motivation = models.TextField(_("motivering"), max_length=MOTIVATION_MAX_LENGTH)
    created_at = models.DateTimeField(_("bedömd"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("slutbedömning")
        verbose_name_plural = _("slutbedömningar")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(assessment__in=Assessment.values),
                name="outcome_assessment_known",
            ),
            models.CheckConstraint(
                condition=~models.Q(motivation=""), name="outcome_assessment_motivated"
            ),
        ]

    def __str__(self):
        return f"{self.activity} – {self.organisation.code}: {self.get_assessment_display()}"
