"""What open data and the API read, each in a fixed number of queries however large the plan.

The files and the API's lists read rows as records, plain dicts from values(), never model
instances: at 1000× the plan (55,000 activities, 440,000 reports) building the instances of
an activity with its roles, targets and their related rows (about 19 per activity) was most
of a file's time. Each `*_records` function turns a queryset of its model (the plan's, as
narrowed by the query string's filters) into records with the fields items.py reads, under
the names given here; `with_relations` and `with_values` add, for a page of records at a
time, what each one lists (two queries, one, however long the page)."""

from collections import defaultdict

from django.db.models import Count, F, Q

from organisations.models import Organisation

from ..excel.chunks import among
from ..models import Activity, ActivityOrganisation, Role, StatusReport, Target, TargetValue

IN_PLAN_ORDER = ("activity__insats__area__number", "activity__insats__number", "activity__number")


def _activity_of(path):
    """The parts of the reference of the activity at `path` (a record's `reference`)."""
    return {
        "area_number": F(f"{path}insats__area__number"),
        "insats_number": F(f"{path}insats__number"),
        "activity_number": F(f"{path}number"),
    }


# A lead's own status and assessment (items.lead_item), as a role's record names them.
LEAD_FIELDS = ("current_report_id", "current_assessment_id")
LEAD_EXPRESSIONS = {
    "org_code": F("organisation__code"),
    "org_name": F("organisation__name"),
    "report_status": F("current_report__status"),
    "report_at": F("current_report__created_at"),
    "report_comment": F("current_report__comment"),
    "assessment_code": F("current_assessment__assessment"),
    "assessment_motivation": F("current_assessment__motivation"),
}


def activities(plan):
    """The plan's activities in plan order (for activity_records)."""
    return Activity.objects.filter(insats__area__plan=plan).in_plan_order()


def activity_records(queryset):
    """With leads (their current report and assessment, never an author), participants and
    targets with their newest value: add them with `with_relations`, a page at a time."""
    return queryset.values(
        "id",
        "description",
        "expected_outcome",
        "current_status",
        "final_assessment",
        **_activity_of(""),
        area_name=F("insats__area__name"),
        insats_title=F("insats__title"),
        last_reported_at=F("latest_report__created_at"),
    )


def with_relations(records):
    """The activity records with their roles (in position order, as the plan lists them) and
    targets (in position order): two queries."""
    keys = [record["id"] for record in records]
    roles, targets = defaultdict(list), defaultdict(list)
    for role in (
        ActivityOrganisation.objects.filter(among("activity_id", keys))
        .order_by("position")
        .values("activity_id", "role", *LEAD_FIELDS, **LEAD_EXPRESSIONS)
    ):
        roles[role["activity_id"]].append(role)
    targets_of = Target.objects.filter(among("activity_id", keys)).order_by("position")
    for target in target_records(targets_of):
        targets[target["activity_id"]].append(target)
    for record in records:
        record["roles"] = roles.get(record["id"], [])
        record["targets"] = targets.get(record["id"], [])
    return records


def roles(plan):
    """Every organisation's role in the plan's activities: leads first in each activity."""
    return ActivityOrganisation.objects.filter(activity__insats__area__plan=plan).order_by(
        *IN_PLAN_ORDER, "role", "position"
    )


def role_records(queryset):
    return queryset.values(
        "id", "role", "position", *LEAD_FIELDS, **_activity_of("activity__"), **LEAD_EXPRESSIONS
    )


def targets(plan):
    return Target.objects.filter(activity__insats__area__plan=plan).order_by(
        *IN_PLAN_ORDER, "position"
    )


def target_records(queryset):
    """With the newest reported value and the newest final assessment, by whom (a code)."""
    return queryset.values(
        "id",
        "activity_id",
        "position",
        "phrase",
        "value",
        "value_max",
        "unit",
        "baseline",
        "year",
        "current_value_id",
        "current_assessment_id",
        **_activity_of("activity__"),
        responsible_code=F("responsible_organisation__code"),
        latest_value=F("current_value__value"),
        latest_value_at=F("current_value__report__created_at"),
        latest_value_org=F("current_value__report__organisation__code"),
        assessment_code=F("current_assessment__assessment"),
        assessment_org=F("current_assessment__organisation__code"),
        assessed_at=F("current_assessment__created_at"),
        assessment_value=F("current_assessment__value"),
        assessment_motivation=F("current_assessment__motivation"),
    )


def reports(plan):
    """The plan's report history, newest first."""
    return StatusReport.objects.filter(activity__insats__area__plan=plan).newest_first()


def report_records(queryset):
    """Never the author. Add each one's target values with `with_values`."""
    return queryset.values(
        "id",
        "round_id",
        "created_at",
        "status",
        "comment",
        **_activity_of("activity__"),
        org_code=F("organisation__code"),
        org_name=F("organisation__name"),
        round_name=F("round__name"),
    )


def with_values(records):
    """The report records with their target values in target order: one query."""
    values = defaultdict(list)
    for value in (
        TargetValue.objects.filter(among("report_id", [record["id"] for record in records]))
        .order_by("target__position")
        .values("report_id", "value", target_position=F("target__position"))
    ):
        values[value["report_id"]].append(value)
    for record in records:
        record["values"] = values.get(record["id"], [])
    return records


def values(plan):
    return TargetValue.objects.filter(report__activity__insats__area__plan=plan).order_by(
        "-report__created_at", "-report_id", "target__position"
    )


def value_records(queryset):
    return queryset.values(
        "id",
        "report_id",
        "value",
        **_activity_of("report__activity__"),
        org_code=F("report__organisation__code"),
        created_at=F("report__created_at"),
        target_position=F("target__position"),
    )


def organisations(plan):
    """Organisations with a role in the plan, with their numbers of roles in it."""
    return (
        Organisation.objects.filter(activity_roles__activity__insats__area__plan=plan)
        .annotate(
            lead_count=Count("activity_roles", filter=Q(activity_roles__role=Role.LEAD)),
            participant_count=Count(
                "activity_roles", filter=Q(activity_roles__role=Role.PARTICIPANT)
            ),
        )
        .order_by("code")
    )
