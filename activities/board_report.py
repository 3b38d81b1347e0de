"""The report to the board (kommunstyrelsen and the nämnder), the plan's final follow-up:
everything the page (templates/areas/board_report.html) and its Word document (board_docx.py)
show, gathered in a fixed number of queries whatever the size of the plan.

- the plan's figures in words: activities per status, targets and activities per final
  assessment, and the activities the board should read first;
- per area, insats by insats: its activities in reference order (at most AREA_LIMIT; the rest
  are counted and linked to in the activity table) with their full titles, leads, final
  assessment and each lead's own with its motivation, and every target as baseline → final
  value against the target value with its assessment. Achieved activities are compact; the
  others are expanded with the leads' statuses and comments and the targets;
- the activities a later plan continues ("Fortsätter i nästa plan");
- each lead organisation's reporting record, and the chosen round's completeness;
- each numeric target's values over time (charts.py).
"""

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from areas.models import Insats, PlanState, StrategicArea
from organisations.models import Organisation

from . import board_facts, per_area
from .charts import charts_for
from .models import (
    Activity,
    ActivityOrganisation,
    Assessment,
    Role,
    Status,
    Target,
)
from .summaries import (
    AssessmentCount,
    AssessmentRollup,
    assessment_counts,
    status_bar,
)
from .text import number
from .versions import Scope, area_versions

# Activities listed per area at most, and per list of those to read first (references only).
# The real plan has 55 activities, at most 14 in an area; a plan a hundred times its size would
# make a report of thousands of pages that no board reads and that takes seconds to build. The
# figures always count every activity, and the rest are a link away in the activity table
# (filtered to the area or the list).
AREA_LIMIT = 40
ATTENTION_LIMIT = 60

# Charts drawn per area at most, with the area (its part of the page is kept by the area's
# own version: a report redraws that area's charts only). The real plan has at most 13
# numeric targets in an area; a plan a hundred times larger gets a report that still prints,
# and each activity's page shows its own.
CHARTS_PER_AREA = 20

# An assessment as a symbol beside its label, never by colour alone (page and Word alike).
ASSESSMENT_SYMBOLS = {
    Assessment.ACHIEVED: "✓",
    Assessment.PARTLY_ACHIEVED: "◐",
    Assessment.NOT_ACHIEVED: "✕",
}


def assessment_symbol(key):
    """The symbol of an Assessment value; "–" for none."""
    return ASSESSMENT_SYMBOLS.get(key, "–")


@dataclass(frozen=True)
class ReportedTarget:
    """One target as the board reads it: baseline → final value against the target value,
    with its assessment and motivation (texts shared by the page and the Word document)."""

    target: Target
    outcome: str  # "46 → 104 företag", "104 företag", "–"
    goal: str  # "100 företag", "15 – 20 st", "–" for a target that is not a number

    @property
    def assessment(self):
        return self.target.assessment

    @property
    def assessment_label(self):
        given = self.target.current_assessment
        return given.get_assessment_display() if given else _("Ej bedömt")

    @property
    def motivation(self):
        return self.target.assessment_motivation


def _with_unit(text, unit):
    return f"{text} {unit}" if unit else text


def outcome_text(target):
    """Baseline → final value, with the unit: "46 → 104 företag"; "–" for a target that is not
    a number or has neither."""
    if target.value is None:
        return "–"
    final, baseline = target.final_value, target.baseline
    if final is None and baseline is None:
        return "–"
    if baseline is None:
        return _with_unit(number(final), target.unit)
    end = number(final) if final is not None else "–"
    return _with_unit(f"{number(baseline)} → {end}", target.unit)


def goal_text(target):
    """The target value with its unit ("100 företag"), a range as "15 – 20 st"; "–" for a
    target that is not a number (its phrase says what it is)."""
    if target.value is None:
        return "–"
    goal = number(target.value)
    if target.value_max is not None:
        goal += f" – {number(target.value_max)}"
    return _with_unit(goal, target.unit)


