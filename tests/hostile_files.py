"""Crafted report files, each built from a real report template: the files that once stalled
or crashed the importer. Used by tests/test_excel_hostile.py and bench/hostile_uploads.py.
Plain functions over bytes (no Django), each returning (name, file bytes, expected message)."""

import io
import re
import zipfile

from openpyxl import load_workbook

REPORT_XML = "xl/worksheets/sheet1.xml"  # the "Rapport" sheet: the template's first sheet
TOO_MANY_ROWS = "fler än 12 000 rader"


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


def _space_rows(first, last, column="A"):
    cell = '<c r="{c}{n}" t="inlineStr"><is><t xml:space="preserve"> </t></is></c>'
    return "".join(
        f'<row r="{n}">{cell.format(c=column, n=n)}</row>' for n in range(first, last + 1)
    )


def million_rows(template):
    """Declares A1:XFD1048576 and holds one blank row at row 1,048,576."""

    def edit(text):
        text = re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:XFD1048576"/>', text)
        return text.replace("</sheetData>", '<row r="1048576"/></sheetData>')

    return "declared A1:XFD1048576", rewrite(template, edit), TOO_MANY_ROWS


def whitespace_rows(template):
    """850,000 rows of a single space: 4.5 MB zipped, 75 MB unzipped."""
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{_space_rows(1, 850_000)}</sheetData></worksheet>"
    )
    content = rewrite(template, lambda text: sheet)
    return "850,000 whitespace rows", content, "för stor när den packas upp"


def template_plus_space_rows(template):
    """A valid template with 149,000 rows of spaces after it."""
    rows = _space_rows(200, 149_199, column="C")
    content = rewrite(template, lambda text: text.replace("</sheetData>", rows + "</sheetData>"))
    return "template + 149,000 space rows", content, TOO_MANY_ROWS


MALFORMED_CELLS = {
    "number cell 'abc'": '<c r="E7" t="n"><v>abc</v></c>',
    "invalid date": '<c r="E7" t="d"><v>2025-13-45T99:00:00</v></c>',
    "shared string 99999": '<c r="E7" t="s"><v>99999</v></c>',
    "bad cell reference": '<c r="E0E"><v>1</v></c>',
    "boolean 'maybe'": '<c r="E7" t="b"><v>maybe</v></c>',
}


def malformed_cells(template):
    for name, cell in MALFORMED_CELLS.items():
        yield name, with_cell(template, cell), "rad 7, kolumn E"
    content = rewrite(template, lambda text: text[: len(text) // 2])
    yield "truncated XML", content, "är skadat efter rad"
    content = rewrite(template, lambda text: text.replace('<row r="8"', '<row r="-5"', 1))
    yield "negative row number", content, "ogiltigt radnummer (-5)"


def edited(content, change):
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


def _rename_value_header(new):
    def change(wb):
        for cell in wb["Rapport"][6]:
            if cell.value == "Värde mål 1":
                cell.value = new

    return change


def damaged_template_sheet(template):
    for label, value in [("²", "²"), ("5,000 digits", "9" * 5000), ("-1", "-1"), ("1.5", "1.5")]:
        content = edited(template, _set_round(value))
        yield f"round id {label}", content, "uppgift om uppföljningsomgång är skadad"


def impossible_value_headers(template):
    for label, header in [("0", "Värde mål 0"), ("5,000 digits", "Värde mål " + "7" * 5000)]:
        content = edited(template, _rename_value_header(header))
        yield f"value header {label}", content, "hör inte till mallen"


def every_hostile_file(template):
    yield million_rows(template)
    yield whitespace_rows(template)
    yield template_plus_space_rows(template)
    yield from malformed_cells(template)
    yield from damaged_template_sheet(template)
    yield from impossible_value_headers(template)
