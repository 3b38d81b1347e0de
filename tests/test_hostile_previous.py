"""Hostile review of "the previous rendering while the new one is made" (fragments.kept's
family, public_cache._answer): what a previous rendering may and may not show."""

import time

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.kept_parts import SLUG, end_claims, file_delayed_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def claimed_elsewhere(monkeypatch):
    """Every rendering is claimed by another worker that has not finished; waiting fails."""
    from activities import fragments

    real_add, real_set = fragments.cache.add, fragments.cache.set
    state = {"held": False}

    def add(key, *args, **kwargs):
        if state["held"] and key.endswith(":building"):
            real_set(key, time.time())  # theirs, begun now
            return False
        return real_add(key, *args, **kwargs)

    monkeypatch.setattr(fragments.cache, "add", add)
    return state


def test_an_unpublished_plans_public_page_is_not_served_from_its_previous_rendering(
    client, published_plan, claimed_elsewhere
):
    """A coordinator unpublishes a plan (published by mistake, say): from then on its public
    pages answer 404. A visitor whose request comes while another request is rendering that
    404 must not get the plan's page as it was while it was published."""
    url = reverse("insyn:activity", args=[SLUG, "3.2.3"])
    assert client.get(url).status_code == 200
    published_plan.published = False
    published_plan.save(update_fields=["published"])
    # Someone renders the page now: 404, nothing kept.
    assert client.get(url).status_code == 404
    # Later visitors, each while another request renders the 404 (a crawler, a busy page).
    claimed_elsewhere["held"] = True
    for _ in range(3):
        assert client.get(url).status_code == 404


def test_a_renamed_plans_old_address_is_not_served_from_its_previous_rendering(
    client, published_plan, claimed_elsewhere
):
    url = reverse("insyn:overview", args=[SLUG])
    assert client.get(url).status_code == 200
    published_plan.slug = "2024-2025-ny"
    published_plan.save(update_fields=["slug"])
    assert client.get(url).status_code == 404
    claimed_elsewhere["held"] = True
    assert client.get(url).status_code == 404


def test_a_previous_public_page_is_not_kept_by_browsers_and_proxies_as_current(
    client, published_plan, claimed_elsewhere
):
    """The previous rendering is out of date when it is sent: under `max-age=60` a browser or
    proxy would show it for another minute without asking, though the new page is ready a
    moment later. It must ask again (with the old ETag, which gets the new page)."""
    url = reverse("insyn:activity", args=[SLUG, "3.2.3"])
    first = client.get(url)
    assert "max-age=60" in first["Cache-Control"]
    file_delayed_report()
    claimed_elsewhere["held"] = True
    previous = client.get(url)
    assert previous.status_code == 200 and previous["ETag"] == first["ETag"]
    assert "max-age=60" not in previous["Cache-Control"]
    assert "no-cache" in previous["Cache-Control"] or "max-age=0" in previous["Cache-Control"]
    claimed_elsewhere["held"] = False
    end_claims()  # the other worker's rendering is done
    fresh = client.get(url, headers={"if-none-match": previous["ETag"]})
    assert fresh.status_code == 200 and fresh["ETag"] != first["ETag"]
    assert "max-age=60" in fresh["Cache-Control"]


def test_a_page_kept_by_the_release_before_is_not_a_500(client, published_plan):
    """The release before kept a public page's body alone under CACHE_PREFIX + its ETag; this
    one keeps (etag, body) under a key of the same form. The shared cache (Redis) outlives a
    deploy, and during a rolling one both releases share it: an old entry read by the new code
    must be a page, not "too many values to unpack". (The reverse, not run here: the release
    before answered a new entry with HttpResponse((etag, body)), the ETag glued to the page.)"""
    from activities import public_cache

    url = reverse("insyn:activity", args=[SLUG, "3.2.3"])
    first = client.get(url)
    etag = first["ETag"].strip('"')
    # What the release before (public_cache.cached, before b67ba50) kept for the same page.
    cache.set("insyn:" + etag, first.content, public_cache.CACHE_SECONDS)
    again = client.get(url)
    assert again.status_code == 200 and again.content == first.content