@dataclass(frozen=True)
class ReportedActivity:
    """An activity in the report: achieved ones are compact, the others (partly or not
    achieved, not yet assessed) expanded with the leads' statuses, comments and motivations
    and every target."""

    activity: Activity
    leads: list[ActivityOrganisation]  # with current_report and current_assessment joined
    targets: list[ReportedTarget]

    @property
    def expanded(self):
        return self.activity.final_assessment != Assessment.ACHIEVED

    @property
    def anchor(self):
        return f"aktivitet-{self.activity.reference}"

    @property
    def lead_codes(self):
        return ", ".join(role.organisation.code for role in self.leads)

    @property
    def assessment_label(self):
        return self.activity.get_final_assessment_display() or _("Ej bedömd")

    @property
    def targets_achieved(self):
        return sum(1 for t in self.targets if t.assessment == Assessment.ACHIEVED)

    @property
    def needs_attention(self):
        return self.activity.current_status in Status.needing_attention()


@dataclass
class InsatsGroup:
    insats: object
    activities: list[ReportedActivity] = field(default_factory=list)


@dataclass(frozen=True)
class Continuation:
    """An activity of this plan that a later plan's activity continues."""

    activity: Activity  # this plan's
    successors: list[Activity]  # the later plans', with insats__area__plan


@dataclass
class AreaSection:
    area: StrategicArea
    segments: list  # StatusSegment, display order
    assessments: list[AssessmentCount]
    insatser: list[InsatsGroup] = field(default_factory=list)
    charts: list = field(default_factory=list)  # [(Activity, [TargetChart])], plan order
    more_charts: bool = False  # more of the area's targets have values than it draws

    @property
    def chart_count(self):
        return sum(len(charts) for _, charts in self.charts)

    @property
    def activities(self):
        return [item for group in self.insatser for item in group.activities]

    @property
    def unlisted(self):
        """How many of the area's activities the report does not list (AREA_LIMIT)."""
        return self.area.activity_count - len(self.activities)

    @property
    def table_url(self):
        """The activity table filtered to the area: every activity of it."""
        plan = self.area.plan.slug
        return reverse("activities:list", args=[plan]) + f"?area={self.area.number}"

    @property
    def shown_segments(self):
        """The statuses the area has activities in."""
        return [segment for segment in self.segments if segment.count]


@dataclass(frozen=True)
class OrganisationRecord:
    code: str
    name: str
    led: int
    reported: int  # leads with at least one report of their own
    assessed: int  # leads with a final assessment
    last_reported_at: object  # datetime or None
    round_reported: int | None = None  # done in the round: reported in it, or finished before
    round_due: int | None = None


@dataclass(frozen=True)
class Reference:
    """An activity named in a list of those to read first: its reference, and a link to where
    the report shows it, or to its page when the report does not list it (AREA_LIMIT)."""

    reference: str
    url: str
    listed: bool

    @property
    def href(self):
        return f"#aktivitet-{self.reference}" if self.listed else self.url


@dataclass(frozen=True)
class AttentionList:
    """The first ATTENTION_LIMIT activities of one kind in plan order, and how many there are;
    `query` filters the activity table to all of them."""

    items: list[Reference]
    total: int
    query: str

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)

    def __bool__(self):
        return self.total > 0

    @property
    def more(self):
        return self.total - len(self.items)


@dataclass(frozen=True)
class Attention:
    """The activities the board should read first, by reference (each in its area below)."""

    not_achieved: AttentionList
    partly: AttentionList
    unassessed: AttentionList
    at_risk: AttentionList  # at risk or delayed, whatever their assessment

    @property
    def any(self):
        return bool(self.not_achieved or self.partly or self.unassessed or self.at_risk)


