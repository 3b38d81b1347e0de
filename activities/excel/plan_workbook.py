"""The plan workbook (the whole plan with its follow-up, readable by plan_import.py) and the
activity table export (the rows the table shows under its filters).

Each builder reads everything it writes in a fixed number of queries, whatever the number of
activities.
"""

import dataclasses
import datetime

from django.db.models import Count, Prefetch
from django.utils import timezone, translation

from areas.models import Plan, StrategicArea
from organisations.models import Organisation

from ..changes import since_previous
from ..models import (
    Activity,
    ActivityOrganisation,
    ReportingRound,
    Status,
    StatusReport,
    Target,
)
from ..summaries import status_bars
from .cells import BOLD, TITLE_FONT, WRAP, Column, Sheet, built, plain
from .chunks import in_chunks
from .plan_layout import PlanLayout
from .sheets import (
    ACTIVITIES,
    AREA_COLUMNS,
    AREA_SHEET,
    CHANGE_COLUMNS,
    CHANGES_SHEET,
    COVER_DEADLINE,
    COVER_PERIOD,
    COVER_SHEET,
    COVER_SLUG,
    COVER_TOTAL,
    FILTER_SHEET,
    PLAN_COLUMNS,
    PLAN_SHEET,
    PREDECESSOR,
    TABLE_SHEET,
    TARGET_COLUMNS,
    TARGET_SHEET,
    cover_columns,
)

# Activities are read this many at a time, each chunk with its prefetched roles and targets (two
# queries a chunk): memory stays flat beyond it, and up to it the query count is constant.
CHUNK = 2000


def streamed(activities):
    """The activities, read CHUNK at a time; each one's prefetched roles and targets are let
    go once it has been written. They refer back to it (a reference cycle), so without this
    they would wait for Python's cycle collector, which the export views pause: memory stays
    at one chunk however large the plan."""
    for activity in in_chunks(activities, CHUNK):
        yield activity
        activity._prefetched_objects_cache = {}


def _rows_of(queryset):
    """`queryset` with the roles and targets the plan workbook's and the hand-over's rows
    write, and nothing more of them: Activity.with_related() serves the pages too, so it
    reads every column of each role's report and assessment and of each target's latest
    report (its comment included) and assessment. The organisations are not joined to each
    role and report: _organised() hands them the same few objects."""
    roles = (
        ActivityOrganisation.objects.select_related("current_report")
        .only(*ROLE_FIELDS)
        .order_by("position")
    )
    targets = (
        Target.objects.select_related("current_value__report")
        .only(*TARGET_FIELDS)
        .order_by("position")
    )
    return queryset.select_related("insats__area__plan").prefetch_related(
        Prefetch("roles", queryset=roles), Prefetch("targets", queryset=targets)
    )


# What the rows read of a role (sheets.PLAN_COLUMNS, row_text.py, plan_layout.py) and of a
# target (sheets.TARGET_COLUMNS), with each organisation's code (_organised): a column that
# reads another field costs a query per row, which the query-count tests catch.
ROLE_FIELDS = (
    "activity",
    "organisation",
    "role",
    "position",
    "source_spelling",
    "current_report__status",
    "current_report__comment",
)
TARGET_FIELDS = (
    "activity",
    "position",
    "phrase",
    "value",
    "value_max",
    "unit",
    "baseline",
    "year",
    "responsible_organisation",
    "current_value__value",
    "current_value__report__created_at",
    "current_value__report__organisation",
)
_ROLE_ORGANISATION = ActivityOrganisation._meta.get_field("organisation")
_RESPONSIBLE = Target._meta.get_field("responsible_organisation")
_REPORTED_BY = StatusReport._meta.get_field("organisation")


