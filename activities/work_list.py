"""A reporter's work list ("Min organisation"), and the final assessments an organisation
owes, computed in the database.

For each of the user's organisations, the plan's activities fall in four sections: what it
still has to report in the current round, what it has reported in the round, what it has
finished before the round (Genomförd or Avbruten: not asked again), and what it only takes
part in. An organisation reports on an activity it leads or whose target it is responsible
for (permissions.reporting_organisations_of); the round's rule is its Window
(models/rounds.py), the same as the round's completeness and the activity table's filter.
Once the plan's final assessment is open, a fifth section lists the assessments it owes.

Each section's first `limit` activities in plan order come from one windowed query for all
organisations and sections, its size from one grouped query, and the activities themselves
with their roles and targets in three more (two of each more for the owed assessments): the
same queries however large the plan or however many organisations.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Case, CharField, Count, Exists, F, OuterRef, Q, Value, When, Window
from django.db.models.functions import DenseRank, RowNumber
from django.utils import timezone

from areas.models import Plan

from .fragments import hash_key, kept
from .models import Activity, ActivityOrganisation, Role, Target
from .models.rounds import Window as RoundWindow
from .versions import data_version

TO_REPORT, REPORTED, FINISHED, PARTICIPATING = "to_report", "reported", "finished", "participating"
SECTIONS = (TO_REPORT, REPORTED, FINISHED, PARTICIPATING)
TO_ASSESS = "to_assess"


@dataclass
class Section:
    activities: list = field(default_factory=list)  # the first `limit`, in plan order
    count: int = 0  # all of them

    @property
    def more(self):
        return self.count > len(self.activities)


@dataclass(frozen=True)
class OwedAssessment:
    """A final assessment an organisation owes on an activity: as a lead, of the activity's
    expected outcome and its targets (`targets` empty); as the responsible organisation of
    some of its targets that does not lead it, of those `targets`."""

    activity: Activity
    organisation: object
    targets: tuple = ()  # the targets' phrases

    @property
    def url(self):
        """The activity page's assessment form, for this organisation."""
        return f"{self.activity.get_absolute_url()}?for={self.organisation.code}#slutbedomning"


@dataclass
class WorkList:
    organisation: object
    to_report: Section = field(default_factory=Section)
    reported: Section = field(default_factory=Section)
    finished: Section = field(default_factory=Section)
    participating: Section = field(default_factory=Section)
    to_assess: Section | None = None  # OwedAssessments; None before the assessment opens


def _pairs(model, organisation_field, plan, organisations, window, reports_on, finished):
    """(activity, organisation) pairs of `model` with their section, for the organisations."""
    section = Case(
        When(
            Q(reports_on) & Q(window.reported(organisation=organisation_field)),
            then=Value(REPORTED),
        ),
        When(Q(reports_on) & Q(finished), then=Value(FINISHED)),
        When(reports_on, then=Value(TO_REPORT)),
        default=Value(PARTICIPATING),
        output_field=CharField(),
    )
    return model.objects.filter(
        **{f"{organisation_field}__in": organisations}, activity__insats__area__plan=plan
    ).annotate(section=section, who=F(organisation_field))


def work_lists(plan, organisations, reporting_round, limit):
    """A WorkList per organisation, in the order given; `reporting_round` is the round in
    progress (or None)."""
    window = reporting_round.window if reporting_round else RoundWindow(None)
    roles = _role_pairs(plan, organisations, window)
    owners = _target_owner_pairs(plan, organisations, window)
    counts = Counter()
    for row in _counted(roles, owners):
        counts[(row["who"], row["section"])] += row["n"]
    # An activity with two targets of the same organisation is one pair: dict.fromkeys keeps
    # the first of each, in order.
    first = list(
        dict.fromkeys(
            (row["activity_id"], row["who"], row["section"])
            for row in _first(roles, limit) + _first(owners, limit)
        )
    )
    owed = _owed_first(plan, organisations, limit) if plan.assessment_is_open else None
    wanted = {activity for activity, _who, _s in first}
    wanted |= {row["activity_id"] for row in owed[0]} if owed else set()
    activities = {
        a.pk: a for a in Activity.objects.filter(pk__in=wanted).for_rows().in_plan_order()
    }
    lists = {o.pk: WorkList(o) for o in organisations}
    for activity, who, name in first:
        getattr(lists[who], name).activities.append(activities[activity])
    for work_list in lists.values():
        _finish_sections(work_list, counts, limit)
    if owed is not None:
        _add_owed(lists, activities, *owed, limit=limit)
    return [lists[o.pk] for o in organisations]


