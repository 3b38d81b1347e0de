"""Driving city sign-in in tests: the settings a deployment's environment gives, and the
authorization-code flow through Django's test client and a real HTTP request to the provider."""

import contextlib
import http.client
from urllib.parse import urlencode, urlsplit

from django.urls import reverse

from handlingsplan import sign_in_settings
from tests.oidc_provider import Provider


def apply_environment(settings, environ):
    """Set every sign-in setting as settings.py would from this environment."""
    for name, value in sign_in_settings.from_environment(environ).items():
        setattr(settings, name, value)


@contextlib.contextmanager
def running_provider(settings, **environ):
    with Provider() as provider:
        apply_environment(settings, {**provider.settings(), **environ})
        yield provider


def visit_provider(location):
    """GET the provider's authorization URL over the loopback, as the browser would; the
    Location it answers with (back to the callback)."""
    url = urlsplit(location)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        connection.request("GET", f"{url.path}?{url.query}")
        response = connection.getresponse()
        response.read()
        assert response.status == 302, response.status
        return response.getheader("Location")
    finally:
        connection.close()


def sign_in(client, provider, next_url=None, **extra):
    """The whole flow; the callback's response."""
    start = reverse("oidc_authentication_init")
    if next_url is not None:
        start += "?" + urlencode({"next": next_url})
    response = client.get(start, **extra)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{provider.url}/authorize?")
    callback = urlsplit(visit_provider(response["Location"]))
    assert callback.path == reverse("oidc_authentication_callback")
    return client.get(f"{callback.path}?{callback.query}", **extra)


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")