@dataclass(frozen=True)
class AreaPart:
    """One area's part of the page, kept by that area's own data version: the area (read on
    every request, for the part's key) and its section, read from the report (a lazy one:
    built only when some part misses) only when the part is rendered."""

    area: StrategicArea
    report: object

    @property
    def section(self):
        return self.report.section(self.area.pk)

    @property
    def head(self):
        return self.report.head(self.area.pk)

    @property
    def shown_in_detail(self):
        """What the part's listed activities and charts are kept under (board_facts.
        shown_in_detail), for `{% fragment … area=… %}`: read only when the area's part
        misses."""
        return self.report.shown_in_detail[self.area.pk]


class BoardReport:
    """The board report of `plan`, with the reporting completeness of `round` (or None).

    Each part is read when first asked for, so a page whose kept parts mostly hit reads only
    what misses: after a report, the summary, the one area it concerns and the rest, not the
    other areas' activities and charts. The Word document asks for everything."""

    area_limit = AREA_LIMIT

    @property
    def charts_per_area(self):
        return CHARTS_PER_AREA

    def __init__(self, plan, round=None, areas=None, versions=None):
        self.plan = plan
        self.round = round
        self.generated_at = timezone.now()
        self._sections = {}
        # The plan's areas and their versions, when the page has read them already.
        if areas is not None:
            self.area_list = list(areas)
        if versions is not None:
            self._versions = versions

    @cached_property
    def area_list(self):
        """The plan's areas in order."""
        return list(StrategicArea.objects.filter(plan=self.plan).order_by("number"))

    @cached_property
    def _versions(self):
        return area_versions(self.plan.pk)

    @cached_property
    def _facts(self):
        """{area pk: board_facts.AreaFacts}, kept per area: after a report, one area is
        counted again."""
        return board_facts.area_facts(self.plan, self._versions, (AREA_LIMIT, ATTENTION_LIMIT))

    @cached_property
    def _per_status(self):
        statuses = board_facts.added_up(self._facts, "statuses")
        return {status: statuses[status.value] for status in Status}

    @cached_property
    def activity_count(self):
        return sum(self._per_status.values())

    @cached_property
    def status_totals(self):
        return [(status, n) for status, n in self._per_status.items() if n]

    @cached_property
    def rollup(self):
        targets = board_facts.added_up(self._facts, "targets")
        return AssessmentRollup(_assessment_counts(targets), _assessment_counts(self._assessed))

    @cached_property
    def _assessed(self):
        return board_facts.added_up(self._facts, "assessed")

    @cached_property
    def completeness(self):
        if self.round is None:
            return None
        # The round's counts are kept per area under the versions the page read already.
        self.round._area_versions = self._versions
        return per_area.completeness(self.round, missing_limit=0)

    @cached_property
    def attention(self):
        def listing(kind, total, query):
            items = board_facts.first_to_read(self._facts, kind, ATTENTION_LIMIT)
            return AttentionList([Reference(*item) for item in items], total, query)

        needing = Status.needing_attention()
        return Attention(
            not_achieved=listing(
                Assessment.NOT_ACHIEVED,
                self._assessed[Assessment.NOT_ACHIEVED],
                f"assessment={Assessment.NOT_ACHIEVED}",
            ),
            partly=listing(
                Assessment.PARTLY_ACHIEVED,
                self._assessed[Assessment.PARTLY_ACHIEVED],
                f"assessment={Assessment.PARTLY_ACHIEVED}",
            ),
            unassessed=listing("", self._assessed[""], "assessment=none"),
            at_risk=listing(
                board_facts.AT_RISK,
                sum(self._per_status[s] for s in needing),
                Status.needing_attention_query(),
            ),
        )

    @cached_property
    def shown_in_detail(self):
        """{area pk: Scope}: what each area's listed activities and charts show, kept per area
        (board_facts.shown_in_detail), as the scope of their kept part."""
        digests = per_area.kept_per_area(
            "board-shown",
            (self.plan.pk, AREA_LIMIT, CHARTS_PER_AREA),
            self._versions,
            lambda area_ids: board_facts.shown_in_detail(
                self.plan, {pk: self._facts[pk].listed for pk in area_ids}, CHARTS_PER_AREA
            ),
        )
        return {pk: Scope(("board-shown", pk), digest) for pk, digest in digests.items()}

    @cached_property
    def organisations(self):
        return _organisations(board_facts.organisation_records(self._facts), self.completeness)

    @cached_property
    def continuations(self):
        return _continuations(self.plan)

    def head(self, area_pk):
        """The AreaSection of one area without its activities and charts (its status bar and
        final assessments), from the facts kept per area: no query of its own. None for an
        area no longer in the plan."""
        area = next((area for area in self.area_list if area.pk == area_pk), None)
        if area is None:
            return None
        facts = self._facts[area.pk]
        area.plan = self.plan
        area.activity_count = facts.activity_count
        bar = status_bar(area, facts.statuses)
        return AreaSection(area, bar.segments, _assessment_counts(facts.assessed))

    def section(self, area_pk):
        """The AreaSection of one area (None for an area no longer in the plan). The first
        area asked for is read alone (after a report, the one part that misses); the next
        reads every area not read yet: two reads at most, whatever the number of areas."""
        if area_pk not in self._sections:
            if self._sections:
                self._read_sections([a.pk for a in self.area_list if a.pk not in self._sections])
            else:
                self._read_sections([area_pk])
        return self._sections.get(area_pk)

    @property
    def areas(self):
        """Every area's AreaSection, in order."""
        unread = [a.pk for a in self.area_list if a.pk not in self._sections]
        if unread:
            self._read_sections(unread)
        return [self._sections[a.pk] for a in self.area_list]

    def _read_sections(self, area_ids):
        # Each section begins as its head (status bar and assessments, from the facts).
        heads = [self.head(area.pk) for area in self.area_list if area.pk in area_ids]
        areas = {head.area.pk: head.area for head in heads}
        insatser = {}
        for insats in Insats.objects.filter(area_id__in=area_ids).order_by("number"):
            insats.area = areas[insats.area_id]
            insatser.setdefault(insats.area_id, []).append(insats)
        activities = _reported_activities(self.plan, area_ids)
        charts = _charts(self.plan, area_ids)
        for section in _sections(heads, insatser, activities):
            section.charts, section.more_charts = charts.get(section.area.pk, ([], False))
            self._sections[section.area.pk] = section
        for pk in area_ids:
            self._sections.setdefault(pk, None)

    @property
    def activities(self):
        return [item for section in self.areas for item in section.activities]

    @property
    def unlisted(self):
        """How many activities the report does not list (areas past AREA_LIMIT)."""
        counts = [area.activity_count for area in self._facts.values()]
        return sum(n - min(n, AREA_LIMIT) for n in counts)

    @property
    def charts(self):
        """Every area's charts, in plan order (the Word document draws them together)."""
        return [item for section in self.areas for item in section.charts]

    @property
    def more_charts(self):
        return any(section.more_charts for section in self.areas)

    @property
    def chart_count(self):
        return sum(section.chart_count for section in self.areas)


