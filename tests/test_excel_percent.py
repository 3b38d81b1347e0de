"""A percent-formatted cell is read as the number Excel shows: 0.8 formatted `0%` shows "80 %"
and is read as 80, exactly (Decimal arithmetic, never 80.00000000000001), in the report import
and the plan import alike. Only numbers are scaled; a text, a date or a yes/no in a percent
cell is what it was. Workbooks are written by openpyxl with `number_format` set, as Excel
would save them, and uploaded through the real views."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from activities.excel.cells import cell_text, to_bytes
from activities.excel.plan_workbook import build_plan_workbook
from activities.excel.reader import Budget, open_workbook, sheet_rows
from activities.excel.sheets import TARGET_SHEET
from activities.models import PendingPlanImport, Target, TargetValue
from areas.models import Plan
from tests.workbooks import (
    NEW_PLAN,
    download_template,
    fill,
    preview_and_confirm,
    upload,
    upload_plan,
    workbook_bytes,
)

pytestmark = pytest.mark.django_db

# (number format, the cell's stored value, what sheet_rows gives)
FORMATS = [
    ("0%", 0.8, 80),
    ("0%", 1, 100),
    ("0%", 0, 0),
    ("0.0%", 0.125, Decimal("12.5")),
    ("0.00%", 0.0057, Decimal("0.57")),  # 0.0057 * 100 is 0.5700000000000001 as a float
    ("0.00%", 0.07, 7),  # 0.07 * 100 is 7.000000000000001 as a float
    ("#,##0.0 %", 12.345, Decimal("1234.5")),
    ("0 %", 0.29, 29),  # 0.29 * 100 is 28.999999999999996 as a float
    ("[Blue]0%", 0.5, 50),
    ("0%;[Red]-0%", 0.35, 35),
    ("0.0%;-0.0%;0%;@", 0.015, Decimal("1.5")),
    ('0%" av målet"', 0.4, 40),
    ("[$-41D]0%", 0.45, 45),
    ("[<1]0%;0", 0.6, 60),  # a condition: below 1 the percent section applies …
    ("[<1]0%;0", 5, 5),  # … and from 1 up the plain one
    # Each unquoted, unescaped "%" multiplies by 100, as Excel shows it: 0.8 in `0%%` is 8000%%.
    ("0%%", 0.8, 8000),
    ("0.0%%;-0%", 0.00125, Decimal("12.5")),
    ('0%" %"', 0.8, 80),  # the quoted one is only shown
    ("0\\%%", 0.8, 80),  # the escaped one too
    # Not a percent: the sign is quoted, escaped, a spacer or a fill, or only in the negative
    # section (a value cannot be negative).
    ('0" %"', 80, 80),
    ("0\\%", 80, 80),
    ('"%"0', 80, 80),
    ("0_%", 80, 80),
    ("0*%", 80, 80),
    ("0;0%", 0.8, 0.8),
    ("[Red]0", 0.8, 0.8),
    ("General", 0.8, 0.8),
    ("0.00", 0.8, 0.8),
]


def _workbook(cells, cached=None):
    """A workbook with one sheet whose row n holds cells[n-1] = (value, number format);
    `cached` is the value Excel would have saved beside each formula (openpyxl saves none)."""
    wb = Workbook()
    ws = wb.active
    for row, (value, number_format) in enumerate(cells, start=1):
        cell = ws.cell(row=row, column=1, value=value)
        cell.number_format = number_format
    buffer = io.BytesIO()
    wb.save(buffer)
    if cached is not None:
        source, buffer = zipfile.ZipFile(buffer), io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as out:
            for name in source.namelist():
                data = source.read(name)
                if name == "xl/worksheets/sheet1.xml":
                    data = data.replace(b"<v></v>", f"<v>{cached}</v>".encode())
                out.writestr(name, data)
    buffer.seek(0)
    return buffer


def _first_column(buffer):
    workbook = open_workbook(buffer)
    rows = sheet_rows(workbook[workbook.sheetnames[0]], Budget.start())
    return [values[0] if values else None for _number, values in rows]


def test_sheet_rows_reads_a_percent_cell_as_the_number_excel_shows():
    read = _first_column(_workbook([(value, fmt) for fmt, value, _expected in FORMATS]))
    expected = [expected for _fmt, _value, expected in FORMATS]
    assert read == expected
    # Exact, not merely equal: 0,57 is the Decimal 0.57, not a float near it.
    assert [type(v) for v in read] == [type(e) for e in expected]
    assert cell_text(read[FORMATS.index(("0.00%", 0.07, 7))]) == "7"


def test_text_a_date_and_a_yes_no_in_a_percent_cell_are_not_scaled():
    when = datetime.datetime(2025, 3, 1)
    cells = [("80", "0%"), ("80 %", "0%"), (when, "yyyy-mm-dd %"), (True, "0%")]
    assert _first_column(_workbook(cells)) == ["80", "80 %", when, True]


def test_a_formula_in_a_percent_cell_is_read_as_its_value_shown():
    assert _first_column(_workbook([("=B1/2", "0.0%")], cached="0.355")) == [Decimal("35.5")]


def _percent_value(value, number_format):
    def edit(wb):
        ws = wb["Rapport"]
        headers = {c.value: c.column for c in ws[6] if c.value}
        for row in range(7, ws.max_row + 1):
            if ws.cell(row=row, column=headers["Ref."]).value == "3.2.4":
                cell = ws.cell(row=row, column=headers["Värde mål 1"])
                cell.value = value
                cell.number_format = number_format

    return edit


@pytest.mark.parametrize(
    ("number_format", "value", "stored"),
    [
        ("0%", 0.8, Decimal("80")),
        ("0.0%", 0.125, Decimal("12.5")),
        ("0.00%", 0.0057, Decimal("0.57")),
        ("#,##0.00 %", 0.29, Decimal("29")),
        ('0" %"', 80, Decimal("80")),
        ("0.00", 0.8, Decimal("0.8")),
    ],
)
def test_a_reported_value_in_a_percent_cell_is_stored_as_shown(
    sbf_client, plan, number_format, value, stored
):
    rows = {"3.2.4": {"Status": "Försenad", "Kommentar": "Väntar på Trafikverket"}}
    edit = _percent_value(value, number_format)
    content = fill(download_template(sbf_client, plan), rows, edit=edit)
    preview, confirm = preview_and_confirm(sbf_client, plan, upload(sbf_client, plan, content))
    assert [r.ref for r in preview.context["preview"].new_rows] == ["3.2.4"]
    assert confirm.status_code == 302
    assert TargetValue.objects.get().value == stored


@pytest.mark.parametrize(
    ("value", "number_format", "message"),
    [
        ("80 %", "0%", "”80 %” är inte ett tal."),
        (datetime.datetime(2025, 3, 1), "yyyy-mm-dd %", "”2025-03-01 00:00:00” är inte ett tal."),
        (-0.05, "0%", "Värdet får inte vara negativt."),
    ],
)
def test_a_percent_cell_that_is_not_a_number_is_refused_at_its_cell(
    sbf_client, plan, value, number_format, message
):
    rows = {"3.2.4": {"Status": "Försenad", "Kommentar": "Väntar på Trafikverket"}}
    edit = _percent_value(value, number_format)
    content = fill(download_template(sbf_client, plan), rows, edit=edit)
    response = upload(sbf_client, plan, content)
    page = sbf_client.get(response["Location"]).content.decode()
    assert "(Värde mål 1): " + message in page
    assert not TargetValue.objects.exists()


def test_plan_target_values_in_percent_cells_are_read_as_shown(client, plan, coordinator):
    target = Target.objects.filter(activity__insats__area__plan=plan, value__isnull=False).first()
    ref, position = target.activity.reference, target.position

    def percent_cells(wb):
        ws = wb[TARGET_SHEET]
        headers = {c.value: c.column for c in ws[1]}
        for row in range(2, ws.max_row + 1):
            if (
                ws.cell(row=row, column=headers["Ref."]).value == ref
                and ws.cell(row=row, column=headers["Ordning"]).value == position
            ):
                for header, value, number_format in [
                    ("Målvärde", 0.75, "0%"),
                    ("Övre gräns", 0.9, "0.0%"),
                    ("Utgångsläge", 0.125, "0.0%"),
                ]:
                    cell = ws.cell(row=row, column=headers[header], value=value)
                    cell.number_format = number_format

    client.force_login(coordinator)
    response = upload_plan(client, workbook_bytes(plan, percent_cells))
    assert response.status_code == 302, response.content.decode()[:2000]
    client.post(response["Location"], NEW_PLAN)
    assert not PendingPlanImport.objects.exists()
    new = Target.objects.get(
        activity__insats__area__plan=Plan.objects.get(slug=NEW_PLAN["slug"]),
        activity__insats__area__number=target.activity.insats.area.number,
        activity__insats__number=target.activity.insats.number,
        activity__number=target.activity.number,
        position=position,
    )
    assert (new.value, new.value_max, new.baseline) == (
        Decimal("75.00"),
        Decimal("90.00"),
        Decimal("12.50"),
    )


def _percent_styles(content):
    wb = load_workbook(io.BytesIO(content))
    return {
        (ws.title, cell.coordinate): cell.number_format
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for cell in row
        if "%" in cell.number_format
    }


def test_the_exported_template_and_plan_workbook_format_no_cell_as_percent(sbf_client, plan):
    """So their own round trip is untouched: nothing the app writes is scaled on the way
    back in (a target measured in percent is written as the number, 80)."""
    assert _percent_styles(download_template(sbf_client, plan)) == {}
    assert _percent_styles(to_bytes(build_plan_workbook(plan))) == {}
