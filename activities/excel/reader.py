"""Reading uploaded workbooks without trusting them.

A workbook says how large its sheets are and holds rows at whatever row numbers it likes;
openpyxl's own reader believes both (a 7 KB file that declares A1:XFD1048576 makes it build a
million rows of 16,384 cells). Here the work is bounded by what the file really holds: rows are
numbered by the file but gaps are counted, not filled; cells past the columns we read are
skipped; rows (blank ones too), cells and wall-clock time have caps; and a cell that cannot be
read becomes a Swedish message naming its row and column.
"""

import itertools
import math
import time
from dataclasses import dataclass
from xml.etree.ElementTree import iterparse

from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.worksheet._reader import (
    DATA_TAG,
    FORMULA_TAG,
    INLINE_STRING,
    ROW_TAG,
    VALUE_TAG,
    WorkSheetParser,
)
from openpyxl.xml.constants import SHEET_MAIN_NS

from .cells import ImportRejected, cell_text
from .number_formats import PercentStyles, as_shown
from .uploaded import UploadedWorkbook

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# A 5 MB zip can inflate to gigabytes (a "zip bomb"); a report template of 10,000 rows inflates
# to about 12 MB.
MAX_UNCOMPRESSED_BYTES = 40 * 1024 * 1024
# Rows read from one sheet, blank ones included, and cells read in all.
MAX_SHEET_ROWS = 12_000
MAX_CELLS = 600_000
# Columns read: the report template has fewer than 40; anything further right is ignored.
MAX_COLUMNS = 200
EXCEL_MAX_ROW = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
# XML elements in one row (its cells and what they hold): a cell is 1–4 elements, so a row of
# every Excel column fits; a row of rich-text runs by the hundred thousand does not.
MAX_ROW_ELEMENTS = 4 * EXCEL_MAX_COLUMNS
TEXT_TAG, RUN_TAG = f"{{{SHEET_MAIN_NS}}}t", f"{{{SHEET_MAIN_NS}}}r"
# Budget for reading one upload, from opening it to its last row: CPU time of the thread
# (what the request costs the server, however loaded the machine is; a filled template of
# 10,000 rows takes 0.9–1.2 s here), and wall-clock time as a backstop.
READ_CPU_SECONDS = 1.8
READ_SECONDS = 8.0
# Characters of text read from one upload, cell by cell. A shared string is stored once but
# read in every cell that names it: 10,000 cells naming one string of a megabyte would be 10 GB
# of text to check and store. A filled template of 10,000 rows holds about 1.3 million (measured,
# short comments); an import waiting for confirmation holds at most 5 million (views/excel.py).
MAX_TEXT_CHARACTERS = 20_000_000


class _Unreadable(Exception):
    def __init__(self, row, column):
        super().__init__(row, column)
        self.row, self.column = row, column


class _FormulaWithoutValue(_Unreadable):
    """A formula cell with no stored result: a workbook written by a program (openpyxl and
    other generators) rather than saved by Excel, which stores each formula's result."""


class _ErrorValue(_Unreadable):
    """A cell holding a formula's error (#N/A, #DIV/0!…): read as text it would become a
    target's wording or a motivation."""

    def __init__(self, row, column, text):
        super().__init__(row, column)
        self.text = text


