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
    """A valid template with 149,000 rows of spaces after it: 1.2 million tags, more than a
    sheet may hold (package.SHEET), so it is refused before its rows are parsed."""
    rows = _space_rows(200, 149_199, column="C")
    content = rewrite(template, lambda text: text.replace("</sheetData>", rows + "</sheetData>"))
    return "template + 149,000 space rows", content, "för stor eller för invecklad"


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


# Parts read before any row (issue 19): each of the first four once took 6–68 s and up to
# 1.1 GB in openpyxl's load_workbook. Now each part the reader parses is capped before it is
# parsed (activities/excel/package.py, uploaded.py), and the parts it does not need are never
# unpacked.
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
TOO_COMPLEX = "för stor eller för invecklad"
TOO_MANY_CELLS = "för många celler"
ACCEPTED = None  # read without parsing the hostile part: the upload goes on to its preview


def with_parts(content, parts, relations=(), types=(), sheet_relations=()):
    """The workbook with `parts` ({name: bytes}) added or replacing its own, each
    (id, type, target) of `relations` added to the workbook's relationships and of
    `sheet_relations` to the Rapport sheet's, and each (part name, content type) of `types`
    added to [Content_Types].xml."""
    source = zipfile.ZipFile(io.BytesIO(content))
    names = [i.filename for i in source.infolist()]
    out = io.BytesIO()
    extra = {
        "xl/_rels/workbook.xml.rels": "".join(
            f'<Relationship Id="{i}" Type="{RELS}/{t}" Target="{target}"/>'
            for i, t, target in relations
        ),
        "[Content_Types].xml": "".join(
            f'<Override PartName="/{name}" ContentType="{kind}"/>' for name, kind in types
        ),
    }
    sheet_rels = "xl/worksheets/_rels/sheet1.xml.rels"
    if sheet_relations and sheet_rels not in names:
        parts = {
            sheet_rels: (
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                'relationships">'
                + "".join(
                    f'<Relationship Id="{i}" Type="{RELS}/{t}" Target="{target}"/>'
                    for i, t, target in sheet_relations
                )
                + "</Relationships>"
            ).encode(),
            **parts,
        }
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            if name in parts:
                continue
            data = source.read(name)
            if extra.get(name):
                text = data.decode()
                closing = text.rindex("</")
                data = (text[:closing] + extra[name] + text[closing:]).encode()
            archive.writestr(name, data)
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


def _shared_strings(template, items):
    table = f'<sst xmlns="{MAIN}">{items}</sst>'.encode()
    return with_parts(
        template,
        {"xl/sharedStrings.xml": table},
        relations=[("rIdSst", "sharedStrings", "sharedStrings.xml")],
        types=[
            (
                "xl/sharedStrings.xml",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml",
            )
        ],
    )


def _edit_part(template, name, edit):
    return rewrite(template, edit, member=name)


def empty_shared_strings(template):
    """3,000,000 empty shared strings: 68 s and 354 MB in openpyxl."""
    content = _shared_strings(template, "<si><t/></si>" * 3_000_000)
    return "3,000,000 empty shared strings", content, TOO_COMPLEX


def rich_text_runs(template):
    """One shared string of 2,000,000 rich-text runs: 17.5 s and 1.0 GB in openpyxl."""
    content = _shared_strings(template, "<si>" + "<r><t>a</t></r>" * 2_000_000 + "</si>")
    return "one shared string of 2,000,000 runs", content, TOO_COMPLEX


def many_styles(template):
    """600,000 cell styles: 17 s and 1.13 GB in openpyxl."""
    styles = "<xf/>" * 600_000

    def edit(text):
        return re.sub(r"<cellXfs[^>]*>", lambda m: m[0] + styles, text, count=1)

    return "600,000 cell styles", _edit_part(template, "xl/styles.xml", edit), TOO_COMPLEX


def defined_names(template):
    """400,000 defined names: 6 s and 455 MB in openpyxl."""
    names = "".join(
        f'<definedName name="n{i}">Rapport!$A${i % 1000 + 1}</definedName>' for i in range(400_000)
    )

    def edit(text):
        return text.replace("</definedNames>", names + "</definedNames>")

    return "400,000 defined names", _edit_part(template, "xl/workbook.xml", edit), TOO_COMPLEX


def many_sheets(template):
    """20,000 sheets listed in the workbook (all pointing at one part)."""
    sheets = "".join(
        f'<sheet xmlns:r="{RELS}" name="Blad{i}" sheetId="{i + 10}" r:id="rId1"/>'
        for i in range(20_000)
    )

    def edit(text):
        return text.replace("</sheets>", sheets + "</sheets>")

    return "20,000 sheets", _edit_part(template, "xl/workbook.xml", edit), TOO_COMPLEX


