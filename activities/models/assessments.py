"""The final assessment of an activity's expected outcome, given by each lead organisation at
the end of the plan (or by a coordinator on its behalf): Uppnått / Delvis uppnått / Ej uppnått,
with a motivation. Appended like reports; the newest per lead counts, and is stored on the
lead's role together with the activity's overall assessment (Assessment.overall)."""

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organisations.models import Organisation

from .activity import Activity, ActivityOrganisation, Role
from .status import Assessment

MOTIVATION_MAX_LENGTH = 5000


class OutcomeAssessmentQuerySet(models.QuerySet):
    def assess(self, *, activity, organisation, author, assessment, motivation, on_behalf=False):
        """Append one assessment and update the stored current ones, in one transaction."""
        with transaction.atomic():
            new = self.create(
                activity=activity,
                organisation=organisation,
                author=author,
                assessment=assessment,
                motivation=motivation,
                on_behalf=on_behalf,
            )
            roles = list(
                ActivityOrganisation.objects.select_for_update(of=("self",))
                .filter(activity=activity, role=Role.LEAD)
                .select_related("current_assessment")
            )
            for role in roles:
                current = role.current_assessment
                if role.organisation_id == organisation.pk and (
                    current is None or (new.created_at, new.pk) > (current.created_at, current.pk)
                ):
                    role.current_assessment = new
                    role.save(update_fields=["current_assessment"])
            overall = Assessment.overall(
                [r.current_assessment.assessment if r.current_assessment else "" for r in roles]
            )
            Activity.objects.filter(pk=activity.pk).update(final_assessment=overall)
        return new


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

    objects = OutcomeAssessmentQuerySet.as_manager()

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
