"""The targets page's export: the rows the targets table shows under its filters (every page),
and the filters. Rows as views/targets.target_rows reads them: a fixed number of queries."""

import itertools

from django.utils import timezone

from ..tables import TARGET_ORDER, shown_value
from .cells import TITLE_FONT, Column, Sheet, assessment_label, built, plain
from .sheets import ACTIVITY, AREA, FILTER_SHEET, MOTIVATION, REF, TARGET_COLUMNS, TARGETS

# The plan workbook's target columns, by key: one header each in the code (sheets.py), written
# here from what the targets table shows.
_PLAN = {column.key: column for column in TARGET_COLUMNS}


def _like(key, width, write, **options):
    column = _PLAN[key]
    return Column(column.header, width, write=write, number_format=column.number_format, **options)


VALUE_KINDS = {"final": "Slutvärde", "latest": _PLAN["latest_value_at"].header, "": ""}


# Targets are read this many at a time, each chunk with its activities' lead roles (two queries a
# chunk): memory stays flat beyond it, and up to it the query count is constant.
CHUNK = 2000


def _answering(target):
    """The organisation that answers for the target: its responsible one, else the leads."""
    if target.responsible_organisation_id:
        return target.responsible_organisation.code
    return ", ".join(o.code for o in target.activity.leads)


def _progress(target):
    progress = target.progress(shown_value(target)[0])
    return round(progress, 1) if progress is not None else None


def _assessment(target, attribute):
    given = target.current_assessment
    return getattr(given, attribute) if given is not None else ""


TARGET_TABLE_COLUMNS = [
    Column(REF, 9, write=lambda t: t.activity.reference),
    Column(AREA, 22, wrap=True, write=lambda t: str(t.activity.insats.area)),
    Column(ACTIVITY, 40, wrap=True, write=lambda t: t.activity.description),
    _like("position", 9, lambda t: t.position),
    Column(TARGETS, 40, wrap=True, write=lambda t: t.phrase),
    _like("responsible", 14, _answering, wrap=True),
    _like("baseline", 12, lambda t: t.baseline),
    Column("Värde", 11, write=lambda t: shown_value(t)[0]),
    Column("Värdets slag", 18, write=lambda t: VALUE_KINDS[shown_value(t)[1]]),
    _like("latest_value_at", 17, lambda t: t.latest_value_at),
    _like("value", 11, lambda t: t.value),
    _like("value_max", 11, lambda t: t.value_max),
    _like("unit", 16, lambda t: t.unit, wrap=True),
    _like("progress", 13, _progress),
    Column("Bedömning", 15, write=lambda t: assessment_label(_assessment(t, "assessment"))),
    Column(MOTIVATION, 50, wrap=True, write=lambda t: _assessment(t, "motivation")),
    Column(
        "Bedömt av",
        11,
        write=lambda t: t.current_assessment.organisation.code if t.current_assessment else "",
    ),
]


def _streamed(targets):
    for target in targets.iterator(chunk_size=CHUNK):
        yield target
        target.activity._prefetched_objects_cache = {}


def started(queryset):
    """The targets of `queryset` in plan order, read CHUNK at a time, the first chunk (and
    its leads) read now: in the view, where a database that fails or does not answer gets
    the 503 page, and not once the file has started, when an error can only cut the
    download short."""
    targets = _streamed(queryset.order_by(*TARGET_ORDER))
    first = next(targets, None)
    return itertools.chain([] if first is None else [first], targets)


def build_target_workbook(plan, queryset, filters):
    return built(write_target_workbook, plan, started(queryset), filters)


def write_target_workbook(wb, plan, targets, filters):
    """The `targets` (started(), from the FilterSet's queryset, every page) and the filters;
    a generator of steps (cells.sent()), the targets sent as they are written."""
    sheet = Sheet(wb, TARGETS, TARGET_TABLE_COLUMNS, streamed=True)
    yield from sheet.write_table(TARGET_TABLE_COLUMNS, targets)
    info = Sheet(wb, FILTER_SHEET, [Column("", 26), Column("", 60)], freeze=False)
    info.append([info.cell(plan.title, info.style("title", font=TITLE_FONT))])
    info.skip()
    filters = filters or [("Filter", "Inga (alla mål)")]
    info.pairs([("Exporterad", plain(timezone.now())), *filters])
