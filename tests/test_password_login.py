"""PASSWORD_LOGIN=admins: only staff and superusers sign in with a password, enforced by the
authentication backend; everyone else uses the city button. And the sign-in settings read from
the environment."""

import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from handlingsplan import sign_in_settings
from handlingsplan.settings import BASE_DIR
from tests import factories
from tests.oidc_flow import running_provider, sign_in, signed_in_user_id

pytestmark = pytest.mark.django_db

REFUSED = "Ditt konto loggar in med stadens konto"
WRONG = "Användarnamnet eller lösenordet är fel"


@pytest.fixture
def admins_only(settings):
    with running_provider(settings, PASSWORD_LOGIN="admins") as provider:
        yield provider


def password_sign_in(client, username, password=factories.PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_a_non_admin_with_the_right_password_is_refused_with_a_clear_message(client, admins_only):
    factories.make_reporter("rapportor", "SBF")
    response = password_sign_in(client, "rapportor")
    assert response.status_code == 200
    page = response.content.decode()
    assert REFUSED in page and WRONG not in page
    assert signed_in_user_id(client) is None
    # The form stays open to show the message.
    assert '<details class="admin-sign-in" open>' in page


def test_a_wrong_password_gets_the_usual_message(client, admins_only):
    factories.make_reporter("rapportor", "SBF")
    page = password_sign_in(client, "rapportor", "fel").content.decode()
    assert WRONG in page and REFUSED not in page


@pytest.mark.parametrize("flags", [{"is_staff": True}, {"is_superuser": True, "is_staff": True}])
def test_administrators_keep_their_passwords(client, admins_only, flags):
    admin = factories.make_user("admin", **flags)
    assert password_sign_in(client, "admin").status_code == 302
    assert signed_in_user_id(client) == str(admin.pk)
    assert client.get("/plan/2024-2025/").status_code == 200


def test_the_admin_sign_in_refuses_non_admins_too(client, admins_only):
    factories.make_user("rapportor")
    response = client.post(
        reverse("admin:login"), {"username": "rapportor", "password": factories.PASSWORD}
    )
    assert response.status_code == 200 and signed_in_user_id(client) is None


def test_the_sign_in_page_folds_the_password_form_away_for_administrators(client, admins_only):
    page = client.get(reverse("login")).content.decode()
    assert page.index("Logga in med stadens konto") < page.index("<details")
    assert "<summary>Inloggning för administratörer</summary>" in page
    assert 'name="password"' in page and "autofocus" not in page


def test_a_password_session_of_a_non_admin_ends_when_passwords_become_admins_only(client, settings):
    reporter = factories.make_reporter("rapportor", "SBF")
    assert password_sign_in(client, "rapportor").status_code == 302
    with running_provider(settings, PASSWORD_LOGIN="admins"):
        # The session names ModelBackend, which is no longer a backend.
        response = client.get("/plan/2024-2025/")
        assert response.status_code == 302 and response["Location"].startswith("/konto/login/")
    assert reporter.is_active


def test_a_non_admin_still_signs_in_with_the_city_account(client, admins_only):
    admins_only.claims = {"sub": "p", "email": "rapportor@goteborg.se"}
    factories.make_reporter("rapportor", "SBF", email="rapportor@goteborg.se")
    sign_in(client, admins_only)
    assert client.get("/plan/2024-2025/").status_code == 200


def test_password_sign_in_is_unchanged_without_the_setting(client):
    factories.make_reporter("rapportor", "SBF")
    page = client.get(reverse("login")).content.decode()
    assert "<details" not in page and "Logga in med stadens konto" not in page
    assert password_sign_in(client, "rapportor").status_code == 302


# The environment.

ENDPOINTS = {
    "OIDC_RP_CLIENT_ID": "handlingsplan",
    "OIDC_RP_CLIENT_SECRET": "hemligt",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://login.example/authorize",
    "OIDC_OP_TOKEN_ENDPOINT": "https://login.example/token",
    "OIDC_OP_USER_ENDPOINT": "https://login.example/userinfo",
    "OIDC_OP_JWKS_ENDPOINT": "https://login.example/jwks",
}


def test_without_oidc_the_backends_are_as_before():
    values = sign_in_settings.from_environment({})
    assert values["AUTHENTICATION_BACKENDS"] == [
        "axes.backends.AxesStandaloneBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    assert values["OIDC_ENABLED"] is False and values["PASSWORD_LOGIN"] == "all"


def test_with_oidc_the_defaults_are_strict():
    values = sign_in_settings.from_environment(ENDPOINTS)
    assert values["AUTHENTICATION_BACKENDS"][-1] == "handlingsplan.oidc.CityOIDCBackend"
    assert values["OIDC_RP_SIGN_ALGO"] == "RS256"
    assert values["OIDC_USE_NONCE"] and values["OIDC_USE_PKCE"]
    assert values["OIDC_TIMEOUT"] == 10


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"PASSWORD_LOGIN": "admins"}, "PASSWORD_LOGIN=admins needs city sign-in"),
        ({"PASSWORD_LOGIN": "ingen"}, "PASSWORD_LOGIN must be"),
        ({"OIDC_RP_CLIENT_ID": "x"}, "OIDC_OP_TOKEN_ENDPOINT"),
        ({**ENDPOINTS, "OIDC_OP_JWKS_ENDPOINT": ""}, "OIDC_OP_JWKS_ENDPOINT"),
        ({**ENDPOINTS, "OIDC_RP_SIGN_ALGO": "HS256"}, "asymmetric"),
        ({**ENDPOINTS, "OIDC_RP_SIGN_ALGO": "none"}, "asymmetric"),
        ({**ENDPOINTS, "OIDC_TIMEOUT": "tio"}, "OIDC_TIMEOUT"),
        ({**ENDPOINTS, "OIDC_TIMEOUT": "0"}, "OIDC_TIMEOUT"),
        ({**ENDPOINTS, "OIDC_USE_PKCE": "kanske"}, "OIDC_USE_PKCE"),
    ],
)
def test_a_bad_sign_in_environment_stops_the_start(environ, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        sign_in_settings.from_environment(environ)


def test_the_settings_module_reads_the_sign_in_environment():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from handlingsplan import settings as s;"
            "print(s.OIDC_ENABLED, s.PASSWORD_LOGIN, s.AUTHENTICATION_BACKENDS[-1])",
        ],
        env={"PATH": "/usr/bin:/bin", "DEBUG": "1", "PASSWORD_LOGIN": "admins", **ENDPOINTS},
        capture_output=True,
        text=True,
        cwd=BASE_DIR,
    )
    assert result.stdout.split() == ["True", "admins", "handlingsplan.oidc.CityOIDCBackend"]
