"""The targets page's export: the rows the targets table shows under its filters (every page),
and the filters. Rows as views/targets.target_rows reads them: a fixed number of queries."""

import itertools
from collections import defaultdict

from django.utils import timezone

from ..models import ActivityOrganisation, Role
from ..tables import TARGET_ORDER, shown_value
from .cells import TITLE_FONT, Column, Sheet, assessment_label, built, plain
from .chunks import among
from .sheets import ACTIVITY, AREA, FILTER_SHEET, MOTIVATION, REF, TARGET_COLUMNS, TARGETS

# The plan workbook's target columns, by key: one header each in the code (sheets.py), written
# here from what the targets table shows.
_PLAN = {column.key: column for column in TARGET_COLUMNS}


def _like(key, width, write, **options):
    column = _PLAN[key]
    return Column(column.header, width, write=write, number_format=column.number_format, **options)


VALUE_KINDS = {"final": "Slutvärde", "latest": _PLAN["latest_value_at"].header, "": ""}


# Targets are read this many at a time, each chunk with its activities' leads (two queries a
# chunk, and beyond the first one more for the keys of the rest): memory stays flat beyond it,
# and up to it the query count is constant.
CHUNK = 2000


def _answering(target):
    """The organisation that answers for the target: its responsible one, else the leads
    (their codes, read for each chunk by _with_leads)."""
    if target.responsible_organisation_id:
        return target.responsible_organisation.code
    return target.lead_codes


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


def _with_leads(targets):
    """`targets`, each with `lead_codes` ("MF, SBF"): its activity's leads in their order,
    as the targets page lists them (views/targets.target_rows), in one query. By hand, not
    by prefetch_related("activity__roles"): Django gave each target's activity its own
    filtered copy of the prefetch's queryset, and at 1000× the plan that was most of the
    time the file took to read."""
    if not targets:
        return targets
    leads = defaultdict(list)
    roles = (
        ActivityOrganisation.objects.filter(
            role=Role.LEAD, activity_id__in={t.activity_id for t in targets}
        )
        .order_by("position")
        .values_list("activity_id", "organisation__code")
    )
    for activity, code in roles:
        leads[activity].append(code)
    for target in targets:
        target.lead_codes = ", ".join(leads.get(target.activity_id, ()))
    return targets


# What the columns read: the page's rows (views/targets.target_rows) carry every column of
# the activity, its plan, the latest report (its comment too) and the assessment, and at 1000×
# the plan reading 110,000 such rows was most of the file's time, their sort went to disk,
# and the first chunk came after more than a second. A column that reads another field costs
# a query per row, which the query-count tests catch.
FIELDS = (
    "position",
    "phrase",
    "baseline",
    "value",
    "value_max",
    "unit",
    "activity__number",
    "activity__description",
    "activity__insats__number",
    "activity__insats__area__number",
    "activity__insats__area__name",
    "responsible_organisation__code",
    "current_value__value",
    "current_value__report__created_at",
    "current_assessment__value",
    "current_assessment__assessment",
    "current_assessment__motivation",
    "current_assessment__organisation__code",
)
RELATED = (
    "activity__insats__area",
    "responsible_organisation",
    "current_value__report",
    "current_assessment__organisation",
)


def started(queryset):
    """The targets of `queryset` (views/targets.target_rows, filtered) in plan order with
    the fields the columns write and their activities' leads, CHUNK at a time.

    The first chunk is read now, in the view, by a LIMIT: a database that fails or does not
    answer gets the 503 page, not a download cut short. The rest is read by their keys
    (_after): a server-side cursor (queryset.iterator()) outside a transaction is declared
    WITH HOLD, and PostgreSQL reads and sorts every row before its first fetch: at 1000×
    the plan (110,000 targets) 1.5 s before the first byte, close to the web processes'
    wait for the database (DB_WAIT_TIMEOUT_MS)."""
    rows = queryset.select_related(None).select_related(*RELATED).only(*FIELDS)
    rows = rows.prefetch_related(None).order_by(*TARGET_ORDER)  # the leads: _with_leads
    first = _with_leads(list(rows[:CHUNK]))
    if len(first) < CHUNK:
        return iter(first)
    return itertools.chain(first, _after(rows, {target.pk for target in first}))


def _after(rows, sent):
    """The `rows` not in `sent` (the first chunk) in their order, a chunk at a time by
    their keys (as chunks.in_pages): the keys of every row first (one narrow query), then
    each chunk by its keys. A target added or removed meanwhile is or is not in the file,
    but none is there twice."""
    keys = [key for key in rows.values_list("pk", flat=True) if key not in sent]
    unordered = rows.order_by()
    for start in range(0, len(keys), CHUNK):
        page = keys[start : start + CHUNK]
        found = {target.pk: target for target in unordered.filter(among("pk", page))}
        yield from _with_leads([found[key] for key in page if key in found])


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
