"""Figures about a whole plan, for the overview and the plan workbook's cover sheet."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from areas.models import Insats, StrategicArea

from .models import Activity, ActivityOrganisation, Assessment, Role, Status, Target


def areas_with_counts(plan):
    """The plan's areas in order with `activity_count`, and their insatser (prefetched, in
    order) with theirs: three queries whatever the size of the plan."""
    return (
        StrategicArea.objects.filter(plan=plan)
        .select_related("plan")
        .annotate(activity_count=Count("insatser__activities"))
        .prefetch_related(
            Prefetch(
                "insatser",
                queryset=Insats.objects.annotate(activity_count=Count("activities")).order_by(
                    "number"
                ),
            )
        )
        .order_by("number")
    )


@dataclass(frozen=True)
class StatusSegment:
    """One status's part of an area's bar; `offset` is where the segment starts, in percent."""

    status: Status
    count: int
    percent: float
    offset: float


@dataclass(frozen=True)
class StatusBar:
    area: StrategicArea
    segments: list[StatusSegment]


def status_bars(plan, areas):
    """Per area (annotated with activity_count), the number of activities in each status, in
    the vocabulary's display order: one grouped query."""
    counts = {
        (row["insats__area__number"], row["current_status"]): row["n"]
        for row in Activity.objects.filter(insats__area__plan=plan)
        .values("insats__area__number", "current_status")
        .annotate(n=Count("id"))
        .order_by()
    }
    return [
        status_bar(
            area, {status.value: counts.get((area.number, status.value), 0) for status in Status}
        )
        for area in areas
    ]


def status_bar(area, counts):
    """The StatusBar of `area` (annotated with activity_count) from its activities per status
    ({status value: n}): no query."""
    total = area.activity_count or 1
    segments, offset = [], 0.0
    for status in Status:
        n = counts.get(status.value, 0)
        segments.append(StatusSegment(status, n, 100 * n / total, offset))
        offset += 100 * n / total
    return StatusBar(area, segments)


def status_totals(bars):
    """{Status: number of activities} over all the bars (status_bars()): no query."""
    totals = dict.fromkeys(Status, 0)
    for bar in bars:
        for segment in bar.segments:
            totals[segment.status] += segment.count
    return totals


@dataclass(frozen=True)
class AssessmentCount:
    key: str  # an Assessment value, or "none" for not assessed
    label: str
    count: int


@dataclass(frozen=True)
class AssessmentRollup:
    targets: list[AssessmentCount]
    activities: list[AssessmentCount]
    # The activity table's filters that show the same activities ("area=3&"), for the links.
    query: str = ""
    # The activity table's filter for an activity count's assessment: the activity's combined
    # final assessment, or (an organisation's page) the lead's own.
    activity_filter: str = "assessment"
    # The targets page's filters that show the same targets; None: as `query`.
    target_query: str | None = None

    @property
    def targets_query(self):
        return self.query if self.target_query is None else self.target_query

    @property
    def target_total(self):
        return sum(c.count for c in self.targets)

    @property
    def activity_total(self):
        return sum(c.count for c in self.activities)


def assessment_counts(rows, field):
    by_key = {row[field] or "none": row["n"] for row in rows}
    return [
        AssessmentCount(key, label, by_key.get(key, 0))
        for key, label in [*Assessment.choices, ("none", _("Ej bedömda"))]
    ]


def _scoped(plan, area=None, lead=None):
    activities = Activity.objects.filter(insats__area__plan=plan)
    if area is not None:
        activities = activities.filter(insats__area=area)
    if lead is not None:
        activities = activities.led_by(lead)
    return activities


def answered_for_by(targets, organisation):
    """The targets an organisation answers for: those it is responsible for, and those of the
    activities it leads that name no responsible organisation (the targets page's
    ?responsible=, the organisation page's target counts)."""
    leads = ActivityOrganisation.objects.filter(
        activity=OuterRef("activity"), organisation=organisation, role=Role.LEAD
    )
    return targets.filter(
        Q(responsible_organisation=organisation) | Q(Exists(leads), responsible_organisation=None)
    )


def target_assessment_counts(plan, area=None, lead=None):
    """The targets (of the plan, or of an area's or a lead organisation's activities) per
    final assessment and not assessed: one grouped query."""
    rows = (
        Target.objects.filter(activity__in=_scoped(plan, area, lead).values("pk"))
        .values("current_assessment__assessment")
        .annotate(n=Count("id"))
        .order_by()
    )
    return assessment_counts(rows, "current_assessment__assessment")


def assessment_rollup(plan, area=None, lead=None):
    """How many targets and activities were assessed achieved, partly, not achieved or not at
    all: for the plan, one area, or the activities one organisation leads (counted by its own
    assessment: lead_assessment_rollup). Two queries."""
    if lead is not None:
        return lead_assessment_rollup(plan, lead)
    activities = (
        _scoped(plan, area, lead).values("final_assessment").annotate(n=Count("id")).order_by()
    )
    query = ""
    if area is not None:
        query += f"area={area.number}&"
    return AssessmentRollup(
        target_assessment_counts(plan, area, lead),
        assessment_counts(activities, "final_assessment"),
        query,
    )


def lead_assessment_rollup(plan, organisation):
    """The organisation page's roll-up: the activities it leads counted by its own final
    assessment (its lead role's current one), not the activities' combined one, which
    co-leads who disagree make "partly achieved"; the targets it answers for (answered_for_by)
    by their assessment. Each count links to the table filtered alike (?lead=…&
    lead_assessment=…, and the targets page's ?responsible=…). Two queries."""
    roles = (
        ActivityOrganisation.objects.filter(
            role=Role.LEAD, organisation=organisation, activity__insats__area__plan=plan
        )
        .values("current_assessment__assessment")
        .annotate(n=Count("id"))
        .order_by()
    )
    targets = (
        answered_for_by(Target.objects.filter(activity__insats__area__plan=plan), organisation)
        .values("current_assessment__assessment")
        .annotate(n=Count("id"))
        .order_by()
    )
    return AssessmentRollup(
        assessment_counts(targets, "current_assessment__assessment"),
        assessment_counts(roles, "current_assessment__assessment"),
        urlencode({"lead": organisation.code}) + "&",
        activity_filter="lead_assessment",
        target_query=urlencode({"responsible": organisation.code}) + "&",
    )


def unassessed_by_organisation(plan):
    """[(code, name, unassessed, led)] for each lead organisation that has not yet given its
    final assessment on every activity it leads, most owed first: one grouped query."""
    rows = (
        ActivityOrganisation.objects.filter(role=Role.LEAD, activity__insats__area__plan=plan)
        .values("organisation__code", "organisation__name")
        .annotate(led=Count("id"), unassessed=Count("id", filter=Q(current_assessment=None)))
        .filter(unassessed__gt=0)
        .order_by("-unassessed", "organisation__code")
    )
    return [
        (r["organisation__code"], r["organisation__name"], r["unassessed"], r["led"]) for r in rows
    ]
