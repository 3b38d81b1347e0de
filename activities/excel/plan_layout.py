"""The plan workbook's sheet "Planen": the plan as the published document reads it – a heading
row per strategic area and per insats, then the insats's activities with lead, participants,
expected outcome, status (a fill colour, a symbol and the label: never the colour alone),
latest values, progress and final assessment – set up to print on A4 landscape.

It writes the rows plan_workbook.py has already read: no query of its own."""

import dataclasses

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.properties import PageSetupProperties

from ..models import Status
from .cells import HEADER_FILL, HEADER_FONT, WRAP, status_label, write
from .sheets import PLAN_COLUMNS

LAYOUT_SHEET = "Planen"
LAYOUT_HEADER_ROW = 3

# Light tints of the status colours in static/css/app.css, dark enough to tell apart in print.
STATUS_FILLS = {
    Status.NOT_STARTED: "E4E4E4",
    Status.ON_TRACK: "CFE8D6",
    Status.AT_RISK: "FBE7A6",
    Status.DELAYED: "F3C9CC",
    Status.COMPLETED: "CFDDF2",
    Status.CANCELLED: "CCCCCC",
    Status.PARTLY_REPORTED: "E9EDF2",
    Status.NOT_REPORTED: "F4F5F7",
}
AREA_FILL = PatternFill("solid", fgColor="00325A")
AREA_FONT = Font(bold=True, size=13, color="FFFFFF")
INSATS_FILL = PatternFill("solid", fgColor="DCE6F0")
INSATS_FONT = Font(bold=True, size=11)


def status_text(key):
    """ "▲ Pågår med risk": the symbol and the Swedish label."""
    return f"{Status.of(key).symbol} {status_label(key)}"


def _status_cell(activity):
    """The activity's status; with several leads, each lead's own on a line below."""
    text = status_text(activity.current_status)
    leads = [r for r in activity.roles.all() if r.role == "lead"]
    if len(leads) > 1:
        text += "".join(
            f"\n{r.organisation.code}: {status_text(activity.status_of(r.organisation))}"
            for r in leads
        )
    return text


def _from_plan_sheet(key, width, **changes):
    """A column of the flat plan sheet (same header, same cell), for the layout."""
    column = next(c for c in PLAN_COLUMNS if c.key == key)
    return dataclasses.replace(column, width=width, wrap=True, imported=False, **changes)


LAYOUT_COLUMNS = [
    _from_plan_sheet("ref", 8),
    _from_plan_sheet("description", 42),
    _from_plan_sheet("leads", 13),
    _from_plan_sheet("participants", 18),
    _from_plan_sheet("outcome", 40),
    _from_plan_sheet("status", 20, write=_status_cell),
    _from_plan_sheet("latest_values", 20),
    _from_plan_sheet("progress", 12),
    _from_plan_sheet("final_assessment", 14),
    _from_plan_sheet("comment", 36),
    _from_plan_sheet("predecessor", 12),
]
STATUS_COLUMN = 6


def _heading(ws, row, text, fill, font):
    for column in range(1, len(LAYOUT_COLUMNS) + 1):
        ws.cell(row=row, column=column).fill = fill
    cell = write(ws.cell(row=row, column=1), text)
    cell.font = font
    cell.alignment = Alignment(vertical="center")
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(LAYOUT_COLUMNS))


def write_plan_layout(ws, plan, activities, exported_at):
    """Fill `ws` with the plan in its own layout; `activities` in plan order, as the plan
    workbook reads them (with_related, with_last_report, predecessor)."""
    ws.title = LAYOUT_SHEET
    title = write(ws.cell(row=1, column=1), plan.title)
    title.font = Font(bold=True, size=14)
    write(ws.cell(row=2, column=1), f"Status och bedömningar den {exported_at:%Y-%m-%d}")
    for index, column in enumerate(LAYOUT_COLUMNS, start=1):
        cell = write(ws.cell(row=LAYOUT_HEADER_ROW, column=index), column.header)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, WRAP
        ws.column_dimensions[cell.column_letter].width = column.width
    fills = {
        status: PatternFill("solid", fgColor=colour) for status, colour in STATUS_FILLS.items()
    }
    row, area, insats = LAYOUT_HEADER_ROW, None, None
    for activity in activities:
        if activity.insats.area_id != area:
            area = activity.insats.area_id
            row += 1
            a = activity.insats.area
            _heading(ws, row, f"{a.number}. {a.name}", AREA_FILL, AREA_FONT)
        if activity.insats_id != insats:
            insats = activity.insats_id
            row += 1
            i = activity.insats
            _heading(ws, row, f"{i.reference} {i.title}", INSATS_FILL, INSATS_FONT)
        row += 1
        for index, column in enumerate(LAYOUT_COLUMNS, start=1):
            cell = write(ws.cell(row=row, column=index), column.write(activity))
            cell.alignment = WRAP
        ws.cell(row=row, column=STATUS_COLUMN).fill = fills[Status.of(activity.current_status)]
    ws.freeze_panes = f"B{LAYOUT_HEADER_ROW + 1}"
    # Print: A4 landscape, every page one page wide with the header row repeated.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = f"{LAYOUT_HEADER_ROW}:{LAYOUT_HEADER_ROW}"
    ws.print_options.gridLines = True
    ws.oddFooter.center.text = "&P / &N"
    return row
