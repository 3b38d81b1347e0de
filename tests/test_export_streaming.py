"""The Excel exports stream: write-only workbooks saved to a temporary file and sent with
FileResponse, every sheet declaring its size so a reader need not parse it twice, and the
plan workbook read in chunks with the same rows whatever the chunk size."""

import io
import re
import zipfile

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from activities.excel import plan_workbook
from tests import factories

pytestmark = pytest.mark.django_db

EXPORTS = [
    ("activities:export_plan", ""),
    ("activities:export_table", "?q=a"),
    ("activities:report_template", "?organisation=SBF"),
]


@pytest.mark.parametrize(("name", "query"), EXPORTS)
def test_exports_are_streamed_attachments(client, plan, coordinator, name, query):
    client.force_login(coordinator)
    response = client.get(reverse(name, args=[plan.slug]) + query)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    load_workbook(io.BytesIO(response.getvalue()), read_only=True)  # a valid workbook


@pytest.mark.parametrize(("name", "query"), [EXPORTS[0], EXPORTS[2]])
def test_the_workbooks_read_back_declare_their_real_size(client, plan, coordinator, name, query):
    """The plan workbook and the report template are read back by the app (plan import,
    report import): each sheet's <dimension> covers exactly its rows."""
    client.force_login(coordinator)
    content = client.get(reverse(name, args=[plan.slug]) + query).getvalue()
    archive = zipfile.ZipFile(io.BytesIO(content))
    workbook = load_workbook(io.BytesIO(content))
    sheets = sorted(n for n in archive.namelist() if n.startswith("xl/worksheets/sheet"))
    assert len(sheets) == len(workbook.worksheets)
    for path, ws in zip(sheets, workbook.worksheets, strict=True):
        xml = archive.read(path).decode()
        declared = re.search(r'<dimension ref="A1:[A-Z]+(\d+)"', xml)
        if declared is None:
            continue  # a sheet whose length is not known ahead (none of these)
        last = max(int(n) for n in re.findall(r'<row r="(\d+)"', xml))
        assert int(declared[1]) == last, (ws.title, declared[1], last)
    assert "<dimension" in archive.read(sheets[0]).decode()


def test_the_plan_workbook_is_the_same_read_in_small_chunks(
    client, coordinator, monkeypatch, django_assert_max_num_queries
):
    """Read 100 activities at a time, a 10× plan gives the same sheets as read at once, in two
    queries (roles and targets) per extra chunk."""
    big = factories.make_synthetic_plan("stor", scale=10, author=coordinator)
    client.force_login(coordinator)
    url = reverse("activities:export_plan", args=[big.slug])

    def sheets():
        workbook = load_workbook(io.BytesIO(client.get(url).getvalue()), read_only=True)
        return {
            ws.title: list(ws.iter_rows(values_only=True))
            for ws in workbook.worksheets
            if ws.title != "Översikt"  # holds the time of export
        }

    whole = sheets()
    monkeypatch.setattr(plan_workbook, "CHUNK", 100)
    with django_assert_max_num_queries(12 + 2 * 5):  # 552 activities: 6 chunks
        assert client.get(url).status_code == 200
    chunked = sheets()
    assert chunked.keys() == whole.keys()
    for title in whole:
        assert chunked[title] == whole[title], title
    assert len(whole["Handlingsplan"]) == 1 + 552
