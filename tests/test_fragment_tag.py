"""`{% fragment %}` (activities/templatetags/fragments.py), the one tag that keeps parts of a
page until the data changes, through the test client on the round page: a hit skips the
part's queries; a change of data, another language or another day is a new copy; a part that
differs between viewers (the reminders) is never served to another viewer, and a form in a
kept part carries the viewer's own CSRF token."""

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db

SLUG = "2024-2025"
RECEIVED = re.compile(r"(\d+) (?:rapporterade i omgången|reported in the round)")


@pytest.fixture
def round_now(plan, coordinator):
    return factories.make_open_round(plan=plan, created_by=coordinator)


def get(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def reminders_part(page):
    part = page.split('id="paminnelser"')[1].split("Skickade påminnelser")[0]
    # A CSRF token is masked afresh in every response.
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", part)


def test_a_hit_skips_the_parts_queries_and_a_report_shows_at_once(client, coordinator, round_now):
    client.force_login(coordinator)
    url = round_now.get_absolute_url()
    before, cold = get(client, url)
    again, warm = get(client, url)
    assert RECEIVED.search(again).group(1) == RECEIVED.search(before).group(1)
    assert warm <= cold - 5, (cold, warm)
    factories.file_report("3.2.4", "SBF", coordinator, round=round_now)
    after, _ = get(client, url)
    assert int(RECEIVED.search(after).group(1)) == int(RECEIVED.search(before).group(1)) + 1


def test_each_language_has_its_own_copy(client, coordinator, round_now):
    client.force_login(coordinator)
    url = round_now.get_absolute_url()
    swedish, _ = get(client, url)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english, cold = get(client, url)
    assert "rapporterade i omgången" in swedish and "reported in the round" in english
    assert "rapporterade i omgången" not in english
    assert get(client, url)[1] < cold  # the English copy is kept in turn


def test_the_next_day_is_a_new_copy(client, coordinator, round_now, monkeypatch):
    client.force_login(coordinator)
    url = round_now.get_absolute_url()
    _, cold = get(client, url)
    _, warm = get(client, url)
    assert warm < cold
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    assert get(client, url)[1] == cold  # rendered afresh: nothing of yesterday's copy is used
    assert get(client, url)[1] == warm


def test_the_reminders_are_never_served_to_another_viewer(client, coordinator, round_now):
    factories.make_reporter("smf-person", "SMF", email="smf@example.invalid")
    url = round_now.get_absolute_url()
    client.force_login(coordinator)
    managed = reminders_part(get(client, url)[0])
    assert "smf@example.invalid" in managed and "Skicka påminnelser" in managed
    # A reader after the coordinator: counts, no addresses, no button.
    client.force_login(factories.make_user("läsare"))
    read = reminders_part(get(client, url)[0])
    assert "smf@example.invalid" not in read and "Skicka påminnelser" not in read
    assert "1 mottagare" in read and "lägg till en medlem" not in read
    # Staff see the link to add a member where an organisation has none.
    client.force_login(factories.make_user("personal", is_staff=True))
    assert "lägg till en medlem" in reminders_part(get(client, url)[0])
    client.force_login(coordinator)
    assert reminders_part(get(client, url)[0]) == managed


def test_a_new_members_address_shows_at_once(client, coordinator, round_now):
    """Memberships are not part of the data version: the reminders part is kept per set of
    addresses."""
    url = round_now.get_absolute_url()
    client.force_login(coordinator)
    assert "smf@example.invalid" not in reminders_part(get(client, url)[0])
    factories.make_reporter("smf-person", "SMF", email="smf@example.invalid")
    assert "smf@example.invalid" in reminders_part(get(client, url)[0])


def test_a_form_in_a_kept_part_carries_the_viewers_own_token(round_now, mailoutbox):
    factories.make_reporter("smf-person", "SMF", email="smf@example.invalid")
    url = round_now.get_absolute_url()
    tokens = []
    for name in ("samordnare-a", "samordnare-b"):
        client = Client(enforce_csrf_checks=True)
        client.force_login(factories.make_coordinator(name))
        page = client.get(url).content.decode()
        form = page.split('id="paminnelser"')[1]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        tokens.append(token)
    # The second coordinator's page came from the kept part, with their own token.
    send = reverse("rounds:send_reminders", args=[SLUG, round_now.pk])
    assert client.post(send, {"csrfmiddlewaretoken": tokens[1]}).status_code == 302
    assert len(mailoutbox) == 1
    assert tokens[0] != tokens[1]
