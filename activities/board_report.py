"""The report to the board (kommunstyrelsen and the nämnder): everything the page
(templates/areas/board_report.html) and its Word document (board_docx.py) show, gathered in a
fixed number of queries whatever the size of the plan.

- the plan's figures in words: activities per status, targets and activities per final
  assessment;
- per area: its status bar, its assessments, and the activities that need the board's eye
  (at risk, delayed, not achieved, or not yet assessed once assessment is open) with the
  leads' latest comments and motivations;
- each lead organisation's reporting record, and the chosen round's completeness;
- each numeric target's values over time (charts.py).
"""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, Max, OuterRef, Prefetch, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from areas.models import StrategicArea

from .charts import charts_for
from .models import (
    Activity,
    ActivityOrganisation,
    Assessment,
    Role,
    Status,
    Target,
    TargetValue,
)
from .summaries import (
    AssessmentCount,
    AssessmentRollup,
    areas_with_counts,
    assessment_counts,
    status_bars,
    status_totals,
    target_assessment_counts,
)


@dataclass(frozen=True)
class ListedActivity:
    activity: Activity
    leads: list[ActivityOrganisation]  # with current_report and current_assessment joined
    reasons: list[str]  # "status", "not_achieved", "unassessed"


# Activities listed per area, and charts drawn, at most: the real plan (at most 14 activities
# in an area, 69 targets) is below both; a plan a hundred times larger gets a report that still
# prints, with each area's full count and a link to all of them in the activity table.
LISTED_PER_AREA = 15
MOST_CHARTS = 120


@dataclass
class AreaSection:
    area: StrategicArea
    segments: list  # StatusSegment, display order
    assessments: list[AssessmentCount]
    listed: list[ListedActivity] = field(default_factory=list)
    listed_count: int = 0  # all the activities the area would list; `listed` holds the first

    @property
    def more(self):
        return self.listed_count > len(self.listed)


@dataclass(frozen=True)
class OrganisationRecord:
    code: str
    name: str
    led: int
    reported: int  # leads with at least one report of their own
    assessed: int  # leads with a final assessment
    last_reported_at: object  # datetime or None
    round_reported: int | None = None
    round_due: int | None = None


@dataclass
class BoardReport:
    plan: object
    round: object
    generated_at: object
    activity_count: int
    status_totals: list  # [(Status, count)]
    rollup: object
    areas: list[AreaSection]
    organisations: list[OrganisationRecord]
    charts: list  # [(Activity, [TargetChart])]
    completeness: object = None

    more_charts: bool = False  # more targets have values than the report draws

    @property
    def listed_count(self):
        return sum(section.listed_count for section in self.areas)

    @property
    def listed_per_area(self):
        return LISTED_PER_AREA

    # The activity table's filter for the statuses that need attention.
    attention_query = Status.needing_attention_query()

    @property
    def listed_shown(self):
        return sum(len(section.listed) for section in self.areas)

    @property
    def chart_count(self):
        return sum(len(charts) for _, charts in self.charts)


def _reasons(activity, assessment_open):
    reasons = []
    if activity.current_status in Status.needing_attention():
        reasons.append("status")
    if activity.final_assessment == Assessment.NOT_ACHIEVED:
        reasons.append("not_achieved")
    elif assessment_open and not activity.final_assessment:
        reasons.append("unassessed")
    return reasons


def _needing_the_boards_eye(plan):
    condition = Q(current_status__in=Status.needing_attention()) | Q(
        final_assessment=Assessment.NOT_ACHIEVED
    )
    if plan.assessment_is_open:
        condition |= Q(final_assessment="")
    return Activity.objects.filter(insats__area__plan=plan).filter(condition)


def _listed(plan):
    """The first LISTED_PER_AREA activities of each area the board should read about, with
    their leads, in plan order (a window per area), and how many each area has in all."""
    activities = _needing_the_boards_eye(plan)
    counts = dict(activities.order_by().values_list("insats__area__number").annotate(n=Count("id")))
    first = activities.annotate(
        rank=Window(
            RowNumber(),
            partition_by=[F("insats__area")],
            order_by=[F("insats__number").asc(), F("number").asc()],
        )
    ).filter(rank__lte=LISTED_PER_AREA)
    leads = ActivityOrganisation.objects.filter(role=Role.LEAD).select_related(
        "organisation", "current_report", "current_assessment"
    )
    first = (
        Activity.objects.filter(pk__in=first.values("pk"))
        .select_related("insats__area__plan")
        .prefetch_related(Prefetch("roles", queryset=leads.order_by("position")))
        .in_plan_order()
    )
    listed = [
        ListedActivity(
            activity, list(activity.roles.all()), _reasons(activity, plan.assessment_is_open)
        )
        for activity in first
    ]
    return listed, counts


