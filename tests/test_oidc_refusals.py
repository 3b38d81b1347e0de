"""City sign-in refuses what it should, without an error page: a token signed by another key,
for another audience, expired, replayed with another nonce, unsigned; no e-mail address; a
provider that refuses or does not answer; callbacks nobody started. And a failed city sign-in
counts towards the lockout of its address only."""

import time

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests import factories
from tests.oidc_flow import running_provider, sign_in, signed_in_user_id
from tests.oidc_provider import new_key

pytestmark = pytest.mark.django_db

User = get_user_model()
ANNA = {"sub": "person-1", "email": "anna@goteborg.se", "organisation": "SBF"}
REFUSED = "Inloggningen med stadens konto gick inte igenom"
NO_EMAIL = "har ingen bekräftad e-postadress"


@pytest.fixture
def provider(settings):
    with running_provider(settings, OIDC_ORGANISATION_CLAIM="organisation") as provider:
        provider.claims = dict(ANNA)
        yield provider


def assert_refused(client, response, message=REFUSED):
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert signed_in_user_id(client) is None
    assert not User.objects.filter(email="anna@goteborg.se").exists()
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert message in page.content.decode()


def test_a_token_signed_by_another_key_is_refused(client, provider):
    provider.signing_key = new_key()
    assert_refused(client, sign_in(client, provider))


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "another-client"},
        {"aud": ["another-client"]},
        # Several audiences: this client must be the authorised party.
        {"aud": ["handlingsplan-test", "another-client"], "azp": "another-client"},
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
        {"nonce": "another-nonce"},
        {"nonce": None},
        {"iss": "https://another-provider.example"},
        {"exp": None},
        {"sub": "someone-else"},
    ],
    ids=[
        "audience",
        "audience-list",
        "azp",
        "expired",
        "nonce",
        "no-nonce",
        "issuer",
        "no-expiry",
        "id-token-of-another-subject",
    ],
)
def test_a_token_with_wrong_claims_is_refused(client, provider, overrides):
    provider.token_overrides = overrides
    assert_refused(client, sign_in(client, provider))


@pytest.mark.parametrize("algorithm", ["none", "HS256"])
def test_an_unsigned_or_hmac_token_is_refused(client, provider, algorithm):
    provider.algorithm = algorithm
    assert_refused(client, sign_in(client, provider))


def test_user_info_about_another_subject_is_refused(client, provider):
    provider.userinfo_overrides = {"sub": "person-2"}
    assert_refused(client, sign_in(client, provider))


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "person-1"},
        {"sub": "person-1", "email": ""},
        {"sub": "person-1", "email": ["anna@goteborg.se"]},
        {"sub": "person-1", "email": "inte en adress"},
        {"sub": "person-1", "email": "anna@goteborg.se", "email_verified": False},
        {"sub": "person-1", "email": "a" * 200 + "@goteborg.se"},
    ],
    ids=["missing", "empty", "list", "malformed", "unverified", "too-long"],
)
def test_no_usable_email_is_refused_with_a_clear_message(client, provider, claims):
    provider.claims = claims
    assert_refused(client, sign_in(client, provider), NO_EMAIL)
    assert User.objects.filter(is_staff=False, is_superuser=False).count() == 0


def test_a_wrong_client_secret_is_refused(client, provider, settings):
    settings.OIDC_RP_CLIENT_SECRET = "fel"
    assert_refused(client, sign_in(client, provider))


def test_a_provider_that_does_not_answer_is_refused(client, provider, settings):
    settings.OIDC_OP_JWKS_ENDPOINT = "http://127.0.0.1:9/jwks"
    assert_refused(client, sign_in(client, provider))


def test_a_deactivated_account_is_refused(client, provider):
    factories.make_user("anna", email="anna@goteborg.se", is_active=False)
    response = sign_in(client, provider)
    assert signed_in_user_id(client) is None
    assert "Ditt konto är avstängt" in client.get(response["Location"]).content.decode()


def test_two_accounts_with_the_address_are_refused(client, provider):
    factories.make_user("anna", email="anna@goteborg.se")
    factories.make_user("anna@goteborg.se")
    response = sign_in(client, provider)
    assert signed_in_user_id(client) is None
    page = client.get(response["Location"]).content.decode()
    assert "Flera konton här har din e-postadress" in page


@pytest.mark.parametrize(
    "query",
    [
        "",
        "code=abc",
        "code=abc&state=nobody-started-this",
        "code=abc&state=" + "x" * 5000,
        "code=%F0%9F%92%A5&state=%E2%80%8F",
        "error=access_denied&state=x",
        "error=" + "y" * 3000,
    ],
)
def test_a_callback_nobody_started_is_refused_without_an_error_page(client, provider, query):
    response = client.get(f"{reverse('oidc_authentication_callback')}?{query}")
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert signed_in_user_id(client) is None
    assert provider.token_requests == []
    assert client.get(reverse("login")).status_code == 200


def test_a_callback_with_another_sessions_state_is_refused(client, provider):
    client.get(reverse("oidc_authentication_init"))
    response = client.get(reverse("oidc_authentication_callback"), {"code": "x", "state": "y"})
    assert_refused(client, response, "tog för lång tid")
    assert provider.token_requests == []


def test_cancelling_at_the_provider_says_so(client, provider):
    client.get(reverse("oidc_authentication_init"))
    state = next(iter(client.session["oidc_states"]))
    response = client.get(
        reverse("oidc_authentication_callback"), {"error": "access_denied", "state": state}
    )
    assert_refused(client, response, "Inloggningen med stadens konto avbröts")


def test_failed_city_sign_ins_lock_out_their_address_only(client, provider):
    provider.signing_key = new_key()
    for _ in range(10):
        sign_in(client, provider, REMOTE_ADDR="10.1.1.1")
    provider.signing_key = provider.key
    locked = sign_in(client, provider, REMOTE_ADDR="10.1.1.1")
    assert locked.status_code == 429
    assert "Inloggningen är spärrad" in locked.content.decode()
    assert signed_in_user_id(client) is None
    # The attempt during the lockout was not counted, so it did not extend the lockout.
    failures = AccessAttempt.objects.filter(ip_address="10.1.1.1")
    assert sum(failures.values_list("failures_since_start", flat=True)) == 10
    # Another address, the same (username-less) failures: not locked out.
    assert sign_in(client, provider, REMOTE_ADDR="10.1.1.2").status_code == 302
    assert signed_in_user_id(client) is not None
    # Nor is a password sign-in from another address.
    client.logout()
    factories.make_user("kollega")
    response = client.post(
        reverse("login"),
        {"username": "kollega", "password": factories.PASSWORD},
        REMOTE_ADDR="10.1.1.3",
    )
    assert response.status_code == 302
