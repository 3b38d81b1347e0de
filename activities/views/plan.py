"""The plan's overview and its strategic areas."""

from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, render

from areas.decorators import plan_view
from areas.models import Insats, StrategicArea

from ..changes import since_previous
from ..models import Activity, ReportingRound, Status
from ..summaries import (
    areas_with_counts,
    assessment_rollup,
    status_bars,
    status_totals,
    unassessed_by_organisation,
)

OVERVIEW_LIST_LIMIT = 10
# A page lists at most this many activities per section (per insats, per role…), read in SQL;
# a link leads to all of them in the activity table, which pages and filters them.
SECTION_LIMIT = 30
# The area page shows each insats's first few (the real plan has at most six in an insats).
INSATS_LIMIT = 8


def overview_context(plan):
    """The overview's content; the signed-in and the public overview show the same."""
    areas = list(areas_with_counts(plan))
    activities = Activity.objects.filter(insats__area__plan=plan).for_rows().in_plan_order()
    attention = activities.filter(current_status__in=Status.needing_attention())
    current_round = ReportingRound.objects.current_for(plan)
    never_reported = activities.filter(current_status=Status.NOT_REPORTED)
    bars = status_bars(plan, areas)
    # The counts come from the bars' grouped query, not a COUNT each.
    per_status = status_totals(bars)
    return {
        "plan": plan,
        "areas": areas,
        "insats_count": sum(len(a.insatser.all()) for a in areas),
        "activity_count": sum(a.activity_count for a in areas),
        "status_bars": bars,
        "statuses": list(Status),
        "attention": attention[:OVERVIEW_LIST_LIMIT],
        "attention_count": sum(per_status[s] for s in Status.needing_attention()),
        "attention_query": Status.needing_attention_query(),
        "never_reported": never_reported[:OVERVIEW_LIST_LIMIT],
        "never_reported_count": per_status[Status.NOT_REPORTED],
        "round": current_round,
        "changes": since_previous(current_round) if current_round else None,
        "rollup": assessment_rollup(plan) if plan.assessment_is_open else None,
        "unassessed": unassessed_by_organisation(plan) if plan.assessment_is_open else None,
    }


@plan_view
def overview(request, plan):
    return render(request, "areas/overview.html", overview_context(plan))


@plan_view
def area_list(request, plan):
    return render(request, "areas/area_list.html", {"plan": plan, "areas": areas_with_counts(plan)})


def area_context(plan, number):
    """An area's page content (404 for a number not in the plan); signed-in and public."""
    area = get_object_or_404(
        StrategicArea.objects.select_related("plan").prefetch_related(
            "participating_organisations"
        ),
        plan=plan,
        number=number,
    )
    # Each insats's first activities, limited in SQL (a window per insats), and its count.
    insatser = (
        Insats.objects.filter(area=area)
        .select_related("area")
        .annotate(activity_count=Count("activities"))
        .prefetch_related(
            Prefetch(
                "activities",
                queryset=Activity.objects.for_rows().in_plan_order()[:INSATS_LIMIT],
                to_attr="first_activities",
            )
        )
        .order_by("number")
    )
    rollup = assessment_rollup(plan, area=area) if plan.assessment_is_open else None
    return {"plan": plan, "area": area, "insatser": insatser, "rollup": rollup}


@plan_view
def area_detail(request, plan, number):
    return render(request, "areas/area_detail.html", area_context(plan, number))