def long_number_format(template):
    """A number format of 3,000,000 characters (Excel allows 255)."""
    fmt = "0" * 1_000_000 + "yyyy" * 500_000

    def edit(text):
        return text.replace('formatCode="yyyy-mm-dd hh:mm"', f'formatCode="{fmt}"')

    return "number format 3,000,000 long", _edit_part(template, "xl/styles.xml", edit), TOO_COMPLEX


def huge_content_types(template):
    """[Content_Types].xml with 500,000 overrides."""
    types = [(f"xl/x{i}.xml", "application/xml") for i in range(500_000)]
    return (
        "[Content_Types].xml of 500,000 entries",
        with_parts(template, {}, types=types),
        (TOO_COMPLEX),
    )


def huge_relationships(template):
    """The workbook's relationships: 250,000 of them."""
    relations = [(f"rIdX{i}", "customXml", f"x{i}.xml") for i in range(250_000)]
    content = with_parts(template, {}, relations=relations)
    return "250,000 workbook relationships", content, TOO_COMPLEX


def many_members(template):
    """5,000 small parts in the zip."""
    parts = {f"customXml/item{i}.xml": b"<a/>" for i in range(5_000)}
    return "5,000 zip members", with_parts(template, parts), "för många delar"


def deep_nesting_in_a_cell(template):
    """A cell holding 200,000 elements nested in each other."""
    cell = '<c r="E7">' + "<x>" * 200_000 + "</x>" * 200_000 + "</c>"
    return "200,000 nested elements in a cell", with_cell(template, cell), TOO_MANY_CELLS


def inline_rich_text_runs(template):
    """A cell with an inline string of 100,000 rich-text runs."""
    cell = '<c r="F7" t="inlineStr"><is>' + "<r><t>a</t></r>" * 100_000 + "</is></c>"
    return "inline string of 100,000 runs", with_cell(template, cell, ref="F7"), TOO_MANY_CELLS


def deep_shared_string(template):
    """A shared string nested 500,000 deep."""
    content = _shared_strings(template, "<si>" + "<r>" * 500_000 + "</r>" * 500_000 + "</si>")
    return "shared string nested 500,000 deep", content, TOO_COMPLEX


def huge_comments(template):
    """A comments part of 1,000,000 comments on the Rapport sheet: never unpacked."""
    comments = (
        f'<comments xmlns="{MAIN}"><authors><author>a</author></authors><commentList>'
        + '<comment ref="A1" authorId="0"/>' * 1_000_000
        + "</commentList></comments>"
    ).encode()
    content = with_parts(
        template,
        {"xl/comments1.xml": comments},
        sheet_relations=[("rIdC", "comments", "../comments1.xml")],
        types=[
            (
                "xl/comments1.xml",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml",
            )
        ],
    )
    return "1,000,000 comments", content, ACCEPTED


def huge_drawing(template):
    """A drawing of 1,500,000 anchored shapes on the Rapport sheet: never unpacked."""
    drawing = (
        '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/'
        'spreadsheetDrawing">' + "<xdr:absoluteAnchor/>" * 1_500_000 + "</xdr:wsDr>"
    ).encode()
    content = with_parts(
        template,
        {"xl/drawings/drawing1.xml": drawing},
        sheet_relations=[("rIdD", "drawing", "../drawings/drawing1.xml")],
        types=[
            (
                "xl/drawings/drawing1.xml",
                "application/vnd.openxmlformats-officedocument.drawing+xml",
            )
        ],
    )
    return "1,500,000 drawing anchors", content, ACCEPTED


def validations_after_the_rows(template):
    """200,000 data validations after the Rapport sheet's rows: never parsed."""
    rules = (
        '<dataValidations count="200000">'
        + '<dataValidation type="list" sqref="E7"><formula1>"a"</formula1></dataValidation>'
        * 200_000
        + "</dataValidations>"
    )

    def edit(text):
        text = re.sub(r"<dataValidations.*?</dataValidations>", "", text, flags=re.S)
        return text.replace("</sheetData>", "</sheetData>" + rules, 1)

    return "200,000 data validations", rewrite(template, edit), ACCEPTED


