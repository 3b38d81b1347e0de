"""Every export at two sizes of plan: the same number of queries (no query per row), sent as it
is written (the first bytes before the file is finished), and a streamed workbook that reads
back exactly as the same workbook saved whole. Speed is measured by bench/exports.py, not
here (the test machines are too noisy to time)."""

import datetime
import io

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from activities.excel import cells, plan_workbook, report_template, target_export
from activities.excel.cells import to_bytes
from activities.excel.plan_workbook import build_handover_workbook, build_plan_workbook
from activities.excel.report_template import build_report_template
from activities.excel.target_export import build_target_workbook
from activities.forms_excel import template_organisations
from activities.opendata import datasets
from activities.views.targets import target_rows
from tests import factories

pytestmark = pytest.mark.django_db

EXPORTS = {
    "plan workbook": ("activities:export_plan", ""),
    "table export": ("activities:export_table", ""),
    "table export, filtered": ("activities:export_table", "?status=on_track&lead=SBF"),
    "report template SBF": ("activities:report_template", "?organisation=SBF"),
    "report template, all": ("activities:report_template", ""),
    "targets export": ("targets:export", ""),
    "targets export, filtered": ("targets:export", "?assessment=none&area=3&responsible=SBF"),
    "handover workbook": ("handover_workbook", ""),
}
FILES = [(name, extension) for name in datasets.DATASETS for extension in ("csv", "json", "xlsx")]


def _url(plan, export):
    if isinstance(export, tuple) and len(export) == 2 and export[1] in ("csv", "json", "xlsx"):
        return reverse("open_data:file", args=[plan.slug, *export])
    name, query = EXPORTS[export]
    return reverse(name, args=[plan.slug]) + query


def _queries_read(client, url):
    """The queries of one request with its whole body read (a streamed answer reads the
    database while it is sent), the whole open data workbooks written, not taken from the
    cache."""
    caches["files"].clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.getvalue()
    return len(queries)


@pytest.fixture
def two_plans(coordinator):
    return (
        factories.make_synthetic_plan("liten", scale=2, author=coordinator),
        factories.make_synthetic_plan("stor", scale=8, author=coordinator),
    )


@pytest.mark.parametrize("export", [*EXPORTS, *FILES])
def test_an_export_reads_a_four_times_larger_plan_in_as_many_queries(
    client, coordinator, two_plans, monkeypatch, export
):
    # One chunk at either size: what is pinned is the number of queries per chunk.
    monkeypatch.setattr(datasets, "CHUNK", 10_000)
    client.force_login(coordinator)
    small, large = two_plans
    _queries_read(client, _url(small, export))  # the session and content types, once
    counts = [_queries_read(client, _url(plan, export)) for plan in (small, large)]
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize(
    "export",
    [
        "plan workbook",
        "table export",
        "report template, all",
        "targets export",
        "handover workbook",
        ("aktiviteter", "xlsx"),
    ],
)
def test_a_workbook_starts_going_out_before_it_is_written(client, coordinator, monkeypatch, export):
    """With 100 activities (or targets) read at a time and every byte sent as soon as it is
    in the zip, the file's first part (the document properties and theme, which do not
    depend on the data) leaves with no more than the first chunk read, and its rows start
    going out while most of the plan is still to be read."""
    big = factories.make_synthetic_plan("stor", scale=10, author=coordinator)  # 552 activities
    for module in (plan_workbook, report_template, datasets, target_export):
        monkeypatch.setattr(module, "CHUNK", 100)
    monkeypatch.setattr(cells, "SEND_BYTES", 1)
    client.force_login(coordinator)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(_url(big, export))
        in_view = len(queries)
        chunks = iter(response.streaming_content)
        first = next(chunks)
        read_at_first = len(queries)
        second = next(chunks)
        read_at_second = len(queries)
        rest = b"".join(chunks)
    assert first.startswith(b"PK\x03\x04")
    assert read_at_first <= in_view + 1  # (+1: the key of the open data files' cache)
    assert read_at_second < len(queries) - 4, (read_at_second, len(queries))
    load_workbook(io.BytesIO(first + second + rest), read_only=True)  # one valid file


