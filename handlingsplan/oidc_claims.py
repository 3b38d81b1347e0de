"""What a city sign-in's claims say about the user: the e-mail address the account is known by,
the name, the organisations (OIDC_ORGANISATION_CLAIM) and the coordinator role
(OIDC_COORDINATOR_CLAIM holding OIDC_COORDINATOR_VALUE).

Claims never make anyone staff or superuser; only an administrator does that, in admin."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from organisations.models import Membership, Organisation
from organisations.roles import COORDINATOR_GROUP

# A claim with more values than this is not a list of someone's organisations.
MAX_CLAIM_VALUES = 500
USERNAME_MAX = 150


class ClaimError(Exception):
    """The claims cannot sign anyone in; `reason` says why (a key of oidc.FAILURE_MESSAGES)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def email_from(claims):
    """The claimed e-mail address, lowercased; ClaimError when missing, unverified or bad."""
    email = claims.get("email")
    if not isinstance(email, str) or not email.strip():
        raise ClaimError("no_email")
    # Providers that say whether the address is verified must say yes.
    if claims.get("email_verified", True) not in (True, "true"):
        raise ClaimError("no_email")
    email = email.strip().lower()
    if len(email) > USERNAME_MAX:
        raise ClaimError("no_email")
    try:
        validate_email(email)
    except ValidationError:
        raise ClaimError("no_email") from None
    return email


def _short_text(value, limit=150):
    return value.strip()[:limit] if isinstance(value, str) else ""


def names_from(claims):
    """(first name, last name) from given_name/family_name, else the whole name as first."""
    first, last = _short_text(claims.get("given_name")), _short_text(claims.get("family_name"))
    if not first and not last:
        first = _short_text(claims.get("name"))
    return first, last


def claim_values(claims, name):
    """A claim's values as strings: a single string, or the strings in a list."""
    value = claims.get(name)
    if isinstance(value, str):
        values = [value]
    elif isinstance(value, list | tuple):
        values = [v for v in value[:MAX_CLAIM_VALUES] if isinstance(v, str)]
    else:
        values = []
    return [v.strip() for v in values if v.strip()]


def organisations_from(claims):
    """The organisations the claim names, by code or alias (any case), in two queries; values
    that name no organisation (other groups in a groups claim) are left out."""
    prefix = getattr(settings, "OIDC_ORGANISATION_PREFIX", "").casefold()
    codes = []
    for value in claim_values(claims, settings.OIDC_ORGANISATION_CLAIM):
        value = value.casefold()
        if prefix:
            if not value.startswith(prefix):
                continue
            value = value[len(prefix) :]
        codes.append(value)
    if not codes:
        return set()
    known = Organisation.objects.by_code()
    return {known[code] for code in codes if code in known}


def is_coordinator_by_claim(claims):
    wanted = settings.OIDC_COORDINATOR_VALUE.casefold()
    values = claim_values(claims, settings.OIDC_COORDINATOR_CLAIM)
    return any(value.casefold() == wanted for value in values)


def organisation_claim_configured():
    return bool(getattr(settings, "OIDC_ORGANISATION_CLAIM", ""))


def coordinator_claim_configured():
    return bool(
        getattr(settings, "OIDC_COORDINATOR_CLAIM", "")
        and getattr(settings, "OIDC_COORDINATOR_VALUE", "")
    )


def sync_user(user, claims):
    """Bring the user's name, and the memberships and coordinator role the settings map from
    claims, in line with this sign-in's claims. What no claim is configured for is left as it
    is (managed in admin). A fixed number of queries, whatever the claims hold."""
    first, last = names_from(claims)
    with transaction.atomic():
        changed = [
            field
            for field, value in [("first_name", first), ("last_name", last)]
            if value and getattr(user, field) != value
        ]
        for field in changed:
            setattr(user, field, first if field == "first_name" else last)
        if changed:
            user.save(update_fields=changed)
        if organisation_claim_configured():
            _sync_memberships(user, organisations_from(claims))
        if coordinator_claim_configured():
            group, _ = Group.objects.get_or_create(name=COORDINATOR_GROUP)
            if is_coordinator_by_claim(claims):
                user.groups.add(group)
            else:
                user.groups.remove(group)
    return user


def _sync_memberships(user, organisations):
    wanted = {organisation.pk for organisation in organisations}
    current = set(Membership.objects.filter(user=user).values_list("organisation_id", flat=True))
    if current - wanted:
        Membership.objects.filter(user=user, organisation_id__in=current - wanted).delete()
    Membership.objects.bulk_create(
        [Membership(user=user, organisation_id=pk) for pk in sorted(wanted - current)]
    )
