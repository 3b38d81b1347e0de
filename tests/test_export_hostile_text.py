"""Text XML cannot hold (U+FFFE, U+FFFF, control characters) never reaches a file the app
writes: the forms refuse it, a round's name drops it, and the exports drop whatever got in
another way; a cell never holds more than Excel's 32,767 UTF-16 units."""

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from activities.excel.cells import MAX_CELL_TEXT, text
from activities.models import Activity, ReportingRound, StatusReport
from activities.reporting import file_report
from tests.actions import post_report

pytestmark = pytest.mark.django_db

SLUG = "2024-2025"
EXPORTS = ["activities:export_plan", "activities:export_table"]


@pytest.mark.parametrize("character", ["\ufffe", "\uffff", "\x01"])
def test_the_report_form_refuses_them(client, plan, reporter_sbf, character):
    client.force_login(reporter_sbf)
    response = post_report(client, "3.2.4", "SBF", comment=f"a{character}b")
    assert response.status_code == 400
    assert not StatusReport.objects.exists()


def test_text_that_got_in_another_way_is_dropped_from_the_exports(client, plan, coordinator):
    activity = Activity.objects.with_related().by_reference(plan, "3.2.4").get()
    file_report(
        activity=activity,
        organisation=activity.leads[0],
        author=coordinator,
        status="on_track",
        comment="a\uffffb\ufffec\x0bd",
    )
    client.force_login(coordinator)
    for name in EXPORTS:
        response = client.get(reverse(name, args=[SLUG]))
        assert response.status_code == 200, name
        workbook = load_workbook(io.BytesIO(response.getvalue()))
        values = {c.value for ws in workbook.worksheets for row in ws.iter_rows() for c in row}
        assert "abcd" in values or any("abcd" in str(v) for v in values), name


@pytest.mark.parametrize("q", ["\uffff", "ab\ufffecd", "=HYPERLINK(\uffff)"])
def test_a_crafted_search_does_not_break_the_table_export(client, plan, viewer, q):
    client.force_login(viewer)
    response = client.get(reverse("activities:export_table", args=[SLUG]), {"q": q})
    assert response.status_code == 200
    load_workbook(io.BytesIO(response.getvalue()))


def test_a_round_name_drops_them_and_the_template_still_downloads(client, plan, coordinator):
    client.force_login(coordinator)
    today = datetime.date.today()
    client.post(
        reverse("rounds:create", args=[SLUG]),
        {
            "name": "Höst\uffff\x01 2026",
            "opens_on": today.isoformat(),
            "deadline": (today + datetime.timedelta(days=21)).isoformat(),
        },
    )
    assert ReportingRound.objects.get().name == "Höst 2026"
    for url in (
        reverse("activities:export_plan", args=[SLUG]),
        reverse("activities:report_template", args=[SLUG]) + "?organisation=SBF",
    ):
        assert client.get(url).status_code == 200


def test_a_cell_is_cut_at_excels_limit_in_utf16_units():
    emoji = "😀" * 20_000  # 40,000 UTF-16 units
    cut = text(emoji)
    assert len(cut.encode("utf-16-le")) // 2 <= MAX_CELL_TEXT
    assert cut == "😀" * (MAX_CELL_TEXT // 2)
    assert text("a" * 40_000) == "a" * MAX_CELL_TEXT
