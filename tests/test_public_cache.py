"""Insyn pages are cacheable: an ETag that changes with the data, 304 Not Modified for an
unchanged page, Cache-Control for browsers and proxies, and the rendered page kept in the cache,
so a repeated request costs the database one small query."""

import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities.public_cache import CACHE_PREFIX
from tests.kept_parts import end_claims, file_delayed_report

pytestmark = pytest.mark.django_db

SLUG = "2024-2025"
PAGES = [
    reverse("insyn:overview", args=[SLUG]),
    reverse("insyn:areas", args=[SLUG]),
    reverse("insyn:area", args=[SLUG, 2]),
    reverse("insyn:activities", args=[SLUG]) + "?status=not_reported&sort=-current_status",
    reverse("insyn:activity", args=[SLUG, "3.2.3"]),
]


@pytest.mark.parametrize("url", PAGES)
def test_an_unchanged_page_answers_304_to_its_etag(client, published_plan, url):
    first = client.get(url)
    etag = first["ETag"]
    assert first.status_code == 200 and etag.startswith('"')
    again = client.get(url, headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert "max-age=60" in again["Cache-Control"]


@pytest.mark.parametrize("url", PAGES)
def test_a_new_report_changes_the_etag_and_the_page(client, published_plan, url):
    etag = client.get(url)["ETag"]
    file_delayed_report()
    response = client.get(url, headers={"if-none-match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_the_new_report_shows_at_once_though_the_old_page_was_cached(client, published_plan):
    url = reverse("insyn:activity", args=[SLUG, "3.2.3"])
    assert "Försenad" not in client.get(url).text.split('id="historik"')[1]
    file_delayed_report()
    assert "Försenad" in client.get(url).text.split('id="historik"')[1]


def test_the_etag_differs_by_query_string_and_language(client, published_plan):
    url = reverse("insyn:activities", args=[SLUG])
    etags = {client.get(url)["ETag"], client.get(url + "?lead=SBF")["ETag"]}
    client.cookies["django_language"] = "en"
    etags.add(client.get(url)["ETag"])
    assert len(etags) == 3


def test_the_page_says_it_may_be_cached_publicly_and_varies_by_cookie(client, published_plan):
    response = client.get(reverse("insyn:overview", args=[SLUG]))
    assert "public" in response["Cache-Control"]
    assert "max-age=60" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]
    assert response.cookies == {}


def test_the_max_age_is_a_setting(client, published_plan, settings):
    settings.PUBLIC_CACHE_SECONDS = 300
    response = client.get(reverse("insyn:overview", args=[SLUG]))
    assert "max-age=300" in response["Cache-Control"]


@pytest.mark.parametrize("url", PAGES)
def test_a_repeated_request_costs_one_query(client, published_plan, url):
    first = client.get(url)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url)
    assert len(queries) == 1  # the data version
    assert again.status_code == 200
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]


def test_a_304_costs_one_query_and_no_rendering(client, published_plan):
    url = reverse("insyn:overview", args=[SLUG])
    etag = client.get(url)["ETag"]
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, headers={"if-none-match": etag}).status_code == 304
    assert len(queries) == 1


def test_a_signed_in_visitor_gets_the_same_page_as_everyone(client, published_plan, coordinator):
    url = reverse("insyn:activity", args=[SLUG, "3.2.3"])
    anonymous = client.get(url)
    client.force_login(coordinator)
    signed_in = client.get(url)
    assert signed_in.content == anonymous.content
    assert "Logga ut" not in signed_in.text


def test_a_signed_in_visitor_rendering_first_leaves_nothing_personal_for_others(
    client, published_plan, coordinator
):
    url = reverse("insyn:overview", args=[SLUG])
    client.force_login(coordinator)
    html = client.get(url).text
    assert coordinator.username not in html
    client.logout()
    assert client.get(url).content.decode() == html


def test_unpublishing_answers_404_at_once_despite_the_cache(client, published_plan):
    url = reverse("insyn:overview", args=[SLUG])
    etag = client.get(url)["ETag"]
    published_plan.published = False
    published_plan.save()
    assert client.get(url).status_code == 404
    assert client.get(url, headers={"if-none-match": etag}).status_code == 404


