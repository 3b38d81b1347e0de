from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from organisations.models import Organisation


class TargetQuerySet(models.QuerySet):
    def with_latest_value(self):
        """Join the newest reported value and assessment, with report and organisation."""
        return self.select_related(
            "current_value__report__organisation", "current_assessment__organisation"
        )

    def get_by_natural_key(self, plan_slug, area_number, insats_number, number, position):
        return self.get(
            activity__insats__area__plan__slug=plan_slug,
            activity__insats__area__number=area_number,
            activity__insats__number=insats_number,
            activity__number=number,
            position=position,
        )


class Target(models.Model):
    """A measurable (or checkable) part of an activity's expected outcome.

    `phrase` keeps the plan's words; the structured fields make a reported value comparable:
    a value (or a range value..value_max), a unit, a baseline the count started from, the year
    the target is for, and the organisation responsible where the plan names one.
    """

    activity = models.ForeignKey(
        "activities.Activity",
        on_delete=models.CASCADE,
        related_name="targets",
        verbose_name=_("aktivitet"),
    )
    position = models.PositiveSmallIntegerField(_("ordning"))
    phrase = models.TextField(_("formulering i planen"))
    value = models.DecimalField(
        _("målvärde"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    value_max = models.DecimalField(
        _("målvärde, övre gräns"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("För intervall som ”15 – 20”."),
    )
    unit = models.CharField(_("enhet"), max_length=100, blank=True)
    baseline = models.DecimalField(
        _("utgångsläge"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Värdet när planen antogs, t.ex. ”(46 deltar idag)”."),
    )
    year = models.PositiveSmallIntegerField(_("år"), null=True, blank=True)
    responsible_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="responsible_targets",
        verbose_name=_("ansvarig organisation"),
    )
    # The newest reported value (kept by activities.reporting).
    current_value = models.ForeignKey(
        "TargetValue",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("senaste värde"),
    )

    # The newest final assessment of the target (kept by activities.reporting).
    current_assessment = models.ForeignKey(
        "TargetAssessment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("senaste bedömning"),
    )

    objects = TargetQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["current_value", "current_assessment"])

    class Meta:
        ordering = ["activity", "position"]
        verbose_name = _("mål")
        verbose_name_plural = _("mål")
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "position"], name="target_unique_position_in_activity"
            ),
            models.CheckConstraint(
                condition=models.Q(value_max__isnull=True)
                | models.Q(value__isnull=False, value_max__gte=models.F("value")),
                name="target_range_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(value__gte=0) | models.Q(value__isnull=True),
                name="target_value_not_negative",
            ),
        ]

    def __str__(self):
        return self.phrase

    def natural_key(self):
        return (*self.activity.natural_key(), self.position)

    natural_key.dependencies = ["activities.activity"]

    @property
    def is_numeric(self):
        return self.value is not None

    def progress(self, reported):
        """How far `reported` has come from the baseline (0 if none) to the target value, in
        percent, not capped (an outcome can beat its target); None if either is missing.
        For a range ("15 – 20") the lower bound counts as reached."""
        if self.value is None or reported is None:
            return None
        start = self.baseline or 0
        if self.value == start:
            return 100.0 if reported >= self.value else 0.0
        return max(0.0, float((reported - start) / (self.value - start) * 100))

    # The newest reported value, when and by whom; with_latest_value() joins them.
    @property
    def latest_value(self):
        return self.current_value.value if self.current_value_id else None

    @property
    def latest_value_at(self):
        return self.current_value.report.created_at if self.current_value_id else None

    @property
    def latest_value_org(self):
        return self.current_value.report.organisation.code if self.current_value_id else None

    @property
    def assessment(self):
        """The newest final assessment ("" if none); with_latest_value() joins it."""
        return self.current_assessment.assessment if self.current_assessment_id else ""

    @property
    def assessment_motivation(self):
        return self.current_assessment.motivation if self.current_assessment_id else ""

    @property
    def has_final_value(self):
        """Does the target's final assessment give the value it ended at?"""
        return self.current_assessment_id is not None and self.current_assessment.value is not None

    @property
    def final_value(self):
        """The value the target ended at: the final assessment's value when it gives one, else
        the newest reported value (None if neither)."""
        return self.current_assessment.value if self.has_final_value else self.latest_value

    @property
    def latest_progress(self):
        return self.progress(self.latest_value)


class TargetValue(models.Model):
    """A value reported for one target in one report. (A target's final assessment is a
    TargetAssessment of its own.)"""

    report = models.ForeignKey(
        "activities.StatusReport",
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