class _GuardedParser(WorkSheetParser):
    """openpyxl's sheet parser, reading rows only: a cell it cannot read says where it is, a
    number in a percent-formatted cell is the number Excel shows (0.8 in "0%" is 80), a
    row is refused as soon as it holds too many elements (before it is parsed), nothing but
    the row being read is kept, and parsing stops at the end of the sheet's data, before
    the validations, conditional formats and hyperlinks openpyxl would otherwise build.

    It parses with the standard library's C parser, not defusedxml's pure-Python one (three
    times slower): package.py has refused any part holding a DOCTYPE, the only way to entity
    expansion or external entities, before the part gets here."""

    percent_styles = {}  # style id → percent number format: a PercentStyles, set by sheet_rows
    max_columns = MAX_COLUMNS  # columns read (set by sheet_rows); formulas further right are not

    def parse(self):
        too_many = ImportRejected(_("Filen har för många celler. Dela upp den i flera."))
        stack, in_row = [], 0
        for event, element in iterparse(self.source, events=("start", "end")):
            if event == "start":
                stack.append(element)
                if in_row:
                    in_row += 1
                    if in_row > MAX_ROW_ELEMENTS:
                        raise too_many
                elif len(stack) == 3 and element.tag == ROW_TAG and stack[1].tag == DATA_TAG:
                    in_row = 1
                continue
            stack.pop()
            if in_row and len(stack) > 2:
                continue  # inside a row: kept until the row ends
            if element.tag == DATA_TAG and len(stack) == 1:
                return  # nothing after the rows is read
            if in_row:
                in_row = 0
                row = self.parse_row(element)
                stack[-1].clear()
                yield row
            elif stack:
                stack[-1].clear()  # anything else is dropped as soon as it ends

    def parse_cell(self, element):
        try:
            if element.get("t") == "inlineStr":
                return self._inline_string(element)
            cell = super().parse_cell(element)
        except Exception:
            reference = element.get("r") or ""
            try:
                column = get_column_letter(coordinate_to_tuple(reference)[1])
            except Exception:
                column = reference[:12] or get_column_letter(min(self.col_counter + 1, 16384))
            raise _Unreadable(self.row_counter, column) from None
        if cell["value"] is None and cell["column"] <= self.max_columns:
            _check_formula(element, self.row_counter, cell["column"])
        if cell["data_type"] == "e" and cell["column"] <= self.max_columns:
            column = get_column_letter(cell["column"])
            raise _ErrorValue(self.row_counter, column, str(cell["value"])[:20])
        if cell["data_type"] == "n" and cell["value"] is not None:
            if isinstance(cell["value"], float) and not math.isfinite(cell["value"]):
                # "1e999" is read as infinity, which no database column or JSON holds.
                raise _Unreadable(self.row_counter, get_column_letter(cell["column"]))
            code = self.percent_styles.get(cell["style_id"])
            if code:
                cell["value"] = as_shown(cell["value"], code)
        return cell

    def _inline_string(self, element):
        """What openpyxl makes of an inline-string cell (Text.content: the plain text, then
        each rich-text run's), without building its Text objects: most cells of the app's own
        template are inline strings, and this halves the time to read them."""
        child = element.find(INLINE_STRING)
        if child is None:
            return super().parse_cell(element)
        # The children walked directly: iterfind and findtext go through ElementPath's
        # path parser for each call, the better part of reading a cell.
        plain, runs = None, []
        for node in child:
            if node.tag == TEXT_TAG:
                plain = node.text
            elif node.tag == RUN_TAG:
                runs.append(node)
        parts = [plain] if plain is not None else []
        for run in runs:
            text = next((node.text or "" for node in run if node.tag == TEXT_TAG), None)
            if text is not None:
                parts.append(text)
        style_id = element.get("s", 0)
        coordinate = element.get("r")
        if coordinate:
            row, column = coordinate_to_tuple(coordinate)
            self.col_counter = column
        else:
            self.col_counter += 1
            row, column = self.row_counter, self.col_counter
        return {
            "row": row,
            "column": column,
            "value": "".join(parts),
            "data_type": "s",
            "style_id": int(style_id) if style_id else 0,
        }

    def parse_row(self, row):
        # A row cannot hold more cells than Excel has columns; a crafted one with millions
        # would otherwise be parsed cell by cell (seconds) before any cap is checked.
        if len(row) > EXCEL_MAX_COLUMNS:
            raise ImportRejected(_("Filen har för många celler. Dela upp den i flera."))
        try:
            return super().parse_row(row)
        except _Unreadable:
            raise
        except Exception:
            raise _Unreadable(str(row.get("r"))[:12], "") from None


def _check_formula(element, row, column):
    """Refuse an empty cell that holds a formula with no stored result: read as empty it
    would drop what the formula says (a target value, a predecessor). Excel stores an empty
    text result as t="str" with an empty <v>; openpyxl writes a formula with an empty <v> and
    no type, which is no result at all."""
    if element.find(FORMULA_TAG) is None:
        return
    stored = element.find(VALUE_TAG)
    if stored is None or (not stored.text and element.get("t") != "str"):
        raise _FormulaWithoutValue(row, get_column_letter(column))


@dataclass
class Budget:
    """Caps shared by every sheet read from one upload."""

    deadline: float
    cpu_deadline: float = float("inf")
    cells: int = 0
    characters: int = 0

    @classmethod
    def start(cls, seconds=READ_SECONDS, cpu_seconds=READ_CPU_SECONDS):
        return cls(
            deadline=time.monotonic() + seconds, cpu_deadline=time.thread_time() + cpu_seconds
        )

    def check(self):
        if time.monotonic() > self.deadline or time.thread_time() > self.cpu_deadline:
            raise ImportRejected(
                _("Filen tog för lång tid att läsa. Kontrollera att den är en ifylld rapportmall.")
            )


