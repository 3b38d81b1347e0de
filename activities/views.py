from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django_tables2 import RequestConfig

from areas.views import plan_view

from .filters import PAGE_SIZES, ActivityFilter
from .models import Activity, StatusReport
from .tables import ActivityTable

DEFAULT_PAGE_SIZE = 25


def filtered_activities(request, plan):
    """The activity table's FilterSet; the Excel export reuses it, so both show the same rows."""
    queryset = Activity.objects.filter(insats__area__plan=plan).with_related().with_current_status()
    return ActivityFilter(request.GET, queryset=queryset, plan=plan)


def _page_size(request):
    try:
        size = int(request.GET.get("per_page", DEFAULT_PAGE_SIZE))
    except ValueError:
        return DEFAULT_PAGE_SIZE
    return size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE


@plan_view
def activity_list(request, plan):
    other_plan = request.GET.get("plan")
    if other_plan and other_plan != plan.slug:
        # Area, insats and organisation filters mean the same in the other plan; keep them.
        params = request.GET.copy()
        del params["plan"]
        params.pop("page", None)
        url = reverse("activities:list", args=[other_plan])
        return redirect(f"{url}?{params.urlencode()}" if params else url)

    filterset = filtered_activities(request, plan)
    queryset = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    table = ActivityTable(queryset)
    per_page = _page_size(request)
    RequestConfig(request, paginate={"per_page": per_page}).configure(table)
    return render(
        request,
        "activities/activity_list.html",
        {
            "plan": plan,
            "filter": filterset,
            "table": table,
            "page_sizes": PAGE_SIZES,
            "per_page": per_page,
            "result_count": table.paginator.count,
        },
    )


def get_activity(plan, reference):
    """The activity with reference "area.insats.activity" in this plan, or 404."""
    area_number, insats_number, number = (int(part) for part in reference.split("."))
    return get_object_or_404(
        Activity.objects.with_related().with_current_status(),
        insats__area__plan=plan,
        insats__area__number=area_number,
        insats__number=insats_number,
        number=number,
    )


@plan_view
def activity_detail(request, plan, reference):
    activity = get_activity(plan, reference)
    history = (
        StatusReport.objects.filter(activity=activity)
        .select_related("organisation", "author", "round")
        .prefetch_related("values__target")
        .newest_first()
    )
    return render(
        request,
        "activities/activity_detail.html",
        {"plan": plan, "activity": activity, "history": history},
    )
