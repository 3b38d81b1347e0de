"""Sign-in settings read from the environment: the authentication backends, local passwords
(PASSWORD_LOGIN) and city sign-in with OpenID Connect (OIDC_*), documented in README.md.

OpenID Connect is off unless OIDC_RP_CLIENT_ID is set; then the provider's endpoints and the
client secret are required, and a missing one stops the start with ImproperlyConfigured. With it
off, sign-in is exactly the password sign-in it always was."""

from django.core.exceptions import ImproperlyConfigured

AXES_BACKEND = "axes.backends.AxesStandaloneBackend"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
ADMIN_PASSWORD_BACKEND = "handlingsplan.signin.AdminPasswordBackend"
OIDC_BACKEND = "handlingsplan.oidc.CityOIDCBackend"

PASSWORD_LOGIN_CHOICES = ("all", "admins")

REQUIRED = [
    "OIDC_RP_CLIENT_SECRET",
    "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT",
    "OIDC_OP_USER_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT",
]

OPTIONAL = {
    # Checked against the ID token's iss claim when set.
    "OIDC_OP_ISSUER": "",
    "OIDC_RP_SIGN_ALGO": "RS256",
    "OIDC_RP_SCOPES": "openid email profile",
    # Organisation memberships from this claim (codes or aliases); empty: managed in admin.
    "OIDC_ORGANISATION_CLAIM": "",
    # Only values with this prefix count, without it (e.g. "handlingsplan-" in a groups claim).
    "OIDC_ORGANISATION_PREFIX": "",
    # Membership of the coordinator group when this claim holds this value; empty: in admin.
    "OIDC_COORDINATOR_CLAIM": "",
    "OIDC_COORDINATOR_VALUE": "",
}


def _text(environ, name, default=""):
    return environ.get(name, default).strip()


def _seconds(environ, name, default):
    raw = _text(environ, name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}.") from None
    if value <= 0:
        raise ImproperlyConfigured(f"{name} must be a positive number of seconds; got {raw!r}.")
    return value


def _use_pkce(environ):
    raw = _text(environ, "OIDC_USE_PKCE", "1").lower()
    if raw not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
        raise ImproperlyConfigured(f"OIDC_USE_PKCE must be 1 or 0; got {raw!r}.")
    return raw in {"1", "true", "yes", "on"}


def from_environment(environ):
    """Every sign-in setting as a dict for settings.py, AUTHENTICATION_BACKENDS included."""
    password_login = _text(environ, "PASSWORD_LOGIN", "all").lower() or "all"
    if password_login not in PASSWORD_LOGIN_CHOICES:
        raise ImproperlyConfigured(
            f"PASSWORD_LOGIN must be 'all' or 'admins'; got {environ['PASSWORD_LOGIN']!r}."
        )
    client_id = _text(environ, "OIDC_RP_CLIENT_ID")
    values = {"OIDC_ENABLED": bool(client_id), "PASSWORD_LOGIN": password_login}
    if password_login == "admins" and not client_id:
        raise ImproperlyConfigured(
            "PASSWORD_LOGIN=admins needs city sign-in (OIDC_RP_CLIENT_ID and the OIDC_OP_* "
            "endpoints): otherwise only administrators could sign in."
        )
    backends = [
        # Refuses a sign-in while its username or address is locked out; must come first.
        AXES_BACKEND,
        # With PASSWORD_LOGIN=admins only staff and superusers sign in with a password.
        ADMIN_PASSWORD_BACKEND if password_login == "admins" else MODEL_BACKEND,
    ]
    if client_id:
        missing = [name for name in REQUIRED if not _text(environ, name)]
        if missing:
            raise ImproperlyConfigured(
                f"OIDC_RP_CLIENT_ID is set, so city sign-in also needs {', '.join(missing)}."
            )
        values["OIDC_RP_CLIENT_ID"] = client_id
        values.update({name: _text(environ, name) for name in REQUIRED})
        values.update({name: _text(environ, name, default) for name, default in OPTIONAL.items()})
        if values["OIDC_RP_SIGN_ALGO"][:2] not in {"RS", "ES"}:
            raise ImproperlyConfigured(
                "OIDC_RP_SIGN_ALGO must be an asymmetric algorithm such as RS256 or ES256; "
                f"got {values['OIDC_RP_SIGN_ALGO']!r}."
            )
        values.update(
            {
                # A provider that does not answer must not hold a worker (gunicorn: 30 s).
                "OIDC_TIMEOUT": _seconds(environ, "OIDC_TIMEOUT", 10),
                "OIDC_USE_PKCE": _use_pkce(environ),
                "OIDC_USE_NONCE": True,
                "OIDC_CREATE_USER": True,
                "OIDC_STORE_ID_TOKEN": False,
                "OIDC_STORE_ACCESS_TOKEN": False,
            }
        )
        backends.append(OIDC_BACKEND)
    values["AUTHENTICATION_BACKENDS"] = backends
    return values
