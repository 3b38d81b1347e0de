"""A hostile review of the pinned state (fragments._pinned, FRAGMENT_REFRESH_SECONDS) with
the production setting: the author of a report must see it at once, whatever another
request was doing when the report came in, and whichever worker answers."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from activities import fragments
from tests import factories
from tests.actions import post_report
from tests.kept_parts import DELAYED, REF, SLUG, get, row_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plan_before_deadline")]


@pytest.fixture(autouse=True)
def production_refresh(settings):
    settings.FRAGMENT_REFRESH_SECONDS = 1.0


@pytest.fixture
def later(monkeypatch):
    """later(seconds): the clock moved on by `seconds`; it stands still otherwise."""
    import time

    now = {"at": time.time()}
    monkeypatch.setattr(fragments.time, "time", lambda: now["at"])

    def move(seconds):
        now["at"] += seconds

    return move


def table():
    return reverse("activities:list", args=[SLUG]) + f"?q={REF}"


def test_a_report_between_a_readers_state_and_its_stamp_shows_to_its_author(
    client, reporter_sbf, later, monkeypatch
):
    """A reader reads the plan's state, then the author's report commits and their worker
    notes the write, then the reader's worker stamps the state it pins (after a round trip to
    the cache). Stamped after the note, the pinned state (without the report) passed for one
    read after it, and the author was shown their page without their report for up to the
    setting. The stamp must be taken before the state is read."""
    colleague = Client()
    colleague.force_login(factories.make_reporter("kollega-sbf", "SBF"))
    assert "Försenad" not in row_of(REF, get(colleague, table())[0])
    later(1.1)  # the pinned state is too old: the next reader reads and pins it again

    real_plan_state = fragments.plan_state
    racing = {"on": True}

    def plan_state(slug):
        state = real_plan_state(slug)
        if racing.pop("on", False):
            # In between, on another worker: the report commits, and the write is noted.
            later(0.01)
            factories.file_report(REF, "SBF", reporter_sbf, "delayed", comment=DELAYED)
            fragments.note_write(reporter_sbf)
            later(0.01)
        return state

    monkeypatch.setattr(fragments, "plan_state", plan_state)
    get(colleague, table())
    assert not racing
    later(0.1)
    client.force_login(reporter_sbf)
    assert "Försenad" in row_of(REF, get(client, table())[0])


def test_the_author_sees_their_report_on_another_worker_without_a_shared_cache(
    client, reporter_sbf, later
):
    """Without CACHE_URL each worker has its own cache (the README's default; gunicorn runs
    two workers): the note of the author's write was in the cache of the worker that took the
    POST only, and another worker showed the author its pinned state without their report for
    up to FRAGMENT_REFRESH_SECONDS (before the pinned state a process-local cache never showed
    anyone an older rendering). The author's browser carries the note (LAST_WRITE_COOKIE)."""
    colleague = Client()
    colleague.force_login(factories.make_reporter("kollega-sbf", "SBF"))
    get(colleague, table())  # worker B pins the state, and keeps the row without the report
    client.force_login(reporter_sbf)
    post_report(client, REF, status="delayed", comment=DELAYED, expect=302)  # on worker A
    # Worker B's own cache never held worker A's note of the write.
    cache.delete(fragments.LAST_WRITE_KEY.format(reporter_sbf.pk))
    later(0.1)
    assert "Försenad" in row_of(REF, get(client, table())[0])


def test_the_note_of_a_write_is_a_cookie_of_the_authors_only(client, reporter_sbf, settings):
    settings.SESSION_COOKIE_SECURE = True
    client.force_login(reporter_sbf)
    response = post_report(client, REF, status="delayed", comment=DELAYED, expect=302)
    cookie = response.cookies[fragments.LAST_WRITE_COOKIE]
    assert cookie["httponly"] and cookie["secure"] and cookie["samesite"] == "Lax"
    assert 0 < cookie["max-age"] <= 120
    # A reader who wrote nothing gets none, and neither does the public.
    assert fragments.LAST_WRITE_COOKIE not in Client().get(table()).cookies


@pytest.mark.parametrize(
    "value", ["nan", "inf", "-inf", "1e309", "x", "", "9" * 40, "1" + "0" * 31, "-1"]
)
def test_a_crafted_cookie_only_changes_what_its_holder_sees_and_never_errs(
    client, reporter_sbf, later, value
):
    """A forged note is the holder's own: a time far ahead makes their pages fresh (as a
    write would), anything else is ignored or makes nothing staler than the setting."""
    colleague = Client()
    colleague.force_login(factories.make_reporter("kollega-sbf", "SBF"))
    get(colleague, table())
    factories.file_report(REF, "SBF", reporter_sbf, "delayed", comment=DELAYED)
    later(0.1)
    client.force_login(reporter_sbf)
    client.cookies[fragments.LAST_WRITE_COOKIE] = value
    get(client, table())  # 200, whatever the cookie
    later(1.0)
    assert "Försenad" in row_of(REF, get(client, table())[0])
    assert "Försenad" in row_of(REF, get(colleague, table())[0])
