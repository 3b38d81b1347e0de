"""The API and the files as HTTP: a valid OpenAPI 3 document, ETags (304 while nothing
changed, a new one after a report), read-only methods, and hostile input answered 400/404."""

import json

import pytest
from django.urls import reverse
from openapi_spec_validator import validate

from activities.models import Activity
from activities.opendata.datasets import DATASETS
from activities.reporting import file_report
from tests.fuzz_values import PATH_VALUES, QUERIES
from tests.open_data import LISTS, body, file_url

pytestmark = pytest.mark.django_db


def test_the_openapi_document_is_valid_and_describes_every_endpoint(client):
    response = client.get(reverse("api:schema"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.oai.openapi+json"
    document = json.loads(response.content)
    validate(document)
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {
        "/api/v1/plans/",
        "/api/v1/plans/{plan_slug}/",
        "/api/v1/plans/{plan_slug}/activities/",
        "/api/v1/plans/{plan_slug}/activities/{reference}/",
        "/api/v1/plans/{plan_slug}/targets/",
        "/api/v1/plans/{plan_slug}/reports/",
        "/api/v1/plans/{plan_slug}/organisations/",
    }
    assert all(set(methods) == {"get"} for methods in document["paths"].values())
    activity = document["components"]["schemas"]["Activity"]["properties"]
    assert {"leads", "participants", "targets", "status", "final_assessment"} <= set(activity)
    etag = response["ETag"]
    assert client.get(reverse("api:schema"), HTTP_IF_NONE_MATCH=etag).status_code == 304


def conditional_urls(plan):
    urls = [reverse("api:plans"), reverse("api:plan", args=[plan.slug])]
    urls += [reverse(f"api:{name}", args=[plan.slug]) for name in LISTS]
    urls += [reverse("api:activity", args=[plan.slug, "1.1.1"])]
    return (
        urls
        + [file_url(plan, name, "csv") for name in DATASETS]
        + [file_url(plan, "rapporter", "json")]
    )


def test_etags_answer_304_until_a_report_changes_them(client, published_plan, reporter_sbf):
    plan = published_plan
    etags = {}
    for url in conditional_urls(plan):
        response = client.get(url)
        assert response.status_code == 200, url
        etags[url] = response["ETag"]
        again = client.get(url, HTTP_IF_NONE_MATCH=etags[url])
        assert again.status_code == 304, url
        assert again["ETag"] == etags[url] and body(again) == b""
        assert again["Cache-Control"] == "public, max-age=60"
        weak = client.get(url, HTTP_IF_NONE_MATCH=f'"other", W/{etags[url]}')
        assert weak.status_code == 304, url
        assert client.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200
    # Another query string, another plan or another language is another answer.
    page_two = client.get(reverse("api:activities", args=[plan.slug]), {"page": 2})
    assert page_two["ETag"] != etags[reverse("api:activities", args=[plan.slug])]
    client.cookies["django_language"] = "en"
    assert client.get(reverse("api:plans"))["ETag"] != etags[reverse("api:plans")]
    del client.cookies["django_language"]

    activity = Activity.objects.filter(insats__area__plan=plan, roles__organisation__code="SBF")
    activity = activity.with_related().first()
    file_report(
        activity=activity,
        organisation=activity.leads[0],
        author=reporter_sbf,
        status="on_track",
    )
    for url, etag in etags.items():
        response = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == 200, url
        assert response["ETag"] != etag
    reports = client.get(reverse("api:reports", args=[plan.slug])).json()
    assert reports["count"] == 1


def test_a_coordinators_etag_for_an_unpublished_plan_is_private(client, plan, coordinator):
    client.force_login(coordinator)
    url = reverse("api:activities", args=[plan.slug])
    etag = client.get(url)["ETag"]
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response["Cache-Control"] == "private, max-age=0, must-revalidate"
    client.logout()
    # The ETag tells an anonymous client nothing: the plan is still 404.
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_api_is_read_only(client, published_plan, coordinator, method):
    urls = [reverse("api:plans"), reverse("api:activities", args=[published_plan.slug])]
    for signed_in in (False, True):
        if signed_in:
            client.force_login(coordinator)
        for url in urls:
            response = getattr(client, method)(url, data="{}", content_type="application/json")
            assert response.status_code == 405, (method, url, signed_in)
    assert client.post(file_url(published_plan, "mal", "csv")).status_code == 405
    assert client.head(reverse("api:plans")).status_code == 200
    assert client.options(reverse("api:plans")).status_code == 200


# A page or page size that is not a number in range is 400 naming the parameter; a page past
# the last is 404; both are JSON in the documented shape ({"detail", "errors"}).
HOSTILE_QUERIES = [
    ({"page": "-1"}, 400),
    ({"page": "0"}, 400),
    ({"page": "99999999999999999999999"}, 404),
    ({"page": "abc"}, 400),
    ({"page": "1e3"}, 400),
    ({"page": "\uffff"}, 400),
    ({"page": "١"}, 400),
    ({"page": ""}, 400),
    ({"page": "2", "page_size": "500"}, 404),
    ({"page": "\x00"}, 400),
    ({"page_size": "\x00"}, 400),
    ({"page_size": "-5"}, 400),
    ({"page_size": "0"}, 400),
    ({"page_size": "501"}, 400),
    ({"page_size": "1555852"}, 400),
    ({"page_size": ""}, 400),
    ({"page_size": "null"}, 400),
    ({"page_size": "abc"}, 400),
    ({"page_size": "\uffff"}, 400),
    ({"page_size": "99999999999999999999999"}, 400),
    ({"page_size": "500"}, 200),
    ({"q": "x" * 5000, "page[]": "1"}, 200),
]


@pytest.mark.parametrize(("query", "status"), HOSTILE_QUERIES)
@pytest.mark.parametrize("name", LISTS)
def test_hostile_query_strings_give_400_or_404(client, published_plan, name, query, status):
    response = client.get(reverse(f"api:{name}", args=[published_plan.slug]), query)
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    if status != 200:
        body = response.json()
        assert body["detail"]
        refused = {key for key in query if key in ("page", "page_size")}
        if status == 400 and "\x00" not in "".join(query.values()):
            assert set(body["errors"]) == refused


def test_a_page_is_at_most_500_items(client, published_plan):
    url = reverse("api:activities", args=[published_plan.slug])
    refused = client.get(url, {"page_size": 10**9})
    assert refused.status_code == 400
    assert refused.json()["errors"] == {
        "page_size": ["page_size ska vara ett heltal från 1 till 500."]
    }
    data = client.get(url, {"page_size": 500}).json()
    assert len(data["results"]) == 55 and data["next"] is None
    data = client.get(reverse("api:targets", args=[published_plan.slug]), {"page_size": 7}).json()
    assert len(data["results"]) == 7 and data["count"] == 69 and "page=2" in data["next"]


BAD_PATHS = [
    "/api/v1/plans/finns-inte/",
    "/api/v1/plans/%00/",
    "/api/v1/plans/%EF%BF%BF/",
    "/api/v1/plans/2024-2025/activities/1.1/",
    "/api/v1/plans/2024-2025/activities/9.9.9/",
    "/api/v1/plans/2024-2025/activities/1.1.9999/",
    "/api/v1/plans/2024-2025/activities/1.1.1.1/",
    "/api/v1/plans/2024-2025/activities/%EF%BF%BF/",
    "/api/v1/plans/2024-2025/activities/" + "1" * 400 + "/",
    "/api/v1/plans/2024-2025/nothing/",
    "/api/v1/plans/" + "a" * 5000 + "/",
    "/oppna-data/finns-inte/",
    "/oppna-data/finns-inte/aktiviteter.csv",
    "/oppna-data/2024-2025/aktiviteter.xls",
    "/oppna-data/2024-2025/anvandare.csv",
    "/oppna-data/2024-2025/aktiviteter.csv.json",
    "/oppna-data/2024-2025/%EF%BF%BF.csv",
    "/oppna-data/%00/aktiviteter.csv",
]


@pytest.mark.parametrize("path", BAD_PATHS)
def test_bad_slugs_references_and_names_are_404(client, published_plan, path):
    assert client.get(path).status_code in (400, 404)


def test_the_open_data_pages_list_the_files(client, published_plan):
    index = client.get(reverse("open_data:index"))
    assert index.status_code == 200
    assert reverse("open_data:plan", args=[published_plan.slug]) in index.content.decode()
    page = client.get(reverse("open_data:plan", args=[published_plan.slug])).content.decode()
    for name in DATASETS:
        for extension in ("csv", "json"):
            assert f'href="{file_url(published_plan, name, extension)}"' in page
    assert 'href="/api/v1/schema/"' in page


OPEN_LISTS = [
    "/api/v1/plans/",
    "/api/v1/plans/2024-2025/",
    *(f"/api/v1/plans/2024-2025/{name}/" for name in LISTS),
    "/oppna-data/",
    "/oppna-data/2024-2025/",
    "/oppna-data/2024-2025/aktiviteter.csv",
    "/oppna-data/2024-2025/rapporter.json",
]
OPEN_DETAILS = [
    "/api/v1/plans/{v}/",
    "/api/v1/plans/{v}/activities/",
    "/api/v1/plans/2024-2025/activities/{v}/",
    "/api/v1/plans/2024-2025/activities/1.1.{v}/",
    "/oppna-data/{v}/",
    "/oppna-data/{v}/mal.csv",
    "/oppna-data/2024-2025/{v}.json",
]


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_fuzz_list_never_gives_a_server_error(client, published_plan, coordinator, signed_in):
    if signed_in:
        client.force_login(coordinator)
    for page in OPEN_LISTS:
        for query in QUERIES:
            assert client.get(f"{page}?{query}").status_code in (200, 400, 404), (page, query)
    for page in OPEN_DETAILS:
        for value in PATH_VALUES:
            assert client.get(page.format(v=value)).status_code in (200, 400, 404), page


def test_head_of_a_file_gives_its_headers_without_reading_the_data(client, published_plan):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = file_url(published_plan, "rapporter", "csv")
    with CaptureQueriesContext(connection) as queries:
        response = client.head(url)
    assert len(queries) == 2  # the plan and the data version
    assert response.status_code == 200 and body(response) == b""
    assert response["ETag"] == client.get(url)["ETag"]
    assert response["Content-Type"].startswith("text/csv")


def test_the_plans_downloads_name_every_file_the_package_and_the_column_page(
    client, published_plan
):
    downloads = json.loads(client.get(reverse("api:plan", args=[published_plan.slug])).content)[
        "downloads"
    ]
    expected = {f"{name}.{ext}" for name in DATASETS for ext in ("csv", "json", "xlsx")}
    assert set(downloads) == expected | {"datapackage.json", "kolumner"}
    for name, url in downloads.items():
        response = client.get(url)
        assert response.status_code == 200, name
        body(response)  # read the stream to its end
