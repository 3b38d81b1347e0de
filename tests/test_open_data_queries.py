"""No query per row in open data and the API: each answer costs the same number of queries
for the real plan and for a synthetic plan ten times larger, with reports on every activity.
(The files read CHUNK rows per query round; with a chunk larger than both plans that is one
round, so the count shows any query per row.)"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities.models import StatusReport, Target
from activities.opendata import datasets
from activities.reporting import ReportDraft, file_reports
from tests import factories
from tests.open_data import LISTS, body, file_url

pytestmark = pytest.mark.django_db

MAX_QUERIES = 10


@pytest.fixture(scope="module")
def synthetic_plan(module_db, django_db_blocker):
    """A 10× synthetic plan, published, with values reported on 300 targets, built once for
    the module (module_db)."""
    with django_db_blocker.unblock():
        author = factories.make_user("författare-öppna-data")
        big = factories.make_synthetic_plan("syntetisk", scale=10, author=author)
        targets = Target.objects.filter(activity__insats__area__plan=big, position=1)
        file_reports(
            ReportDraft(
                **{
                    "activity": target.activity,
                    "organisation": target.responsible_organisation,
                    "author": author,
                    "status": "",
                    "values": {target: 4},
                }
            )
            for target in targets.select_related("activity", "responsible_organisation")[:300]
        )
        big.published = True
        big.save()
    return big


@pytest.fixture
def plans(plan, reporter_sbf, synthetic_plan):
    factories.report_on_every_activity(plan, reporter_sbf, with_values=True)
    plan.published = True
    plan.save()
    synthetic_plan.refresh_from_db()
    return plan, synthetic_plan


def count(client, url, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
        assert response.status_code == 200, url
        body(response)  # a streamed file runs its queries as it is read
    return len(queries)


ANSWERS = {
    **{
        name: lambda slug, name=name: reverse(f"api:{name}", args=[slug])
        for name in [*LISTS, "plan"]
    },
    "activity": lambda slug: reverse("api:activity", args=[slug, "1.1.1"]),
}


def test_api_query_count_does_not_grow_with_the_plan(client, plans, coordinator):
    real, big = plans
    counts = {}
    for signed_in in (False, True):
        if signed_in:
            client.force_login(coordinator)
        for answer, url in ANSWERS.items():
            client.get(url(real.slug))  # warm the session and content-type caches
            small = count(client, url(real.slug), page_size=500)
            counts[answer, signed_in] = (small, count(client, url(big.slug), page_size=500))
    assert all(small == large for small, large in counts.values()), counts
    assert max(small for small, _ in counts.values()) <= MAX_QUERIES, counts


def test_file_query_count_does_not_grow_with_the_plan(client, plans, monkeypatch):
    real, big = plans
    monkeypatch.setattr(datasets, "CHUNK", 100_000)
    counts = {
        f"{name}.{extension}": (
            count(client, file_url(real, name, extension)),
            count(client, file_url(big, name, extension)),
        )
        for name in datasets.DATASETS
        for extension in ("csv", "json", "xlsx")
    }
    assert all(small == large for small, large in counts.values()), counts
    assert max(small for small, _ in counts.values()) <= MAX_QUERIES, counts


def test_files_are_read_in_chunks(client, plans, monkeypatch):
    """With the real chunk, the 10× plan's report history takes a few query rounds: the
    reports' keys in order once, then per page its reports and their values."""
    real, big = plans
    rounds = StatusReport.objects.filter(activity__insats__area__plan=big).count() // 500 + 1
    assert rounds >= 3
    monkeypatch.setattr(datasets, "CHUNK", 500)
    queries = count(client, file_url(big, "rapporter", "json"))
    # The fourth: the rows counted, to send the file or build it in the background
    # (activities/export_jobs.py).
    assert queries <= 4 + 2 * rounds, (queries, rounds)


FILTERED = {
    "api activities": (lambda slug: reverse("api:activities", args=[slug]), "lead"),
    "api targets": (lambda slug: reverse("api:targets", args=[slug]), "responsible"),
    "api reports": (lambda slug: reverse("api:reports", args=[slug]), "organisation"),
    **{
        f"{name}.{extension}": (
            lambda slug, name=name, extension=extension: reverse(
                "open_data:file", args=[slug, name, extension]
            ),
            next(iter(dataset.filterset.base_filters)),
        )
        for name, dataset in datasets.DATASETS.items()
        for extension in ("csv", "json")
    },
}


@pytest.mark.parametrize("answer", FILTERED)
def test_an_organisation_filter_costs_one_query_at_any_scale(client, plans, monkeypatch, answer):
    """Filtered by an organisation, by its code in any case (an alias is the same query): the
    organisation is one query more than the whole list, for the real plan and the 10× plan."""
    real, big = plans
    monkeypatch.setattr(datasets, "CHUNK", 100_000)
    url, name = FILTERED[answer]
    client.get(url(real.slug))  # warm the session and content-type caches
    for plan in (real, big):
        whole = count(client, url(plan.slug), page_size=500)
        for spelling in ("SBF", "sbf"):
            assert count(client, url(plan.slug), page_size=500, **{name: spelling}) == whole + 1
