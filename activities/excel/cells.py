"""openpyxl helpers shared by every workbook the app writes or reads: the column declaration,
writing a table, and reading cell values (reader.py reads uploads).

Sheet names and column headers are part of the file format (see sheets.py): exports write them
and imports look for them, so they are plain Swedish strings and deliberately not translated (an
export made with the English UI must still import). Messages shown to users are translated.
"""

import datetime
import io
import re
from collections.abc import Callable
from copy import copy
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter

from ..models import Assessment, Status

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Text starting with one of these is a formula (or DDE payload) to Excel once a user edits the
# cell; such text is written as a string cell with Excel's quote prefix, never as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="004B87")  # --blue in static/css/app.css
HEADER_BORDER = Border(bottom=Side(style="medium", color="00325A"))
TITLE_FONT = Font(bold=True, size=14)
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
LOCKED_FILL = PatternFill("solid", fgColor="E8EBEF")
INPUT_FILL = PatternFill("solid", fgColor="FFFBEA")
LOCKED = Protection(locked=True)
UNLOCKED = Protection(locked=False)
MAX_VALUE = Decimal("9999999999.99")  # DecimalField(max_digits=12, decimal_places=2)
CENT = Decimal("0.01")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


class ImportRejected(Exception):
    """The file as a whole cannot be read; `message` says why, in Swedish."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def cell_text(value):
    """A cell's value as stripped text ("" for an empty cell); 12.0 → "12"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


@dataclass(frozen=True)
class Column:
    """One column of a sheet, declared once for the writer and the reader.

    `write` turns the row's object into the cell's value; `imported` columns are the ones a
    reader looks for by `header` and hands on under `key` (required unless `required` is
    False)."""

    header: str
    width: int = 14
    key: str = ""
    write: Callable = field(default=lambda row: None, repr=False, compare=False)
    wrap: bool = False
    number_format: str | None = None
    input: bool = False  # a cell to fill in: unlocked on a protected sheet, and shaded
    imported: bool = False
    required: bool = True

    def style(self, cell, shade=False):
        cell.alignment = WRAP if self.wrap else TOP
        if self.number_format:
            cell.number_format = self.number_format
        if shade:
            cell.protection = UNLOCKED if self.input else LOCKED
            cell.fill = INPUT_FILL if self.input else LOCKED_FILL


def plain(value):
    """A value openpyxl can store: lazy strings as text, aware datetimes as local naive time
    (Excel has no time zones), Decimals as they are."""
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def write(cell, value):
    """Put `value` in `cell`; text is always text, never a formula."""
    value = plain(value)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.value = value
        # openpyxl makes any "=…" string a formula; force the string type back.
        cell.data_type = "s"
        if value.startswith(FORMULA_PREFIXES):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def write_header(ws, row, columns):
    for index, column in enumerate(columns, start=1):
        cell = write(ws.cell(row=row, column=index), column.header)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = HEADER_BORDER
        cell.alignment = WRAP
        ws.column_dimensions[get_column_letter(index)].width = column.width


def write_table(ws, columns, rows, *, header_row=1, freeze_column=1, shade=False):
    """Header, one row per object in `rows` (each cell from `Column.write`), frozen header
    (and first `freeze_column` columns), autofilter, widths; `shade` greys the locked columns
    and tints the input ones (the report template). Returns the number of the last row."""
    write_header(ws, header_row, columns)
    # Setting a style attribute makes openpyxl hash and look up the whole style, which took
    # most of the time of a large export; each column's style is built once and copied.
    styles = {}
    last = header_row
    for last, row in enumerate(rows, start=header_row + 1):
        for index, column in enumerate(columns, start=1):
            cell = ws.cell(row=last, column=index)
            if index in styles:
                cell._style = copy(styles[index])
            else:
                column.style(cell, shade)
                styles[index] = copy(cell._style)
            write(cell, column.write(row))  # after the style: it may add the quote prefix
    ws.freeze_panes = ws.cell(row=header_row + 1, column=freeze_column + 1)
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(columns))}{last}"
    return last


def write_pairs(ws, first_row, pairs):
    """Label/value rows (a cover sheet's facts); returns the next free row."""
    for row, (label, value) in enumerate(pairs, start=first_row):
        write(ws.cell(row=row, column=1), label).font = BOLD
        cell = write(ws.cell(row=row, column=2), value)
        cell.alignment = Alignment(horizontal="left")
        if isinstance(value, datetime.datetime):
            cell.number_format = DATETIME_FORMAT
        elif isinstance(value, datetime.date):
            cell.number_format = DATE_FORMAT
    return first_row + len(pairs)


def to_bytes(workbook):
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@cache
def status_label(key):
    """A status's Swedish label: the files are Swedish whatever the UI language."""
    return Status.swedish_labels()[Status.of(key).value]


@cache
def assessment_label(key):
    """A final assessment's Swedish label ("" for none)."""
    return Assessment.swedish_labels().get(key, "")


def format_number(value):
    """12.50 → "12,5", 1400.00 → "1400" (Swedish decimal comma, no trailing zeros)."""
    if value is None:
        return ""
    text = f"{Decimal(value).normalize():f}"
    return text.replace(".", ",")


def parse_number(raw):
    """(Decimal, None) or (None, Swedish error). Accepts 12, 12.5, "12,5" and "1 400"."""
    if isinstance(raw, bool):
        raw = str(raw)
    if isinstance(raw, int | float):
        text = repr(raw)
    else:
        text = re.sub(r"[\s\u00a0\u202f]", "", str(raw)).replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None, _("”%(value)s” är inte ett tal.") % {"value": raw}
    if not number.is_finite():
        return None, _("”%(value)s” är inte ett tal.") % {"value": raw}
    if number < 0:
        return None, _("Värdet får inte vara negativt.")
    if number > MAX_VALUE:
        return None, _("Värdet är för stort.")
    return number.copy_abs().quantize(CENT, rounding=ROUND_HALF_UP), None  # "-0" is 0
