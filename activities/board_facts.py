"""What the report to the board counts, area by area, kept under each area's own version.

The report's summary (activities per status, targets and activities per final assessment, the
lists to read first) and its organisations' table cover the whole plan, so every report filed
in the plan renders them again. Counting the whole plan each time made the page lose most of
its throughput while reports came in (100×, a report every 0.5 s). Every one of these figures
adds up over areas (an activity, its targets and its lead roles lie in one area), and each
area has a version of its own (versions.py). So each area's figures are kept under that
version (per_area.kept_per_area) and the report adds them up: after a report, one area is
counted again.

Kept are numbers and short strings only: the lists to read first hold each activity's
reference and link, not the activity.
"""

import hashlib
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.urls import reverse

from .models import (
    Activity,
    ActivityOrganisation,
    Assessment,
    Role,
    Status,
    Target,
    TargetValue,
)
from .per_area import kept_per_area

# The kinds of the lists to read first that follow the final assessment ("": not assessed).
ASSESSED_KINDS = [Assessment.NOT_ACHIEVED, Assessment.PARTLY_ACHIEVED, ""]
AT_RISK = "at_risk"
# What AreaFacts holds, in the key of the kept facts: a cache that outlives a deploy (Redis)
# never gives facts of another shape.
FACTS_FORMAT = 2


@dataclass
class AreaFacts:
    """One area's figures: activities by status and by final assessment, targets by final
    assessment, the first `limit` activities of each list to read first ({kind: [(reference,
    href, listed)]}, in plan order), each lead organisation's record ({code: [name, led,
    reported, assessed, last reported]}) and the pks of the activities the report lists (the
    area's first, in plan order: shown_in_detail)."""

    statuses: Counter = field(default_factory=Counter)
    assessed: Counter = field(default_factory=Counter)
    targets: Counter = field(default_factory=Counter)
    attention: dict = field(default_factory=dict)
    organisations: dict = field(default_factory=dict)
    listed: list = field(default_factory=list)

    @property
    def activity_count(self):
        return sum(self.statuses.values())


def area_facts(plan, versions, limits):
    """{area pk: AreaFacts} of every area in `versions` ({area pk: its version}, plan order),
    kept per area; `limits` is (activities listed per area, activities per list to read
    first)."""
    return kept_per_area(
        "board-facts",
        (plan.pk, limits, FACTS_FORMAT),
        versions,
        lambda area_ids: count_areas(area_ids, *limits),
    )


def count_areas(area_ids, listed_per_area, per_list):
    """{area pk: AreaFacts} for these areas: five queries, whatever their size."""
    facts = {
        pk: AreaFacts(attention={kind: [] for kind in [*ASSESSED_KINDS, AT_RISK]})
        for pk in area_ids
    }
    activities = Activity.objects.filter(insats__area_id__in=area_ids)
    for row in (
        activities.values("insats__area_id", "current_status", "final_assessment")
        .annotate(n=Count("id"))
        .order_by()
    ):
        area = facts[row["insats__area_id"]]
        area.statuses[row["current_status"]] += row["n"]
        area.assessed[row["final_assessment"]] += row["n"]
    for row in (
        Target.objects.filter(activity__insats__area_id__in=area_ids)
        .values("activity__insats__area_id", "current_assessment__assessment")
        .annotate(n=Count("id"))
        .order_by()
    ):
        facts[row["activity__insats__area_id"]].targets[row["current_assessment__assessment"]] += (
            row["n"]
        )
    _count_organisations(facts, area_ids)
    _first_to_read(facts, activities, listed_per_area, per_list)
    return facts


def _count_organisations(facts, area_ids):
    rows = (
        ActivityOrganisation.objects.filter(role=Role.LEAD, activity__insats__area_id__in=area_ids)
        .values("activity__insats__area_id", "organisation__code", "organisation__name")
        .annotate(
            led=Count("id"),
            reported=Count("id", filter=Q(current_report__isnull=False)),
            assessed=Count("id", filter=Q(current_assessment__isnull=False)),
            last_reported_at=Max("current_report__created_at"),
        )
        .order_by()
    )
    for row in rows:
        facts[row["activity__insats__area_id"]].organisations[row["organisation__code"]] = [
            row["organisation__name"],
            row["led"],
            row["reported"],
            row["assessed"],
            row["last_reported_at"],
        ]


def in_area_order(*partition):
    """An activity's place in its area (and in `partition`'s groups), in reference order."""
    return Window(
        RowNumber(),
        partition_by=[F("insats__area_id"), *partition],
        order_by=[F("insats__number").asc(), F("number").asc()],
    )


def _first_to_read(facts, activities, listed_per_area, per_list):
    """The first `per_list` of each area's lists to read first, each with whether the report
    lists it (among the area's first `listed_per_area`, kept in `listed`): one query of
    values (the activities' places in their area, in their kind and among those at risk), no
    model instances."""
    address = _activity_address()
    for area_pk, pk, slug, *numbers, kind, at_risk, place, in_kind, in_risk in _places(
        activities, listed_per_area, per_list
    ):
        reference = ".".join(map(str, numbers))
        listed = place <= listed_per_area
        item = (reference, address(slug, reference), listed)
        if listed:
            facts[area_pk].listed.append(pk)
        if kind is not None and in_kind <= per_list:
            facts[area_pk].attention[kind].append(item)
        if at_risk and in_risk <= per_list:
            facts[area_pk].attention[AT_RISK].append(item)