def _sheets(content):
    """Everything a reader sees of each sheet: its settings, and every cell's value and
    style (the time of export left out)."""
    workbook = load_workbook(io.BytesIO(content))
    now = datetime.datetime.now()
    seen = {"_order": workbook.sheetnames, "_locked": workbook.security.lockStructure}
    for ws in workbook.worksheets:
        cells_ = []
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, datetime.datetime) and abs(value - now).total_seconds() < 600:
                    value = "now"
                cells_.append(
                    (
                        cell.coordinate,
                        value,
                        cell.number_format,
                        cell.font.b,
                        cell.fill.fgColor.rgb,
                        cell.alignment.wrap_text,
                        cell.protection.locked,
                        cell.quotePrefix,
                    )
                )
        seen[ws.title] = {
            "state": ws.sheet_state,
            "dimensions": ws.dimensions,
            "freeze": ws.freeze_panes,
            "widths": {k: (d.width, d.hidden) for k, d in ws.column_dimensions.items()},
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "filter": ws.auto_filter.ref,
            "validations": [
                (v.type, v.formula1, str(v.sqref)) for v in ws.data_validations.dataValidation
            ],
            "protected": ws.protection.sheet,
            "print": (ws.page_setup.orientation, ws.print_title_rows),
            "cells": cells_,
        }
    return seen


@pytest.fixture
def reported(plan, reporter_sbf):
    """Reports with text Excel would take for a formula, so quoted cells are compared too."""
    factories.file_report("3.2.3", "SBF", reporter_sbf, status="delayed", comment="=Väntar")
    factories.file_report("3.2.4", "SBF", reporter_sbf, status="on_track", comment="Enligt plan")
    return plan


def test_the_plan_workbook_sent_reads_as_the_one_saved_whole(client, reported, coordinator):
    plan = reported
    client.force_login(coordinator)
    sent = client.get(_url(plan, "plan workbook")).getvalue()
    assert _sheets(sent) == _sheets(to_bytes(build_plan_workbook(plan)))


def test_the_report_template_sent_reads_as_the_one_saved_whole(client, reported, coordinator):
    plan = reported
    client.force_login(coordinator)
    sent = client.get(_url(plan, "report template, all")).getvalue()
    organisations = list(template_organisations(plan, coordinator))
    assert _sheets(sent) == _sheets(to_bytes(build_report_template(plan, None, organisations)))


def test_the_targets_export_sent_reads_as_the_one_saved_whole(client, reported, coordinator):
    plan = reported
    client.force_login(coordinator)
    sent = client.get(_url(plan, "targets export")).getvalue()
    whole = build_target_workbook(plan, target_rows(plan), [("Filter", "Inga (alla mål)")])
    assert _sheets(sent) == _sheets(to_bytes(whole))


def test_the_handover_workbook_sent_reads_as_the_one_saved_whole(client, reported, coordinator):
    plan = reported
    client.force_login(coordinator)
    sent = client.get(_url(plan, "handover workbook")).getvalue()
    assert _sheets(sent) == _sheets(to_bytes(build_handover_workbook(plan)))


HOSTILE_QUERIES = [
    "area=abc",
    "area=99999999999999999999999",
    "area=-1",
    "assessment=%27%3B--",
    "assessment=none&assessment=bogus",
    "responsible=" + "X" * 5000,
    "lead=%C3%A5%C3%A4%C3%B6",
    "numeric=maybe",
    "sort=-reached&sort=assessment",
    "sort=__class__",
    "page=1e9&per_page=-5",
    "area=3&area=%F0%9F%92%A9",
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_a_hostile_query_string_gets_a_whole_targets_file_or_a_clear_refusal(
    client, plan, coordinator, query
):
    """Read to its end: a streamed file fails after its status line has gone, so a status
    alone would not show an error in the rows."""
    client.force_login(coordinator)
    response = client.get(_url(plan, "targets export") + "?" + query)
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 200:
        workbook = load_workbook(io.BytesIO(response.getvalue()), read_only=True)
        assert workbook.sheetnames == ["Mål", "Urval"]
        chosen = [row[1] for row in workbook["Urval"].iter_rows(min_row=3, values_only=True)]
        assert chosen, query


def test_the_targets_export_read_in_small_chunks_has_every_target_once_in_plan_order(
    client, reported, coordinator, monkeypatch
):
    """The first chunk by a LIMIT, the rest by their keys: the same rows in the same order as
    one chunk gives."""
    plan = reported
    client.force_login(coordinator)

    def rows():
        content = client.get(_url(plan, "targets export")).getvalue()
        sheet = load_workbook(io.BytesIO(content), read_only=True)["Mål"]
        return list(sheet.iter_rows(values_only=True))

    monkeypatch.setattr(target_export, "CHUNK", 10_000)
    whole = rows()
    monkeypatch.setattr(target_export, "CHUNK", 7)
    assert rows() == whole
    keys = [(ref, position) for ref, _area, _activity, position, *_rest in whole[1:]]
    assert len(keys) == len(set(keys)) == target_rows(plan).count() > 7
    assert keys == sorted(keys, key=lambda k: ([int(p) for p in k[0].split(".")], k[1]))
