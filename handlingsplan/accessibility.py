"""The accessibility statement (tillgänglighetsredogörelse) that Lag (2018:1937) om tillgänglighet
till digital offentlig service asks of the city's web content, and the way to report a problem
with it: a form that e-mails ACCESSIBILITY_CONTACT_EMAIL and works without JavaScript, with a
mailto link beside it.

Both are open to everyone, signed in or not, and rendered per request in the ordinary layout:
the footer's language form and the feedback form carry a CSRF token, so neither page may be
kept by a shared cache (never_cache makes them private)."""

import logging
import re
import smtplib
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import caches
from django.core.mail import EmailMessage
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from areas.decorators import read_only
from handlingsplan.signin import client_address

logger = logging.getLogger(__name__)

NAME_MAX_LENGTH = 100
PAGE_MAX_LENGTH = 500
MESSAGE_MAX_LENGTH = 5000
# Control characters (line breaks too) have no place in a name or an address: in a header
# they would start a new one. The message keeps its line breaks and tabs.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_MESSAGE_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
TOO_LONG = gettext_lazy("Högst %(limit_value)d tecken (du skrev %(show_value)d).")
THROTTLE_PREFIX = "a11y-feedback:"
THROTTLE_SECONDS = 60 * 60


def local_page(value, request):
    """The address as given if it is a page of this site (a path, or an http(s) URL on this
    host or SITE_URL's), else None. Nothing else is shown in the mail as a page address."""
    if not value or _CONTROL.search(value) or len(value) > PAGE_MAX_LENGTH:
        return None
    if value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    hosts = {request.get_host(), urlsplit(settings.SITE_URL).netloc}
    if urlsplit(value).scheme in ("http", "https") and url_has_allowed_host_and_scheme(
        value, allowed_hosts=hosts
    ):
        return value
    return None


class FeedbackForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Namn (frivilligt)"),
        max_length=NAME_MAX_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    # A text field that asks for the e-mail keyboard: the layout styles text fields.
    email = forms.EmailField(
        label=gettext_lazy("E-postadress (frivilligt)"),
        help_text=gettext_lazy("Om du vill ha svar."),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "email", "inputmode": "email"}),
        error_messages={"invalid": gettext_lazy("Skriv en e-postadress som namn@exempel.se.")},
    )
    page = forms.CharField(
        label=gettext_lazy("Sidans adress"),
        help_text=gettext_lazy(
            "Sidan där problemet finns, till exempel /insyn/2024-2025/. Lämna tom om det gäller "
            "hela webbplatsen eller en nedladdad fil."
        ),
        max_length=PAGE_MAX_LENGTH,
        required=False,
    )
    message = forms.CharField(
        label=gettext_lazy("Vad fungerade inte?"),
        help_text=gettext_lazy(
            "Beskriv vad du försökte göra och vad som hände, och vilket hjälpmedel du använder "
            "om du vill."
        ),
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": gettext_lazy("Skriv vad som inte fungerade.")},
    )

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        for field in self.fields.values():
            field.error_messages["max_length"] = TOO_LONG

    def clean_name(self):
        name = self.cleaned_data["name"]
        if _CONTROL.search(name):
            raise forms.ValidationError(
                _("Namnet får inte innehålla radbrytningar eller styrtecken.")
            )
        return name

    def clean_page(self):
        page = self.cleaned_data["page"]
        if page and local_page(page, self.request) is None:
            raise forms.ValidationError(
                _(
                    "Ange en adress på den här webbplatsen, till exempel /insyn/2024-2025/, "
                    "eller lämna fältet tomt."
                )
            )
        return page

    def clean_message(self):
        message = self.cleaned_data["message"]
        if _MESSAGE_CONTROL.search(message):
            raise forms.ValidationError(_("Meddelandet innehåller otillåtna styrtecken."))
        return message


def counters():
    """Its own cache, which a flood of rendered pages in the default one cannot empty."""
    return caches["counters"]


def throttle_key(request):
    return THROTTLE_PREFIX + (client_address(request) or "unknown")


def over_limit(request):
    """Whether this address has sent its ACCESSIBILITY_FEEDBACK_PER_HOUR messages this hour."""
    return (counters().get(throttle_key(request)) or 0) >= settings.ACCESSIBILITY_FEEDBACK_PER_HOUR


