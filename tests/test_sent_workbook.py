"""A workbook sent as it is written (excel/cells.sent()) and given up before its end: the
client goes away, or the build fails. Nothing may be raised by the clean-up itself, and no
temporary file of a sheet may stay behind (a worker lives for thousands of requests)."""

import datetime
import io
import tempfile
from decimal import Decimal

import pytest
from lxml.etree import Element, SubElement, xmlfile
from openpyxl import Workbook, load_workbook
from openpyxl.utils.datetime import to_excel

from activities.excel import cells
from activities.excel.cells import Column, Sheet, sent

COLUMNS = [Column("Rad"), Column("Text"), Column("Tal")]
ROWS = 3000


class Broken(Exception):
    pass


def three_sheets(wb, fail_at=None):
    """A streamed sheet and two that wait in temporary files, written side by side as the
    plan workbook writes its sheets."""
    sheets = [
        Sheet(wb, "Först", COLUMNS, streamed=True),
        Sheet(wb, "Sedan", COLUMNS),
        Sheet(wb, "Sist", COLUMNS),
    ]
    tables = [sheet.start_table(COLUMNS) for sheet in sheets]
    for number in range(ROWS):
        if number == fail_at:
            raise Broken
        for sheet in sheets:
            sheet.append([sheet.cell(number), sheet.cell(f"rad {number} " * 5), sheet.cell(1.5)])
        yield
    for table in tables:
        table.finish()


@pytest.fixture
def temporary_files(monkeypatch, tmp_path):
    """The folder openpyxl's temporary sheet files go to in this test."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(cells, "SEND_BYTES", 1)  # a chunk as soon as anything is written
    return tmp_path


def test_a_workbook_given_up_after_its_first_chunk_closes_quietly_and_leaves_no_files(
    temporary_files,
):
    chunks = sent(three_sheets)
    next(chunks)  # the parts that do not depend on the data
    next(chunks)  # the streamed sheet's first rows: every sheet has a temporary file by now
    assert list(temporary_files.iterdir())
    chunks.close()  # what the server does when the client goes away
    assert list(temporary_files.iterdir()) == []


def test_a_workbook_given_up_halfway_closes_quietly_and_leaves_no_files(temporary_files):
    whole = sum(1 for _chunk in sent(three_sheets))
    chunks = sent(three_sheets)
    for _chunk in range(whole // 2):
        next(chunks)
    chunks.close()
    assert list(temporary_files.iterdir()) == []


def test_a_build_that_fails_midway_raises_its_own_error_and_leaves_no_files(temporary_files):
    with pytest.raises(Broken):
        b"".join(sent(three_sheets, ROWS // 2))
    assert list(temporary_files.iterdir()) == []


def test_a_workbook_sent_to_its_end_leaves_no_files_and_reads_back(temporary_files):
    content = b"".join(sent(three_sheets))
    assert list(temporary_files.iterdir()) == []
    wb = load_workbook(io.BytesIO(content), read_only=True)
    assert wb.sheetnames == ["Först", "Sedan", "Sist"]
    for ws in wb.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        assert len(rows) == 1 + ROWS and rows[-1][0] == ROWS - 1


def _as_lxml_writes_it(number, cells_, epoch):
    """The row built as lxml elements and written by lxml's incremental writer, as openpyxl
    writes a sheet: what cells._row_xml must give. In UTF-8: openpyxl's lxml writes other
    characters as references ("&#229;" for å), the same text to a reader of a part that
    declares no encoding (UTF-8 then); the rows' text is UTF-8."""
    row = Element("row", r=str(number))
    for letter, (value, style) in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", cells_, strict=False):
        cell = SubElement(row, "c", r=f"{letter}{number}")
        if style:
            cell.set("s", style)
        if value is None or value == "":
            continue
        if isinstance(value, str):
            cell.set("t", "inlineStr")
            t = SubElement(SubElement(cell, "is"), "t")
            if value != value.strip():
                t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            t.text = value
        elif isinstance(value, bool):
            cell.set("t", "b")
            SubElement(cell, "v").text = "1" if value else "0"
        elif isinstance(value, datetime.date):
            cell.set("t", "n")
            SubElement(cell, "v").text = repr(to_excel(value, epoch))
        else:
            cell.set("t", "n")
            SubElement(cell, "v").text = str(value)
    out = io.BytesIO()
    with xmlfile(out, encoding="utf-8") as xf:
        xf.write(row)
    return out.getvalue()


def test_a_row_is_written_as_lxml_would_write_it():
    epoch = Workbook().epoch
    texts = [
        "vanlig text",
        " inledande mellanslag",
        "avslutande\n",
        "a & b < c > d \"citat\" 'apostrof'",
        "rad\r\nbrytning\ttabb",
        "]]> och <![CDATA[",
        "åäö ÅÄÖ é ü ß € – — “”",
        "emoji 🎉 och 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
        "=SUMMA(A1)",
        "&amp; redan kodat",
    ]
    others = [
        None,
        "",
        0,
        -12,
        Decimal("12.50"),
        Decimal("1E+3"),
        1.5,
        True,
        False,
        datetime.date(2026, 12, 6),
        datetime.datetime(2026, 12, 6, 18, 30, 15),
    ]
    cells_ = [(value, "3") for value in texts] + [(value, None) for value in others]
    for number, row in enumerate([cells_[:13], cells_[13:], [(v, "7") for v in others]], 1):
        assert cells._row_xml(number, row, epoch).encode() == _as_lxml_writes_it(number, row, epoch)


def test_a_row_with_a_character_xml_cannot_carry_is_refused():
    with pytest.raises(ValueError):
        cells._row_xml(1, [("noll\x00byte", None)], Workbook().epoch)