def _role_pairs(plan, organisations, window):
    """The organisations' roles on activities: a lead, or a role with a target of its own,
    reports on the activity. A lead has finished when its own status has; another role when
    the activity has."""
    owns_target = Exists(
        Target.objects.filter(
            activity_id=OuterRef("activity_id"),
            responsible_organisation_id=OuterRef("organisation_id"),
        )
    )
    lead = Q(role=Role.LEAD)
    finished = (lead & window.finished_before()) | (
        ~lead & window.activity_finished_before("activity__")
    )
    return _pairs(
        ActivityOrganisation,
        "organisation_id",
        plan,
        organisations,
        window,
        lead | Q(owns_target),
        finished,
    )


def _target_owner_pairs(plan, organisations, window):
    """The organisations' targets on activities they have no role on: a target's responsible
    organisation reports on it even without a role on the activity, until the activity is
    finished."""
    has_role = Exists(
        ActivityOrganisation.objects.filter(
            activity_id=OuterRef("activity_id"),
            organisation_id=OuterRef("responsible_organisation_id"),
        )
    )
    return _pairs(
        Target,
        "responsible_organisation_id",
        plan,
        organisations,
        window,
        Q(pk__isnull=False),
        window.activity_finished_before("activity__"),
    ).filter(~has_role)


def _finish_sections(work_list, counts, limit):
    """Each section's size, and its first `limit` activities in plan order."""
    for name in SECTIONS:
        section = getattr(work_list, name)
        section.count = counts.get((work_list.organisation.pk, name), 0)
        section.activities.sort(key=_plan_order)
        del section.activities[limit:]


def _plan_order(activity):
    return (activity.insats.area.number, activity.insats.number, activity.number)


PLAN_ORDER = [
    F("activity__insats__area__number").asc(),
    F("activity__insats__number").asc(),
    F("activity__number").asc(),
]


def _first(pairs, limit):
    """The first `limit` pairs of each organisation and section, in plan order."""
    return list(
        pairs.annotate(
            rank=Window(RowNumber(), partition_by=[F("who"), F("section")], order_by=PLAN_ORDER)
        )
        .filter(rank__lte=limit)
        .values("activity_id", "who", "section")
    )


def _counted(roles, owners):
    yield from roles.order_by().values("who", "section").annotate(n=Count("pk"))
    yield from (
        owners.order_by().values("who", "section").annotate(n=Count("activity_id", distinct=True))
    )


# The final assessments owed.


def owed_lead_roles(plan, organisations=None):
    """Lead roles in the plan without a final assessment of their own."""
    roles = ActivityOrganisation.objects.filter(
        role=Role.LEAD,
        activity__insats__area__plan=plan,
        current_assessment__isnull=True,
    )
    if organisations is not None:
        roles = roles.filter(organisation__in=organisations)
    return roles.annotate(who=F("organisation_id"))


def owed_targets(plan, organisations=None):
    """Targets in the plan without an assessment whose responsible organisation does not
    lead the activity (a lead assesses its targets with the activity)."""
    leads = ActivityOrganisation.objects.filter(
        activity_id=OuterRef("activity_id"),
        organisation_id=OuterRef("responsible_organisation_id"),
        role=Role.LEAD,
    )
    targets = Target.objects.filter(
        activity__insats__area__plan=plan,
        current_assessment__isnull=True,
        responsible_organisation__isnull=False,
    ).exclude(Exists(leads))
    if organisations is not None:
        targets = targets.filter(responsible_organisation__in=organisations)
    return targets.annotate(who=F("responsible_organisation_id"))


