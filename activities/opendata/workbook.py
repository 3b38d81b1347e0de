"""Each open data file as an Excel workbook (/oppna-data/<plan>/<dataset>.xlsx), for the people
who double-click: a Swedish Excel opens a comma-separated file in one column. The same rows and
columns as the CSV (columns.py), a header row of the column names, text always a text cell
(never a formula: excel/cells.Sheet gives text Excel would run the quote prefix instead of the
CSV's apostrophe), numbers as numbers, times as Excel times in Swedish local time. Written with
openpyxl's write-only workbook row by row, so memory stays flat however large the plan; a second
sheet says where the data comes from and under which licence."""

import datetime
import hashlib

from django.conf import settings
from django.core.cache import caches
from django.urls import reverse
from django.utils import translation

from ..excel.cells import DATETIME_FORMAT, FORMULA_PREFIXES, Column, Sheet, built, sent, text
from ..versions import data_version
from .datasets import everything
from .http import ETAG_SETTINGS
from .uris import absolute

WIDTHS = {"string": 24, "datetime": 18}
# How long an unused whole file keeps its room (its key names the data version: never stale).
FILE_CACHE_SECONDS = 60 * 60
LONG_TEXT = {"description", "expected_outcome", "comment", "motivation", "phrase", "uri"}


def _reader(column):
    name = column.name
    if column.type == "datetime":
        # The row's text is already Swedish local time: read as such, Excel has no time zone.
        def local_time(row):
            text = row[name]
            return datetime.datetime.fromisoformat(text).replace(tzinfo=None) if text else None

        return local_time
    return lambda row: row[name]


def excel_column(column):
    return Column(
        column.name,
        width=40 if column.name in LONG_TEXT else WIDTHS.get(column.type, 12),
        write=_reader(column),
        number_format=DATETIME_FORMAT if column.type == "datetime" else None,
    )


def chunks(dataset, plan, where=everything, selection=""):
    """The workbook's bytes, sent as they are written (excel/cells.sent()). A whole file (no
    selection) is kept once written, per data version, in the `files` cache (a large plan's
    report history takes seconds to write, and anyone may ask for it again and again) and
    sent from there; a filtered one is written each time. The bytes depend on neither the
    language nor the host: the sheets are Swedish and the addresses in them come from
    SITE_URL (in the key with the other settings the file names)."""
    if selection:
        yield from sent(write, dataset, plan, where, selection)
        return
    names = [str(getattr(settings, name)) for name in ETAG_SETTINGS]
    key = (
        "xlsx:"
        + hashlib.sha256(
            "\n".join([data_version(plan), plan.slug, dataset.name, *names]).encode()
        ).hexdigest()
    )
    content = caches["files"].get(key)
    if content is not None:
        yield content
        return
    parts = []
    for part in sent(write, dataset, plan, where):
        parts.append(part)
        yield part
    # Only a file sent whole gets here (a client that went away closes the generator).
    caches["files"].set(key, b"".join(parts), FILE_CACHE_SECONDS)


def build(dataset, plan, where=everything, selection=""):
    """The workbook (write-only, unsaved), for the tests."""
    return built(write, dataset, plan, where, selection)


def write(wb, dataset, plan, where=everything, selection=""):
    """The dataset's sheet (sent as it is written) and the sheet about it, as a generator of
    steps (excel/cells.sent()); `selection` is the query string that filtered the rows
    (empty: the whole file)."""
    columns = [excel_column(column) for column in dataset.columns]
    data = Sheet(wb, dataset.name, columns, streamed=True)
    yield from _write_table(data, columns, dataset.rows(plan, where))
    with translation.override("sv"):
        title, description = str(dataset.title), str(dataset.description)
    # Like every sheet the app writes, its names are plain Swedish (excel/cells.py).
    about = Sheet(wb, "Om filen", [Column("", 24), Column("", 80)], freeze=False)
    about.pairs(
        [
            ("Fil", f"{dataset.name}: {title}"),
            ("Plan", plan.title),
            ("Beskrivning", description),
            ("Urval", selection or "hela filen"),
            ("Källa", absolute(reverse("open_data:plan", args=[plan.slug]))),
            ("Kolumner", absolute(reverse("open_data:columns", args=[plan.slug]))),
            ("Licens", f"{settings.OPEN_DATA_LICENCE_NAME}, {settings.OPEN_DATA_LICENCE_URL}"),
            ("Utgivare", settings.PUBLISHER_NAME),
        ]
    )


# The values of an open data row that a cell holds as they are (after text() for text).
_AS_THEY_ARE = (int, float, datetime.datetime)


def _write_table(data, columns, rows):
    """Sheet.write_table() with the same cells, for rows of open data's plain values: text,
    integers, floats, local times, None. Sheet.cell() first makes any value one a cell can
    hold (lazy text, an aware time), which these already are: profiled at 100× the plan, that
    was about a quarter of rapporter.xlsx's time (400,000 cells). Anything else goes through
    it."""
    table = data.start_table(columns)
    readers = [column.write for column in columns]
    for row in rows:
        data.append(
            [
                _cell(data, read(row), style)
                for read, style in zip(readers, table.styles, strict=True)
            ]
        )
        yield
    return table.finish()


def _cell(data, value, style):
    if value is None or value == "":
        return None  # an empty cell is left out, as Table.add does
    kind = type(value)
    if kind is str:
        value = text(value)
        # Text Excel would take for a formula gets the quote prefix (Sheet.cell).
        return (value, data._quoted(style) if value.startswith(FORMULA_PREFIXES) else style)
    if kind in _AS_THEY_ARE and (kind is not datetime.datetime or value.tzinfo is None):
        return (value, style)
    return data.cell(value, style)
