"""openpyxl helpers shared by every workbook the app writes or reads: the column declaration,
writing a table, and reading cell values (reader.py reads uploads).

Sheet names and column headers are part of the file format (see sheets.py): exports write them
and imports look for them, so they are plain Swedish strings and deliberately not translated (an
export made with the English UI must still import). Messages shown to users are translated.
"""

import datetime
import gc
import io
import re
import zipfile
from collections.abc import Callable
from copy import copy
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.packaging.extended import ExtendedProperties
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.styles.stylesheet import write_stylesheet
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.workbook._writer import WorkbookWriter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import WorksheetWriter, create_temporary_file
from openpyxl.writer.excel import ExcelWriter
from openpyxl.writer.theme import theme_xml
from openpyxl.xml.constants import (
    ARC_APP,
    ARC_CORE,
    ARC_ROOT_RELS,
    ARC_STYLE,
    ARC_THEME,
    ARC_WORKBOOK,
    ARC_WORKBOOK_RELS,
)
from openpyxl.xml.functions import tostring

from ..models import Assessment, Status
from ..reporting.rules import in_cents, value_range_problem
from ..text import XML_ILLEGAL, shorten

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
LEFT = Alignment(horizontal="left")
LOCKED_FILL = PatternFill("solid", fgColor="E8EBEF")
INPUT_FILL = PatternFill("solid", fgColor="FFFBEA")
LOCKED = Protection(locked=True)
UNLOCKED = Protection(locked=False)
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MAX_CELL_TEXT = 32_767  # characters in one cell


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
    if isinstance(value, Decimal) and value.is_finite():
        value = f"{value:f}"  # a percent cell read as shown: 12.5, never 1.25E+1
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


def text(value):
    """Text as a cell can hold it: characters XML cannot carry dropped, cut at Excel's limit
    per cell, which counts UTF-16 units (an emoji is two)."""
    value = XML_ILLEGAL.sub("", value)
    if len(value) > MAX_CELL_TEXT // 2:
        value = value.encode("utf-16-le")[: 2 * MAX_CELL_TEXT].decode("utf-16-le", "ignore")
    return value


class _Writer(WorksheetWriter):
    """openpyxl's sheet writer, writing to a file held open here (a temporary file, or the
    streamed sheet's member of the zip being sent), so that _StreamedSheet can write its
    rows into it as text. `out` stays the temporary file's path, as openpyxl's writer and
    sent() copy it into the zip and cleanup() removes it."""

    def __init__(self, ws, out=None):
        self.path = None if out is not None else create_temporary_file()
        self.file = out if out is not None else open(self.path, "wb")  # noqa: SIM115
        super().__init__(ws, out=self.file)
        if self.path is not None:
            self.out = self.path

    def close(self):
        super().close()
        if self.path is not None:
            self.file.close()


class _StreamedSheet(WriteOnlyWorksheet):
    """openpyxl's write-only sheet with a leaner row writer: Sheet appends rows of
    (value, style id) pairs, or None for a cell left empty, and each row is written as the
    XML text lxml would write for it (_row_xml).

    openpyxl's own path builds a Cell per value, tries it as a value, fails, formats an
    error message, then writes it through a context manager per cell: at 100× the plan
    workbook's 200,000 cells spent most of its time there. Building each row as lxml
    elements instead still took a third of the plan workbook's writing, five lxml calls a
    cell; the text costs half of that. Everything else (the sheet's size, views, columns,
    filters, validations, protection, print setup, styles, the zip) is openpyxl's.

    In a workbook being sent as it is written (sent()), the one sheet made with
    `streamed=True` writes its XML straight into the zip going out instead of to a temporary
    file: see _get_writer."""

    _archive = None  # the zip being sent, for the streamed sheet
    _entry = None  # its open member in that zip
    _sent = False  # copied from its temporary file into the zip being sent

    def _get_writer(self):
        if self._writer is None:
            if self._archive is not None:
                # The sheet's number in the workbook (what ExcelWriter gives it at save)
                # names its part; sheets are only ever appended, so it stays the same.
                self._id = self.parent.index(self) + 1
                self._entry = self._archive.open(self.path[1:], "w")
            self._writer = _Writer(self, out=self._entry)
            self._writer.write_top()

    def _write_rows(self):
        try:
            xf = self._writer.xf.send(True)
        except StopIteration:
            self._already_saved()
        epoch, out = self.parent.epoch, self._writer.file
        with xf.element("sheetData"):
            xf.flush()  # lxml's part so far, then the rows' text after it in the same file
            waiting, size, number = [], 0, 1
            try:
                while True:
                    cells = yield
                    row = _row_xml(number, cells, epoch)
                    waiting.append(row)
                    size += len(row)
                    number += 1
                    if size >= ROW_BYTES:
                        out.write("".join(waiting).encode())
                        waiting, size = [], 0
            except GeneratorExit:
                pass
            out.write("".join(waiting).encode())
        self._writer.xf.send(None)


