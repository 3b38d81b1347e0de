"""The final assessment of an activity's expected outcome, given by each lead organisation at
the end of the plan (or by a coordinator on its behalf): Uppnått / Delvis uppnått / Ej uppnått,
with a motivation. Appended like reports; the newest per lead counts, and is stored on the
lead's role together with the activity's overall assessment (Assessment.overall)."""

from collections import defaultdict

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
        return self.assess_many(
            [
                {
                    "activity": activity,
                    "organisation": organisation,
                    "author": author,
                    "assessment": assessment,
                    "motivation": motivation,
                    "on_behalf": on_behalf,
                }
            ]
        )[0]

    def assess_many(self, entries):
        """Append assessments (dicts of assess()'s arguments) and update each lead's current
        one and the activities' overall assessment, all or nothing, in a fixed number of
        queries however many (the Excel import appends them with its reports). Permission
        checks are the caller's (activities.permissions.assessing_organisations)."""
        entries = list(entries)
        if not entries:
            return []
        now = timezone.now()
        with transaction.atomic():
            new = self.bulk_create(
                OutcomeAssessment(
                    activity=e["activity"],
                    organisation=e["organisation"],
                    author=e["author"],
                    assessment=e["assessment"],
                    motivation=e["motivation"],
                    on_behalf=e.get("on_behalf", False),
                    created_at=now,
                )
                for e in entries
            )
            newest = {}
            for given in new:
                key = (given.activity_id, given.organisation_id)
                if key not in newest or _newest(given) > _newest(newest[key]):
                    newest[key] = given
            roles = list(
                ActivityOrganisation.objects.select_for_update(of=("self",))
                .filter(activity_id__in={a.activity_id for a in new}, role=Role.LEAD)
                .select_related("current_assessment")
            )
            changed, by_activity = [], defaultdict(list)
            for role in roles:
                given, current = (
                    newest.get((role.activity_id, role.organisation_id)),
                    role.current_assessment,
                )
                if given and (current is None or _newest(given) > _newest(current)):
                    role.current_assessment = current = given
                    changed.append(role)
                by_activity[role.activity_id].append(current.assessment if current else "")
            ActivityOrganisation.objects.bulk_update(changed, ["current_assessment"])
            Activity.objects.bulk_update(
                [
                    Activity(pk=pk, final_assessment=Assessment.overall(assessments))
                    for pk, assessments in by_activity.items()
                ],
                ["final_assessment"],
            )
        return new


def _newest(assessment):
    return (assessment.created_at, assessment.pk)


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