def _too_many_rows(limit):
    return ImportRejected(
        _(
            "Bladet har fler än %(max)s rader (tomma rader räknas också). Ta bort tomma rader "
            "i slutet eller dela upp filen."
        )
        % {"max": f"{limit:,}".replace(",", " ")}
    )


def sheet_rows(sheet, budget, *, max_rows=MAX_SHEET_ROWS, max_columns=MAX_COLUMNS):
    """Yield (row number, tuple of cell values) for every row of a read-only sheet, in order,
    blank rows between filled ones included, each as long as its last value (at most
    `max_columns`). Raises ImportRejected when the sheet breaks a cap or cannot be read."""
    expected = 1
    try:
        with sheet._get_source() as source:
            for number, cells in _parser(sheet, source, max_columns).parse():
                _check_row(sheet, number, expected, max_rows)
                _count_cells(budget, cells)
                while expected < number:  # rows the file leaves out are blank
                    yield expected, ()
                    expected += 1
                yield number, _row_values(cells, max_columns, budget)
                expected = number + 1
    except _ErrorValue as bad:
        raise ImportRejected(
            _(
                "Bladet ”%(sheet)s”, rad %(row)s, kolumn %(column)s: Cellen innehåller ett "
                "formelfel (%(error)s). Skriv in värdet."
            )
            % {"sheet": sheet.title, "row": bad.row, "column": bad.column, "error": bad.text}
        ) from None
    except _FormulaWithoutValue as bad:
        raise ImportRejected(
            _(
                "Bladet ”%(sheet)s”, rad %(row)s, kolumn %(column)s: Cellen innehåller en formel "
                "utan sparat värde. Skriv in värdet."
            )
            % {"sheet": sheet.title, "row": bad.row, "column": bad.column}
        ) from None
    except _Unreadable as bad:
        raise ImportRejected(
            _(
                "Bladet ”%(sheet)s”, rad %(row)s, kolumn %(column)s: cellen går inte att läsa. "
                "Skriv in värdet på nytt eller använd en ny mall."
            )
            % {"sheet": sheet.title, "row": bad.row, "column": bad.column or "?"}
        ) from None
    except ImportRejected:
        raise
    except Exception:  # truncated or malformed XML: the parser raises many kinds
        raise ImportRejected(
            _("Bladet ”%(sheet)s” är skadat efter rad %(row)s och går inte att läsa.")
            % {"sheet": sheet.title, "row": expected - 1}
        ) from None


def _parser(sheet, source, max_columns):
    workbook = sheet.parent
    parser = _GuardedParser(
        source,
        sheet._shared_strings,
        data_only=True,
        epoch=workbook.epoch,
        date_formats=workbook._date_formats,
        timedelta_formats=workbook._timedelta_formats,
    )
    parser.percent_styles = PercentStyles(workbook)
    parser.max_columns = max_columns
    return parser


def _check_row(sheet, number, expected, max_rows):
    """Rows come in order, within Excel's rows and the cap."""
    if not expected <= number <= EXCEL_MAX_ROW:
        raise ImportRejected(
            _("Bladet ”%(sheet)s” har ett ogiltigt radnummer (%(row)s).")
            % {"sheet": sheet.title, "row": str(number)[:12]}
        )
    if number > max_rows:
        raise _too_many_rows(max_rows)


def _count_cells(budget, cells):
    budget.cells += len(cells)
    if budget.cells > MAX_CELLS:
        raise ImportRejected(_("Filen har för många celler. Dela upp den i flera."))
    budget.check()


def _row_values(cells, max_columns, budget):
    """The row's values up to its last one (at most `max_columns`), its text counted."""
    values = {
        cell["column"]: cell["value"]
        for cell in cells
        if 1 <= cell["column"] <= max_columns and cell["value"] is not None
    }
    budget.characters += sum(len(v) for v in values.values() if isinstance(v, str))
    if budget.characters > MAX_TEXT_CHARACTERS:
        raise ImportRejected(
            _("Filen innehåller för mycket text. Dela upp den i flera filer eller korta texterna.")
        )
    width = max(values, default=0)
    return tuple(values.get(c) for c in range(1, width + 1))