def _places(activities, listed_per_area, per_list):
    """The activities among the first `listed_per_area` of their area, or the first `per_list`
    of their kind (final assessment) or of those at risk, in plan order, with those places."""
    kind = Case(When(final_assessment__in=ASSESSED_KINDS, then=F("final_assessment")), default=None)
    at_risk = Case(
        When(current_status__in=Status.needing_attention(), then=Value(True)),
        default=None,
        output_field=BooleanField(),
    )
    return (
        activities.annotate(
            kind=kind,
            at_risk=at_risk,
            place=in_area_order(),
            place_in_kind=in_area_order(kind),
            place_at_risk=in_area_order(at_risk),
        )
        # The activities of neither kind share a partition of their own: dropped below.
        .filter(
            Q(place__lte=listed_per_area)
            | Q(place_in_kind__lte=per_list)
            | Q(place_at_risk__lte=per_list)
        )
        .values_list(
            "insats__area_id",
            "pk",
            "insats__area__plan__slug",
            "insats__area__number",
            "insats__number",
            "number",
            "kind",
            "at_risk",
            "place",
            "place_in_kind",
            "place_at_risk",
        )
        .order_by("insats__area__number", "insats__number", "number")
    )


def _activity_address():
    """slug, reference -> the activity's page (Activity.get_absolute_url): one reverse() per
    plan, the reference in its place; the lists to read first name up to a few hundred."""
    templates = {}

    def address(slug, reference):
        if slug not in templates:
            templates[slug] = reverse("activities:detail", args=[slug, "0.0.0"]).rpartition("0.0.0")
        head, _, tail = templates[slug]
        return f"{head}{reference}{tail}"

    return address


def added_up(facts, name):
    """The Counter `name` of every area's facts, added up."""
    total = Counter()
    for area in facts.values():
        total.update(getattr(area, name))
    return total


def first_to_read(facts, kind, limit):
    """The first `limit` of one list to read first over the areas, in plan order."""
    return [item for area in facts.values() for item in area.attention[kind]][:limit]


def organisation_records(facts):
    """{code: (name, led, reported, assessed, last reported)} over the areas, by code."""
    records = {}
    for area in facts.values():
        for code, (name, led, reported, assessed, last) in area.organisations.items():
            before = records.get(code)
            if before is not None:
                led, reported, assessed = (
                    led + before[1],
                    reported + before[2],
                    assessed + before[3],
                )
                last = max(filter(None, [last, before[4]]), default=None)
            records[code] = (name, led, reported, assessed, last)
    return dict(sorted(records.items()))


def shown_in_detail(plan, listed, charts_per_area):
    """{area pk: a digest of what the report shows of each area's activities in detail}: the
    activities it lists (`listed`: {area pk: their pks}, AreaFacts.listed; their statuses,
    leads' reports and final assessments, targets' values and assessments) and its first
    `charts_per_area` (+ 1: whether there are more) targets with values (their values over
    time). An area's part of the report (board_report.AreaPart) keeps its listed activities
    and charts under it, beside the plan's edits: a report on an activity further down the
    area changes its counts, not them. Three queries, whatever the number of areas, each
    reading the shown activities' rows by their pks."""
    area_ids = list(listed)
    charted = _charted(plan, area_ids, charts_per_area)
    shown = Q(
        activity_id__in={pk for pks in listed.values() for pk in pks} | {row[1] for row in charted}
    )
    roles = (
        ActivityOrganisation.objects.filter(shown)
        .values_list(
            "activity__insats__area_id",
            "activity_id",
            "activity__latest_report_id",
            "activity__current_status",
            "activity__final_assessment",
            "pk",
            "current_report_id",
            "current_assessment_id",
        )
        .order_by("activity_id", "pk")
    )
    targets = (
        Target.objects.filter(shown)
        .values_list("activity__insats__area_id", "pk", "current_value_id", "current_assessment_id")
        .annotate(last_value=Max("reported_values__pk"))
        .order_by("pk")
    )
    state = {pk: [] for pk in area_ids}
    for rows in (charted, roles, targets):
        for area_pk, *row in rows:
            state[area_pk].append(tuple(row))
        for area_pk in state:
            state[area_pk].append("|")
    return {pk: hashlib.sha256(repr(rows).encode()).hexdigest()[:24] for pk, rows in state.items()}


def _charted(plan, area_ids, charts_per_area):
    """(area pk, activity pk, target pk) of the first `charts_per_area` + 1 targets with values
    of each area, in plan order (as board_report._charts draws them): a target's first value
    before the last of them takes a place among them, and past it changes nothing shown."""
    return list(
        first_charted(plan, area_ids, charts_per_area + 1)
        .values_list("activity__insats__area_id", "activity_id", "pk")
        .order_by("activity__insats__area_id", "place_in_area")
    )


def first_charted(plan, area_ids, limit):
    """The first `limit` numeric targets with a reported value of each of these areas, in plan
    order, each with its `place_in_area`: what the report draws as charts."""
    return (
        Target.objects.filter(
            Exists(TargetValue.objects.filter(target=OuterRef("pk"), value__isnull=False)),
            activity__insats__area__plan=plan,
            activity__insats__area_id__in=area_ids,
            value__isnull=False,
        )
        .annotate(
            place_in_area=Window(
                RowNumber(),
                partition_by=F("activity__insats__area_id"),
                order_by=[
                    F("activity__insats__number").asc(),
                    F("activity__number").asc(),
                    F("position").asc(),
                    F("pk").asc(),
                ],
            )
        )
        .filter(place_in_area__lte=limit)
    )
