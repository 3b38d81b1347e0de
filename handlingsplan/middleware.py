import re
import time

from django.http import HttpResponse, HttpResponseBadRequest
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

from handlingsplan.signin import from_trusted_proxy


class ProxyHeadersFromProxiesOnlyMiddleware:
    """X-Forwarded-Proto and X-Forwarded-For mean something only when the proxy wrote them. On a
    connection from anywhere else (FORWARDED_ALLOW_IPS), a client that reaches an instance past
    the proxy, they are the client's own words: taken off before anything reads them, so such a
    client can neither pass plain http off as https (SECURE_PROXY_SSL_HEADER: secure cookies,
    CSRF's origin check) nor name its address (sign-in throttling)."""

    HEADERS = ("HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_FOR")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not from_trusted_proxy(request):
            for header in self.HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Send a strict Content-Security-Policy: every asset comes from this app, nothing external.

    The city intranet forbids external requests, and the header makes a stray CDN link fail loudly
    in development instead of silently working.
    """

    POLICY = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # The admin uses inline styles in places; keep it working while the app stays strict.
        if not request.path.startswith("/admin/"):
            response.headers.setdefault("Content-Security-Policy", self.POLICY)
        return response


class PrivateUnlessSaidMiddleware:
    """`Cache-Control: private, no-cache` on every answer that does not set Cache-Control
    itself. Such an answer may depend on who asks: a signed-in page, the open data pages (a
    coordinator's copy lists unpublished plans and names the user), the sign-in page (its
    CSRF token); a shared cache must never keep one to hand it to someone else, and the
    browser asks again each time. The answers that are the same for everyone say so
    themselves (the insyn pages, open data files and the API: `public, max-age=…`) and are
    left as they are, as is any other Cache-Control a view set (never_cache's)."""

    VALUE = "private, no-cache"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control") or (
            response.cookies and "public" in response["Cache-Control"]
        ):
            # An answer that sets or clears a cookie (a new CSRF token for a malformed one, a
            # dead session cleared) is this client's only: a shared cache must not hand it on.
            response["Cache-Control"] = self.VALUE
        return response


class SwedishFirstLocaleMiddleware:
    """Swedish unless the user chose another language (the language cookie set by set_language).

    Django's LocaleMiddleware would follow the browser's Accept-Language, which on many city
    computers says English; the city's working language is Swedish, so the browser is not asked.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        response.headers.setdefault("Vary", "Cookie")
        return response


HTML = "text/html; charset=utf-8"

# NUL and the other C0 control characters (tab, line feed and carriage return are allowed in
# form text). PostgreSQL cannot store NUL at all and answers with an error.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class RejectControlCharactersMiddleware:
    """Answer 400 to a request whose path or query string holds a control character, before
    any view puts it in a database query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        values = [request.path, *request.GET.keys()]
        values += [v for key in request.GET for v in request.GET.getlist(key)]
        if any(_CONTROL.search(value) for value in values):
            # Answered here rather than raised: a raised SuspiciousOperation is logged as an
            # error with a traceback, and anyone could fill the error log with these.
            return HttpResponseBadRequest(
                render_to_string("400.html", request=request), content_type=HTML
            )
        return self.get_response(request)


class RequestSizeLimitMiddleware:
    """Answer 413 before Django reads a request body larger than MAX_REQUEST_BYTES: it would
    otherwise spool any size of upload to disk before a view could refuse it.

    A refused body up to DISCARD_BYTES is read and thrown away first, in chunks, keeping none of
    it: gunicorn closes the connection after the answer, and a socket closed with unread data is
    reset. A proxy still sending the body (nginx takes up to 10 MB and passes it on at once)
    then gets "broken pipe", counts the instance as failed, tries the next one, and shows its
    own 502 page instead of the app's 413, and sets both instances aside for a while: found by
    `make prod-check`, about one upload in three. A larger body (only possible past the proxy)
    is not read."""

    DISCARD_BYTES = 16 * 1024 * 1024

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings

        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BYTES:
            if length <= self.DISCARD_BYTES:
                self.discard(request.META.get("wsgi.input"), length)
            return HttpResponse(render_to_string("413.html"), status=413, content_type=HTML)
        return self.get_response(request)

    @staticmethod
    def discard(stream, length):
        remaining = length
        while stream is not None and remaining > 0:
            chunk = stream.read(min(remaining, 64 * 1024))
            if not chunk:
                break
            remaining -= len(chunk)


class DatabaseNotAnsweringMiddleware:
    """First of all: while this process pauses a database that did not answer within its
    deadline (handlingsplan/db_deadline.py), /healthz and every page answer 503 at once
    instead of each waiting seconds for it again; a request that fails on the database after
    waiting out the deadline starts the pause. Nothing happens outside the web processes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from handlingsplan import db_deadline
        from handlingsplan.views import database_unavailable

        if db_deadline.not_answering():
            if request.path == HealthCheckMiddleware.PATH:
                return _unavailable_health()
            return database_unavailable()
        started = time.monotonic()
        response = self.get_response(request)
        if response.status_code == 503:
            db_deadline.request_failed(time.monotonic() - started)
        return response


def _unavailable_health():
    response = HttpResponse("unavailable\n", status=503, content_type="text/plain")
    add_never_cache_headers(response)
    return response


class HealthCheckMiddleware:
    """/healthz for the load balancer: 200 "ok" when this process can query its database,
    503 "unavailable" when not. Answered here, before sessions, sign-in and the host check,
    so it needs no cookie or host name and says nothing about the data."""

    PATH = "/healthz"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path != self.PATH:
            return self.get_response(request)
        from django.db import InterfaceError, OperationalError, connection

        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except (OperationalError, InterfaceError):
            return _unavailable_health()
        else:
            response = HttpResponse("ok\n", content_type="text/plain")
        add_never_cache_headers(response)
        return response


class FormOnlyAddressMiddleware:
    """A page that only takes a sent form (an assessment, a report, an activation) answers a
    GET with 405 and, from Django, an empty body: a blank page for someone whose session ran
    out while sending the form and who comes back to its address after signing in. Give such
    a visitor a page that says so, with a link to the page the form was on (the address one
    level up). The API and open data answer as they do."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 405
            and request.method in ("GET", "HEAD")
            and not response.content
            and not request.path.startswith(("/api/", "/oppna-data/"))
        ):
            # One level up, on this site only (never "//host/", whatever the path).
            back = "/" + request.path.rstrip("/").rsplit("/", 1)[0].lstrip("/")
            page = render_to_string("405.html", {"back": back.rstrip("/") + "/"}, request)
            allowed = response.get("Allow")
            response = HttpResponse(page, status=405)
            if allowed:
                response["Allow"] = allowed
        return response
