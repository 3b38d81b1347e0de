"""What changed between two reporting rounds: per activity and reporting organisation, the
newest report in the previous round and in this one, and the target values then and now.
A fixed number of queries, whatever the size of the plan."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from organisations.models import Organisation

from .activity import Activity
from .reports import StatusReport
from .status import Status
from .targets import Target, TargetValue

IMPROVED, WORSE, CHANGED, UNCHANGED, NEW, MISSING, VALUES = (
    "improved",
    "worse",
    "changed",
    "unchanged",
    "new",
    "missing",
    "values",
)
KIND_LABELS = {
    IMPROVED: _("Bättre"),
    WORSE: _("Sämre"),
    CHANGED: _("Ändrad"),
    UNCHANGED: _("Oförändrad"),
    NEW: _("Ny rapport"),
    MISSING: _("Ingen rapport nu"),
    VALUES: _("Målvärden"),
}
# What the activity table's "change" filter means by "changed".
CHANGED_KINDS = {IMPROVED, WORSE, CHANGED, NEW}


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
        before, after = self.before, self.after
        if after is None:
            return MISSING
        if not after and not before:
            return VALUES  # a target's responsible organisation: values only
        if before is None or not before:
            return NEW
        if before == after:
            return UNCHANGED
        old, new = Status(before), Status(after)
        if Status.CANCELLED in (old, new):
            return CHANGED
        return IMPROVED if new.severity < old.severity else WORSE

    @property
    def kind_label(self):
        return KIND_LABELS[self.kind]

    @property
    def is_change(self):
        """A different status, a first report, or a target value that moved."""
        return self.kind in CHANGED_KINDS or any(v.before != v.after for v in self.values)


@dataclass(frozen=True)
class RoundChanges:
    previous: object  # the previous ReportingRound, or None
    changes: list  # Change, in plan order, then by organisation code
    silent: list  # organisations that reported in the previous round but not in this one

    def counts(self):
        """{kind: number of changes}, for a summary in words."""
        counts = {}
        for change in self.changes:
            counts[change.kind] = counts.get(change.kind, 0) + 1
        return counts

    def activity_ids(self, kinds=None):
        """Activities with a change of these kinds (any change when None)."""
        if kinds is None:
            return {c.activity.pk for c in self.changes if c.is_change}
        return {c.activity.pk for c in self.changes if c.kind in kinds}


def between(previous, current):
    """The changes from round `previous` (or None) to round `current`."""
    rounds = [r for r in (previous, current) if r is not None]
    newest = {}
    reports = StatusReport.objects.filter(round__in=rounds).order_by("created_at", "id")
    for report in reports.values("id", "round_id", "activity_id", "organisation_id", "status"):
        key = (report["activity_id"], report["organisation_id"])
        newest[(report["round_id"], *key)] = report
    values = {}
    for value in TargetValue.objects.filter(
        report_id__in=[r["id"] for r in newest.values()], value__isnull=False
    ).values("report_id", "target_id", "value"):
        values.setdefault(value["report_id"], {})[value["target_id"]] = value["value"]
    pairs = {(a, o) for (_round, a, o) in newest}
    activities = Activity.objects.filter(pk__in={a for a, _o in pairs}).select_related(
        "insats__area__plan"
    )
    activities = {a.pk: a for a in activities}
    organisations = Organisation.objects.in_bulk({o for _a, o in pairs})
    targets = Target.objects.in_bulk(
        {t for report_values in values.values() for t in report_values}
    )

    def state(round, pair):
        report = newest.get((round.pk, *pair)) if round else None
        if report is None:
            return None, {}
        return report["status"], values.get(report["id"], {})

    changes = []
    for pair in pairs:
        before, before_values = state(previous, pair)
        after, after_values = state(current, pair)
        value_changes = [
            ValueChange(targets[t], before_values.get(t), after_values.get(t))
            for t in sorted({*before_values, *after_values}, key=lambda t: targets[t].position)
        ]
        activity, organisation = activities[pair[0]], organisations[pair[1]]
        changes.append(Change(activity, organisation, before, after, value_changes))
    changes.sort(
        key=lambda c: (
            c.activity.insats.area.number,
            c.activity.insats.number,
            c.activity.number,
            c.organisation.code,
        )
    )
    silent = sorted(
        {c.organisation for c in changes if c.kind == MISSING}
        - {c.organisation for c in changes if c.after is not None},
        key=lambda o: o.code,
    )
    return RoundChanges(previous=previous, changes=changes, silent=silent)
