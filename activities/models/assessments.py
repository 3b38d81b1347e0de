"""Final assessments, given at the end of the plan as their own act, apart from status reports:
Uppnått / Delvis uppnått / Ej uppnått, each with its own motivation. Appended like reports,
never overwritten; the newest counts.

- OutcomeAssessment: a lead organisation's assessment of the activity's expected outcome (or a
  coordinator's on its behalf). The newest per lead is stored on the lead's role together with
  the activity's overall assessment (Assessment.overall).
- TargetAssessment: the assessment of one target, with the final value where the target is
  numeric, by the organisation that answers for the target (its responsible organisation, or a
  lead when it has none). The newest is stored on the target (Target.current_assessment).

Both are filed by the reporting core (activities.reporting)."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organisations.models import Organisation

from .activity import Activity
from .status import Assessment
from .targets import Target

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


class TargetAssessment(models.Model):
    target = models.ForeignKey(
        Target, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("mål")
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
    # The value reached at the end, for a numeric target; None where the target has no value
    # or the assessor left it out (the newest reported value then stands).
    value = models.DecimalField(
        _("slutvärde"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    created_at = models.DateTimeField(_("bedömd"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("bedömning av mål")
        verbose_name_plural = _("bedömningar av mål")
        indexes = [models.Index(fields=["target", "-created_at"], name="target_assessment_latest")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(assessment__in=Assessment.values),
                name="target_assessment_known",
            ),
            models.CheckConstraint(
                condition=~models.Q(motivation=""), name="target_assessment_motivated"
            ),
            models.CheckConstraint(
                condition=models.Q(value__gte=0) | models.Q(value__isnull=True),
                name="target_assessment_value_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.target} – {self.organisation.code}: {self.get_assessment_display()}"
