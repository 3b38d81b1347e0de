from functools import wraps

from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from activities.models import Activity, Status
from activities.models.reports import NOT_REPORTED

from .models import Insats, Plan, StrategicArea


def plan_view(view):
    """Resolve the URL's plan slug to `request.plan` (404 if unknown) and pass the plan on."""

    @wraps(view)
    def wrapper(request, plan_slug, *args, **kwargs):
        request.plan = get_object_or_404(Plan, slug=plan_slug)
        return view(request, request.plan, *args, **kwargs)

    return wrapper


def home(request):
    plan = Plan.objects.current()
    if plan is None:
        raise Http404("Ingen handlingsplan är inläst.")
    return redirect("overview", plan.slug)


def switch_plan(request):
    plan = get_object_or_404(Plan, slug=request.GET.get("plan", ""))
    return redirect("overview", plan.slug)


def _areas_with_insatser(plan):
    return (
        StrategicArea.objects.filter(plan=plan)
        .select_related("plan")
        .annotate(activity_count=Count("insatser__activities"))
        .prefetch_related(
            Prefetch(
                "insatser",
                queryset=Insats.objects.annotate(activity_count=Count("activities")).order_by(
                    "number"
                ),
            )
        )
        .order_by("number")
    )


STATUS_ORDER = [*Status.values, NOT_REPORTED]
OVERVIEW_LIST_LIMIT = 10


def status_rows(plan, areas):
    """Per area, the number of activities in each status (in one grouped query), as
    [(area, [(status, count, percent, offset), …]), …] in STATUS_ORDER; offset is where the
    status's bar segment starts, in percent."""
    counts = {}
    grouped = (
        Activity.objects.filter(insats__area__plan=plan)
        .with_current_status()
        .values("insats__area__number", "current_status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in grouped:
        counts[(row["insats__area__number"], row["current_status"])] = row["n"]
    rows = []
    for area in areas:
        total = area.activity_count or 1
        segments, offset = [], 0.0
        for status in STATUS_ORDER:
            n = counts.get((area.number, status), 0)
            segments.append((status, n, 100 * n / total, offset))
            offset += 100 * n / total
        rows.append((area, segments))
    return rows


@plan_view
def overview(request, plan):
    areas = list(_areas_with_insatser(plan))
    activities = (
        Activity.objects.filter(insats__area__plan=plan)
        .with_related()
        .with_current_status()
        .in_plan_order()
    )
    attention = activities.filter(current_status__in=[Status.AT_RISK, Status.DELAYED])
    never_reported = activities.filter(current_status=NOT_REPORTED)
    return render(
        request,
        "areas/overview.html",
        {
            "plan": plan,
            "areas": areas,
            "insats_count": sum(len(a.insatser.all()) for a in areas),
            "activity_count": sum(a.activity_count for a in areas),
            "status_rows": status_rows(plan, areas),
            "statuses": STATUS_ORDER,
            "attention": attention,
            "never_reported": never_reported[:OVERVIEW_LIST_LIMIT],
            "never_reported_count": never_reported.count(),
        },
    )


@plan_view
def area_list(request, plan):
    return render(
        request, "areas/area_list.html", {"plan": plan, "areas": _areas_with_insatser(plan)}
    )


@plan_view
def area_detail(request, plan, number):
    area = get_object_or_404(
        StrategicArea.objects.select_related("plan").prefetch_related(
            "participating_organisations"
        ),
        plan=plan,
        number=number,
    )
    insatser = (
        Insats.objects.filter(area=area)
        .select_related("area")
        .prefetch_related(
            Prefetch(
                "activities",
                queryset=Activity.objects.with_related().with_current_status().in_plan_order(),
            )
        )
    )
    return render(
        request, "areas/area_detail.html", {"plan": plan, "area": area, "insatser": insatser}
    )