def count_sent(request):
    key = throttle_key(request)
    # add() starts the hour at the first message; incr() keeps its expiry.
    if not counters().add(key, 1, THROTTLE_SECONDS):
        try:
            counters().incr(key)
        except ValueError:  # expired between the two calls
            counters().add(key, 1, THROTTLE_SECONDS)


def feedback_mail(data, request):
    """The e-mail to ACCESSIBILITY_CONTACT_EMAIL. Only the checked page address goes into the
    subject and only the checked e-mail address into a header (Reply-To)."""
    page = data["page"] or _("ingen sida angiven")
    subject = _("Tillgänglighet i Handlingsplan: %(page)s") % {"page": page[:120]}
    lines = [
        _("Någon har rapporterat ett tillgänglighetsproblem i Handlingsplan."),
        "",
        f"{_('Namn')}: {data['name'] or '–'}",
        f"{_('E-postadress')}: {data['email'] or '–'}",
        f"{_('Sida')}: {page}",
        f"{_('Språk')}: {request.LANGUAGE_CODE}",
        "",
        data["message"],
    ]
    return EmailMessage(
        subject=subject,
        body="\n".join(lines),
        to=[settings.ACCESSIBILITY_CONTACT_EMAIL],
        reply_to=[data["email"]] if data["email"] else None,
    )


def _page_from_query(request):
    """The page the visitor came from, for the form's first value (?sida=/insyn/…)."""
    return local_page(request.GET.get("sida", ""), request) or ""


def _feedback_page(request, form, status=200, problem=None):
    context = {
        "form": form,
        "problem": problem,
        "contact_email": settings.ACCESSIBILITY_CONTACT_EMAIL,
    }
    return render(request, "accessibility/feedback.html", context, status=status)


def _send(request, form):
    """Send the form's mail; the problem to show if it could not be sent, else None."""
    # Counted before sending, so a mail server that fails or hangs (EMAIL_TIMEOUT) cannot be
    # retried without limit; written in Swedish, the recipients' language, whatever the page's.
    count_sent(request)
    try:
        with translation.override(settings.LANGUAGE_CODE):
            message = feedback_mail(form.cleaned_data, request)
        message.send()
    except (smtplib.SMTPException, OSError):
        logger.exception("Accessibility feedback could not be sent")
        return _(
            "Meddelandet kunde inte skickas just nu. Försök igen om en stund, eller skriv direkt "
            "till %(email)s."
        ) % {"email": settings.ACCESSIBILITY_CONTACT_EMAIL}
    logger.info("Accessibility feedback sent about %s", form.cleaned_data["page"] or "-")
    return None


@login_not_required
@read_only
@never_cache
def statement(request):
    context = {
        "contact_email": settings.ACCESSIBILITY_CONTACT_EMAIL,
        "publisher_name": settings.PUBLISHER_NAME,
        "publisher_url": settings.PUBLISHER_URL,
        "reviewed": settings.ACCESSIBILITY_STATEMENT_REVIEWED,
    }
    return render(request, "accessibility/statement.html", context)


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def feedback(request):
    """The feedback form: invalid, the form again with 400; too many this hour, 429; sent,
    the confirmation page (post/redirect/get)."""
    if request.method != "POST":
        form = FeedbackForm(initial={"page": _page_from_query(request)}, request=request)
        return _feedback_page(request, form)
    form = FeedbackForm(request.POST, request=request)
    if over_limit(request):
        problem = _(
            "Du har skickat många meddelanden den senaste timmen. Vänta en stund, eller skriv "
            "direkt till %(email)s."
        ) % {"email": settings.ACCESSIBILITY_CONTACT_EMAIL}
        return _feedback_page(request, form, status=429, problem=problem)
    if not form.is_valid():
        return _feedback_page(request, form, status=400)
    problem = _send(request, form)
    if problem:
        return _feedback_page(request, form, status=503, problem=problem)
    return redirect("accessibility_feedback_sent")


@login_not_required
@read_only
@never_cache
def feedback_sent(request):
    context = {"contact_email": settings.ACCESSIBILITY_CONTACT_EMAIL}
    return render(request, "accessibility/feedback_sent.html", context)
