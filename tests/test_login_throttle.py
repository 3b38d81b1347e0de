"""Passwords cannot be guessed without limit: ten failed sign-ins lock the username, and ten
from one address lock the address, each counted on its own, on the app's sign-in page and the
admin's alike. No one else's sign-in resets a count, retrying during a lockout does not extend
it, and an administrator can lift it. (Which address counts: test_login_client_address.py.)"""

import datetime
import io
import time

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

LOCKED = "Inloggningen är spärrad"


def sign_in(client, url, username, password, **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


@pytest.mark.parametrize("url_name", ["login", "admin:login"])
def test_the_eleventh_attempt_is_refused_even_with_the_right_password(client, url_name):
    user = factories.make_user("gissad", is_staff=True, is_superuser=True)
    url = reverse(url_name)
    for attempt in range(10):
        response = sign_in(client, url, "gissad", f"fel-{attempt}")
        assert "_auth_user_id" not in client.session
    response = sign_in(client, url, "gissad", factories.PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert LOCKED in page
    assert "Försök igen om 15 minuter" in page
    assert int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session
    assert user.is_active


def test_fewer_failures_than_the_limit_do_not_lock(client):
    factories.make_user("glömsk")
    for attempt in range(9):
        sign_in(client, reverse("login"), "glömsk", f"fel-{attempt}")
    response = sign_in(client, reverse("login"), "glömsk", factories.PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"]


def test_one_address_trying_many_usernames_is_locked_out(client):
    factories.make_user("riktig")
    for n in range(10):
        sign_in(client, reverse("login"), f"okänd-{n}", "gissning")
    response = sign_in(client, reverse("login"), "riktig", factories.PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_one_username_tried_from_many_addresses_is_locked_out(client):
    factories.make_user("gissad")
    for n in range(10):
        sign_in(client, reverse("login"), "gissad", "gissning", REMOTE_ADDR=f"10.2.0.{n}")
    response = sign_in(
        client, reverse("login"), "gissad", factories.PASSWORD, REMOTE_ADDR="10.2.1.1"
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def lift_in_admin(admin_client, search):
    """What README.md tells an administrator: search Access attempts in the admin for the
    username or address, select every row found and delete them."""
    changelist = reverse("admin:axes_accessattempt_changelist")
    found = admin_client.get(changelist, {"q": search}).context["cl"].result_list
    assert found
    response = admin_client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [a.pk for a in found], "post": "yes"},
    )
    assert response.status_code == 302


def test_an_administrator_lifts_a_username_lockout_in_the_admin(client, admin_client):
    factories.make_user("spärrad")
    for attempt in range(10):
        sign_in(
            client, reverse("login"), "spärrad", f"fel-{attempt}", REMOTE_ADDR=f"10.1.0.{attempt}"
        )
    assert sign_in(client, reverse("login"), "spärrad", factories.PASSWORD).status_code == 429
    lift_in_admin(admin_client, "spärrad")
    assert sign_in(client, reverse("login"), "spärrad", factories.PASSWORD).status_code == 302


def test_an_administrator_lifts_an_address_lockout_in_the_admin(client, admin_client):
    """Ten usernames tried from one address are ten rows, each far from its own limit: the
    address is found by searching for it."""
    factories.make_user("granne")
    for n in range(10):
        sign_in(client, reverse("login"), f"okänd-{n}", "fel", REMOTE_ADDR="10.1.1.1")
    response = sign_in(
        client, reverse("login"), "granne", factories.PASSWORD, REMOTE_ADDR="10.1.1.1"
    )
    assert response.status_code == 429
    lift_in_admin(admin_client, "10.1.1.1")
    response = sign_in(
        client, reverse("login"), "granne", factories.PASSWORD, REMOTE_ADDR="10.1.1.1"
    )
    assert response.status_code == 302


def test_the_reset_commands_lift_a_username_and_an_address_lockout(client):
    factories.make_user("spärrad")
    for attempt in range(10):
        sign_in(
            client, reverse("login"), "spärrad", f"fel-{attempt}", REMOTE_ADDR=f"10.1.0.{attempt}"
        )
    for n in range(10):
        sign_in(client, reverse("login"), f"okänd-{n}", "fel", REMOTE_ADDR="10.1.1.1")
    assert sign_in(client, reverse("login"), "spärrad", factories.PASSWORD).status_code == 429
    output = io.StringIO()
    call_command("axes_reset_username", "spärrad", stdout=output)
    assert "10 attempts removed" in output.getvalue()
    assert sign_in(client, reverse("login"), "spärrad", factories.PASSWORD).status_code == 302
    client.logout()
    # The address is still locked, for her too: that is a lockout of its own.
    response = sign_in(
        client, reverse("login"), "spärrad", factories.PASSWORD, REMOTE_ADDR="10.1.1.1"
    )
    assert response.status_code == 429
    call_command("axes_reset_ip", "10.1.1.1", stdout=output)
    response = sign_in(
        client, reverse("login"), "spärrad", factories.PASSWORD, REMOTE_ADDR="10.1.1.1"
    )
    assert response.status_code == 302


def test_password_reset_is_not_offered(client):
    assert client.get("/konto/password_reset/").status_code in (302, 404)


# --- No one's sign-in wipes out someone else's failures (issue 19, item 2) ---

OFFICE = "10.20.30.40"
ELSEWHERE = "10.99.0.1"


@pytest.mark.parametrize("url_name", ["login", "admin:login"])
def test_another_users_sign_in_does_not_give_a_guesser_more_guesses(client, url_name):
    """The hostile tester's three rounds of nine wrong passwords for admin and one correct
    sign-in as lasare, from one address: before, 27 guesses and no lockout."""
    factories.make_user("admin", is_staff=True, is_superuser=True)
    factories.make_user("lasare", is_staff=True)
    url = reverse(url_name)
    refused = 0
    for round_ in range(3):
        for attempt in range(9):
            response = sign_in(client, url, "admin", f"fel-{round_}-{attempt}", REMOTE_ADDR=OFFICE)
            refused += response.status_code == 429
        sign_in(client, url, "lasare", factories.PASSWORD, REMOTE_ADDR=OFFICE)
        client.logout()
    # The tenth failure locked admin (and is answered with the lockout page); the seventeen
    # guesses after it were refused without the password being tried, and not counted.
    assert refused == 27 - 9
    assert AccessAttempt.objects.get(username="admin").failures_since_start == 10
    response = sign_in(client, url, "admin", factories.PASSWORD, REMOTE_ADDR=ELSEWHERE)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_another_users_sign_in_does_not_reset_the_address(client):
    """Nine guesses at nine usernames from one address, one colleague signing in from it, one
    more guess: the address has failed ten times and is locked, colleague or not."""
    factories.make_user("kollega")
    factories.make_user("tredje")
    for n in range(9):
        sign_in(client, reverse("login"), f"okänd-{n}", "gissning", REMOTE_ADDR=OFFICE)
    response = sign_in(client, reverse("login"), "kollega", factories.PASSWORD, REMOTE_ADDR=OFFICE)
    assert response.status_code == 302
    client.logout()
    sign_in(client, reverse("login"), "okänd-9", "gissning", REMOTE_ADDR=OFFICE)
    response = sign_in(client, reverse("login"), "tredje", factories.PASSWORD, REMOTE_ADDR=OFFICE)
    assert response.status_code == 429
    # From another address the third user is not locked: the address was, not the username.
    response = sign_in(
        client, reverse("login"), "tredje", factories.PASSWORD, REMOTE_ADDR=ELSEWHERE
    )
    assert response.status_code == 302


def test_a_sign_in_forgives_only_its_own_username_from_its_own_address(client):
    """A user who mistyped nine times and then got in starts afresh from that address; a guesser
    at the same username from another address keeps every failure, so the real user's sign-in
    does not hand the guesser a fresh ten."""
    factories.make_user("glömsk")
    for attempt in range(9):
        sign_in(client, reverse("login"), "glömsk", f"fel-{attempt}", REMOTE_ADDR=OFFICE)
    response = sign_in(client, reverse("login"), "glömsk", factories.PASSWORD, REMOTE_ADDR=OFFICE)
    assert response.status_code == 302
    client.logout()
    assert not AccessAttempt.objects.filter(username="glömsk").exists()
    # Nine more typos and a success: still not locked, her own failures were forgiven.
    for attempt in range(9):
        sign_in(client, reverse("login"), "glömsk", f"åter-{attempt}", REMOTE_ADDR=OFFICE)
    response = sign_in(client, reverse("login"), "glömsk", factories.PASSWORD, REMOTE_ADDR=OFFICE)
    assert response.status_code == 302
    client.logout()

    for attempt in range(9):
        sign_in(client, reverse("login"), "glömsk", f"gissning-{attempt}", REMOTE_ADDR=ELSEWHERE)
    sign_in(client, reverse("login"), "glömsk", factories.PASSWORD, REMOTE_ADDR=OFFICE)
    client.logout()
    assert AccessAttempt.objects.get(username="glömsk", ip_address=ELSEWHERE).failures_since_start
    sign_in(client, reverse("login"), "glömsk", "gissning-9", REMOTE_ADDR=ELSEWHERE)
    response = sign_in(client, reverse("login"), "glömsk", factories.PASSWORD, REMOTE_ADDR=OFFICE)
    assert response.status_code == 429


# --- Knocking on a locked door does not keep it locked (issue 19, item 5) ---


@pytest.mark.parametrize("url_name", ["login", "admin:login"])
def test_attempts_during_a_lockout_do_not_extend_it(client, settings, url_name):
    """With a three-second cool-off: ten failures lock; retrying with the right password and a
    wrong one during the lockout is refused but not counted, so three seconds after the tenth
    failure the right password signs in. Before, every retry restarted the cool-off."""
    settings.AXES_COOLOFF_TIME = datetime.timedelta(seconds=3)
    factories.make_user("ivrig", is_staff=True)
    url = reverse(url_name)
    for attempt in range(10):
        sign_in(client, url, "ivrig", f"fel-{attempt}")
    locked_at = time.monotonic()
    time.sleep(1.5)
    response = sign_in(client, url, "ivrig", factories.PASSWORD)
    assert response.status_code == 429
    # The page tells the time left, which no retry makes longer.
    assert int(response["Retry-After"]) <= 2
    assert sign_in(client, url, "ivrig", "fel-igen").status_code == 429
    assert time.monotonic() - locked_at < 3, "the retries must fall inside the lockout"
    assert AccessAttempt.objects.get(username="ivrig").failures_since_start == 10
    time.sleep(max(0, 3.3 - (time.monotonic() - locked_at)))
    response = sign_in(client, url, "ivrig", factories.PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"]
