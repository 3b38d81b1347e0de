"""Hostile review of the previous rendering of kept parts (fragments.kept's family): whom a
previous rendering may be shown to, and who must wait for the new one."""

import re
import time

import pytest
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.actions import post_report
from tests.kept_parts import (
    DELAYED,
    REF,
    SLUG,
    board_report,
    current_round,
    end_claims,
    get,
    last_write,
    others_rendering,
)

# Fixtures from tests/kept_parts.py.
__all__ = ["current_round", "others_rendering"]

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plan_before_deadline")]


def another_report():
    """Someone else reports: the plan's data version moves."""
    reporter = Client()
    reporter.force_login(factories.make_reporter("annan-sbf", "SBF"))
    post_report(reporter, REF, plan=SLUG, status="delayed", comment=DELAYED, expect=302)


@pytest.fixture
def waits_end_claims(monkeypatch):
    """A request that waits sees the other workers finish without a rendering (it renders)."""
    from activities import fragments

    waits = []

    def sleep(seconds):
        waits.append(seconds)
        end_claims()

    monkeypatch.setattr(fragments.time, "sleep", sleep)
    return waits


def test_another_organisations_min_organisation_is_never_the_previous_rendering(
    client, reporter_sbf, reporter_mf, current_round, others_rendering, waits_end_claims
):
    url = reverse("rounds:my_organisation", args=[SLUG])
    client.force_login(reporter_sbf)
    assert "(SBF)</h2>" in get(client, url)[0]
    another_report()
    others_rendering["held"] = True
    # Another SBF member is shown SBF's previous list at once (the previous rendering is in
    # play); a member of MF only ever MF's.
    sbf = Client()
    sbf.force_login(factories.make_reporter("kollega-sbf", "SBF"))
    assert "(SBF)</h2>" in get(sbf, url)[0] and not waits_end_claims
    mf = Client()
    mf.force_login(reporter_mf)
    page = get(mf, url)[0]
    assert "(MF)</h2>" in page and "(SBF)</h2>" not in page


def test_another_language_is_never_the_previous_rendering(
    client, coordinator, others_rendering, waits_end_claims
):
    client.force_login(coordinator)
    assert "Sammanfattning" in get(client, board_report())[0]
    another_report()
    others_rendering["held"] = True
    client.cookies["django_language"] = "en"
    english = get(client, board_report())[0]
    assert "Summary" in english and "Sammanfattning" not in english


def test_a_coordinators_reminder_part_is_never_a_reporters_previous_rendering(
    client, coordinator, reporter_sbf, current_round, others_rendering, waits_end_claims
):
    """The round page's reminders name each organisation's members' addresses to whoever
    manages rounds, and only count them for anyone else."""
    url = current_round.get_absolute_url()
    factories.make_reporter("medlem-mf", "MF", email="medlem-mf@example.org")
    client.force_login(coordinator)
    assert "medlem-mf@example.org" in client.get(url).content.decode()
    another_report()
    others_rendering["held"] = True
    other = Client()
    other.force_login(factories.make_coordinator("samordnare-2"))
    assert "medlem-mf@example.org" in other.get(url).content.decode()
    assert not waits_end_claims  # that was the previous rendering, at once
    reporter = Client()
    reporter.force_login(reporter_sbf)
    page = reporter.get(url)
    assert page.status_code == 200
    assert "medlem-mf@example.org" not in page.content.decode()


def test_a_previous_rendering_carries_the_viewers_own_csrf_token(
    client, coordinator, current_round, others_rendering
):
    url = current_round.get_absolute_url()
    client.force_login(coordinator)
    assert client.get(url).status_code == 200
    another_report()
    others_rendering["held"] = True
    other = Client()
    other.force_login(factories.make_coordinator("samordnare-2"))
    page = other.get(url).content.decode()  # the previous rendering: no wait (others_rendering)
    assert "fragment-csrf-hole" not in page
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]*)"', page)
    assert len(tokens) >= 2  # the reminders' form (in the kept part) and the sign-out form
    secret = other.cookies["csrftoken"].value
    assert {_unmask_cipher_token(token) for token in tokens} == {secret}


