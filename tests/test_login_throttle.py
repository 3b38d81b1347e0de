"""Passwords cannot be guessed without limit: ten failed sign-ins lock the username (and the
address) out for a while, on the app's sign-in page and the admin's alike."""

import pytest
from axes.models import AccessAttempt
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


def test_behind_the_proxy_the_address_comes_from_the_forwarded_header(client, settings):
    """With BEHIND_HTTPS_PROXY the proxy's own address is the same for everyone; the client's
    is the right-most X-Forwarded-For entry, so one client's failures lock out only that one."""
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    settings.AXES_IPWARE_PROXY_ORDER = "right-most"
    factories.make_user("kollega")
    for n in range(10):
        sign_in(client, reverse("login"), f"okänd-{n}", "x", HTTP_X_FORWARDED_FOR="10.0.0.66")
    assert AccessAttempt.objects.filter(ip_address="10.0.0.66").exists()
    response = sign_in(
        client, reverse("login"), "kollega", factories.PASSWORD, HTTP_X_FORWARDED_FOR="10.0.0.7"
    )
    assert response.status_code == 302


def test_an_administrator_lifts_a_lockout_by_deleting_the_attempt(client, admin_client):
    factories.make_user("spärrad")
    for attempt in range(10):
        sign_in(client, reverse("login"), "spärrad", f"fel-{attempt}")
    assert sign_in(client, reverse("login"), "spärrad", factories.PASSWORD).status_code == 429
    changelist = admin_client.get(reverse("admin:axes_accessattempt_changelist"))
    assert changelist.status_code == 200 and "spärrad" in changelist.content.decode()
    AccessAttempt.objects.filter(username="spärrad").delete()
    assert sign_in(client, reverse("login"), "spärrad", factories.PASSWORD).status_code == 302


def test_password_reset_is_not_offered(client):
    assert client.get("/konto/password_reset/").status_code in (302, 404)
