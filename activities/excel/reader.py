"""Reading uploaded workbooks without trusting them.

A workbook says how large its sheets are and holds rows at whatever row numbers it likes;
openpyxl's own reader believes both (a 7 KB file that declares A1:XFD1048576 makes it build a
million rows of 16,384 cells). Here the work is bounded by what the file really holds: rows are
numbered by the file but gaps are counted, not filled; cells past the columns we read are
skipped; rows (blank ones too), cells and wall-clock time have caps; and a cell that cannot be
read becomes a Swedish message naming its row and column.
"""

import itertools
import time
import zipfile
from dataclasses import dataclass

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.worksheet._reader import WorkSheetParser

from .cells import ImportRejected, cell_text
from .number_formats import PercentStyles, as_shown

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
# Wall-clock budget for reading one upload; a real file of 10,000 rows takes a few seconds.
READ_SECONDS = 8.0


class _Unreadable(Exception):
    def __init__(self, row, column):
        super().__init__(row, column)
        self.row, self.column = row, column


class _GuardedParser(WorkSheetParser):
    """openpyxl's sheet parser, but a cell it cannot read says where it is, and a number in a
    percent-formatted cell is the number Excel shows (0.8 in "0%" is 80)."""

    percent_styles = {}  # style id → percent number format: a PercentStyles, set by sheet_rows

    def parse_cell(self, element):
        try:
            cell = super().parse_cell(element)
        except Exception:
            reference = element.get("r") or ""
            try:
                column = get_column_letter(coordinate_to_tuple(reference)[1])
            except Exception:
                column = reference[:12] or get_column_letter(min(self.col_counter + 1, 16384))
            raise _Unreadable(self.row_counter, column) from None
        if cell["data_type"] == "n" and cell["value"] is not None:
            code = self.percent_styles.get(cell["style_id"])
            if code:
                cell["value"] = as_shown(cell["value"], code)
        return cell

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


@dataclass
class Budget:
    """Caps shared by every sheet read from one upload."""

    deadline: float
    cells: int = 0

    @classmethod
    def start(cls, seconds=READ_SECONDS):
        return cls(deadline=time.monotonic() + seconds)

    def check(self):
        if time.monotonic() > self.deadline:
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
    workbook = sheet.parent
    expected = 1
    try:
        with sheet._get_source() as source:
            parser = _GuardedParser(
                source,
                sheet._shared_strings,
                data_only=True,
                epoch=workbook.epoch,
                date_formats=workbook._date_formats,
                timedelta_formats=workbook._timedelta_formats,
            )
            parser.percent_styles = PercentStyles(workbook)
            for number, cells in parser.parse():
                if not expected <= number <= EXCEL_MAX_ROW:
                    raise ImportRejected(
                        _("Bladet ”%(sheet)s” har ett ogiltigt radnummer (%(row)s).")
                        % {"sheet": sheet.title, "row": str(number)[:12]}
                    )
                if number > max_rows:
                    raise _too_many_rows(max_rows)
                budget.cells += len(cells)
                if budget.cells > MAX_CELLS:
                    raise ImportRejected(_("Filen har för många celler. Dela upp den i flera."))
                budget.check()
                while expected < number:  # rows the file leaves out are blank
                    yield expected, ()
                    expected += 1
                values = {
                    cell["column"]: cell["value"]
                    for cell in cells
                    if 1 <= cell["column"] <= max_columns and cell["value"] is not None
                }
                width = max(values, default=0)
                yield number, tuple(values.get(c) for c in range(1, width + 1))
                expected = number + 1
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


def open_workbook(upload):
    """Open an uploaded file as a read-only workbook (values, not formulas) or raise
    ImportRejected. A renamed .xls, .docx, .csv or a damaged zip is refused before openpyxl
    sees it, with a message a user can act on."""
    not_xlsx = _(
        "Filen är inte en Excel-arbetsbok (.xlsx). Spara den i Excel som ”Excel-arbetsbok "
        "(*.xlsx)” och försök igen."
    )
    upload.seek(0)
    if not zipfile.is_zipfile(upload):
        raise ImportRejected(not_xlsx)
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            inflated = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise ImportRejected(not_xlsx) from None
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise ImportRejected(not_xlsx)
    if "xl/vbaProject.bin" in names:
        raise ImportRejected(
            _("Filen innehåller makron. Spara den som en vanlig Excel-arbetsbok (.xlsx).")
        )
    if inflated > MAX_UNCOMPRESSED_BYTES:
        raise ImportRejected(_("Filen är för stor när den packas upp. Dela upp den i flera."))
    upload.seek(0)
    try:
        return load_workbook(upload, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a damaged file; all mean the same here
        raise ImportRejected(not_xlsx) from None


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
    budget = budget or Budget.start()
    wanted = [c for c in columns if c.imported]
    rows = sheet_rows(sheet, budget)
    head = []
    for number, values in rows:
        head.append(values)
        if number >= search_rows:
            break
    index, header_row, best = {}, 0, 0
    for number, values in enumerate(head, start=1):
        found = header_index(values)
        hits = sum(c.header.casefold() in found for c in wanted)
        if hits > best:
            index, header_row, best = found, number, hits
    headers = {c.key: c.header for c in wanted if c.header.casefold() in index}
    missing = [c.header for c in wanted if c.required and c.key not in headers]
    indexes = {key: index[header.casefold()] for key, header in headers.items()}
    if extra:
        for header, i in index.items():
            key = extra(header)
            if key:
                headers[key], indexes[key] = header, i
    table = Table(name, headers, indexes, [], header_row, missing)
    if missing or not header_row:
        return table
    after_header = enumerate(head[header_row:], start=header_row + 1)
    for number, values in itertools.chain(after_header, rows):
        if _blank(values):
            continue
        if max_rows is not None and len(table.rows) >= max_rows:
            raise ImportRejected(
                _("Filen har fler än %(max)s rader. Dela upp den i flera filer.")
                % {"max": f"{max_rows:,}".replace(",", " ")}
            )
        cells = {k: values[i] if i < len(values) else None for k, i in indexes.items()}
        table.rows.append((number, cells))
    return table
