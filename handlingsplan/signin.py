"""The sign-in page, local passwords (PASSWORD_LOGIN) and how sign-in throttling counts.

With PASSWORD_LOGIN=admins only staff and superusers sign in with a password; everyone else
signs in with the city's account (handlingsplan/oidc.py). That is enforced here, in the
authentication backend, not only by hiding the form."""

import ipaddress
import math

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PASSWORD_REFUSED = _(
    "Ditt konto loggar in med stadens konto. Lösenord används bara av administratörer: välj "
    "”Logga in med stadens konto”."
)


def password_login_allowed(user):
    """Whether this user may sign in with a local password under PASSWORD_LOGIN."""
    if not password_login_for_admins_only():
        return True
    return user.is_staff or user.is_superuser


def password_login_for_admins_only():
    return getattr(settings, "PASSWORD_LOGIN", "all") == "admins"


class AdminPasswordBackend(ModelBackend):
    """ModelBackend for PASSWORD_LOGIN=admins: a correct password signs in staff and
    superusers only. A refused sign-in counts as a failure for throttling, like a wrong
    password, so the different message does not make guessing any cheaper."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and not password_login_allowed(user):
            if request is not None:
                request.password_login_refused = True
            return None
        return user

    def get_user(self, user_id):
        # A session from a password sign-in ends once passwords are for administrators only.
        user = super().get_user(user_id)
        return user if user is not None and password_login_allowed(user) else None


class SignInForm(AuthenticationForm):
    password_login_refused = False

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        if password_login_for_admins_only():
            # The form is folded away for administrators; focus belongs to the city button.
            self.fields["username"].widget.attrs.pop("autofocus", None)

    def get_invalid_login_error(self):
        if getattr(self.request, "password_login_refused", False):
            self.password_login_refused = True
            return ValidationError(PASSWORD_REFUSED, code="password_login_refused")
        return super().get_invalid_login_error()


class SignInView(LoginView):
    """Django's sign-in page, with the city button when OpenID Connect is configured and the
    password form folded away for administrators when only they use passwords."""

    authentication_form = SignInForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["oidc_enabled"] = getattr(settings, "OIDC_ENABLED", False)
        context["passwords_for_admins_only"] = password_login_for_admins_only()
        return context


# Throttling (django-axes): a password sign-in counts per username and per address.
PASSWORD_LOCKOUT_PARAMETERS = ["username", "ip_address"]


def lockout_parameters(request_or_attempt, credentials=None):
    """AXES_LOCKOUT_PARAMETERS. A failed city sign-in has no username: it counts per address
    only. Counted per username too, every failed city sign-in would land in one shared
    "no username" record, and ten from anywhere would lock everyone out of city sign-in."""
    try:
        callback = reverse("oidc_authentication_callback")
    except NoReverseMatch:
        callback = None
    if callback and getattr(request_or_attempt, "path_info", None) == callback:
        return ["ip_address"]
    return PASSWORD_LOCKOUT_PARAMETERS


def client_address(request):
    """AXES_CLIENT_IP_CALLABLE: the client address that sign-in throttling counts and logs.

    Behind N trusted proxies (TRUSTED_PROXY_COUNT) that each append the address they were
    connected from to X-Forwarded-For, the client is the N-th entry from the right: the one the
    outermost proxy wrote. Everything left of it came from the client and is never read, so
    no header a client writes changes the address counted. (django-ipware, axes' default,
    picks the first public address in the header instead: a client could name its own.)

    Fewer entries than proxies, or an entry that is no address, means the request did not
    pass the proxies as configured; then REMOTE_ADDR counts, the one address no client
    wrote. Without a proxy (N = 0) X-Forwarded-For is ignored altogether. On a connection
    that does not come from a proxy (FORWARDED_ALLOW_IPS) there is no header to read:
    ProxyHeadersFromProxiesOnlyMiddleware took it off, first of all."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        # Splits off only the right-most entries, however long the header.
        entries = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", proxies)
        if len(entries) >= proxies:
            address = _address(entries[-proxies])
            if address:
                return address
    return _address(request.META.get("REMOTE_ADDR", ""))


def from_trusted_proxy(request):
    """Whether the connection comes from one of the proxies in FORWARDED_ALLOW_IPS."""
    if settings.TRUST_ANY_PROXY:
        return True
    peer = _address(request.META.get("REMOTE_ADDR", ""))
    if peer is None:
        return False
    peer = ipaddress.ip_address(peer)
    return any(peer in network for network in settings.TRUSTED_PROXY_NETWORKS)


def _address(entry):
    """One X-Forwarded-For entry as a canonical address ("2001:db8::7", never "2001:DB8:0::7",
    so one client is one record), with a port, brackets or an IPv6 zone taken off; None if it
    is no address."""
    entry = entry.strip()
    if len(entry) > 64:
        return None
    if entry.startswith("["):
        entry = entry[1:].partition("]")[0]
    elif entry.count(":") == 1:
        entry = entry.partition(":")[0]
    try:
        address = ipaddress.ip_address(entry.partition("%")[0])
    except ValueError:
        return None
    return str(getattr(address, "ipv4_mapped", None) or address)


class ThrottleHandler(AxesDatabaseHandler):
    """AXES_HANDLER: django-axes' database handler, except what a successful sign-in forgives.

    Axes' own AXES_RESET_ON_SUCCESS deletes every attempt matching the lockout parameters, so
    any user signing in wiped out all failures from their address (a guesser at "admin" got
    ten fresh tries per colleague's sign-in) and all failures at their username from anywhere
    (a guesser elsewhere got ten fresh tries per real sign-in). Here a sign-in forgives only
    the failures of that username from that address: the user's own typos. Failures at other
    usernames, and at this username from other addresses, keep counting until they age out."""

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        username, address = user.get_username(), request.axes_ip_address
        # Both, always: reset_attempts drops a missing filter and would delete far more.
        if username and address:
            self.reset_attempts(ip_address=address, username=username)


def lockout_seconds_left(request, credentials=None):
    """Seconds until a locked-out sign-in may try again, at most: the cool-off after the latest
    counted failure of the username or the address. Attempts during a lockout are not counted
    (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT), so this only shrinks as one retries."""
    cool_off = get_cool_off(request)
    if not cool_off:
        return 0
    attempts = AxesProxyHandler.get_implementation().get_user_attempts(request, credentials)
    latest = [qs.aggregate(latest=Max("attempt_time"))["latest"] for qs in attempts]
    latest = max((time for time in latest if time), default=None)
    if latest is None:
        return int(cool_off.total_seconds())
    return max(1, math.ceil((latest + cool_off - timezone.now()).total_seconds()))