# Rows wait until they make this much text, then go to the file together: a write to the
# zip being sent is compressed at once, and a write per row would cost more than the row.
ROW_BYTES = 32 * 1024

_LETTERS = [get_column_letter(i) for i in range(1, 703)]  # A … ZZ
# What lxml escapes in text (a carriage return too: a parser would read it as a newline).
_ESCAPE = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;"))


def _escaped(value):
    for character, entity in _ESCAPE:
        if character in value:
            value = value.replace(character, entity)
    return value


def _row_xml(number, cells, epoch):
    """One <row> of `cells` as lxml writes it (tests/test_sent_workbook.py compares)."""
    parts = [f'<row r="{number}">']
    for letter, item in zip(_LETTERS, cells, strict=False):
        if item is None:
            continue
        value, style = item
        start = f'<c r="{letter}{number}" s="{style}"' if style else f'<c r="{letter}{number}"'
        if value is None or value == "":
            parts.append(f"{start}/>")  # a styled empty cell
        elif isinstance(value, str):
            if XML_ILLEGAL.search(value):  # Sheet.cell() has removed them: a bug elsewhere
                raise ValueError("All strings must be XML compatible")
            space = ' xml:space="preserve"' if value != value.strip() else ""
            parts.append(f'{start} t="inlineStr"><is><t{space}>{_escaped(value)}</t></is></c>')
        elif isinstance(value, bool):
            parts.append(f'{start} t="b"><v>{"1" if value else "0"}</v></c>')
        elif isinstance(value, datetime.date | datetime.datetime | datetime.time):
            parts.append(f'{start} t="n"><v>{to_excel(value, epoch)!r}</v></c>')
        else:
            parts.append(f'{start} t="n"><v>{value}</v></c>')
    parts.append("</row>")
    return "".join(parts)


def new_workbook():
    """A write-only (streaming) workbook: rows go to disk as they are appended, so memory
    stays flat however many rows; build sheets with Sheet."""
    return Workbook(write_only=True)


class Sheet:
    """A write-only sheet written top to bottom: row by row with `append`, a table with
    `table`, label/value rows with `pairs`. Column widths, hidden columns and frozen panes
    are written before the first row, so they are given here, and so is the number of rows
    when it is known (`rows`): a reader of a sheet that does not declare its size (its
    <dimension>) has to parse the whole sheet once to find it before reading it, and the
    app's own reader reads the report template and the plan workbook back."""

    def __init__(
        self,
        wb,
        title,
        columns=(),
        *,
        header_row=1,
        freeze_column=1,
        freeze=True,
        rows=None,
        streamed=False,
    ):
        """`streamed`: in a workbook being sent as it is written (sent()), this sheet's rows
        go out as they are appended; one sheet per workbook, the one the reader waits for
        (the others wait in temporary files until the end)."""
        self.ws = _StreamedSheet(parent=wb, title=title)
        wb._add_sheet(self.ws)  # what Workbook.create_sheet does with its own sheet class
        if streamed and getattr(wb, "_sending", None) is not None:
            assert not any(ws._archive for ws in wb.worksheets), "one streamed sheet"
            self.ws._archive = wb._sending
        self.row = 0  # the last row appended
        self._styles = {}
        if rows:
            size = f"A1:{get_column_letter(max(len(columns), 2))}{rows}"
            self.ws.calculate_dimension = lambda: size
        for index, column in enumerate(columns, start=1):
            self.ws.column_dimensions[get_column_letter(index)].width = column.width
        if freeze and columns:
            self.ws.freeze_panes = f"{get_column_letter(freeze_column + 1)}{header_row + 1}"

    def style(self, key, **attributes):
        """The style with these `attributes` (font, fill, alignment, number_format, …),
        registered with the workbook once per sheet and `key`: its id, for `cell`."""
        if key not in self._styles:
            cell = WriteOnlyCell(self.ws)
            for name, value in attributes.items():
                setattr(cell, name, value)
            self._styles[key] = self.style_id(cell)
        return self._styles[key]

    def style_id(self, cell):
        """The id of a cell's style in the workbook's style list (added if new)."""
        return str(self.ws.parent._cell_styles.add(cell._style))

    def cell(self, value, style=None):
        """A cell of `value` in `style` (an id from `style` or Table): text is always text,
        never a formula; text Excel would read as one gets the quote prefix."""
        if type(value) is not str:  # most cells are text: plain() has nothing to do there
            value = plain(value)
            if not isinstance(value, str):
                return (value, style)
        value = text(value)
        if value.startswith(FORMULA_PREFIXES):
            style = self._quoted(style)
        return (value, style)

    def _quoted(self, style):
        key = ("quoted", style)
        if key not in self._styles:
            cell = WriteOnlyCell(self.ws)
            if style:
                cell._style = copy(self.ws.parent._cell_styles[int(style)])
            cell.quotePrefix = True
            self._styles[key] = self.style_id(cell)
        return self._styles[key]

    def append(self, cells):
        self.ws.append(cells)
        self.row += 1
        return self.row

    def skip(self, rows=1):
        for _row in range(rows):
            self.append([])

    def header(self, columns):
        style = self.style(
            "header", font=HEADER_FONT, fill=HEADER_FILL, border=HEADER_BORDER, alignment=WRAP
        )
        return self.append([self.cell(column.header, style) for column in columns])

    def table(self, columns, rows, *, shade=False, footer=None):
        """The header and one row per object in `rows` (each cell from `Column.write`), with
        an autofilter; `shade` greys the locked columns and tints the input ones (the report
        template); `footer`, a list of values, closes the table in bold (totals). Returns the
        number of the last row."""
        return run(self.write_table(columns, rows, shade=shade, footer=footer))

    def write_table(self, columns, rows, *, shade=False, footer=None):
        """table() as steps: a generator that yields after each row (for sent(), which sends
        what has been written meanwhile) and returns the number of the last row."""
        table = self.start_table(columns, shade=shade)
        for row in rows:
            table.add(row)
            yield
        return table.finish(footer)

    def start_table(self, columns, *, shade=False):
        """The header, and a Table to `add` rows to one at a time and `finish`."""
        return Table(self, columns, shade)

    def pairs(self, pairs, *, value_alignment=None):
        """Label/value rows (a cover sheet's facts); returns the last row."""
        label = self.style("label", font=BOLD)
        for name, value in pairs:
            number_format = (
                DATETIME_FORMAT
                if isinstance(value, datetime.datetime)
                else DATE_FORMAT
                if isinstance(value, datetime.date)
                else "General"
            )
            style = self.style(
                ("value", number_format),
                alignment=value_alignment or LEFT,
                number_format=number_format,
            )
            self.append([self.cell(name, label), self.cell(value, style)])
        return self.row


