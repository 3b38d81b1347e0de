"""excel/chunks.record_pages: the records of a queryset in its order, a page at a time, each page
read by its keys alone (the queryset's own conditions chose the keys; repeated in every page's
query they made PostgreSQL walk the whole plan for each page)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.excel.chunks import among, record_pages
from activities.models import StatusReport
from activities.opendata import queries
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def reported_plan(coordinator):
    return factories.make_synthetic_plan("sidor", scale=1, author=coordinator)


def test_records_come_in_the_querysets_order_a_page_at_a_time(reported_plan):
    history = queries.reports(reported_plan)
    expected = list(history.values_list("pk", flat=True))
    assert len(expected) > 7
    pages = list(record_pages(history, 7, queries.report_records))
    assert [len(page) for page in pages[:-1]] == [7] * (len(pages) - 1)
    assert [record["id"] for page in pages for record in page] == expected


def test_a_page_is_read_by_its_keys_alone(reported_plan):
    history = queries.reports(reported_plan).filter(organisation__code="SBF")
    with CaptureQueriesContext(connection) as captured:
        pages = list(record_pages(history, 5, queries.report_records))
    keys, *page_queries = [query["sql"] for query in captured]
    assert "plan_id" in keys and "SBF" in keys
    assert len(page_queries) == len(pages) >= 2
    assert not any("plan_id" in sql or "SBF" in sql or "ORDER BY" in sql for sql in page_queries)
    assert {record["org_code"] for page in pages for record in page} == {"SBF"}


def test_among_finds_the_rows_of_the_keys_given(reported_plan):
    keys = list(StatusReport.objects.values_list("pk", flat=True)[:3])
    found = StatusReport.objects.filter(among("pk", keys)).values_list("pk", flat=True)
    assert sorted(found) == sorted(keys)
    assert not StatusReport.objects.filter(among("pk", [])).exists()


def test_a_row_deleted_after_the_keys_were_read_is_left_out(reported_plan):
    history = queries.reports(reported_plan)
    pages = record_pages(history, 5, queries.report_records)
    first = next(pages)  # the keys are read, and the first page
    last = history.last()
    last.delete()
    rest = [record["id"] for page in pages for record in page]
    assert len(first) + len(rest) == history.count()
    assert last.pk not in rest
