"""Figures about a whole plan, for the overview and the plan workbook's cover sheet."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch

from areas.models import Insats, StrategicArea

from .models import Activity, Status


def areas_with_counts(plan):
    """The plan's areas in order with `activity_count`, and their insatser (prefetched, in
    order) with theirs: three queries whatever the size of the plan."""
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


@dataclass(frozen=True)
class StatusSegment:
    """One status's part of an area's bar; `offset` is where the segment starts, in percent."""

    status: Status
    count: int
    percent: float
    offset: float


@dataclass(frozen=True)
class StatusBar:
    area: StrategicArea
    segments: list[StatusSegment]


def status_bars(plan, areas):
    """Per area (annotated with activity_count), the number of activities in each status, in
    the vocabulary's display order: one grouped query."""
    counts = {
        (row["insats__area__number"], row["current_status"]): row["n"]
        for row in Activity.objects.filter(insats__area__plan=plan)
        .values("insats__area__number", "current_status")
        .annotate(n=Count("id"))
        .order_by()
    }
    bars = []
    for area in areas:
        total = area.activity_count or 1
        segments, offset = [], 0.0
        for status in Status:
            n = counts.get((area.number, status.value), 0)
            segments.append(StatusSegment(status, n, 100 * n / total, offset))
            offset += 100 * n / total
        bars.append(StatusBar(area, segments))
    return bars