class Table:
    """Rows of one table on a Sheet, added one object at a time (see Sheet.start_table)."""

    def __init__(self, sheet, columns, shade):
        self.sheet, self.columns, self.shade = sheet, columns, shade
        self.header_row = sheet.header(columns)
        self.styles = []
        for column in columns:
            cell = WriteOnlyCell(sheet.ws)
            column.style(cell, shade)
            self.styles.append(sheet.style_id(cell))

    def add(self, row):
        self.add_values([column.write(row) for column in self.columns])

    def add_values(self, values):
        """A row of cells from `values`, one per column, for a writer that has them already
        (the plan workbook writes an activity's on two sheets)."""
        cell = self.sheet.cell
        # An empty cell is left out, unless shaded: a template's input cell must be there,
        # unlocked and tinted, for the user to fill in.
        keep = self.shade
        self.sheet.append(
            [
                cell(value, style) if keep or (value is not None and value != "") else None
                for value, style in zip(values, self.styles, strict=True)
            ]
        )

    def finish(self, footer=None):
        sheet = self.sheet
        if footer is not None:
            bold = sheet.style("footer", font=BOLD)
            sheet.append([sheet.cell(value, bold) for value in footer])
        last_column = get_column_letter(len(self.columns))
        sheet.ws.auto_filter.ref = f"A{self.header_row}:{last_column}{sheet.row}"
        return sheet.row


