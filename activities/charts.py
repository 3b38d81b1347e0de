"""Targets over time: each numeric target's reported values round by round, drawn as a
server-rendered SVG line chart with the baseline and the target as lines, and the same numbers
in text beside it (templates/activities/_target_chart.html).

A point is the newest value reported for the target within one reporting round; a value
reported outside any round is a point of its own, named by its date. One query reads the
values of any number of targets.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from .models import TargetValue

# The drawing's own coordinates (the SVG scales to its box; text sizes are in these units).
WIDTH, HEIGHT = 520, 200
# The baseline and target lines are named in the right margin, clear of the points' values.
LEFT, RIGHT, TOP, BOTTOM = 48, 104, 18, 20


def coordinate(value):
    """A coordinate in the drawing, with one decimal, as Django's `floatformat:"1u"` writes it
    (the decimal value of the float's shortest text, halves rounded up), without its
    localisation machinery: a board report draws 20 charts per area, and the filter was half
    the cost of drawing them."""
    return format(Decimal(repr(float(value))).quantize(Decimal("0.1"), ROUND_HALF_UP), "f")


@dataclass(frozen=True)
class Point:
    label: str  # the round's name, or the date of a report outside any round
    value: Decimal
    organisation: str
    x: float = 0.0
    y: float = 0.0

    @property
    def cx(self):
        return coordinate(self.x)

    @property
    def cy(self):
        return coordinate(self.y)


@dataclass(frozen=True)
class Line:
    value: Decimal
    y: float
    label_dy: int = 4  # where its name sits, below the line when the other line is close

    @property
    def cy(self):
        return coordinate(self.y)


@dataclass(frozen=True)
class Tick:
    value: float
    y: float

    @property
    def cy(self):
        return coordinate(self.y)


@dataclass(frozen=True)
class TargetChart:
    target: object
    points: list[Point]
    baseline: Line | None
    goal: Line | None
    ticks: list[Tick]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    label_x: int = WIDTH - RIGHT + 6
    bottom_edge: int = HEIGHT - BOTTOM

    @property
    def polyline(self):
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def latest(self):
        return self.points[-1] if self.points else None


def series(targets):
    """{target id: [Point…]} for the numeric targets among `targets`, oldest first: the newest
    value per round (or per report outside rounds). One query."""
    numeric = [t.pk for t in targets if t.value is not None]
    if not numeric:
        return {}
    rows = (
        TargetValue.objects.filter(target_id__in=numeric, value__isnull=False)
        .select_related("report__round", "report__organisation")
        .order_by("report__created_at", "pk")
    )
    # A dict keeps each key where it first appeared and the value of its last assignment:
    # rounds in the order their first value came, each with its newest value.
    grouped = {}
    for row in rows:
        report = row.report
        if report.round_id:
            key, label = ("round", report.round_id), report.round.name
        else:
            day = timezone.localdate(report.created_at)
            key, label = ("day", day), day.isoformat()
        points = grouped.setdefault(row.target_id, {})
        points.pop(key, None)  # move it last: the round's newest value came now
        points[key] = Point(label, row.value, report.organisation.code)
    return {target_id: list(points.values()) for target_id, points in grouped.items()}


def _nice_step(span):
    """A round step for about four gridlines over `span`."""
    raw = span / 4
    magnitude = 10 ** (len(str(int(raw))) - 1) if raw >= 1 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def chart(target, points):
    """The chart of one numeric target with its points (from series())."""
    values = [float(p.value) for p in points]
    for extra in (target.baseline, target.value, target.value_max):
        if extra is not None:
            values.append(float(extra))
    low, high = min([0.0, *values]), max(values) if values else 1.0
    if high <= low:
        high = low + 1
    step = _nice_step(high - low)
    high = (int(high / step) + (0 if high % step == 0 else 1)) * step
    plot_top, plot_bottom = TOP, HEIGHT - BOTTOM

    def y(value):
        return plot_bottom - (float(value) - low) / (high - low) * (plot_bottom - plot_top)

    plot_left, plot_right = LEFT + 12, WIDTH - RIGHT - 12
    count = len(points)
    placed = [
        Point(
            p.label,
            p.value,
            p.organisation,
            plot_left + (plot_right - plot_left) * (i / (count - 1) if count > 1 else 0.5),
            y(p.value),
        )
        for i, p in enumerate(points)
    ]
    ticks, tick = [], low
    while tick <= high + 1e-9:
        ticks.append(Tick(tick, y(tick)))
        tick += step
    goal_y, baseline = y(target.value), None
    if target.baseline is not None:
        baseline_y = y(target.baseline)
        baseline = Line(target.baseline, baseline_y, 16 if abs(baseline_y - goal_y) < 14 else 4)
    return TargetChart(
        target=target,
        points=placed,
        baseline=baseline,
        goal=Line(target.value, goal_y),
        ticks=ticks,
    )


def charts_for(targets):
    """{target id: TargetChart} for the numeric targets among `targets`. One query."""
    targets = list(targets)
    points = series(targets)
    return {t.pk: chart(t, points.get(t.pk, [])) for t in targets if t.value is not None}
