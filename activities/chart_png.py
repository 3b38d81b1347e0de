"""A target's chart (charts.TargetChart) as a PNG image, for the Word document: the same
drawing as the page's SVG (templates/activities/_target_chart.html), gridlines, the baseline
and the target as dashed lines named in the margin, the values as points with their numbers,
drawn with Pillow in Python, without a browser. The text needs a font with å, ä and ö:
DejaVu Sans or Liberation Sans from the system (Debian: fonts-dejavu-core, which Chromium's
fonts also bring); Pillow's built-in font, the last resort, has no å."""

import functools
import io

from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont

from .models import Status
from .text import number

# Twice the SVG's coordinates: sharp when Word prints the image 16 cm wide.
SCALE = 2
INK, MUTED, GRID = (27, 27, 27), (85, 85, 85), (227, 230, 234)
LINE, BASELINE, GOAL = (30, 107, 52), (110, 110, 110), (29, 79, 145)


# Looked up by file name in the system's font folders (Pillow searches /usr/share/fonts).
FONTS = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf")


@functools.cache
def _font(size):
    for name in FONTS:
        try:
            return ImageFont.truetype(name, size * SCALE)
        except OSError:
            continue
    return ImageFont.load_default(size=size * SCALE)


def _dashed(draw, y, x1, x2, colour, dash, gap, width):
    x = x1
    while x < x2:
        draw.line([(x, y), (min(x + dash, x2), y)], fill=colour, width=width)
        x += dash + gap


def _ticks(draw, chart, font):
    left, right = chart.left * SCALE, chart.right_edge * SCALE
    for tick in chart.ticks:
        y = tick.y * SCALE
        draw.line([(left, y), (right, y)], fill=GRID, width=SCALE)
        draw.text((left - 6 * SCALE, y), number(tick.value), fill=MUTED, font=font, anchor="rm")


def _lines(draw, chart, font):
    left, right, label_x = chart.left * SCALE, chart.right_edge * SCALE, chart.label_x * SCALE
    if chart.baseline:
        y = chart.baseline.y * SCALE
        _dashed(draw, y, left, right, BASELINE, 2 * SCALE, 3 * SCALE, 2 * SCALE)
        text = f"{_('Utgångsläge')} {number(chart.baseline.value)}"
        draw.text(
            (label_x, y + chart.baseline.label_dy * SCALE), text, fill=INK, font=font, anchor="ls"
        )
    y = chart.goal.y * SCALE
    _dashed(draw, y, left, right, GOAL, 8 * SCALE, 4 * SCALE, 2 * SCALE)
    text = f"{_('Mål')} {number(chart.goal.value)}"
    draw.text((label_x, y + 4 * SCALE), text, fill=INK, font=font, anchor="ls")


def _points(draw, chart, font):
    placed = [(p.x * SCALE, p.y * SCALE) for p in chart.points]
    if len(placed) > 1:
        draw.line(placed, fill=LINE, width=3 * SCALE, joint="curve")
    radius = 4 * SCALE
    for point, (x, y) in zip(chart.points, placed, strict=True):
        draw.ellipse(
            [x - radius, y - radius, x + radius, y + radius],
            fill=LINE,
            outline="white",
            width=SCALE,
        )
        draw.text((x, y - 8 * SCALE), number(point.value), fill=INK, font=font, anchor="ms")


def png(chart):
    """The PNG bytes of `chart` (a charts.TargetChart)."""
    image = Image.new("RGB", (chart.width * SCALE, chart.height * SCALE), "white")
    draw = ImageDraw.Draw(image)
    font = _font(11)
    _ticks(draw, chart, font)
    _lines(draw, chart, font)
    _points(draw, chart, _font(12))
    draw.rectangle([0, 0, image.width - 1, image.height - 1], outline=GRID, width=SCALE)
    out = io.BytesIO()
    # zlib level 1: half the default level's time (9 ms a chart here) for a file 40 % larger.
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def alt_text(chart):
    """What the image shows, in words: the target, its baseline and value, and each point."""
    target = chart.target
    goal = number(target.value)
    if target.value_max is not None:
        goal += f" – {number(target.value_max)}"
    parts = [_("Diagram över %(phrase)s.") % {"phrase": target.phrase}]
    if target.baseline is not None:
        parts.append(_("Utgångsläge %(value)s.") % {"value": number(target.baseline)})
    parts.append(_("Mål %(value)s.") % {"value": goal})
    values = "; ".join(f"{p.label}: {number(p.value)} ({p.organisation})" for p in chart.points)
    parts.append(_("Rapporterade värden: %(values)s.") % {"values": values})
    return " ".join(parts)


# An area's status bar: the page's colours (static/css/app.css, .bar__segment--*); the words
# beside it and the alt text carry the statuses, the colour is only a third cue.
STATUS_FILL = {
    Status.NOT_STARTED: (154, 154, 154),
    Status.ON_TRACK: (30, 107, 52),
    Status.AT_RISK: (217, 164, 0),
    Status.DELAYED: (164, 38, 44),
    Status.COMPLETED: (29, 79, 145),
    Status.CANCELLED: (63, 63, 63),
    Status.PARTLY_REPORTED: (227, 230, 234),
    Status.NOT_REPORTED: (227, 230, 234),
}
BAR_WIDTH, BAR_HEIGHT = 1000, 36


def status_bar_png(segments):
    """The PNG bytes of an area's status bar (summaries.StatusSegment in display order)."""
    image = Image.new("RGB", (BAR_WIDTH, BAR_HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    for segment in segments:
        if segment.count:
            left = round(segment.offset * BAR_WIDTH / 100)
            right = round((segment.offset + segment.percent) * BAR_WIDTH / 100)
            draw.rectangle([left, 0, right, BAR_HEIGHT], fill=STATUS_FILL[segment.status])
    draw.rectangle([0, 0, BAR_WIDTH - 1, BAR_HEIGHT - 1], outline=INK, width=2)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def status_bar_alt_text(area, segments):
    counts = "; ".join(f"{s.status.label} {s.count}" for s in segments if s.count)
    return _("Status i område %(number)s: %(counts)s.") % {"number": area.number, "counts": counts}
