"""Which address sign-in throttling counts (issue 19, item 3). Behind the city's proxy every
request comes from the proxy; the client's address is the entry the proxy appends to
X-Forwarded-For, the right-most one for one proxy (TRUSTED_PROXY_COUNT). Whatever the client
wrote itself, to the left of it, must not change which address is counted, nor the lockout."""

import ipaddress
import logging

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from tests import factories
from tests.settings_process import run_settings

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"  # REMOTE_ADDR of every request that came through the proxy
CLIENT = "10.0.2.1"  # what the proxy appended: the real client


@pytest.fixture
def behind_proxy(settings):
    """What BEHIND_HTTPS_PROXY=1 sets, with the default of one trusted proxy, whose address is
    PROXY (FORWARDED_ALLOW_IPS)."""
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_NETWORKS = [ipaddress.ip_network(PROXY)]
    settings.TRUST_ANY_PROXY = False
    return settings


def sign_in(client, url_name, username, password, forwarded=None):
    extra = {"REMOTE_ADDR": PROXY}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(reverse(url_name), {"username": username, "password": password}, **extra)


def counted_address(client, forwarded, url_name="login"):
    """The address django-axes recorded for one failed sign-in with this header."""
    username = f"okänd-{AccessAttempt.objects.count()}"
    sign_in(client, url_name, username, "fel", forwarded)
    return AccessAttempt.objects.get(username=username).ip_address


FORGED = [
    pytest.param(CLIENT, CLIENT, id="the proxy's entry alone"),
    pytest.param(f"8.8.8.8, {CLIENT}", CLIENT, id="a public address prepended"),
    pytest.param(f"1.1.1.1, 8.8.4.4, 9.9.9.9, 192.168.7.7, {CLIENT}", CLIENT, id="several"),
    pytest.param(f"nonsense, <script>, '; DROP TABLE, {CLIENT}", CLIENT, id="garbage prepended"),
    pytest.param(f"  8.8.8.8 ,\t  {CLIENT}   ", CLIENT, id="spaces and tabs"),
    pytest.param(f",,,,,,,,,,,,,,,,{CLIENT}", CLIENT, id="many commas before"),
    pytest.param(f"8.8.8.8, {CLIENT}:4711", CLIENT, id="IPv4 with a port"),
    pytest.param("8.8.8.8, 2001:DB8:0:0:0:0:0:7", "2001:db8::7", id="IPv6, long form"),
    pytest.param("2001:db8::1, [2001:db8::7]:4711", "2001:db8::7", id="IPv6 in brackets, port"),
    pytest.param("8.8.8.8, fe80::7%eth0", "fe80::7", id="IPv6 with a zone"),
    pytest.param(f"8.8.8.8, ::ffff:{CLIENT}", CLIENT, id="IPv4-mapped IPv6"),
    pytest.param("8.8.8.8, " * 50_000 + CLIENT, CLIENT, id="400 KB header"),
    # The right-most entry is not an address: the request did not come through the proxy as
    # configured, so only REMOTE_ADDR is known to be true.
    pytest.param("", PROXY, id="empty"),
    pytest.param("   ", PROXY, id="blank"),
    pytest.param(None, PROXY, id="no header"),
    pytest.param(f"{CLIENT}, nonsense", PROXY, id="garbage right-most"),
    pytest.param(f"{CLIENT},,,,", PROXY, id="many commas after"),
    pytest.param("999.1.1.1", PROXY, id="not an address"),
    pytest.param("1" * 10_000, PROXY, id="one long entry"),
]


@pytest.mark.parametrize("url_name", ["login", "admin:login"])
@pytest.mark.parametrize(("forwarded", "expected"), FORGED)
def test_behind_one_proxy_only_the_right_most_entry_counts(
    client, behind_proxy, forwarded, expected, url_name
):
    assert counted_address(client, forwarded, url_name) == expected


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        pytest.param(f"8.8.8.8, {CLIENT}, 10.0.1.1", CLIENT, id="forged, client, inner proxy"),
        pytest.param(f"8.8.8.8, 9.9.9.9, {CLIENT}, 10.0.1.1", CLIENT, id="two forged"),
        pytest.param(f"{CLIENT}, 10.0.1.1", CLIENT, id="client and inner proxy"),
        # Fewer entries than proxies: the outer proxy was bypassed, so no entry can be trusted.
        pytest.param(CLIENT, PROXY, id="one entry for two proxies"),
        pytest.param("", PROXY, id="empty"),
    ],
)
def test_behind_two_proxies_the_second_entry_from_the_right_counts(
    client, behind_proxy, forwarded, expected
):
    behind_proxy.TRUSTED_PROXY_COUNT = 2
    assert counted_address(client, forwarded) == expected


@pytest.mark.parametrize(
    ("peer", "expected"),
    [
        ("10.0.0.3", "10.0.0.3"),
        ("192.0.2.1", "192.0.2.1"),
        ("2001:db8::2", "2001:db8::2"),
        ("nonsense", None),
    ],
)
def test_from_a_peer_that_is_no_proxy_the_forwarded_header_is_ignored(
    client, behind_proxy, peer, expected
):
    """A client that reaches an instance directly, past the proxy, cannot name its address."""
    username = "direkt"
    client.post(
        reverse("login"),
        {"username": username, "password": "fel"},
        REMOTE_ADDR=peer,
        HTTP_X_FORWARDED_FOR=f"8.8.8.8, {CLIENT}",
    )
    assert AccessAttempt.objects.get(username=username).ip_address == expected


