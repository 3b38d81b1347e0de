"""What changed between two reporting rounds: per activity and reporting organisation, the
newest report in the previous round and in this one, and the target values then and now.

Rounds are compared by the same time windows as their completeness (models/rounds.py,
Window): "now" is the pair's newest report in this round's window (from the end of the
previous round's deadline day); "then" its newest report in the previous round's window up to
that deadline, i.e. what it had said when the previous round closed. A report filed between
the two rounds is "now" here (and counts as late for the previous round, whose own comparison
ends when this round opens). A report's `round` is not read.
Above the models (it reads reports, rounds and targets; no model needs it): the round page,
the overview, the activity table's filter and the plan's Excel export ask it with
`since_previous(round)`.

The comparison is one queryset (`compared`): the counts by kind are a GROUP BY on it, a page
lists its first rows (LIMIT), and only an export reads every row. A fixed number of queries,
whatever the size of the plan."""

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.utils.translation import gettext_lazy as _

from organisations.models import Organisation

from .models import Activity, Status, StatusReport, Target, TargetValue
from .models.rounds import FINISHED as FINISHED_STATUSES
from .per_area import kept_per_area, versions_of
from .versions import Scope

IMPROVED, WORSE, CHANGED, UNCHANGED, NEW, MISSING, FINISHED, VALUES = (
    "improved",
    "worse",
    "changed",
    "unchanged",
    "new",
    "missing",
    "finished",
    "values",
)
KIND_LABELS = {
    IMPROVED: _("Bättre"),
    WORSE: _("Sämre"),
    CHANGED: _("Ändrad"),
    UNCHANGED: _("Oförändrad"),
    NEW: _("Ny rapport"),
    MISSING: _("Ingen rapport nu"),
    FINISHED: _("Klar sedan tidigare (begärs inte)"),
    VALUES: _("Målvärden"),
}
# What the activity table's "change" filter means by "changed".
CHANGED_KINDS = {IMPROVED, WORSE, CHANGED, NEW}


def kind_of(before, after):
    """The kind of change from status `before` to `after` (None: no report in that round;
    "": a report of target values only)."""
    if after is None:
        # A lead that had finished (Genomförd, Avbruten) is not asked again.
        return FINISHED if before in FINISHED_STATUSES else MISSING
    if not after:
        # Target values only: a target's responsible organisation (or a former lead).
        return VALUES
    if before is None or not before:
        return NEW
    if before == after:
        return UNCHANGED
    old, new = Status(before), Status(after)
    if Status.CANCELLED in (old, new):
        return CHANGED
    return IMPROVED if new.severity < old.severity else WORSE


@dataclass(frozen=True)
class ValueChange:
    target: Target
    before: Decimal | None
    after: Decimal | None

    @property
    def difference(self):
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


@dataclass(frozen=True)
class Change:
    """One organisation's reports on one activity in the previous round and in this one."""

    activity: Activity
    organisation: Organisation
    before: str | None  # the status then ("" for values only), None without a report then
    after: str | None
    values: list = field(default_factory=list)  # ValueChange, where a value was reported

    @property
    def kind(self):
        return kind_of(self.before, self.after)

    @property
    def kind_label(self):
        return KIND_LABELS[self.kind]

    @property
    def is_change(self):
        """A different status, a first report, or a target value that moved."""
        return self.kind in CHANGED_KINDS or any(v.before != v.after for v in self.values)


def _newer(reports, prefix=""):
    """Those of `reports` newer than the outer report (`prefix` names a joined one) on the
    same activity from the same organisation: created later, or at the same moment with a
    higher id."""

    def outer(name):
        return OuterRef(prefix + name)

    return reports.filter(
        activity_id=outer("activity_id"), organisation_id=outer("organisation_id")
    ).filter(
        Q(created_at__gt=outer("created_at"))
        | Q(created_at=outer("created_at"), pk__gt=outer("pk"))
    )


def _spans(previous, current):
    """(the time compared: a condition on a report's created_at, the part of it before
    this round's window as a condition on the reports `activity__reports`)."""
    now = current.window
    if previous is None:
        return now.filed(), None
    then = current.previous_window()
    before = Q(created_at__gte=then.start, created_at__lt=now.start)
    span = Q(created_at__gte=then.start)
    if now.end is not None:
        span &= Q(created_at__lt=now.end)
    return span, before


def plan_reports(reporting_round, activities=None, insatser=None):
    """The reports on the round's plan (only on `activities`, ids, when given; only in
    `insatser`, ids, when given)."""
    insatser = reporting_round.insats_ids if insatser is None else insatser
    reports = StatusReport.objects.filter(activity__insats_id__in=insatser)
    if activities is not None:
        reports = reports.filter(activity_id__in=activities)
    return reports