def _reported_activities(plan, area_ids):
    """The first AREA_LIMIT activities of each of these areas in reference order, with their
    leads (current report and assessment) and targets (newest value and assessment): three
    queries, whatever the size of the plan."""
    leads = ActivityOrganisation.objects.filter(role=Role.LEAD).select_related(
        "organisation", "current_report", "current_assessment"
    )
    targets = Target.objects.select_related("current_value", "current_assessment")
    activities = (
        Activity.objects.filter(insats__area__plan=plan, insats__area_id__in=area_ids)
        .annotate(place_in_area=board_facts.in_area_order())
        .filter(place_in_area__lte=AREA_LIMIT)
        .select_related("insats__area__plan")
        .prefetch_related(
            Prefetch("roles", queryset=leads.order_by("position")),
            Prefetch("targets", queryset=targets.order_by("position")),
        )
        .in_plan_order()
    )
    return [
        ReportedActivity(
            activity,
            list(activity.roles.all()),
            [ReportedTarget(t, outcome_text(t), goal_text(t)) for t in activity.targets.all()],
        )
        for activity in activities
    ]


def _continuations(plan):
    """This plan's activities that a later plan's activities continue, in reference order, each
    with its successors: one query. A plan still a draft continues nothing yet (as on the
    activity page): the report is the same for every reader, and a draft is the
    coordinators' only."""
    successors = (
        # Asked first whether an activity continues any at all (few do; the foreign key's
        # index answers): joined to every activity instead, PostgreSQL read the whole table
        # twice (56 ms at 1000×, on every report).
        Activity.objects.filter(predecessor__isnull=False, predecessor__insats__area__plan=plan)
        .exclude(insats__area__plan__state=PlanState.DRAFT)
        .select_related("insats__area__plan", "predecessor__insats__area__plan")
        .order_by(
            "predecessor__insats__area__number",
            "predecessor__insats__number",
            "predecessor__number",
            "insats__area__plan__period_start",
            "insats__area__number",
            "insats__number",
            "number",
        )
    )
    grouped = {}
    for successor in successors:
        before = successor.predecessor
        grouped.setdefault(before.pk, Continuation(before, [])).successors.append(successor)
    return list(grouped.values())