def open_workbook(upload, too_large=None):
    """Open an uploaded file for reading its sheets (values, not formulas), or raise
    ImportRejected. A renamed .xls, .docx, .csv, a damaged zip, a workbook with macros or a
    password, and any part too large or too intricate to read (package.py) are refused before
    anything is parsed, with a message a user can act on (`too_large` for a file too large
    once unpacked, when the reader's advice to split it does not fit)."""
    budget = Budget.start()
    workbook = UploadedWorkbook(upload, max_inflated=MAX_UNCOMPRESSED_BYTES, too_large=too_large)
    workbook.budget = budget  # the sheets' rows are read within what is left of it
    return workbook


def header_index(row_values):
    """{header casefolded: 0-based column} for a header row."""
    return {
        cell_text(value).casefold(): index
        for index, value in enumerate(row_values)
        if cell_text(value)
    }


@dataclass
class Table:
    """A sheet's rows as {column key: raw cell value}, found by the declared headers."""

    name: str
    headers: dict  # key → header, for messages
    indexes: dict  # key → 0-based column
    rows: list  # (row number, {key: value}) for every row with something in it
    header_row: int
    missing: list  # required headers not found

    def letter(self, key):
        return get_column_letter(self.indexes[key] + 1) if key in self.indexes else "?"


def _blank(values):
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def read_table(sheet, name, columns, *, budget=None, search_rows=1, extra=None, max_rows=None):
    """Read `sheet` by the `imported` columns' headers.

    The header row is the one of the first `search_rows` rows that holds the most of the
    imported columns' headers. `extra(header)` may name further columns by their header (a key,
    or None to skip it). Blank rows are skipped; more than `max_rows` filled rows raise
    ImportRejected, as do the caps of sheet_rows().
    """
    budget = budget or getattr(sheet.parent, "budget", None) or Budget.start()
    wanted = [c for c in columns if c.imported]
    rows = sheet_rows(sheet, budget)
    head = _first_rows(rows, search_rows)
    index, header_row = _header_row(head, wanted)
    headers, indexes, missing = _wanted_columns(wanted, index)
    if extra:
        _add_extra_columns(index, extra, headers, indexes)
    table = Table(name, headers, indexes, [], header_row, missing)
    if missing or not header_row:
        return table
    after_header = enumerate(head[header_row:], start=header_row + 1)
    table.rows = _filled_rows(itertools.chain(after_header, rows), indexes, max_rows)
    return table


def _first_rows(rows, count):
    """The values of the first `count` rows of `rows` (fewer if the sheet is shorter), read
    from the iterator so that the rest of it continues after them."""
    head = []
    for number, values in rows:
        head.append(values)
        if number >= count:
            break
    return head


def _header_row(head, wanted):
    """({header casefolded: column}, row number) of the row of `head` with the most of the
    wanted headers; ({}, 0) when none has any."""
    index, header_row, best = {}, 0, 0
    for number, values in enumerate(head, start=1):
        found = header_index(values)
        hits = sum(c.header.casefold() in found for c in wanted)
        if hits > best:
            index, header_row, best = found, number, hits
    return index, header_row


def _wanted_columns(wanted, index):
    """({key: header}, {key: 0-based column}) of the wanted columns the header row `index`
    has, and the headers of the required ones it lacks."""
    headers = {c.key: c.header for c in wanted if c.header.casefold() in index}
    missing = [c.header for c in wanted if c.required and c.key not in headers]
    indexes = {key: index[header.casefold()] for key, header in headers.items()}
    return headers, indexes, missing


def _add_extra_columns(index, extra, headers, indexes):
    """Add the columns of the header row that `extra` names to `headers` and `indexes`."""
    for header, i in index.items():
        key = extra(header)
        if key:
            headers[key], indexes[key] = header, i


def _filled_rows(rows, indexes, max_rows):
    """(row number, {key: value}) of every row with something in it."""
    filled = []
    for number, values in rows:
        if _blank(values):
            continue
        if max_rows is not None and len(filled) >= max_rows:
            raise ImportRejected(
                _("Filen har fler än %(max)s rader. Dela upp den i flera filer.")
                % {"max": f"{max_rows:,}".replace(",", " ")}
            )
        cells = {k: values[i] if i < len(values) else None for k, i in indexes.items()}
        filled.append((number, cells))
    return filled
