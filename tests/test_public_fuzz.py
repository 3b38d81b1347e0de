"""The public pages driven with hostile query strings, path values and headers: an answer, a
400 or a 404, never a server error; rendered, and again from the cache."""

from urllib.parse import quote

import pytest

from tests.fuzz_values import LONG, PATH_VALUES, QUERIES

pytestmark = pytest.mark.django_db

PLAN = "2024-2025"

PUBLIC_QUERIES = [
    *QUERIES,
    "change=worse",
    "change=%EF%BF%BF",
    "assessment=none&target_assessment=bogus",
    "per_page=10&page=6",
    "sort=" + "x" * 5000,
    "plan=" + "x" * 5000,
    "plan=2024-2025&plan=other",
    "q=" + "%EF%BF%BF" * 300,
]

LIST_PAGES = [
    "/insyn/",
    f"/insyn/{PLAN}/",
    f"/insyn/{PLAN}/omraden/",
    f"/insyn/{PLAN}/omraden/3/",
    f"/insyn/{PLAN}/aktiviteter/",
    f"/insyn/{PLAN}/aktiviteter/3.2.3/",
]

DETAIL_PAGES = [
    "/insyn/{v}/",
    "/insyn/{v}/aktiviteter/",
    f"/insyn/{PLAN}/omraden/{{v}}/",
    f"/insyn/{PLAN}/aktiviteter/{{v}}/",
    f"/insyn/{PLAN}/aktiviteter/999.999.{{v}}/",
    "/insyn/sprak/{v}/",
]


def _get(client, url, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code in (200, 302, 304, 400, 404), (url, response.status_code)
    return response


@pytest.mark.parametrize("page", LIST_PAGES)
def test_public_pages_answer_hostile_query_strings_without_a_server_error(
    client, published_plan, page
):
    for query in PUBLIC_QUERIES:
        url = f"{page}?{query}"
        first = _get(client, url)
        again = _get(client, url)  # from the cache this time
        assert again.status_code == first.status_code


@pytest.mark.parametrize("page", DETAIL_PAGES)
def test_public_pages_answer_hostile_path_values_without_a_server_error(
    client, published_plan, page
):
    for value in PATH_VALUES:
        _get(client, page.format(v=value))


@pytest.mark.parametrize(
    "etag", ['"', "*", "W/", '"' + "a" * 10_000 + '"', "\u00e5\u00e4\u00f6", '"x", "y", W/"z"']
)
def test_hostile_if_none_match_headers_are_harmless(client, published_plan, etag):
    response = _get(client, f"/insyn/{PLAN}/", **{"if-none-match": etag})
    # None is this page's ETag; "*" ("if it exists") is not taken as one either, since only
    # the answer tells whether a page exists (public_cache.without_any_etag).
    assert response.status_code == 200


@pytest.mark.parametrize(
    "next_url",
    [LONG, "%00", "/insyn/" + "x" * 5000, "javascript:alert(1)", "/insyn/\\\\evil.example/"],
)
def test_the_language_switch_takes_hostile_next_addresses(client, next_url):
    response = _get(client, f"/insyn/sprak/en/?next={quote(next_url)}")
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert response["Location"].startswith("/insyn/")


def test_a_control_character_in_a_public_address_is_a_bad_request(client, published_plan):
    assert client.get(f"/insyn/{PLAN}/aktiviteter/?q=a%00").status_code == 400


def test_an_overlong_public_search_shows_the_error_not_a_result(client, published_plan):
    response = _get(client, f"/insyn/{PLAN}/aktiviteter/?q={quote(LONG)}")
    assert response.status_code == 200
    assert "0 aktiviteter" in response.text
    assert 'class="error-summary"' in response.text
