"""The targets page's export: the rows the targets table shows under its filters (every page),
and the filters. Rows as views/targets.target_rows reads them: a fixed number of queries."""

from django.utils import timezone

from ..tables import TARGET_ORDER, shown_value
from .cells import DATETIME_FORMAT, TITLE_FONT, Column, Sheet, assessment_label, new_workbook, plain
from .sheets import AREA, FILTER_SHEET, REF, TARGETS

# Targets are read this many at a time, each chunk with its activities' lead roles (two queries a
# chunk): memory stays flat beyond it, and up to it the query count is constant.
CHUNK = 2000

VALUE_KINDS = {"final": "Slutvärde", "latest": "Senast rapporterat", "": ""}


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
    Column("Aktivitet", 40, wrap=True, write=lambda t: t.activity.description),
    Column("Ordning", 9, write=lambda t: t.position),
    Column("Mål", 40, wrap=True, write=lambda t: t.phrase),
    Column("Ansvarig", 14, wrap=True, write=_answering),
    Column("Utgångsläge", 12, write=lambda t: t.baseline),
    Column("Värde", 11, write=lambda t: shown_value(t)[0]),
    Column("Värdets slag", 18, write=lambda t: VALUE_KINDS[shown_value(t)[1]]),
    Column(
        "Senast rapporterat",
        17,
        number_format=DATETIME_FORMAT,
        write=lambda t: t.latest_value_at,
    ),
    Column("Målvärde", 11, write=lambda t: t.value),
    Column("Övre gräns", 11, write=lambda t: t.value_max),
    Column("Enhet", 16, wrap=True, write=lambda t: t.unit),
    Column("Framsteg (%)", 13, write=_progress),
    Column("Bedömning", 15, write=lambda t: assessment_label(_assessment(t, "assessment"))),
    Column("Motivering", 50, wrap=True, write=lambda t: _assessment(t, "motivation")),
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


def build_target_workbook(plan, queryset, filters):
    """The targets `queryset` (the FilterSet's, every page) in plan order, and the filters."""
    wb = new_workbook()
    sheet = Sheet(wb, TARGETS, TARGET_TABLE_COLUMNS)
    sheet.table(TARGET_TABLE_COLUMNS, _streamed(queryset.order_by(*TARGET_ORDER)))
    info = Sheet(wb, FILTER_SHEET, [Column("", 26), Column("", 60)], freeze=False)
    info.append([info.cell(plan.title, info.style("title", font=TITLE_FONT))])
    info.skip()
    filters = filters or [("Filter", "Inga (alla mål)")]
    info.pairs([("Exporterad", plain(timezone.now())), *filters])
    return wb