def _organised(activities):
    """The activities (streamed()) with the organisations of their roles, targets and latest
    values filled in from one query of every organisation's code: a few dozen objects, where
    joining them made one per role and value (at 100× the plan some 30,000)."""
    by_key = {o.pk: o for o in Organisation.objects.only("code")}
    for activity in activities:
        for role in activity.roles.all():
            _ROLE_ORGANISATION.set_cached_value(role, by_key[role.organisation_id])
        for target in activity.targets.all():
            if target.responsible_organisation_id:
                _RESPONSIBLE.set_cached_value(target, by_key[target.responsible_organisation_id])
            if target.current_value_id:
                report = target.current_value.report
                _REPORTED_BY.set_cached_value(report, by_key[report.organisation_id])
        yield activity


def plan_activities(queryset):
    """Activities with everything a plan row shows: roles, targets with their latest value,
    current status and the latest comment, in plan order (a fixed number of queries)."""
    return (
        _rows_of(queryset)
        .with_last_report()
        .select_related("predecessor__insats__area__plan")
        .in_plan_order()
    )


def plan_areas(plan):
    """The areas as the plan workbook's sheets show them, with their counts."""
    return (
        StrategicArea.objects.filter(plan=plan)
        .annotate(
            activity_count=Count("insatser__activities", distinct=True),
            insats_count=Count("insatser", distinct=True),
            target_count=Count("insatser__activities__targets", distinct=True),
        )
        .prefetch_related(
            Prefetch("participating_organisations", queryset=Organisation.objects.order_by("code"))
        )
        .order_by("number")
    )


def _cover(wb, plan, areas, exported_at):
    columns = cover_columns(Status)
    sheet = Sheet(wb, COVER_SHEET, columns, freeze=False, rows=9 + len(areas) + 1)
    sheet.append([sheet.cell(plan.title, sheet.style("title", font=TITLE_FONT))])
    sheet.skip()
    sheet.pairs(
        [
            (COVER_SLUG, plan.slug),
            (COVER_PERIOD, f"{plan.period_start:%Y-%m-%d} – {plan.period_end:%Y-%m-%d}"),
            (COVER_DEADLINE, plan.outcome_deadline),
            ("Exporterad", plain(exported_at)),
            (ACTIVITIES, sum(a.activity_count for a in areas)),
        ]
    )
    sheet.skip()
    rows = [
        [
            f"{bar.area.number}. {bar.area.name}",
            bar.area.activity_count,
            *(segment.count for segment in bar.segments),
        ]
        for bar in status_bars(plan, areas)
    ]
    totals = [COVER_TOTAL, *(sum(column) for column in zip(*(r[1:] for r in rows), strict=True))]
    sheet.table(columns, rows, footer=totals if rows else None)


def build_plan_workbook(plan):
    return built(write_plan_workbook, plan)


def write_plan_workbook(wb, plan):
    """The whole plan as the published document reads it (area → insats → activity), with the
    follow-up beside each activity; sheet "Mål" carries the structured targets and "Områden"
    the areas, so import_plan can read the workbook back as a new plan.

    A write-only workbook filled in one pass over the activities, read in chunks: the layout
    sheet, the flat plan sheet and the targets sheet take their rows as each chunk arrives.
    A generator of steps (cells.sent()): it yields after each activity, and the layout sheet
    is the one sent as it is written."""
    areas = list(plan_areas(plan))
    now = timezone.now()
    _cover(wb, plan, areas, now)
    count = sum(a.activity_count for a in areas)
    layout = PlanLayout(
        wb, plan, timezone.localtime(now), count + len(areas) + sum(a.insats_count for a in areas)
    )
    flat = Sheet(wb, PLAN_SHEET, PLAN_COLUMNS, rows=1 + count)
    targets = Sheet(
        wb,
        TARGET_SHEET,
        TARGET_COLUMNS,
        freeze_column=2,
        rows=1 + sum(a.target_count for a in areas),
    )
    flat_rows, target_rows = flat.start_table(PLAN_COLUMNS), targets.start_table(TARGET_COLUMNS)
    activities = plan_activities(Activity.objects.filter(insats__area__plan=plan))
    for activity in _organised(streamed(activities)):
        values = [column.write(activity) for column in PLAN_COLUMNS]  # once for both sheets
        layout.add(activity, values)
        flat_rows.add_values(values)
        for target in activity.targets.all():
            target_rows.add(target)
        yield
    layout.finish()
    flat_rows.finish()
    target_rows.finish()
    Sheet(wb, AREA_SHEET, AREA_COLUMNS, rows=1 + len(areas)).table(AREA_COLUMNS, areas)
    current = ReportingRound.objects.current_for(plan)
    if current:
        sheet = Sheet(wb, CHANGES_SHEET, CHANGE_COLUMNS, header_row=3, freeze_column=2)
        changes = since_previous(current)
        title = (
            f"{current.name} jämfört med {changes.previous.name}"
            if changes.previous
            else f"{current.name}: planens första omgång, inget att jämföra med"
        )
        sheet.append([sheet.cell(title, sheet.style("title", font=BOLD))])
        sheet.skip()
        with translation.override("sv"):  # the kind labels; the file is Swedish
            sheet.table(CHANGE_COLUMNS, changes.changes)


