"""The querysets open data and the API read, each in a fixed number of queries however large
the plan (prefetches run per chunk when streamed with iterator(chunk_size=…))."""

from django.db.models import Count, Prefetch, Q

from organisations.models import Organisation

from ..models import Activity, ActivityOrganisation, Role, StatusReport, Target, TargetValue

IN_PLAN_ORDER = ("activity__insats__area__number", "activity__insats__number", "activity__number")


def activities(plan):
    """With leads (their current report and assessment, never an author), participants and
    targets with their newest value."""
    return (
        Activity.objects.filter(insats__area__plan=plan)
        .in_plan_order()
        .with_related()
        .with_last_report()
    )


def roles(plan):
    """Every organisation's role in the plan's activities: leads first in each activity."""
    return (
        ActivityOrganisation.objects.filter(activity__insats__area__plan=plan)
        .select_related(
            "activity__insats__area", "organisation", "current_report", "current_assessment"
        )
        .order_by(*IN_PLAN_ORDER, "role", "position")
    )


def targets(plan):
    return (
        Target.objects.filter(activity__insats__area__plan=plan)
        .select_related("activity__insats__area", "responsible_organisation")
        .with_latest_value()
        .order_by(*IN_PLAN_ORDER, "position")
    )


def reports(plan, *, values=True):
    """The plan's report history, newest first; `values` prefetches each one's target values."""
    history = (
        StatusReport.objects.filter(activity__insats__area__plan=plan)
        .select_related("activity__insats__area", "organisation", "round")
        .defer("author", "submission_token")
        .newest_first()
    )
    if values:
        history = history.prefetch_related(
            Prefetch(
                "values",
                queryset=TargetValue.objects.select_related("target").order_by("target__position"),
            )
        )
    return history


def values(plan):
    return (
        TargetValue.objects.filter(report__activity__insats__area__plan=plan)
        .select_related("report__activity__insats__area", "report__organisation", "target")
        .order_by("-report__created_at", "-report_id", "target__position")
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
