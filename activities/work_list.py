"""A reporter's work list ("Min organisation"), computed in the database.

For each of the user's organisations, the plan's activities fall in three sections: what it
still has to report in the current round, what it has reported in the round, and what it only
takes part in. An organisation reports on an activity it leads or whose target it is
responsible for (permissions.reporting_organisations_of). Each section's first `limit`
activities in plan order come from one windowed query for all organisations and sections, its
size from one grouped query, and the activities themselves with their roles and targets in
three more: the same queries however large the plan or however many organisations.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Case, CharField, Count, Exists, F, OuterRef, Q, Value, When, Window
from django.db.models.functions import RowNumber

from .models import Activity, ActivityOrganisation, Role, StatusReport, Target

TO_REPORT, REPORTED, PARTICIPATING = "to_report", "reported", "participating"


@dataclass
class Section:
    activities: list = field(default_factory=list)  # the first `limit`, in plan order
    count: int = 0  # all of them

    @property
    def more(self):
        return self.count > len(self.activities)


@dataclass
class WorkList:
    organisation: object
    to_report: Section = field(default_factory=Section)
    reported: Section = field(default_factory=Section)
    participating: Section = field(default_factory=Section)


def _pairs(model, organisation_field, plan, organisations, reporting_round, reports_on):
    """(activity, organisation) pairs of `model` with their section, for the organisations."""
    activity = OuterRef("activity_id")
    organisation = OuterRef(organisation_field)
    if reporting_round is not None:
        reported = Exists(
            StatusReport.objects.filter(
                round=reporting_round, activity_id=activity, organisation_id=organisation
            )
        )
    else:
        reported = Value(False)
    section = Case(
        When(Q(reports_on) & Q(reported), then=Value(REPORTED)),
        When(reports_on, then=Value(TO_REPORT)),
        default=Value(PARTICIPATING),
        output_field=CharField(),
    )
    return model.objects.filter(
        **{f"{organisation_field}__in": organisations}, activity__insats__area__plan=plan
    ).annotate(section=section, who=F(organisation_field))


def work_lists(plan, organisations, reporting_round, limit):
    """A WorkList per organisation, in the order given."""
    roles = _role_pairs(plan, organisations, reporting_round)
    owners = _target_owner_pairs(plan, organisations, reporting_round)
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
    activities = {
        a.pk: a
        for a in Activity.objects.filter(pk__in={activity for activity, _who, _s in first})
        .for_rows()
        .in_plan_order()
    }
    lists = {o.pk: WorkList(o) for o in organisations}
    for activity, who, name in first:
        getattr(lists[who], name).activities.append(activities[activity])
    for work_list in lists.values():
        _finish_sections(work_list, counts, limit)
    return [lists[o.pk] for o in organisations]


def _role_pairs(plan, organisations, reporting_round):
    """The organisations' roles on activities: a lead, or a role with a target of its own,
    reports on the activity."""
    owns_target = Exists(
        Target.objects.filter(
            activity_id=OuterRef("activity_id"),
            responsible_organisation_id=OuterRef("organisation_id"),
        )
    )
    return _pairs(
        ActivityOrganisation,
        "organisation_id",
        plan,
        organisations,
        reporting_round,
        Q(role=Role.LEAD) | Q(owns_target),
    )


def _target_owner_pairs(plan, organisations, reporting_round):
    """The organisations' targets on activities they have no role on: a target's responsible
    organisation reports on it even without a role on the activity."""
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
        reporting_round,
        Q(pk__isnull=False),
    ).filter(~has_role)


def _finish_sections(work_list, counts, limit):
    """Each section's size, and its first `limit` activities in plan order."""
    for name in (TO_REPORT, REPORTED, PARTICIPATING):
        section = getattr(work_list, name)
        section.count = counts.get((work_list.organisation.pk, name), 0)
        section.activities.sort(key=_plan_order)
        del section.activities[limit:]


def _plan_order(activity):
    return (activity.insats.area.number, activity.insats.number, activity.number)


def _first(pairs, limit):
    """The first `limit` pairs of each organisation and section, in plan order."""
    plan_order = [
        F("activity__insats__area__number").asc(),
        F("activity__insats__number").asc(),
        F("activity__number").asc(),
    ]
    return list(
        pairs.annotate(
            rank=Window(RowNumber(), partition_by=[F("who"), F("section")], order_by=plan_order)
        )
        .filter(rank__lte=limit)
        .values("activity_id", "who", "section")
    )


def _counted(roles, owners):
    yield from roles.order_by().values("who", "section").annotate(n=Count("pk"))
    yield from (
        owners.order_by().values("who", "section").annotate(n=Count("activity_id", distinct=True))
    )
