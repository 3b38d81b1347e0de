"""The Excel file format is declared once (activities/excel/sheets.py): each header stands once
in the code, and every workbook the app writes reads back through the same declarations."""

import ast
import dataclasses
import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest

from activities.excel import sheets
from activities.excel.cells import plain, to_bytes
from activities.excel.plan_workbook import (
    build_plan_workbook,
    build_table_workbook,
    plan_activities,
    plan_areas,
)
from activities.excel.reader import open_workbook, read_table
from activities.excel.report_import import read_upload
from activities.excel.report_template import build_report_template, template_rows
from activities.models import Activity, Status
from activities.reporting import file_report
from organisations.models import Organisation

ROOT = Path(__file__).resolve().parent.parent
EXCEL_CODE = [
    *sorted((ROOT / "activities" / "excel").glob("*.py")),
    *sorted((ROOT / "activities" / "management" / "commands").glob("*.py")),
]


def _string_constants(path):
    """Every string literal in the file outside gettext calls (messages are not the format)."""
    tree = ast.parse(path.read_text())
    translated = {
        id(arg)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in {"_", "ngettext"}
        for arg in ast.walk(node)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in translated
    ]


def _declared_headers():
    columns = [
        *sheets.PLAN_COLUMNS,
        *sheets.TARGET_COLUMNS,
        *sheets.AREA_COLUMNS,
        *sheets.template_columns(0),
        *sheets.cover_columns([]),
    ]
    headers = {c.header for c in columns}
    headers |= {sheets.TARGET_HEADER, sheets.VALUE_HEADER, sheets.COVER_TOTAL}
    headers |= {sheets.META_FORMAT, sheets.META_PLAN, sheets.META_ROUND}
    headers |= {
        sheets.COVER_SHEET,
        sheets.PLAN_SHEET,
        sheets.TARGET_SHEET,
        sheets.AREA_SHEET,
        sheets.TABLE_SHEET,
        sheets.FILTER_SHEET,
        sheets.REPORT_SHEET,
        sheets.META_SHEET,
    }
    return headers


def test_every_header_and_sheet_name_stands_once_in_the_code():
    constants = [s for path in EXCEL_CODE for s in _string_constants(path)]
    counts = {header: constants.count(header) for header in _declared_headers()}
    assert {h: n for h, n in counts.items() if n != 1} == {}
    assert len(counts) > 40


def _normalised(value):
    """What a cell holds once written and read: numbers as Decimal, times to the second."""
    value = plain(value)
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value)).normalize()
    if isinstance(value, datetime.datetime):
        return value.replace(microsecond=0)
    return value


def _read_back(workbook, sheet, columns, objects, *, search_rows=1):
    """Read `sheet` by every declared column and compare each cell with what the column's
    writer makes of the object on that row."""
    everything = [dataclasses.replace(c, imported=True, required=True) for c in columns]
    table = read_table(workbook[sheet], sheet, everything, search_rows=search_rows)
    assert table.missing == []
    objects = list(objects)
    assert len(table.rows) == len(objects)
    for (_number, cells), obj in zip(table.rows, objects, strict=True):
        for column in columns:
            read, written = _normalised(cells[column.key]), _normalised(column.write(obj))
            if isinstance(written, datetime.datetime):
                assert abs(read - written) <= datetime.timedelta(seconds=1)
            else:
                assert read == written, (sheet, column.header, obj)
    return table


@pytest.fixture
def reports(plan, coordinator):
    """A few reports, so the follow-up columns have something in them."""
    for ref, code, status in [("3.2.3", "SMF", "on_track"), ("3.2.4", "SBF", "delayed")]:
        activity = Activity.objects.with_related().by_reference(plan, ref).get()
        target = activity.targets.first()
        file_report(
            activity=activity,
            organisation=Organisation.objects.get(code=code),
            author=coordinator,
            status=status,
            comment="Enligt plan" if status == "on_track" else "Väntar på beslut",
            values={target: Decimal("73")} if target and target.is_numeric else None,
        )


@pytest.mark.django_db
def test_the_plan_workbook_reads_back_through_its_declarations(plan, reports):
    workbook = open_workbook(io.BytesIO(to_bytes(build_plan_workbook(plan))))
    activities = list(plan_activities(Activity.objects.filter(insats__area__plan=plan)))
    table = _read_back(workbook, sheets.PLAN_SHEET, sheets.PLAN_COLUMNS, activities)
    assert len(table.rows) == 55
    targets = [t for a in activities for t in a.targets.all()]
    assert len(_read_back(workbook, sheets.TARGET_SHEET, sheets.TARGET_COLUMNS, targets).rows) == 69
    areas = list(plan_areas(plan))
    assert [a.number for a in areas] == [1, 2, 3, 4, 5, 6]
    _read_back(workbook, sheets.AREA_SHEET, sheets.AREA_COLUMNS, areas)


@pytest.mark.django_db
def test_the_table_export_reads_back_through_the_plan_columns(plan, reports):
    queryset = Activity.objects.filter(insats__area__plan=plan, insats__area__number=3)
    queryset = queryset.with_related().with_last_report()
    content = to_bytes(build_table_workbook(plan, queryset, []))
    workbook = open_workbook(io.BytesIO(content))
    expected = queryset.in_plan_order()
    table = _read_back(workbook, sheets.TABLE_SHEET, sheets.PLAN_COLUMNS, expected)
    assert len(table.rows) == 9


@pytest.mark.django_db
def test_the_report_template_reads_back_through_its_declarations(plan, reports):
    organisations = list(Organisation.objects.filter(code__in=["BRG", "SBF", "SMF"]))
    content = to_bytes(build_report_template(plan, None, organisations))
    rows = list(template_rows(plan, organisations))
    most = max(len(r.targets) for r in rows)
    workbook = open_workbook(io.BytesIO(content))
    _read_back(
        workbook,
        sheets.REPORT_SHEET,
        sheets.template_columns(most),
        rows,
        search_rows=sheets.TEMPLATE_HEADER_ROW,
    )
    upload = read_upload(io.BytesIO(content))
    assert [(r.ref, r.organisation) for r in upload.rows] == [
        (r.activity.reference, r.organisation.code) for r in rows
    ]
    assert upload.plan_slug == plan.slug
    statuses = {r.status for r in upload.rows}
    assert statuses == {""}  # nothing filled in yet
    assert Status.swedish_labels()["delayed"] == "Försenad"