def build_table_workbook(plan, queryset, filters):
    return built(write_table_workbook, plan, queryset, filters)


def write_table_workbook(wb, plan, queryset, filters):
    """The rows the activity table shows under its filters (all pages), and the filters; a
    generator of steps (cells.sent()), the table sent as it is written."""
    # The FilterSet's queryset already has with_related() and with_last_report().
    table = Sheet(wb, TABLE_SHEET, PLAN_COLUMNS, streamed=True)
    yield from table.write_table(PLAN_COLUMNS, streamed(queryset.in_plan_order()))
    info = Sheet(wb, FILTER_SHEET, [Column("", 26), Column("", 60)], freeze=False)
    info.append([info.cell(plan.title, info.style("title", font=TITLE_FONT))])
    info.skip()
    filters = filters or [("Filter", "Inga (alla aktiviteter)")]
    info.pairs([("Exporterad", plain(timezone.now())), *filters])


# --- The hand-over: the next plan's workbook, started from this one


def _continues(activity):
    """ "2024-2025 3.2.3": the activity itself, as the next plan's "Fortsätter" names it."""
    return f"{activity.insats.area.plan.slug} {activity.reference}"


def _imported(columns, **writers):
    """The columns the plan upload reads, with `writers` replacing some columns' cells."""
    return [
        dataclasses.replace(column, write=writers[column.key]) if column.key in writers else column
        for column in columns
        if column.imported
    ]


HANDOVER_PLAN_COLUMNS = _imported(PLAN_COLUMNS, predecessor=_continues)
# The targets as they are, with the latest value reported beside them (not read back) for
# the coordinator who sets the next plan's baselines.
HANDOVER_TARGET_COLUMNS = [
    *_imported(TARGET_COLUMNS),
    *(c for c in TARGET_COLUMNS if c.key in ("latest_value", "latest_value_at")),
]
HANDOVER_AREA_COLUMNS = _imported(AREA_COLUMNS)
HANDOVER_NOTES = [
    "Så här fortsätter arbetet i nästa plan:",
    "1. Skriv den nya planens titel i A1, och kortnamn, period och datum ovan (förslag är "
    "ifyllda).",
    f"2. På bladet ”{PLAN_SHEET}” står varje aktivitet kvar med ”{PREDECESSOR}” ifylld. Ta bort "
    "raden för en aktivitet som inte fortsätter, ändra texterna, lägg till nya aktiviteter "
    f"(utan ”{PREDECESSOR}”).",
    f"3. Bladen ”{TARGET_SHEET}” och ”{AREA_SHEET}” har målen och områdena; uppdatera "
    "utgångslägen och årtal.",
    "4. Läs in arbetsboken under ”Läs in nästa plan”. Planen blir ett utkast som bara "
    "samordnare ser tills den aktiveras.",
]


