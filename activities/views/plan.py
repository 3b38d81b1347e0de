"""The plan's overview and its strategic areas."""

from django.shortcuts import render

from areas.decorators import plan_view

from ..summaries import areas_with_counts
from .context import area_context, overview_context


@plan_view
def overview(request, plan):
    return render(request, "areas/overview.html", overview_context(plan))


@plan_view
def area_list(request, plan):
    return render(request, "areas/area_list.html", {"plan": plan, "areas": areas_with_counts(plan)})


@plan_view
def area_detail(request, plan, number):
    return render(request, "areas/area_detail.html", area_context(plan, number))