def utf16_entity_expansion(template):
    """The Rapport sheet in UTF-16 with a DOCTYPE whose nested entities expand to a million
    elements: the byte check for "<!DOCTYPE" cannot see it in UTF-16 (found by the hostile
    review: 3.2 s of CPU and 540 MB for a 1.4 KB file, up to a killed worker)."""
    declarations = '<!ENTITY a "' + "<x/>" * 100 + '">'
    for name, previous in zip("bcdef", "abcde", strict=True):
        declarations += f'<!ENTITY {name} "' + f"&{previous};" * 10 + '">'

    def utf16(text):
        body = text[text.index("<worksheet") :]
        start = body.index(">") + 1
        body = body[:start] + "&f;" * 10 + body[start:]
        return (
            f'<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE worksheet [{declarations}]>' + body
        )

    source = zipfile.ZipFile(io.BytesIO(template))
    sheet = utf16(source.read(REPORT_XML).decode()).encode("utf-16")
    content = with_parts(template, {REPORT_XML: sheet})
    return "UTF-16 sheet with entity expansion", content, "inte en Excel-arbetsbok"


def one_shared_string_in_every_row(template):
    """A shared string of a megabyte named by one cell of each of 1,000 rows: a 20 KB file
    whose rows hold a gigabyte of text (once copied row by row into the pending import's JSON
    before its size was checked: 4 s of CPU and 2 GB)."""
    content = _rows_under_the_header(template, '<c t="s"><v>0</v></c>', 1, count=1_000)
    content = _shared_strings(content, "<si><t>" + "ö" * 1_000_000 + "</t></si>")
    return "a shared string of a megabyte in 1,000 rows", content, "för mycket text"


def infinite_number(template):
    """A number cell of 1e999, read as infinity (once a 500 on PostgreSQL, which stores no
    Infinity in JSON)."""
    content = with_cell(template, '<c r="E7"><v>1e999</v></c>')
    return "number 1e999", content, "cellen går inte att läsa"


def every_part_file(template):
    """The crafted files of issue 19: every part of the workbook, not just the rows."""
    for build in PART_FILE_BUILDERS:
        yield build(template)


def _rows_under_the_header(template, cell, per_row, count=10_000):
    """The template with its rows under the header replaced by `count` rows of `per_row`
    copies of `cell` (raw XML)."""
    rows = "".join(f'<row r="{n}">' + cell * per_row + "</row>" for n in range(7, 7 + count))

    def edit(text):
        header = re.search(r'<row r="6".*?</row>', text, flags=re.S)
        start = text.index("<sheetData>") + len("<sheetData>")
        return (
            text[:start]
            + text[start : header.end()]
            + rows
            + "</sheetData>"
            + (text[text.index("</sheetData>") + len("</sheetData>") :])
        )

    return rewrite(template, edit)


def costliest_files(template):
    """Files just inside every cap of package.py, the costliest to read there is: 10,000 rows
    of date cells (style 9 is the template's date format) and 10,000 rows of shared-string
    cells with a table of 74,000 strings, each up to the sheet's 900,000 tags. They are read,
    or refused when the read's CPU budget (reader.READ_CPU_SECONDS) runs out, depending on the
    machine: either way within the bound."""
    yield (
        "10,000 rows of date cells",
        _rows_under_the_header(template, '<c s="9"><v>45000.5</v></c>', 21),
    )
    content = _rows_under_the_header(template, '<c t="s"><v>7</v></c>', 21)
    yield "10,000 rows of shared strings", _shared_strings(content, "<si><t>x</t></si>" * 74_000)


def members_filling_the_limit(template, limit=5 * 1024 * 1024):
    """The template and empty stored members up to the upload limit: about 55,000."""
    source = zipfile.ZipFile(io.BytesIO(template))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for item in source.infolist():
            archive.writestr(item.filename, source.read(item.filename))
        # Each empty member costs 30 + 46 bytes and its name twice.
        for n in range((limit - len(template) - 64 * 1024) // 90):
            archive.writestr(f"{n:06x}", b"")
    return "55,000 empty zip members", out.getvalue(), "för många delar"


# The crafted files of issue 19 in order (every_part_file); a test that needs one builds that
# one alone (building all 18 takes about 3 s).
PART_FILE_BUILDERS = (
    empty_shared_strings,
    many_styles,
    rich_text_runs,
    defined_names,
    many_sheets,
    long_number_format,
    huge_content_types,
    huge_relationships,
    many_members,
    deep_nesting_in_a_cell,
    inline_rich_text_runs,
    deep_shared_string,
    huge_comments,
    huge_drawing,
    validations_after_the_rows,
    utf16_entity_expansion,
    one_shared_string_in_every_row,
    infinite_number,
)
