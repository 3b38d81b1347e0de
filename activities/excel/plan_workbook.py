"""The plan workbook (the whole plan with its follow-up, readable by plan_import.py) and the
activity table export (the rows the table shows under its filters).

Each builder reads everything it writes in a fixed number of queries, whatever the number of
activities.
"""

from django.db.models import Count, Prefetch
from django.utils import timezone, translation
from openpyxl import Workbook

from areas.models import StrategicArea
from organisations.models import Organisation

from ..models import Activity, ReportingRound, Status
from ..summaries import status_bars
from .cells import BOLD, TITLE_FONT, plain, write, write_pairs, write_table
from .plan_layout import write_plan_layout
from .sheets import (
    ACTIVITIES,
    AREA_COLUMNS,
    AREA_SHEET,
    CHANGE_COLUMNS,
    CHANGES_SHEET,
    COVER_DEADLINE,
    COVER_PERIOD,
    COVER_SHEET,
    COVER_TOTAL,
    FILTER_SHEET,
    PLAN_COLUMNS,
    PLAN_SHEET,
    TABLE_SHEET,
    TARGET_COLUMNS,
    TARGET_SHEET,
    cover_columns,
)


def plan_activities(queryset):
    """Activities with everything a plan row shows: roles, targets with their latest value,
    current status and the latest comment, in plan order (a fixed number of queries)."""
    return (
        queryset.with_related()
        .with_last_report()
        .select_related("predecessor__insats__area__plan")
        .in_plan_order()
    )


def plan_areas(plan):
    """The areas as the plan workbook's sheets show them, with their counts."""
    return (
        StrategicArea.objects.filter(plan=plan)
        .annotate(
            activity_count=Count("insatser__activities"),
            insats_count=Count("insatser", distinct=True),
        )
        .prefetch_related(
            Prefetch("participating_organisations", queryset=Organisation.objects.order_by("code"))
        )
        .order_by("number")
    )


def _cover(ws, plan, areas, exported_at):
    ws.title = COVER_SHEET
    write(ws.cell(row=1, column=1), plan.title).font = TITLE_FONT
    next_row = write_pairs(
        ws,
        3,
        [
            ("Kortnamn", plan.slug),
            (COVER_PERIOD, f"{plan.period_start:%Y-%m-%d} – {plan.period_end:%Y-%m-%d}"),
            (COVER_DEADLINE, plan.outcome_deadline),
            ("Exporterad", plain(exported_at)),
            (ACTIVITIES, sum(a.activity_count for a in areas)),
        ],
    )
    columns = cover_columns(Status)
    rows = [
        [
            f"{bar.area.number}. {bar.area.name}",
            bar.area.activity_count,
            *(segment.count for segment in bar.segments),
        ]
        for bar in status_bars(plan, areas)
    ]
    totals = [COVER_TOTAL, *(sum(column) for column in zip(*(r[1:] for r in rows), strict=True))]
    last = write_table(ws, columns, [*rows, totals] if rows else [], header_row=next_row + 1)
    for cell in ws[last]:
        cell.font = BOLD
    ws.column_dimensions["A"].width = 34


def build_plan_workbook(plan):
    """The whole plan as the published document reads it (area → insats → activity), with the
    follow-up beside each activity; sheet "Mål" carries the structured targets and "Områden"
    the areas, so import_plan can read the workbook back as a new plan."""
    activities = list(plan_activities(Activity.objects.filter(insats__area__plan=plan)))
    areas = list(plan_areas(plan))
    wb = Workbook()
    now = timezone.now()
    _cover(wb.active, plan, areas, now)
    write_plan_layout(wb.create_sheet(), plan, activities, timezone.localtime(now))
    write_table(wb.create_sheet(PLAN_SHEET), PLAN_COLUMNS, activities)
    targets = (t for a in activities for t in a.targets.all())
    write_table(wb.create_sheet(TARGET_SHEET), TARGET_COLUMNS, targets, freeze_column=2)
    write_table(wb.create_sheet(AREA_SHEET), AREA_COLUMNS, areas)
    current = ReportingRound.objects.current_for(plan)
    if current:
        ws = wb.create_sheet(CHANGES_SHEET)
        changes = current.changes()
        title = (
            f"{current.name} jämfört med {changes.previous.name}"
            if changes.previous
            else f"{current.name}: planens första omgång, inget att jämföra med"
        )
        write(ws.cell(row=1, column=1), title).font = BOLD
        with translation.override("sv"):  # the kind labels; the file is Swedish
            write_table(ws, CHANGE_COLUMNS, changes.changes, header_row=3, freeze_column=2)
    return wb


def build_table_workbook(plan, queryset, filters):
    """The rows the activity table shows under its filters (all pages), and the filters."""
    wb = Workbook()
    ws = wb.active
    ws.title = TABLE_SHEET
    # The FilterSet's queryset already has with_related() and with_last_report().
    write_table(ws, PLAN_COLUMNS, queryset.in_plan_order())
    info = wb.create_sheet(FILTER_SHEET)
    write(info.cell(row=1, column=1), plan.title).font = TITLE_FONT
    filters = filters or [("Filter", "Inga (alla aktiviteter)")]
    write_pairs(info, 3, [("Exporterad", plain(timezone.now())), *filters])
    info.column_dimensions["A"].width = 26
    info.column_dimensions["B"].width = 60
    return wb
