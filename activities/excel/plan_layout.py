"""The plan workbook's sheet "Planen": the plan as the published document reads it – a heading
row per strategic area and per insats, then the insats's activities with lead, participants,
expected outcome, status (a fill colour, a symbol and the label: never the colour alone),
latest values, progress and final assessment – set up to print on A4 landscape.

It writes the rows plan_workbook.py has already read: no query of its own."""

import dataclasses

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from ..models import Status
from .cells import WRAP, Sheet, status_label
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
# Where each layout column's value stands among the flat plan sheet's (PLAN_COLUMNS): the
# layout takes the values the plan workbook has already written there.
_FROM_PLAN = [[c.key for c in PLAN_COLUMNS].index(c.key) for c in LAYOUT_COLUMNS]


class PlanLayout:
    """Sheet "Planen" on a write-only workbook: `add` the activities in plan order, as the plan
    workbook reads them (with_related, with_last_report, predecessor), then `finish`."""

    def __init__(self, wb, plan, exported_at, rows):
        """`rows`: how many heading and activity rows will follow the header."""
        self.sheet = sheet = Sheet(
            wb,
            LAYOUT_SHEET,
            LAYOUT_COLUMNS,
            header_row=LAYOUT_HEADER_ROW,
            rows=LAYOUT_HEADER_ROW + rows,
            streamed=True,  # the first sheet a reader looks at, sent as it is written
        )
        ws = sheet.ws
        # Print: A4 landscape, every page one page wide with the header row repeated.
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)  # before row 1
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.print_title_rows = f"{LAYOUT_HEADER_ROW}:{LAYOUT_HEADER_ROW}"
        ws.print_options.gridLines = True
        ws.HeaderFooter.oddFooter.center.text = "&P / &N"
        sheet.append([sheet.cell(plan.title, sheet.style("title", font=Font(bold=True, size=14)))])
        sheet.append([sheet.cell(f"Status och bedömningar den {exported_at:%Y-%m-%d}")])
        sheet.header(LAYOUT_COLUMNS)
        self.wrap = sheet.style("wrap", alignment=WRAP)
        self.status_styles = {
            status: sheet.style(
                ("status", status), alignment=WRAP, fill=PatternFill("solid", fgColor=colour)
            )
            for status, colour in STATUS_FILLS.items()
        }
        self.area = self.insats = None

    def _heading(self, text, key, fill, font):
        sheet = self.sheet
        filled = sheet.style((key, "fill"), fill=fill)
        first = sheet.style(key, fill=fill, font=font, alignment=Alignment(vertical="center"))
        row = sheet.append(
            [sheet.cell(text, first), *(sheet.cell(None, filled) for _ in LAYOUT_COLUMNS[1:])]
        )
        sheet.ws.merged_cells.add(f"A{row}:{get_column_letter(len(LAYOUT_COLUMNS))}{row}")

    def add(self, activity, values):
        """`values`: the activity's row on the flat plan sheet (PLAN_COLUMNS)."""
        if activity.insats.area_id != self.area:
            self.area = activity.insats.area_id
            a = activity.insats.area
            self._heading(f"{a.number}. {a.name}", "area", AREA_FILL, AREA_FONT)
        if activity.insats_id != self.insats:
            self.insats = activity.insats_id
            i = activity.insats
            self._heading(f"{i.reference} {i.title}", "insats", INSATS_FILL, INSATS_FONT)
        status_style = self.status_styles[Status.of(activity.current_status)]
        cell, wrap = self.sheet.cell, self.wrap
        # An empty cell is left out.
        cells = [cell(values[p], wrap) if values[p] else None for p in _FROM_PLAN]
        cells[STATUS_COLUMN - 1] = cell(_status_cell(activity), status_style)
        self.sheet.append(cells)

    def finish(self):
        return self.sheet.row
