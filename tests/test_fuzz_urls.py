"""Every list and detail page, driven with hostile query strings and path values: no answer
is a server error, on SQLite and on PostgreSQL alike."""

from urllib.parse import quote

import pytest

from tests.fuzz_values import LONG, PATH_VALUES, QUERIES

pytestmark = pytest.mark.django_db

PLAN = "2024-2025"
LIST_PAGES = [
    f"/plan/{PLAN}/",
    f"/plan/{PLAN}/omraden/",
    f"/plan/{PLAN}/aktiviteter/",
    f"/plan/{PLAN}/organisationer/",
    f"/plan/{PLAN}/omgangar/",
    f"/plan/{PLAN}/min-organisation/",
    f"/plan/{PLAN}/aktiviteter/excel/mall/",
    f"/plan/{PLAN}/aktiviteter/excel/tabell/",
    f"/plan/{PLAN}/aktiviteter/excel/handlingsplan/",
    f"/plan/{PLAN}/aktiviteter/excel/import/",
    f"/plan/{PLAN}/rapport/",
    f"/plan/{PLAN}/rapport/word/",
    "/byt-plan/",
    "/",
]


DETAIL_PAGES = [
    "/plan/{v}/",
    f"/plan/{PLAN}/omraden/{{v}}/",
    f"/plan/{PLAN}/aktiviteter/{{v}}/",
    f"/plan/{PLAN}/aktiviteter/999.999.{{v}}/",
    f"/plan/{PLAN}/organisationer/{{v}}/",
    f"/plan/{PLAN}/omgangar/{{v}}/",
    f"/plan/{PLAN}/aktiviteter/excel/import/{{v}}/",
    "/organisationer/{v}/",
]


def _get(client, url):
    response = client.get(url)
    assert response.status_code < 500, url
    return response


@pytest.mark.parametrize("page", LIST_PAGES)
def test_list_pages_answer_hostile_query_strings_without_a_server_error(client, coordinator, page):
    client.force_login(coordinator)
    for query in QUERIES:
        _get(client, f"{page}?{query}")


@pytest.mark.parametrize("page", DETAIL_PAGES)
def test_detail_pages_answer_hostile_path_values_without_a_server_error(client, coordinator, page):
    client.force_login(coordinator)
    for value in PATH_VALUES:
        _get(client, page.format(v=value))


def test_the_activity_table_keeps_to_its_page_sizes(client, coordinator):
    client.force_login(coordinator)
    for asked, used in [("-1", 25), ("1", 25), ("100000", 25), ("10", 10), ("100", 100)]:
        response = _get(client, f"/plan/{PLAN}/aktiviteter/?per_page={asked}")
        assert response.context["table"].paginator.per_page == used


def test_a_control_character_anywhere_in_the_address_is_a_bad_request(client, coordinator):
    client.force_login(coordinator)
    for url in [f"/plan/{PLAN}/organisationer/SB%00F/", f"/plan/{PLAN}/aktiviteter/?q=a%00"]:
        response = client.get(url)
        assert response.status_code == 400
        assert "Felaktig begäran" in response.content.decode()


def test_an_overlong_search_is_refused_not_run(client, coordinator):
    client.force_login(coordinator)
    response = _get(client, f"/plan/{PLAN}/aktiviteter/?q={quote(LONG)}")
    assert response.context["result_count"] == 0
    assert response.context["filter"].errors
