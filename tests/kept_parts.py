"""What the tests of kept parts share (tests/test_fragments.py, test_public_cache.py and the
hostile review's tests/test_hostile_previous*.py): the real plan's references, signed-in
page reads without the CSRF token, a round in progress, and another worker rendering."""

import datetime
import re
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities.models import Status
from tests import factories

SLUG = "2024-2025"
# 3.2.4 is led only by SBF.
REF = "3.2.4"
DELAYED = "Försenat av leveransproblem."


@pytest.fixture
def current_round(plan, coordinator):
    today = datetime.date.today()
    factories.make_round(
        plan=plan,
        name="Omgång förut",
        opens_on=today - datetime.timedelta(days=100),
        deadline=today - datetime.timedelta(days=80),
        created_by=coordinator,
    )
    return factories.make_open_round(plan=plan, created_by=coordinator)


def get(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    # The sign-out form's CSRF token is masked afresh in every response.
    content = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
    return content, len(queries)


def board_report():
    return reverse("report:page", args=[SLUG])


def row_of(ref, page):
    pattern = rf'<tr[^>]*>\s*<td[^>]*><a href="[^"]*/{re.escape(ref)}/">.*?</tr>'
    return re.search(pattern, page, re.S)[0]


def end_claims():
    """The other workers' renderings end (locmem's keys are ":1:" + the key)."""
    cache.delete_many([key.split(":", 2)[2] for key in cache._cache if key.endswith(":building")])


@pytest.fixture
def others_rendering(monkeypatch):
    """Every part's new rendering is claimed by another worker that has not finished it; a
    request that waits for it fails the test."""
    from activities import fragments

    real_add = fragments.cache.add
    state = {"held": False}

    def add(key, *args, **kwargs):
        if state["held"] and key.endswith(":building"):
            cache.set(key, time.time())  # theirs, begun now
            return False
        return real_add(key, *args, **kwargs)

    monkeypatch.setattr(fragments.cache, "add", add)
    monkeypatch.setattr(fragments.time, "sleep", lambda seconds: pytest.fail("waited"))
    return state


def file_delayed_report():
    """SMF reports 3.2.3 delayed: a change every public page shows."""
    factories.file_report(
        "3.2.3",
        "SMF",
        factories.make_user("cache-rapportor"),
        status=Status.DELAYED,
        comment="Väntar på beslut.",
    )


def last_write(user):
    """When `user` last changed something, as ReadOwnWritesMiddleware noted it (or None)."""
    from activities import fragments

    return cache.get(fragments.LAST_WRITE_KEY.format(user.pk))


@pytest.fixture
def production_refresh(settings):
    """The pages' version held FRAGMENT_REFRESH_SECONDS as in production (1 s); the rest of
    the suite sets 0 (tests/conftest.py). Autouse where a module imports it with autouse."""
    settings.FRAGMENT_REFRESH_SECONDS = 1.0


@pytest.fixture
def later(monkeypatch):
    """later(seconds): the clock moved on by `seconds`. It stands still otherwise, so a slow
    machine does not move it past the second on its own (everything that reads time.time
    reads this clock: the notes of who wrote when, the cache's own expiry)."""
    from activities import fragments

    now = {"at": time.time()}
    monkeypatch.setattr(fragments.time, "time", lambda: now["at"])

    def move(seconds):
        now["at"] += seconds

    return move