def owed_assessment_counts(plan, organisations=None):
    """{organisation id: the number of activities on which it owes a final assessment}, in
    one query (the lead roles' and the targets' counts, grouped, in a UNION)."""
    roles = owed_lead_roles(plan, organisations).order_by().values("who")
    targets = owed_targets(plan, organisations).order_by().values("who")
    counts = Counter()
    grouped = roles.annotate(n=Count("pk")).union(
        targets.annotate(n=Count("activity_id", distinct=True)), all=True
    )
    for row in grouped:
        counts[row["who"]] += row["n"]
    return dict(counts)


def owed_assessments(plan, organisations=None):
    """{organisation id: [OwedAssessment] in plan order} of every final assessment owed in
    the plan (or by these organisations), in two queries."""
    related = ["activity__insats__area__plan"]
    owed = {}
    for role in owed_lead_roles(plan, organisations).select_related("organisation", *related):
        owed[(role.organisation_id, role.activity_id)] = OwedAssessment(
            role.activity, role.organisation
        )
    for target in (
        owed_targets(plan, organisations)
        .select_related("responsible_organisation", *related)
        .order_by("position", "pk")
    ):
        key = (target.responsible_organisation_id, target.activity_id)
        item = owed.get(key) or OwedAssessment(target.activity, target.responsible_organisation)
        owed[key] = OwedAssessment(item.activity, item.organisation, (*item.targets, target.phrase))
    by_organisation = {}
    for item in sorted(owed.values(), key=lambda i: _plan_order(i.activity)):
        by_organisation.setdefault(item.organisation.pk, []).append(item)
    return by_organisation


def _owed_first(plan, organisations, limit):
    """The owed assessments of the first `limit` activities of each organisation, as rows
    ({activity_id, who, phrase}: a lead's with phrase None, a target's with its phrase), and
    {who: number of activities owed}: four queries."""
    by_activity = Window(DenseRank(), partition_by=[F("who")], order_by=PLAN_ORDER)
    roles = owed_lead_roles(plan, organisations).annotate(phrase=Value(None, CharField()))
    targets = owed_targets(plan, organisations).order_by("position", "pk")
    rows = []
    for pairs in (roles, targets):
        rows += (
            pairs.annotate(rank=by_activity)
            .filter(rank__lte=limit)
            .values("activity_id", "who", "phrase")
        )
    return rows, owed_assessment_counts(plan, organisations)


def _add_owed(lists, activities, rows, counts, limit):
    """Each work list's section of owed assessments: the first `limit` activities (as
    OwedAssessments, in plan order) of the rows from _owed_first, and their number."""
    owed = {}
    for row in rows:
        key = (row["who"], row["activity_id"])
        phrases = owed.setdefault(key, [])
        if row["phrase"] is not None:
            phrases.append(row["phrase"])
    for work_list in lists.values():
        work_list.to_assess = Section(count=counts.get(work_list.organisation.pk, 0))
    for (who, activity_id), phrases in owed.items():
        organisation = lists[who].organisation
        item = OwedAssessment(activities[activity_id], organisation, tuple(phrases))
        lists[who].to_assess.activities.append(item)
    for work_list in lists.values():
        work_list.to_assess.activities.sort(key=lambda item: _plan_order(item.activity))
        del work_list.to_assess.activities[limit:]


def owed_assessments_elsewhere(plan, organisation_ids):
    """[(plan, n)]: the other active plans in final follow-up where these organisations still
    owe final assessments (n counted as that plan's Min organisation counts them: the
    activities they lead without their own, and those with a target they answer for without
    leading it). A later plan, once activated, is everyone's start page while the earlier one
    is still being assessed. One query for the plans, one per plan in final follow-up
    (rarely more than one)."""
    plans = [p for p in Plan.objects.activated().exclude(pk=plan.pk) if p.assessment_is_open]
    if not organisation_ids:
        return []
    owed = [(p, _owed_in(p, organisation_ids)) for p in plans]
    return [(p, n) for p, n in owed if n]


def _owed_in(plan, organisation_ids):
    """How many final assessments these organisations owe in `plan`, kept until that plan's
    data changes (its data version, one query): at 1000x the plan, counting them cost 50 ms on
    every request of a reporter's start page in another plan."""
    key = "owed-elsewhere:" + hash_key(
        (plan.pk, data_version(plan), sorted(organisation_ids), timezone.localdate().isoformat())
    )
    return kept(key, lambda: sum(owed_assessment_counts(plan, organisation_ids).values()))
