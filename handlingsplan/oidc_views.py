"""The two addresses of city sign-in, under /oidc/: authenticate/ sends the browser to the
provider, callback/ is where the provider sends it back (the redirect URI to register there).
Both are reachable signed out, and answer 404 while OpenID Connect is not configured."""

import functools
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

log = logging.getLogger(__name__)

FAILURE_MESSAGES = {
    "refused": _(
        "Inloggningen med stadens konto gick inte igenom. Försök igen; kontakta en "
        "administratör om det inte går."
    ),
    "expired": _(
        "Inloggningen med stadens konto tog för lång tid eller påbörjades i en annan flik. "
        "Försök igen."
    ),
    "cancelled": _("Inloggningen med stadens konto avbröts."),
    "no_email": _(
        "Ditt konto hos staden har ingen bekräftad e-postadress, och utan den kan du inte "
        "logga in här. Kontakta en administratör."
    ),
    "ambiguous": _(
        "Flera konton här har din e-postadress, så inloggningen kan inte avgöra vilket som "
        "är ditt. Kontakta en administratör."
    ),
    "inactive": _("Ditt konto är avstängt. Kontakta en administratör."),
}


class CallbackView(OIDCAuthenticationCallbackView):
    """The library's callback; a refusal goes back to the sign-in page with a message saying
    why, and a state this session never sent is a refusal too, not an error page."""

    @property
    def failure_url(self):
        return reverse("login")

    def get(self, request):
        try:
            return super().get(request)
        except SuspiciousOperation as error:
            log.warning("City sign-in refused: %s", error)
            request.oidc_failure = "expired"
            return self.login_failure()

    def login_failure(self):
        request = self.request
        if getattr(request, "axes_locked_out", False):
            # django-axes answers with its lockout page instead.
            return super().login_failure()
        if request.GET.get("error"):
            reason = "cancelled" if request.GET["error"] == "access_denied" else "refused"
        elif "oidc_states" not in request.session and "code" in request.GET:
            reason = "expired"
        else:
            reason = getattr(request, "oidc_failure", "refused")
        messages.error(request, FAILURE_MESSAGES[reason])
        return super().login_failure()


def only_when_configured(view):
    """404 while OpenID Connect is off; reachable without signing in (LoginRequiredMiddleware)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not getattr(settings, "OIDC_ENABLED", False):
            raise Http404("City sign-in is not configured.")
        return view(request, *args, **kwargs)

    return login_not_required(wrapped)


urlpatterns = [
    path(
        "authenticate/",
        only_when_configured(OIDCAuthenticationRequestView.as_view()),
        name="oidc_authentication_init",
    ),
    path(
        "callback/",
        only_when_configured(CallbackView.as_view()),
        name="oidc_authentication_callback",
    ),
]
