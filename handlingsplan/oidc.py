"""City sign-in with OpenID Connect (authorization-code flow), on mozilla-django-oidc.

The library exchanges the code, fetches the provider's keys and the user info; this backend
checks the ID token strictly (signature with the configured algorithm, audience, expiry, issuer
when configured, nonce), finds or creates the user by the e-mail claim and brings memberships
and the coordinator role in line with the claims (oidc_claims.py). A refused sign-in never
raises: it returns None with a reason on the request, which the callback view turns into a
Swedish message on the sign-in page, and django-axes counts it as a failed sign-in from the
address (signin.lockout_parameters)."""

import logging

import jwt
import requests
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from .oidc_claims import ClaimError, email_from, names_from, sync_user

log = logging.getLogger(__name__)

# Tolerated clock difference between the provider and this server, in seconds.
LEEWAY = 60

# What can go wrong talking to the provider or reading its answers: all mean "refused".
REFUSALS = (
    SuspiciousOperation,
    jwt.InvalidTokenError,
    jwt.PyJWKError,
    requests.RequestException,
    ValueError,
    KeyError,
    TypeError,
)


def refuse(request, reason):
    request.oidc_failure = reason
    return None


class CityOIDCBackend(OIDCAuthenticationBackend):
    def authenticate(self, request, **kwargs):
        # Only the callback signs in with a code; a password form never reaches the provider.
        if request is None or "username" in kwargs or "password" in kwargs:
            return None
        if request.path_info != reverse("oidc_authentication_callback"):
            return None
        try:
            return super().authenticate(request, **kwargs)
        except ClaimError as error:
            log.warning("City sign-in refused: %s", error.reason)
            return refuse(request, error.reason)
        except REFUSALS as error:
            log.warning("City sign-in refused: %s: %s", type(error).__name__, error)
            return refuse(request, "refused")

    def get_payload_data(self, token, key):
        """The ID token's claims, checked strictly; never an unsigned token. The library alone
        would check neither the audience nor the issuer."""
        algorithm = self.OIDC_RP_SIGN_ALGO
        if jwt.get_unverified_header(token).get("alg") != algorithm:
            raise SuspiciousOperation(f"ID token not signed with {algorithm}")
        issuer = self.get_settings("OIDC_OP_ISSUER", "")
        required = ["exp", "iat", "aud", "sub", *(["iss"] if issuer else [])]
        payload = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=self.OIDC_RP_CLIENT_ID,
            issuer=issuer or None,
            leeway=LEEWAY,
            options={"require": required},
        )
        # A token for several audiences must name this client as the one it was issued to.
        audience = payload["aud"]
        several = isinstance(audience, list) and len(audience) > 1
        if several and payload.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("ID token for several audiences without our azp")
        return payload

    def get_userinfo(self, access_token, id_token, payload):
        """The ID token's claims with the user info endpoint's on top; both must be about the
        same subject."""
        userinfo = super().get_userinfo(access_token, id_token, payload)
        if not isinstance(userinfo, dict):
            raise SuspiciousOperation("User info is not an object")
        if userinfo.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("User info is about another subject than the ID token")
        return {**payload, **userinfo}

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        email = email_from(claims)
        user = self._find_user(email)
        if user is None:
            try:
                with transaction.atomic():
                    # No usable password: this account signs in with the city's account.
                    first, last = names_from(claims)
                    user = self.UserModel.objects.create_user(
                        email, email=email, first_name=first, last_name=last
                    )
            except IntegrityError:
                # The same person's first sign-in in another tab won the race.
                user = self._find_user(email)
                if user is None:
                    raise ClaimError("ambiguous") from None
            log.info("City sign-in created the user %s", user.pk)
        if not self.user_can_authenticate(user):
            raise ClaimError("inactive")
        return sync_user(user, claims)

    def _find_user(self, email):
        """The user whose username or e-mail address is this address; ClaimError if that is
        more than one user."""
        users = list(
            self.UserModel.objects.filter(Q(username__iexact=email) | Q(email__iexact=email))[:2]
        )
        if len(users) > 1:
            raise ClaimError("ambiguous")
        return users[0] if users else None

    def get_user(self, user_id):
        user = super().get_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