def test_who_filed_a_report_sees_it_on_min_organisation_while_another_renders_it(
    client, reporter_sbf, current_round, others_rendering, waits_end_claims
):
    url = reverse("rounds:my_organisation", args=[SLUG])
    client.force_login(reporter_sbf)
    before = int(re.search(r"Att rapportera \((\d+)\)", get(client, url)[0]).group(1))
    response = post_report(client, REF, plan=SLUG, status="delayed", comment=DELAYED)
    assert response.status_code == 302
    others_rendering["held"] = True
    # The page the form sends them to has the report (and its confirmation).
    landing = client.get(response["Location"]).content.decode()
    assert DELAYED in landing
    after = int(re.search(r"Att rapportera \((\d+)\)", get(client, url)[0]).group(1))
    assert after == before - 1 and waits_end_claims


def test_a_refused_report_marks_nobody_as_having_just_written(client, reporter_sbf):
    """A form with errors (400) changed nothing: its sender may be shown previous renderings."""

    client.force_login(reporter_sbf)
    post_report(client, REF, plan=SLUG, status="no-such-status", expect=400)
    assert last_write(reporter_sbf) is None


@pytest.mark.parametrize("method", ["PROPFIND", "PATCH", "DELETE", "PUT"])
def test_a_crafted_method_on_a_page_is_no_500(client, reporter_sbf, method):
    client.force_login(reporter_sbf)
    response = client.generic(method, reverse("activities:list", args=[SLUG]))
    assert response.status_code < 500


def test_who_wrote_before_the_previous_rendering_or_never_is_shown_it(rf, reporter_sbf):
    from django.core.cache import cache

    from activities import fragments

    begun_at = time.time()
    key = fragments.LAST_WRITE_KEY.format(reporter_sbf.pk)
    for value in (None, "x", [1], {"a": 1}, float("nan"), begun_at - 1):
        request = rf.get("/")
        request.user = reporter_sbf
        cache.set(key, value)
        assert fragments.may_show_previous(request, begun_at), value
    cache.set(key, begun_at + 0.001)
    assert not fragments.may_show_previous(request, begun_at)


# What a "previous rendering" can be (the review's two limits, since fixed) ---------------


def test_who_filed_a_report_a_minute_ago_still_sees_it_while_another_renders_the_page(
    client, reporter_sbf, current_round, others_rendering, waits_end_claims
):

    url = reverse("rounds:my_organisation", args=[SLUG])
    client.force_login(reporter_sbf)
    before = int(re.search(r"Att rapportera \((\d+)\)", get(client, url)[0]).group(1))
    post_report(client, REF, plan=SLUG, status="delayed", comment=DELAYED, expect=302)
    # Later (they read the activity's page, say); nobody has shown Min organisation since: its
    # previous rendering began before their report, so they wait for the new one.
    assert last_write(reporter_sbf) is not None
    others_rendering["held"] = True
    after = int(re.search(r"Att rapportera \((\d+)\)", get(client, url)[0]).group(1))
    assert after == before - 1


def test_a_slow_rendering_of_an_older_version_does_not_become_the_previous_one(rf):
    from django.core.cache import cache

    from activities import fragments

    def slow_v1():
        # While v1 renders, the data changes and another request renders v2 and keeps it.
        assert fragments.kept("part:v2", lambda: "v2", None, "part:latest") == "v2"
        return "v1"

    fragments.kept("part:v1", slow_v1, None, "part:latest")
    cache.set("part:v3:building", time.time())
    reader = rf.get("/")
    reader.session = {}
    assert fragments.kept("part:v3", lambda: "v3", reader, "part:latest") == "v2"
