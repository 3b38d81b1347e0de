"""The plan workbook's "Planen" sheet reads like the published plan: a heading row per area
and per insats, the 55 activities in plan order, status by fill and symbol, set up to print."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from activities.excel.plan_layout import LAYOUT_HEADER_ROW, LAYOUT_SHEET, STATUS_FILLS
from activities.models import Activity, Assessment, Status
from activities.reporting import assess, file_report
from areas.models import Insats, StrategicArea
from organisations.models import Organisation

pytestmark = pytest.mark.django_db

SLUG = "2024-2025"


def layout(client):
    response = client.get(reverse("activities:export_plan", args=[SLUG]))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.getvalue()))
    assert workbook.sheetnames[1] == LAYOUT_SHEET  # right after the cover sheet
    return workbook[LAYOUT_SHEET]


def test_the_layout_sheet_has_a_heading_per_area_and_insats_and_every_activity_in_order(
    client, plan, viewer, coordinator
):
    five_two_one = Activity.objects.with_related().by_reference(plan, "5.2.1").get()
    for status, lead in zip([Status.DELAYED, Status.ON_TRACK], five_two_one.leads, strict=False):
        file_report(
            activity=five_two_one,
            organisation=lead,
            author=coordinator,
            status=status,
            comment="Förklaring.",
        )
    six_two_one = Activity.objects.with_related().by_reference(plan, "6.2.1").get()
    for lead in six_two_one.leads:
        assess(
            activity=six_two_one,
            organisation=lead,
            author=coordinator,
            assessment=Assessment.ACHIEVED,
            motivation="Klart.",
            on_behalf=True,
        )
    client.force_login(viewer)
    ws = layout(client)
    assert ws.cell(row=1, column=1).value == plan.title
    headers = [c.value for c in ws[LAYOUT_HEADER_ROW]]
    assert headers[:6] == [
        "Ref.",
        "Aktivitet",
        "Leder arbetet",
        "Deltar i arbetet",
        "Förväntat utfall",
        "Status",
    ]

    merged = {r.min_row for r in ws.merged_cells.ranges}
    areas = [
        f"{a.number}. {a.name}" for a in StrategicArea.objects.filter(plan=plan).order_by("number")
    ]
    insatser = [
        f"{i.reference} {i.title}"
        for i in Insats.objects.filter(area__plan=plan)
        .select_related("area")
        .order_by("area__number", "number")
    ]
    expected = (
        Activity.objects.filter(insats__area__plan=plan)
        .in_plan_order()
        .select_related("insats__area")
    )
    sequence = []
    for activity in expected:
        heading = f"{activity.insats.area.number}. {activity.insats.area.name}"
        if heading not in sequence:
            sequence.append(heading)
        insats = f"{activity.insats.reference} {activity.insats.title}"
        if insats not in sequence:
            sequence.append(insats)
        sequence.append(activity.reference)
    read = []
    for row in range(LAYOUT_HEADER_ROW + 1, ws.max_row + 1):
        value = ws.cell(row=row, column=1).value
        if row in merged:
            read.append(value)
        else:
            read.append(value)
            status = ws.cell(row=row, column=6)
            label = status.value.split("\n")[0]
            assert status.fill.fgColor.rgb.endswith(tuple(STATUS_FILLS.values())), row
            assert any(label == f"{s.symbol} {s.label}" for s in Status), label
    assert read == sequence
    assert sum(1 for r in merged if r > LAYOUT_HEADER_ROW) == len(areas) + len(insatser) == 6 + 24
    assert [v for v in read if v in areas] == areas and [
        v for v in read if v in insatser
    ] == insatser
    assert len([v for v in read if v not in areas and v not in insatser]) == 55

    rows = {ws.cell(row=r, column=1).value: r for r in range(LAYOUT_HEADER_ROW + 1, ws.max_row + 1)}
    status = ws.cell(row=rows["5.2.1"], column=6)
    assert status.value.startswith(f"{Status.DELAYED.symbol} Försenad")
    assert status.fill.fgColor.rgb.endswith(STATUS_FILLS[Status.DELAYED])
    lead_codes = [o.code for o in five_two_one.leads]
    assert f"{lead_codes[0]}: {Status.DELAYED.symbol} Försenad" in status.value  # each lead's own
    assert ws.cell(row=rows["6.2.1"], column=9).value == "Uppnått"
    # The plan's own spellings (GSF for Grundskoleförvaltningen).
    spellings = " ".join(str(ws.cell(row=r, column=c).value) for r in rows.values() for c in (3, 4))
    assert "GSF" in spellings and Organisation.objects.get(code="GRF")


def test_the_layout_sheet_prints_on_a4_landscape_one_page_wide_with_the_header_repeated(
    client, plan, viewer
):
    client.force_login(viewer)
    ws = layout(client)
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert (int(ws.page_setup.fitToWidth), int(ws.page_setup.fitToHeight)) == (1, 0)
    assert ws.print_title_rows == f"${LAYOUT_HEADER_ROW}:${LAYOUT_HEADER_ROW}"
    assert ws.freeze_panes == f"B{LAYOUT_HEADER_ROW + 1}"