def compared(previous, current, activities=None, insatser=None):
    """One StatusReport per (activity, organisation) of the plan reported in round
    `current`'s window or in `previous`'s up to `current`'s start (module docstring): the
    pair's newest report in that time, which is its newest in `current` when it has one
    there. Each is annotated with `before` and `after` (the status then and now, None
    without a report) and `before_id` and `after_id` (those reports).

    Set-based, so the database joins and hashes rather than running a subquery per row: the
    pair's newest report before is a LEFT JOIN (kept only where no newer one exists). With
    `activities` (ids), only their reports are read, in every part of the query; with
    `insatser` (ids), only the rows of their activities (what a pair compares lies on its
    activity, so the rows of the plan are the rows of its insatser put together)."""
    span, before = _spans(previous, current)
    in_span = plan_reports(current, activities, insatser).filter(span)
    rows = in_span.filter(~Exists(_newer(_until(current.window.end))))
    if previous is None:
        return rows.annotate(
            before=Value(None, output_field=CharField()),
            before_id=Value(None, output_field=IntegerField()),
            after=F("status"),
            after_id=F("pk"),
        )
    then = FilteredRelation(
        "activity__reports",
        condition=Q(activity__reports__organisation_id=F("organisation_id"))
        & _prefixed(before, "activity__reports__"),
    )
    now = Q(created_at__gte=current.window.start)
    return (
        rows.annotate(then=then)
        .filter(~Exists(_newer(_until(current.window.start), "then__")))
        .annotate(
            before=F("then__status"),
            before_id=F("then__id"),
            after=Case(When(now, then=F("status")), default=None, output_field=CharField()),
            after_id=Case(When(now, then=F("pk")), default=None, output_field=IntegerField()),
        )
    )


def _until(moment):
    """The reports filed before `moment` (every one with None), for the checks for a newer
    report of the outer one's pair: the outer report lies in the window, so a newer one needs
    only the window's end; and nothing else (no plan, no start) that would tempt the database
    to walk the whole window for every row instead of the pair's own reports."""
    reports = StatusReport.objects.all()
    return reports if moment is None else reports.filter(created_at__lt=moment)


def _prefixed(condition, prefix):
    """The Q `condition` on a report's fields, on the reports that `prefix` leads to."""
    return Q(
        *((f"{prefix}{name}", value) for name, value in condition.children),
        _connector=condition.connector,
    )


def _values_moved():
    """A condition on `compared` rows: a target value of the `before` report that the `after`
    report does not have, or the other way round."""

    def unmatched(mine, theirs):
        return Exists(
            TargetValue.objects.filter(report_id=OuterRef(mine), value__isnull=False).exclude(
                Exists(
                    TargetValue.objects.filter(
                        report_id=OuterRef(OuterRef(theirs)),
                        target_id=OuterRef("target_id"),
                        value=OuterRef("value"),
                    )
                )
            )
        )

    return unmatched("before_id", "after_id") | unmatched("after_id", "before_id")