def run(steps):
    """Run a generator of steps (a workbook's writer, see sent()) to its end; its result."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def built(write, *args):
    """The write-only workbook `write(wb, *args)` fills in (a generator of steps, see sent()),
    unsaved: for to_bytes() and the tests."""
    wb = new_workbook()
    run(write(wb, *args))
    return wb


# What sent() has gathered before it hands it on: deflate gives its output in blocks of a few
# kilobytes, and a response chunk per block would cost more than the block.
SEND_BYTES = 64 * 1024


class _Outbox:
    """The zip's file: what is written waits here until sent() takes it. zipfile writes to a
    file it cannot seek in with data descriptors after each member (its sizes and checksum
    are known only at its end): every reader of .xlsx files reads those."""

    def __init__(self):
        self.parts, self.size = [], 0

    def write(self, data):
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self):
        pass

    def take(self):
        data = b"".join(self.parts)
        self.parts, self.size = [], 0
        return data


class _Sender(ExcelWriter):
    """openpyxl's writer for the rest of the workbook once sent() has put the document
    properties, the theme and every sheet into the zip: the sheets' relationships and manifest
    entries, then styles, workbook and content types."""

    def write_data(self):
        # ExcelWriter.write_data without its first parts (sent() wrote them first) and
        # without what the app's workbooks never have (custom properties, VBA).
        self._write_worksheets()
        self._write_chartsheets()
        self._write_images()
        self._write_charts()
        self._write_external_links()
        self._archive.writestr(ARC_STYLE, tostring(write_stylesheet(self.workbook)))
        writer = WorkbookWriter(self.workbook)
        self._archive.writestr(ARC_ROOT_RELS, writer.write_root_rels())
        self._archive.writestr(ARC_WORKBOOK, writer.write())
        self._archive.writestr(ARC_WORKBOOK_RELS, writer.write_rels())
        self.manifest._write(self._archive, self.workbook)

    def write_worksheet(self, ws):
        ws._drawing = None  # the app's sheets have no charts or images
        ws._rels = ws._writer._rels
        self.manifest.append(ws)


def sent(write, *args):
    """The .xlsx file `write(wb, *args)` fills in, as a generator of byte strings for a
    StreamingHttpResponse, sent while it is written: `write` is a generator that yields after
    each row, and whatever the zip holds by then (SEND_BYTES at least) goes out. The sheet
    made with Sheet(…, streamed=True) is compressed straight into the zip as its rows come, so
    the first bytes leave as soon as its first rows are written; the other sheets wait in
    openpyxl's temporary files (on disk: memory stays flat) and follow at the end, then
    openpyxl writes the styles, the workbook and the content types as it always does.

    Python's cycle collector is paused meanwhile: a large export makes a million short-lived
    objects, and the collector kept walking the ones still alive (a fifth of the time at
    100×). What the build lets go is freed as it goes (plan_workbook.streamed)."""
    collecting = gc.isenabled()
    gc.disable()
    outbox = _Outbox()
    archive = zipfile.ZipFile(outbox, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    wb = new_workbook()
    wb._sending = archive
    try:
        # The parts that do not depend on the data go first, so the download starts at once
        # however long the first rows take to read (a report template of every organisation
        # counts its rows first).
        wb.properties.modified = datetime.datetime.now(tz=datetime.UTC).replace(tzinfo=None)
        archive.writestr(ARC_APP, tostring(ExtendedProperties().to_tree()))
        archive.writestr(ARC_CORE, tostring(wb.properties.to_tree()))
        archive.writestr(ARC_THEME, theme_xml)
        yield outbox.take()
        for _step in write(wb, *args):
            if outbox.size >= SEND_BYTES:
                yield outbox.take()
        for ws in wb.worksheets:  # the streamed sheet first: its member is still open
            if ws._entry is not None:
                ws.close()
                ws._entry.close()
        for number, ws in enumerate(wb.worksheets, start=1):
            if ws._entry is None:
                ws._id = number
                ws.close()
                archive.write(ws._writer.out, ws.path[1:])
                ws._writer.cleanup()
                ws._sent = True
                if outbox.size:
                    yield outbox.take()
        _Sender(wb, archive).save()
        yield outbox.take()
    finally:
        if collecting:
            gc.enable()
        _forget(wb, archive)


def _forget(wb, archive):
    """Close what a workbook given up mid-way (the client went away, the build failed) left
    open, and remove its sheets' temporary files: openpyxl would remove them only when the
    worker exits. Innermost first: a sheet's rows are written by a generator that holds its
    <sheetData> element open inside the writer's <worksheet>, and closing the writer before
    it made lxml refuse ("inconsistent exit action in context manager"); the zip refuses to
    close while the streamed sheet's member is open. What this writes goes nowhere: the
    outbox is not read again."""
    for ws in wb.worksheets:
        if ws._writer is None:
            continue  # no row yet: nothing opened
        try:
            if not ws.closed:
                if ws._rows is not None:
                    ws._rows.close()
                ws._writer.close()
            if ws._entry is not None:
                ws._entry.close()
        finally:
            if ws._entry is None and not ws._sent:
                ws._sent = True
                ws._writer.cleanup()
    archive.close()


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


def read_number(raw):
    """(Decimal, None) or (None, Swedish error) for what is not a number. Accepts 12, 12.5,
    "12,5" and "1 400"; a number within the range a value may have is rounded to cents, one
    outside it is returned as it is, for the range rule to refuse (value_range_problem)."""
    if isinstance(raw, bool):
        raw = str(raw)
    if isinstance(raw, int | float):
        text = repr(raw)
    else:
        text = re.sub(r"[\s\u00a0\u202f]", "", str(raw)).replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None, _("”%(value)s” är inte ett tal.") % {"value": shorten(str(raw))}
    if not number.is_finite():
        return None, _("”%(value)s” är inte ett tal.") % {"value": shorten(str(raw))}
    return in_cents(number), None


def parse_number(raw):
    """read_number() with the range rule: (None, Swedish error) for a number out of range."""
    number, problem = read_number(raw)
    out_of_range = number is not None and value_range_problem(number)
    return (None, str(out_of_range)) if out_of_range else (number, problem)