def _shifted(day, years):
    """`day` moved `years` years on (29 February to 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def proposed_next(plan):
    """The next plan's short name, title and dates as the hand-over workbook proposes them: a
    period as long (in whole years) as this one's, from the day after it ends; "2026-2027" and
    the title with its years changed where this plan's follow that pattern ("" otherwise, or
    when the short name is taken)."""
    years = max(1, round((plan.period_end - plan.period_start).days / 365.25))
    start = plan.period_end + datetime.timedelta(days=1)
    end = _shifted(start, years) - datetime.timedelta(days=1)
    deadline = _shifted(plan.outcome_deadline, years)
    old_years = (plan.period_start.year, plan.period_end.year)
    slug = f"{start.year}-{end.year}"
    taken = Plan.objects.filter(slug__iexact=slug).exists()  # asked always: a fixed cost
    if taken or plan.slug != f"{old_years[0]}-{old_years[1]}":
        slug = ""
    title = ""
    for dash in ("–", "-", "—"):
        old = f"{old_years[0]}{dash}{old_years[1]}"
        if old in plan.title:
            title = plan.title.replace(old, f"{start.year}{dash}{end.year}")
            break
    return {
        "slug": slug,
        "title": title,
        "period_start": start,
        "period_end": end,
        "outcome_deadline": deadline,
    }


def _handover_cover(wb, plan, proposal):
    sheet = Sheet(wb, COVER_SHEET, [Column("", 26), Column("", 70)], freeze=False, rows=16)
    sheet.append([sheet.cell(proposal["title"], sheet.style("title", font=TITLE_FONT))])
    sheet.skip()
    start, end = proposal["period_start"], proposal["period_end"]
    sheet.pairs(
        [
            (COVER_SLUG, proposal["slug"]),
            (COVER_PERIOD, f"{start:%Y-%m-%d} – {end:%Y-%m-%d}"),
            (COVER_DEADLINE, proposal["outcome_deadline"]),
            ("Fortsätter från", f"{plan.title} ({plan.slug})"),
            ("Skapad", plain(timezone.now())),
        ]
    )
    sheet.skip()
    wrap = sheet.style("note", alignment=WRAP)
    for note in HANDOVER_NOTES:
        sheet.append([None, sheet.cell(note, wrap)])


def build_handover_workbook(plan):
    return built(write_handover_workbook, plan)


def write_handover_workbook(wb, plan):
    """The next plan's workbook, started from `plan`: its areas, insatser, activities with
    leads, participants, expected outcomes and targets in the format the plan upload reads,
    every activity continuing its own ("Fortsätter": "2024-2025 3.2.3"), and a cover sheet
    proposing the next plan's short name, title and period. A fixed number of queries; a
    generator of steps (cells.sent()) that yields after each activity, the plan sheet sent as
    it is written."""
    areas = list(plan_areas(plan))
    _handover_cover(wb, plan, proposed_next(plan))
    count = sum(a.activity_count for a in areas)
    flat = Sheet(wb, PLAN_SHEET, HANDOVER_PLAN_COLUMNS, rows=1 + count, streamed=True)
    targets = Sheet(
        wb,
        TARGET_SHEET,
        HANDOVER_TARGET_COLUMNS,
        freeze_column=2,
        rows=1 + sum(a.target_count for a in areas),
    )
    flat_rows = flat.start_table(HANDOVER_PLAN_COLUMNS)
    target_rows = targets.start_table(HANDOVER_TARGET_COLUMNS)
    activities = _rows_of(Activity.objects.filter(insats__area__plan=plan)).in_plan_order()
    for activity in _organised(streamed(activities)):
        flat_rows.add(activity)
        for target in activity.targets.all():
            target_rows.add(target)
        yield
    flat_rows.finish()
    target_rows.finish()
    Sheet(wb, AREA_SHEET, HANDOVER_AREA_COLUMNS, rows=1 + len(areas)).table(
        HANDOVER_AREA_COLUMNS, areas
    )