class RoundChanges:
    """The changes from round `previous` (or None) to round `current`, read when asked for:
    `counts()` and `total` by one GROUP BY (kept per area), `first(n)` by a LIMIT, `changes`
    (every change, for exports) in full, `silent` and `activity_ids()` by a query each."""

    def __init__(self, previous, current):
        self.previous = previous
        self.current = current
        self.rows = compared(previous, current)
        self.span = _spans(previous, current)[0]
        self._first_read = {}

    def _ordered(self, rows=None):
        rows = self.rows if rows is None else rows
        return rows.select_related("activity__insats__area__plan", "organisation").order_by(
            "activity__insats__area__number",
            "activity__insats__number",
            "activity__number",
            "organisation__code",
        )

    def _changes(self, rows):
        """Change objects for these rows, with their target values (one more query)."""
        rows = list(rows)
        values = {}
        reports = {r.before_id for r in rows} | {r.after_id for r in rows}
        for value in TargetValue.objects.filter(
            report_id__in=reports - {None}, value__isnull=False
        ).select_related("target"):
            values.setdefault(value.report_id, {})[value.target_id] = value
        changes = []
        for row in rows:
            before, after = values.get(row.before_id, {}), values.get(row.after_id, {})
            targets = {t: v.target for t, v in (*before.items(), *after.items())}
            value_changes = [
                ValueChange(
                    target,
                    before[t].value if t in before else None,
                    after[t].value if t in after else None,
                )
                for t, target in sorted(
                    targets.items(), key=lambda item: (item[1].position, item[0])
                )
            ]
            changes.append(
                Change(row.activity, row.organisation, row.before, row.after, value_changes)
            )
        return changes

    @cached_property
    def changes(self):
        """Every change, in plan order, then by organisation code (for the plan's workbook:
        each report and its activity read with what a row of it shows, the reference and
        the organisation's code, not their texts: they were a fifth of the workbook's time)."""
        rows = self._ordered().only(
            "activity__number",
            "activity__insats__number",
            "activity__insats__area__number",
            "activity__insats__area__plan__slug",
            "organisation__code",
        )
        return self._changes(rows)

    def _first_activities(self, n):
        """The first `n` activities of the plan with a report in either round, in plan order,
        each with its number of reports (of any time): [(pk, count)], one query, read once."""
        if n not in self._first_read:
            reported = StatusReport.objects.filter(self.span, activity_id=OuterRef("pk"))
            count = (
                StatusReport.objects.filter(activity_id=OuterRef("pk"))
                .order_by()
                .values("activity_id")
                .annotate(n=Count("pk"))
                .values("n")
            )
            self._first_read[n] = list(
                Activity.objects.filter(insats__area__plan_id=self.current.plan_id)
                .filter(Exists(reported))
                .order_by("insats__area__number", "insats__number", "number")
                .annotate(report_count=Subquery(count))
                .values_list("pk", "report_count")[:n]
            )
        return self._first_read[n]

    def first(self, n):
        """The first `n` changes in plan order (the whole list if already read). They concern
        at most the first `n` activities with a report in either round: only their reports
        are compared."""
        if "changes" in self.__dict__:
            return self.changes[:n]
        # Read first (one query), so the comparison below looks up just their reports.
        activities = [pk for pk, _reports in self._first_activities(n)]
        rows = compared(self.previous, self.current, activities)
        return self._changes(self._ordered(rows)[:n])

    def first_scope(self, n):
        """What the first `n` changes depend on besides the plan's structure, for a kept part
        (versions.Scope): the activities they concern (the first `n` with a report in either
        round) and how many reports each has. Only those activities' reports are compared,
        so a list kept under it holds until a report is filed on one of them (its count
        moves; a count, unlike the newest id, also moves for a filing that commits after a
        later one), or on an earlier activity that had none in either round (it joins them),
        and not at every report in the plan."""
        activities = self._first_activities(n)
        return Scope(
            ("first-changes", n, tuple(pk for pk, _reports in activities)),
            tuple(reports for _pk, reports in activities),
        )

    @cached_property
    def _by_area(self):
        """{area pk: {(before, after): number of rows}}, in plan order: each area's counts kept
        (per_area.py), those of the areas changed since counted by one GROUP BY, so a report
        counts its own area again, not the whole plan."""
        current = self.current
        return kept_per_area(
            "round-changes",
            (current.pk, current.window, getattr(self.previous, "pk", None)),
            versions_of(current),
            self._counts_of_areas,
        )

    def _counts_of_areas(self, areas):
        insatser = self.current.insats_of(areas)
        grouped = (
            compared(self.previous, self.current, insatser=insatser)
            .values("activity__insats_id", "before", "after")
            .annotate(n=Count("pk"))
            .order_by()
        )
        area_of = {pk: area for area in areas for pk in self.current.insats_by_area.get(area, [])}
        by_area = {area: {} for area in areas}
        for g in grouped:
            counts = by_area[area_of[g["activity__insats_id"]]]
            statuses = (g["before"], g["after"])
            counts[statuses] = counts.get(statuses, 0) + g["n"]
        return by_area

    @cached_property
    def _by_statuses(self):
        """{(before, after): number of rows}: the areas' counts added up."""
        total = {}
        for counts in self._by_area.values():
            for statuses, n in counts.items():
                total[statuses] = total.get(statuses, 0) + n
        return total

    def counts(self):
        """{kind: number of changes}, for a summary in words."""
        counts = {}
        for (before, after), n in self._by_statuses.items():
            kind = kind_of(before, after)
            counts[kind] = counts.get(kind, 0) + n
        return counts

    def summary(self):
        """[(label, number)] of the kinds that occur, in the order of KIND_LABELS."""
        counts = self.counts()
        return [(label, counts[kind]) for kind, label in KIND_LABELS.items() if kind in counts]

    @property
    def total(self):
        return sum(self._by_statuses.values())

    @cached_property
    def silent(self):
        """Organisations that reported in the previous round (up to this one's window) but not
        in this one."""
        if self.previous is None:
            return []
        before = _spans(self.previous, self.current)[1]
        reports = plan_reports(self.current).filter(organisation_id=OuterRef("pk"))

        def reported(condition):
            return Exists(reports.filter(condition))

        return list(
            Organisation.objects.filter(reported(before))
            .exclude(reported(self.current.window.filed()))
            .order_by("code")
        )

    def activity_ids(self, kinds=None):
        """Activities with a change of these kinds (any change when None: a change of
        status, a first report, or a target value that moved). The pairs of statuses that
        occur are read here (one GROUP BY over the plan) unless counted already: a filter
        reads no kept counts (an answer that keeps its whole page needs none)."""
        if "_by_statuses" in self.__dict__:
            present = list(self._by_statuses)
        else:
            present = self.rows.values_list("before", "after").distinct().order_by()
        wanted = Q(pk__in=[])
        for before, after in present:
            if kind_of(before, after) in (CHANGED_KINDS if kinds is None else kinds):
                wanted |= Q(
                    Q(before__isnull=True) if before is None else Q(before=before),
                    Q(after__isnull=True) if after is None else Q(after=after),
                )
        if kinds is None:
            wanted |= _values_moved()
        ids = self.rows.filter(wanted).values_list("activity_id", flat=True).distinct()
        return set(ids.order_by())


def since_previous(reporting_round):
    """The changes from the plan's round before `reporting_round` (none for its first) to
    `reporting_round`."""
    return RoundChanges(reporting_round.previous(), reporting_round)
