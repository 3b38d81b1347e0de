"""A workbook sent as it is written (excel/cells.sent()) and given up before its end: the
client goes away, or the build fails. Nothing may be raised by the clean-up itself, and no
temporary file of a sheet may stay behind (a worker lives for thousands of requests)."""

import io
import tempfile

import pytest
from openpyxl import load_workbook

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
