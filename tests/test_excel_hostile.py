"""Crafted uploads: each is built here, refused with a Swedish message, and writes nothing.

These are the files that used to stall or crash the importer: a sheet that declares a million
rows, hundreds of thousands of blank rows, cells openpyxl cannot read, a damaged template sheet
and value headers with impossible numbers. Timing is measured by bench/hostile_uploads.py
against gunicorn, not here.
"""

import io
import re
import zipfile

import pytest
from openpyxl import load_workbook

from activities.models import PendingImport, StatusReport, TargetValue
from tests.test_excel_import import SBF_ROWS, download_template, fill, upload

pytestmark = pytest.mark.django_db

REPORT_XML = "xl/worksheets/sheet1.xml"  # the "Rapport" sheet: the template's first sheet


@pytest.fixture
def sbf_client(client, reporter_sbf):
    client.force_login(reporter_sbf)
    return client


@pytest.fixture
def template(sbf_client, plan):
    return fill(download_template(sbf_client, plan), SBF_ROWS)


def rewrite(content, edit, member=REPORT_XML):
    """The workbook with one of its XML parts changed by `edit(text) -> text`."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == member:
                data = edit(data.decode()).encode()
            archive.writestr(item.filename, data)
    return out.getvalue()


def with_cell(content, cell_xml, ref="E7"):
    """Replace the cell `ref` of the Rapport sheet with raw XML."""

    def edit(text):
        pattern = rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)'
        assert re.search(pattern, text), f"{ref} not in the sheet"
        return re.sub(pattern, cell_xml, text, count=1)

    return rewrite(content, edit)


def append_rows(content, rows_xml):
    return rewrite(content, lambda text: text.replace("</sheetData>", rows_xml + "</sheetData>"))


def assert_refused(client, plan, content, message):
    before = StatusReport.objects.count(), TargetValue.objects.count()
    response = upload(client, plan, content)
    assert response.status_code == 400, response.status_code
    page = response.content.decode()
    assert message in page, re.sub(r"\s+", " ", page[page.find("<main") :][:1500])
    assert (StatusReport.objects.count(), TargetValue.objects.count()) == before
    assert not PendingImport.objects.exists()


def test_a_sheet_declaring_a_million_rows_with_a_blank_last_row(sbf_client, plan, template):
    def edit(text):
        text = re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:XFD1048576"/>', text)
        return text.replace("</sheetData>", '<row r="1048576"/></sheetData>')

    assert_refused(sbf_client, plan, rewrite(template, edit), "fler än 12 000 rader")


def test_a_file_of_850000_whitespace_rows(sbf_client, plan):
    rows = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t xml:space="preserve"> </t></is></c></row>'
        for n in range(1, 850_001)
    )
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{rows}</sheetData></worksheet>"
    )
    content = rewrite(download_template(sbf_client, plan), lambda text: sheet)
    assert len(content) < 5 * 1024 * 1024
    assert_refused(sbf_client, plan, content, "för stor när den packas upp")


def test_a_valid_template_plus_149000_rows_of_spaces(sbf_client, plan, template):
    rows = "".join(
        f'<row r="{n}"><c r="C{n}" t="inlineStr"><is><t xml:space="preserve"> </t></is></c></row>'
        for n in range(200, 149_200)
    )
    content = append_rows(template, rows)
    assert_refused(sbf_client, plan, content, "fler än 12 000 rader")


MALFORMED_CELLS = {
    "a number cell that is not a number": '<c r="E7" t="n"><v>abc</v></c>',
    "an invalid date": '<c r="E7" t="d"><v>2025-13-45T99:00:00</v></c>',
    "a shared string that does not exist": '<c r="E7" t="s"><v>99999</v></c>',
    "a bad cell reference": '<c r="E0E"><v>1</v></c>',
    "a boolean that is maybe": '<c r="E7" t="b"><v>maybe</v></c>',
}


@pytest.mark.parametrize("cell", MALFORMED_CELLS.values(), ids=MALFORMED_CELLS.keys())
def test_a_cell_that_cannot_be_read_is_named_by_row_and_column(sbf_client, plan, template, cell):
    assert_refused(sbf_client, plan, with_cell(template, cell), "rad 7, kolumn E")


def test_truncated_sheet_xml(sbf_client, plan, template):
    content = rewrite(template, lambda text: text[: len(text) // 2])
    assert_refused(sbf_client, plan, content, "är skadat efter rad")


def test_a_negative_row_number(sbf_client, plan, template):
    content = rewrite(template, lambda text: text.replace('<row r="8"', '<row r="-5"', 1))
    assert_refused(sbf_client, plan, content, "ogiltigt radnummer (-5)")


def _edit(content, change):
    wb = load_workbook(io.BytesIO(content))
    change(wb)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _set_round(value):
    def change(wb):
        for row in wb["Mall"].iter_rows():
            if row[0].value == "Uppföljningsomgång":
                row[1].value = value

    return change


@pytest.mark.parametrize("value", ["²", "9" * 5000, "-1", "1.5"])
def test_a_damaged_round_in_the_template_sheet(sbf_client, plan, template, value):
    content = _edit(template, _set_round(value))
    assert_refused(sbf_client, plan, content, "uppgift om uppföljningsomgång är skadad")


def _rename_value_header(new):
    def change(wb):
        ws = wb["Rapport"]
        for cell in ws[6]:
            if cell.value == "Värde mål 1":
                cell.value = new

    return change


@pytest.mark.parametrize(
    ("header", "shown"),
    [("Värde mål 0", "Värde mål 0"), ("Värde mål " + "7" * 5000, "värde mål 7777")],
)
def test_a_value_header_with_an_impossible_number(sbf_client, plan, template, header, shown):
    content = _edit(template, _rename_value_header(header))
    assert_refused(sbf_client, plan, content, "hör inte till mallen")
    response = upload(sbf_client, plan, content)
    assert shown.casefold() in response.content.decode().casefold()