def test_a_proxy_network_is_trusted_and_a_star_trusts_any_peer(client, behind_proxy):
    behind_proxy.TRUSTED_PROXY_NETWORKS = [ipaddress.ip_network("10.0.0.0/24")]
    assert counted_address(client, f"8.8.8.8, {CLIENT}") == CLIENT
    behind_proxy.TRUSTED_PROXY_NETWORKS = [ipaddress.ip_network("10.9.0.0/16")]
    assert counted_address(client, f"8.8.8.8, {CLIENT}") == PROXY
    behind_proxy.TRUST_ANY_PROXY = True
    assert counted_address(client, f"8.8.8.8, {CLIENT}") == CLIENT


def test_without_a_proxy_the_forwarded_header_is_ignored(client, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert counted_address(client, f"8.8.8.8, {CLIENT}") == PROXY


@pytest.mark.parametrize("url_name", ["login", "admin:login"])
def test_a_prepended_address_does_not_get_a_locked_client_in(client, behind_proxy, url_name):
    """The hostile tester's case: 10.0.2.1 locked, `8.8.8.8, 10.0.2.1` signed in anyway."""
    factories.make_user("kollega", is_staff=True)
    for n in range(10):
        sign_in(client, url_name, f"okänd-{n}", "fel", CLIENT)
    response = sign_in(client, url_name, "kollega", factories.PASSWORD, f"8.8.8.8, {CLIENT}")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another client behind the same proxy is not locked out by this one.
    response = sign_in(client, url_name, "kollega", factories.PASSWORD, f"{CLIENT}, 10.0.2.99")
    assert response.status_code == 302


def test_a_rotating_first_address_is_still_locked_out(client, behind_proxy):
    """The hostile tester's 40 failures with a new public address in front each time."""
    factories.make_user("kollega")
    refused = 0
    for n in range(40):
        response = sign_in(client, "login", f"okänd-{n}", "fel", f"8.8.{n}.{n + 1}, {CLIENT}")
        refused += response.status_code == 429
    assert refused == 40 - 9
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {CLIENT}
    response = sign_in(client, "login", "kollega", factories.PASSWORD, f"8.8.8.8, {CLIENT}")
    assert response.status_code == 429


def test_the_lockout_is_logged_with_the_address_it_counts(client, behind_proxy, caplog):
    """The WARNING that names a lockout carries the address that is locked (and so can be
    unlocked with axes_reset_ip), never one the client wrote; the username stays masked."""
    with caplog.at_level(logging.WARNING, logger="axes"):
        for n in range(10):
            sign_in(client, "login", "gissad", f"fel-{n}", f"8.8.8.{n}, {CLIENT}")
    lockout = [r.getMessage() for r in caplog.records if "Locking out" in r.getMessage()]
    assert len(lockout) == 1
    assert f'ip_address: "{CLIENT}"' in lockout[0]
    assert "gissad" not in lockout[0]
    assert "8.8.8." not in caplog.text
    assert AccessAttempt.objects.get().ip_address == CLIENT


def proxy_settings(env):
    """TRUSTED_PROXY_COUNT as the settings module reads it from this environment."""
    code = "from handlingsplan import settings as s; print(s.TRUSTED_PROXY_COUNT)"
    return run_settings({"DEBUG": "1", **env}, code)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "0"),
        ({"TRUSTED_PROXY_COUNT": "2"}, "0"),
        ({"BEHIND_HTTPS_PROXY": "1"}, "1"),
        ({"BEHIND_HTTPS_PROXY": "1", "TRUSTED_PROXY_COUNT": "2"}, "2"),
    ],
)
def test_the_proxy_count_comes_from_the_environment(env, expected):
    result = proxy_settings(env)
    assert result.stdout.strip() == expected, result.stderr


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, "[IPv4Network('127.0.0.1/32'), IPv6Network('::1/128')] False"),
        ("10.0.0.2", "[IPv4Network('10.0.0.2/32')] False"),
        (
            "10.0.0.0/24, 2001:db8::/64",
            "[IPv4Network('10.0.0.0/24'), IPv6Network('2001:db8::/64')] False",
        ),
        ("*", "[] True"),
    ],
)
def test_the_proxies_addresses_come_from_the_environment(raw, expected):
    code = (
        "from handlingsplan import settings as s; "
        "print(s.TRUSTED_PROXY_NETWORKS, s.TRUST_ANY_PROXY)"
    )
    env = {"DEBUG": "1"}
    if raw is not None:
        env["FORWARDED_ALLOW_IPS"] = raw
    result = run_settings(env, code)
    assert result.stdout.strip() == expected, result.stderr


def test_a_nonsense_proxy_address_stops_the_start():
    result = proxy_settings({"BEHIND_HTTPS_PROXY": "1", "FORWARDED_ALLOW_IPS": "10.0.0.300"})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "FORWARDED_ALLOW_IPS" in result.stderr


@pytest.mark.parametrize("raw", ["-1", "två"])
def test_a_nonsense_proxy_count_stops_the_start(raw):
    result = proxy_settings({"BEHIND_HTTPS_PROXY": "1", "TRUSTED_PROXY_COUNT": raw})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "TRUSTED_PROXY_COUNT" in result.stderr