def _area_assessments(plan):
    """({area number: [AssessmentCount…]}, [AssessmentCount…] for the whole plan): one query."""
    rows = list(
        Activity.objects.filter(insats__area__plan=plan)
        .values("insats__area__number", "final_assessment")
        .annotate(n=Count("id"))
        .order_by()
    )
    per_area, totals = {}, {}
    for row in rows:
        per_area.setdefault(row["insats__area__number"], []).append(row)
        key = row["final_assessment"]
        totals[key] = totals.get(key, 0) + row["n"]
    plan_rows = [{"final_assessment": key, "n": n} for key, n in totals.items()]
    return (
        {
            number: assessment_counts(area_rows, "final_assessment")
            for number, area_rows in per_area.items()
        },
        assessment_counts(plan_rows, "final_assessment"),
    )


def _organisations(plan, completeness):
    rows = (
        ActivityOrganisation.objects.filter(role=Role.LEAD, activity__insats__area__plan=plan)
        .values("organisation__code", "organisation__name")
        .annotate(
            led=Count("id"),
            reported=Count("id", filter=Q(current_report__isnull=False)),
            assessed=Count("id", filter=Q(current_assessment__isnull=False)),
            last_reported_at=Max("current_report__created_at"),
        )
        .order_by("organisation__code")
    )
    in_round = {}
    if completeness is not None:
        in_round = {c.organisation.code: (c.reported, c.due) for c in completeness.rows}
    return [
        OrganisationRecord(
            row["organisation__code"],
            row["organisation__name"],
            row["led"],
            row["reported"],
            row["assessed"],
            row["last_reported_at"],
            *in_round.get(row["organisation__code"], (None, None)),
        )
        for row in rows
    ]


def _charts(plan):
    """([(activity, [chart…])…], whether there are more): the first MOST_CHARTS numeric
    targets with a reported value, in plan order."""
    targets = list(
        Target.objects.filter(
            Exists(TargetValue.objects.filter(target=OuterRef("pk"), value__isnull=False)),
            activity__insats__area__plan=plan,
            value__isnull=False,
        )
        .select_related("activity__insats__area__plan")
        .order_by(
            "activity__insats__area__number",
            "activity__insats__number",
            "activity__number",
            "position",
        )[: MOST_CHARTS + 1]
    )
    more = len(targets) > MOST_CHARTS
    targets = targets[:MOST_CHARTS]
    charts = charts_for(targets)
    grouped = {}
    for target in targets:
        chart = charts[target.pk]
        if chart.points:
            grouped.setdefault(target.activity_id, (target.activity, []))[1].append(chart)
    return list(grouped.values()), more


def build(plan, round=None):
    """The board report of `plan`, with the reporting completeness of `round` if given."""
    areas = list(areas_with_counts(plan))
    bars = status_bars(plan, areas)
    assessments, plan_assessments = _area_assessments(plan)
    empty = assessment_counts([], "final_assessment")
    sections = {
        bar.area.number: AreaSection(
            bar.area, bar.segments, assessments.get(bar.area.number, empty)
        )
        for bar in bars
    }
    listed, counts = _listed(plan)
    for item in listed:
        sections[item.activity.insats.area.number].listed.append(item)
    for number, section in sections.items():
        section.listed_count = counts.get(number, 0)
    charts, more_charts = _charts(plan)
    completeness = round.completeness(missing_limit=0) if round is not None else None
    return BoardReport(
        plan=plan,
        round=round,
        generated_at=timezone.now(),
        activity_count=sum(a.activity_count for a in areas),
        status_totals=[(status, n) for status, n in status_totals(bars).items() if n],
        # The activities' roll-up is the areas' counts summed: no query of its own.
        rollup=AssessmentRollup(target_assessment_counts(plan), plan_assessments),
        areas=list(sections.values()),
        organisations=_organisations(plan, completeness),
        charts=charts,
        completeness=completeness,
        more_charts=more_charts,
    )