def test_head_is_answered_like_get(client, published_plan):
    url = reverse("insyn:overview", args=[SLUG])
    response = client.head(url)
    assert response.status_code == 200
    assert response["ETag"] == client.get(url)["ETag"]


def kept_renderings():
    """The keys of the public renderings in the cache (the test settings' LocMemCache)."""
    return {key for key in cache._cache if CACHE_PREFIX in key}


@pytest.mark.parametrize(
    "url",
    [
        reverse("insyn:overview", args=[SLUG]),
        reverse("insyn:activity", args=[SLUG, "3.2.3"]),
        reverse("insyn:activities", args=[SLUG]),
        reverse("insyn:targets", args=[SLUG]),
    ],
)
def test_unknown_query_parameters_give_the_same_etag_and_cache_entry(client, published_plan, url):
    plain = client.get(url)
    kept = kept_renderings()
    assert len(kept) == 1
    for query in ["?utm_source=x&foo=1", "?foo=1&utm_source=x", "?fbclid=%C3%A5&x=%FF"]:
        response = client.get(url + query)
        assert response.status_code == 200
        assert response["ETag"] == plain["ETag"]
        assert response.content == plain.content  # no link carries the unknown parameters
        assert "utm_source" not in response.text
    assert kept_renderings() == kept
    # With the ETag of the plain page, the page with unknown parameters is not modified.
    again = client.get(url + "?utm_source=y", headers={"if-none-match": plain["ETag"]})
    assert again.status_code == 304


def test_a_real_filter_still_makes_its_own_rendering_and_junk_beside_it_does_not(
    client, published_plan
):
    url = reverse("insyn:activities", args=[SLUG])
    plain = client.get(url)
    filtered = client.get(url + "?lead=SBF")
    assert filtered["ETag"] != plain["ETag"]
    assert len(kept_renderings()) == 2
    # The same filters in another order, with junk, are the same rendering.
    first = client.get(url + "?status=on_track&lead=SBF&sort=-current_status")
    second = client.get(url + "?utm_campaign=z&sort=-current_status&lead=SBF&status=on_track")
    assert first["ETag"] == second["ETag"] and first.content == second.content
    assert len(kept_renderings()) == 3
    for n in range(20):
        client.get(url + f"?lead=SBF&junk{n}={n}")
    assert len(kept_renderings()) == 3


def test_repeated_values_keep_their_order(client, published_plan):
    """The last ?sort= is the one the table uses: two orders are two renderings."""
    url = reverse("insyn:activities", args=[SLUG])
    one = client.get(url + "?sort=reference&sort=-reference")
    other = client.get(url + "?sort=-reference&sort=reference")
    assert one["ETag"] != other["ETag"]


def test_while_another_worker_renders_the_new_page_a_visitor_gets_the_previous_one_under_its_etag(
    client, published_plan, monkeypatch
):
    """After a change one request renders the page; the others are answered at once with the
    page as it was, under the ETag it was rendered for, so a browser that keeps it is not told
    later that it is still current (activities/fragments.py, kept)."""
    from activities import fragments

    url = reverse("insyn:activity", args=[SLUG, "3.2.3"])
    first = client.get(url)
    file_delayed_report()
    real_add = fragments.cache.add

    def claimed_elsewhere(key, *args, **kwargs):
        if key.endswith(":building"):
            fragments.cache.set(key, time.time())  # theirs, begun now
            return False
        return real_add(key, *args, **kwargs)

    monkeypatch.setattr(fragments.cache, "add", claimed_elsewhere)
    monkeypatch.setattr(fragments.time, "sleep", lambda seconds: pytest.fail("waited"))
    previous = client.get(url)
    assert previous.status_code == 200 and previous.content == first.content
    assert previous["ETag"] == first["ETag"]
    monkeypatch.undo()
    end_claims()  # the other worker's rendering is done
    fresh = client.get(url, headers={"if-none-match": previous["ETag"]})
    assert fresh.status_code == 200 and fresh["ETag"] != first["ETag"]
    assert "Försenad" in fresh.text.split('id="historik"')[1]