def _assessment_counts(counter):
    """[AssessmentCount…] of a Counter of final assessments ("" or None: not assessed)."""
    rows = [{"key": key, "n": n} for key, n in counter.items()]
    return assessment_counts(rows, "key")


def _organisations(records, completeness):
    """The lead organisations' records (board_facts.organisation_records), in the database's
    order of their codes (one small query), with the round's completeness."""
    codes = Organisation.objects.filter(code__in=records).order_by("code")
    in_round = {}
    if completeness is not None:
        in_round = {c.organisation.code: (c.done, c.due) for c in completeness.rows}
    return [
        OrganisationRecord(code, *records[code], *in_round.get(code, (None, None)))
        for code in codes.values_list("code", flat=True)
    ]


def _charts(plan, area_ids):
    """{area id: ([(activity, [chart…])…], whether there are more)}: the first CHARTS_PER_AREA
    numeric targets with a reported value of each of these areas, in plan order (two
    queries)."""
    targets = list(
        board_facts.first_charted(plan, area_ids, CHARTS_PER_AREA + 1)
        .select_related("activity__insats__area__plan")
        .order_by(
            "activity__insats__area__number",
            "activity__insats__number",
            "activity__number",
            "position",
            "pk",
        )
    )
    more = {t.activity.insats.area_id for t in targets if t.place_in_area > CHARTS_PER_AREA}
    targets = [t for t in targets if t.place_in_area <= CHARTS_PER_AREA]
    charts = charts_for(targets)
    grouped = {}
    for target in targets:
        chart = charts[target.pk]
        if chart.points:
            area = grouped.setdefault(target.activity.insats.area_id, {})
            area.setdefault(target.activity_id, (target.activity, []))[1].append(chart)
    return {
        area: (list(grouped.get(area, {}).values()), area in more) for area in set(grouped) | more
    }


def _sections(heads, insatser, activities):
    """Each area's section (its head: status bar, assessments) with its insatser ({area pk:
    [Insats…]}) in order, each with its activities in reference order: no query beyond what
    the caller read."""
    for section in heads:
        section.insatser = [InsatsGroup(insats) for insats in insatser.get(section.area.pk, [])]
    groups = {g.insats.pk: g for section in heads for g in section.insatser}
    for item in activities:
        groups[item.activity.insats_id].activities.append(item)
    for section in heads:
        section.insatser = [g for g in section.insatser if g.activities]
    return heads


def build(plan, round=None, areas=None, versions=None):
    """The board report of `plan`, with the reporting completeness of `round` if given: each
    part is read when first asked for (BoardReport). `areas` (in order) and `versions` ({area
    pk: version}) when the page has read them."""
    return BoardReport(plan, round, areas, versions)
