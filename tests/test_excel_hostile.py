"""Crafted uploads (tests/hostile_files.py builds each from a real template): every one is
refused with a Swedish message, and nothing is written. These are the files that used to
stall or crash the importer. Their timing is measured by bench/hostile_uploads.py against
gunicorn, not here."""

import io
import re

import pytest
from openpyxl import load_workbook

from activities.models import PendingImport, StatusReport, TargetValue
from tests import hostile_files
from tests.template_filling import HEADER_ROW
from tests.workbooks import SBF_ROWS, download_template, fill, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def template(sbf_client, plan):
    return fill(download_template(sbf_client, plan), SBF_ROWS)


def assert_refused(client, plan, content, message):
    before = StatusReport.objects.count(), TargetValue.objects.count()
    response = upload(client, plan, content)
    assert response.status_code == 400, response.status_code
    page = response.content.decode()
    assert message.casefold() in page.casefold(), re.sub(r"\s+", " ", page[page.find("<main") :])
    assert (StatusReport.objects.count(), TargetValue.objects.count()) == before
    assert not PendingImport.objects.exists()
    return page


def test_a_sheet_declaring_a_million_rows_with_a_blank_last_row(sbf_client, plan, template):
    _name, content, message = hostile_files.million_rows(template)
    assert len(content) < 10_000
    assert_refused(sbf_client, plan, content, message)


def test_a_file_of_850000_whitespace_rows(sbf_client, plan, template):
    _name, content, message = hostile_files.whitespace_rows(template)
    assert len(content) < 5 * 1024 * 1024
    assert_refused(sbf_client, plan, content, message)


def test_a_valid_template_plus_149000_rows_of_spaces(sbf_client, plan, template):
    _name, content, message = hostile_files.template_plus_space_rows(template)
    assert_refused(sbf_client, plan, content, message)


@pytest.mark.parametrize(
    "case",
    ["number", "date", "shared string", "reference", "boolean", "truncated", "negative"],
)
def test_a_cell_or_row_that_cannot_be_read_is_named(sbf_client, plan, template, case):
    files = list(hostile_files.malformed_cells(template))
    assert len(files) == 7
    name, content, message = next(f for f in files if case in f[0])
    assert_refused(sbf_client, plan, content, message)


def test_a_damaged_round_in_the_template_sheet(sbf_client, plan, template):
    for _name, content, message in hostile_files.damaged_template_sheet(template):
        assert_refused(sbf_client, plan, content, message)


def test_a_value_header_with_an_impossible_number(sbf_client, plan, template):
    shown = ["värde mål 0", "värde mål 7777"]
    for (_name, content, message), header in zip(
        hostile_files.impossible_value_headers(template), shown, strict=True
    ):
        page = assert_refused(sbf_client, plan, content, message)
        assert header in page.casefold()


def test_a_value_formula_without_a_stored_result_is_named(sbf_client, plan):
    """A template filled by a program (openpyxl writes a formula without its result): read as
    empty, the value would be lost without a word."""
    content = download_template(sbf_client, plan)
    ws = load_workbook(io.BytesIO(content))["Rapport"]
    headers = {c.value: c.column_letter for c in ws[HEADER_ROW] if c.value}
    row = next(c.row for c in ws["A"] if c.value == "3.2.2")
    filled = fill(content, {"3.2.2": {**SBF_ROWS["3.2.2"], "Värde mål 1": "=40+10"}})
    page = assert_refused(
        sbf_client,
        plan,
        filled,
        f"Bladet ”Rapport”, rad {row}, kolumn {headers['Värde mål 1']}: Cellen innehåller en "
        "formel utan sparat värde. Skriv in värdet.",
    )
    assert "Rapporten är sparad" not in page


def test_a_formula_whose_stored_result_is_empty_text_is_an_empty_cell(sbf_client, plan, template):
    """Excel stores an empty text result as t="str" with an empty <v>: that is a result."""
    ws = load_workbook(io.BytesIO(template))["Rapport"]
    headers = {c.value: c.column_letter for c in ws[HEADER_ROW] if c.value}
    row = next(c.row for c in ws["A"] if c.value == "3.2.2")
    ref = f"{headers['Kommentar']}{row}"
    content = hostile_files.with_cell(
        template, f'<c r="{ref}" t="str"><f>IF(1,"","x")</f><v></v></c>', ref=ref
    )
    response = upload(sbf_client, plan, content)
    assert response.status_code == 302, response.content.decode()[-3000:]


@pytest.mark.parametrize("error", ["#N/A", "#DIV/0!"])
def test_a_formula_error_in_a_text_cell_is_refused_at_its_cell(sbf_client, plan, template, error):
    """A VLOOKUP gone wrong stores its error (t="e"): read as text it would become a comment or
    a motivation. The cell is named and nothing is written."""
    ws = load_workbook(io.BytesIO(template))["Rapport"]
    headers = {c.value: c.column_letter for c in ws[HEADER_ROW] if c.value}
    row = next(c.row for c in ws["A"] if c.value == "3.2.2")
    ref = f"{headers['Kommentar']}{row}"
    content = hostile_files.with_cell(
        template, f'<c r="{ref}" t="e"><f>VLOOKUP(1,A1:A2,2,0)</f><v>{error}</v></c>', ref=ref
    )
    assert_refused(
        sbf_client,
        plan,
        content,
        f"Bladet ”Rapport”, rad {row}, kolumn {headers['Kommentar']}: Cellen innehåller ett "
        f"formelfel ({error}). Skriv in värdet.",
    )
