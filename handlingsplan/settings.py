"""Settings for Handlingsplan, read from environment variables.

Every value a deployment changes comes from the environment (12-factor); a bad value stops the
start with ImproperlyConfigured rather than running with a surprising default.
"""

import datetime
import hashlib
import ipaddress
import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from handlingsplan import sign_in_settings

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name, default=False):
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}."
    )


def env_int(name, default, minimum=None):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be {minimum} or more; got {raw!r}.")
    return value


def absolute_url(name, raw, schemes=("http", "https"), example="https://handlingsplan.example.se"):
    """`raw`, the setting `name`, checked to be an absolute URL (scheme and host, or a unix://
    socket's path), without a trailing slash."""
    raw = raw.strip()
    parts = urlsplit(raw)
    try:
        parts.port  # noqa: B018 (raises ValueError for a port that is no number)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in schemes
        or not (parts.path if parts.scheme == "unix" else parts.hostname)
    ):
        raise ImproperlyConfigured(
            f"{name} must be an absolute address such as {example}; got {raw!r}."
        )
    return raw.rstrip("/")


def env_float(name, default, zero=False, maximum=None):
    """A number of seconds from the environment: more than 0 (or 0 too with `zero`), at most
    `maximum` when given."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number; got {raw!r}.") from None
    if not (value >= 0 if zero else value > 0):
        least = "0 or more" if zero else "more than 0"
        raise ImproperlyConfigured(f"{name} must be {least}; got {raw!r}.")
    if maximum is not None and not value <= maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum:g}; got {raw!r}.")
    return value


def env_date(name, default):
    """An ISO date (2026-12-06) from the environment, as a datetime.date."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return datetime.date.fromisoformat(default)
    try:
        return datetime.date.fromisoformat(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a date as YYYY-MM-DD; got {raw!r}.") from None


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. Set DEBUG=1 for local development."
        )
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
# Django checks these only in `manage.py check`, which gunicorn does not run: a missing scheme
# would otherwise refuse every form POST with a CSRF error.
CSRF_TRUSTED_ORIGINS = [
    absolute_url("CSRF_TRUSTED_ORIGINS", origin) for origin in env_list("CSRF_TRUSTED_ORIGINS")
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django_tables2",
    "django_filters",
    "simple_history",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "organisations",
    "areas",
    "activities",
]

MIDDLEWARE = [
    # First: every log line of the request, from any layer, carries its id.
    "handlingsplan.logging.RequestIdMiddleware",
    "handlingsplan.middleware.ProxyHeadersFromProxiesOnlyMiddleware",
    "handlingsplan.middleware.DatabaseNotAnsweringMiddleware",
    "handlingsplan.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # `Cache-Control: private, no-cache` on every answer that does not say how to cache it.
    "handlingsplan.middleware.PrivateUnlessSaidMiddleware",
    # Errors under /api/ as JSON, whichever layer answers them (activities/api/errors.py).
    "activities.api.errors.ApiJsonErrorsMiddleware",
    "handlingsplan.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "handlingsplan.middleware.SwedishFirstLocaleMiddleware",
    "handlingsplan.middleware.RejectControlCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who just changed something sees it on their next page (activities/fragments.py).
    "activities.fragments.ReadOwnWritesMiddleware",
    # Every page needs sign-in unless its view is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "handlingsplan.middleware.ContentSecurityPolicyMiddleware",
    # Inside the CSP and frame options above: its page gets their headers.
    "handlingsplan.middleware.FormOnlyAddressMiddleware",
    # Last, as django-axes asks: it answers a locked-out sign-in with the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "handlingsplan.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "handlingsplan.context_processors.plans",
            ],
        },
    },
]

WSGI_APPLICATION = "handlingsplan.wsgi.application"

_default_db = f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
try:
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ.get("DATABASE_URL") or _default_db,
            conn_max_age=env_int("CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None

# In the web processes (wsgi.py) no single wait for PostgreSQL, a query, a fetch, a commit or
# the health check of a reused connection, lasts longer than this; past it the connection is
# closed and the page answers 503 (handlingsplan/db_deadline.py). A frozen server holds a
# worker for this plus DB_CONNECT_TIMEOUT (the reconnect): 4 s. At 100x the plan the slowest
# query of any page or export takes under 0.1 s (docs/performance.md), the slowest statement of
# a 5,178-row import 0.2 s (its COMMIT, load average 3.8). A deployment whose statements need
# longer raises it. 0 turns it off.
DB_WAIT_TIMEOUT_MS = env_int("DB_WAIT_TIMEOUT_MS", 2000)

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # What each setting covers:
    # - connect_timeout: a new connection to a server that does not answer (down, frozen,
    #   unreachable) gives up after this many seconds (libpq's least is 2), and the page
    #   answers 503. It does nothing for a connection already open (CONN_MAX_AGE reuses them).
    # - statement_timeout: the server stops a statement that runs away; a frozen server
    #   enforces nothing, hence DB_WAIT_TIMEOUT_MS above.
    # - keepalives and tcp_user_timeout: when the server's machine is gone or the network is
    #   cut, an idle kept connection is found dead within about a minute and unanswered data
    #   fails the connection after 60 s, also in management commands, which have no
    #   DB_WAIT_TIMEOUT_MS (the kernel's defaults: two hours, and some 15 minutes of
    #   retransmission). That is from the libpq and Linux documentation, not tried here (no
    #   packet filter on the development machine). What was tried: a frozen server on a
    #   machine that runs is noticed by neither, whatever the values (SIGSTOP, keepalives
    #   after 1 s, tcp_user_timeout 2 s: the query still waited): its kernel acknowledges
    #   every packet.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "connect_timeout": env_int("DB_CONNECT_TIMEOUT", 2),
            "options": f"-c statement_timeout={env_int('DB_STATEMENT_TIMEOUT_MS', 20000)}",
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
            "tcp_user_timeout": 60000,
            # Names this instance's connections in pg_stat_activity and the server's log
            # (log_line_prefix %a): with several instances, which one ran a query.
            "application_name": os.environ.get("DB_APPLICATION_NAME", "handlingsplan"),
        }
    )

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Each transaction takes the write lock when it begins: two requests that read and then
    # write (a report and an import confirmation at once) wait for each other instead of
    # failing with "database is locked", and a check-then-insert cannot interleave.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
    # A file, not memory, for the test database: the browser tests' live_server threads share
    # it, and an in-memory database gave them intermittent errors.
    _db_file = Path(DATABASES["default"]["NAME"])
    DATABASES["default"]["TEST"] = {"NAME": str(_db_file.with_name(f"test-{_db_file.name}"))}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Rendered public insyn pages (activities/public_cache.py) and parts of signed-in pages
# (activities/fragments.py), keyed on the data version: a key never goes stale, so a change
# shows at once everywhere.
#
# With CACHE_URL (redis://host:port/db or rediss://…, Redis or Valkey) every alias below lives
# in that one server, shared by every worker of every instance: a page rendered by one is a hit
# on all, and the feedback form's counters are one count for the whole site. The server should
# bound its memory and drop the least recently used (maxmemory, maxmemory-policy allkeys-lru;
# README.md, Drift). An unreachable server costs a cache miss, never an error page
# (handlingsplan/cache.py).
#
# Without it (`make run`, the tests) each process keeps its own in memory: 1,000 entries hold
# every public page of a plan in both languages, the fragments, and room for table views, and
# bound the memory however many odd addresses are asked for (pages are 20–50 KB, a 100-row table
# about 200 KB: some tens of MB a process at most); the least recently used go first.
CACHE_URL = os.environ.get("CACHE_URL", "").strip()
if CACHE_URL:
    # The scheme and a port that is a number are checked here: the Redis client would find a
    # bad one only when it first connects, in the middle of a page.
    absolute_url(
        "CACHE_URL",
        CACHE_URL,
        schemes=("redis", "rediss", "unix"),
        example="redis://cache.example.se:6379/0 (Redis or Valkey)",
    )

    # Every value is signed with SECRET_KEY and bound to its key; one that is not is a miss,
    # never unpickled (handlingsplan/cache.py).
    def _shared_cache(prefix, backend="SharedCache"):
        return {
            "BACKEND": f"handlingsplan.cache.{backend}",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": prefix,
            "OPTIONS": {
                # Seconds to connect and to wait for each answer: a cache that hangs costs a
                # page this much once, then is skipped for a while.
                "socket_connect_timeout": env_float("CACHE_TIMEOUT", 0.5),
                "socket_timeout": env_float("CACHE_TIMEOUT", 0.5),
            },
        }

    CACHES = {
        "default": _shared_cache("hp"),
        "counters": _shared_cache("hp-counters", "SharedCounters"),
        "files": _shared_cache("hp-files"),
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "handlingsplan",
            "OPTIONS": {"MAX_ENTRIES": 1000},
        },
        # Counters that must not be pushed out by a flood of pages in the default cache, nor
        # lost when a worker restarts (gunicorn's max_requests), and that every worker on the
        # machine shares: the accessibility feedback's messages per address and hour
        # (handlingsplan/accessibility.py). Files in a folder of this checkout's own under the
        # system's temporary folder, or COUNTERS_DIR.
        "counters": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ.get("COUNTERS_DIR")
            or os.path.join(
                tempfile.gettempdir(),
                "handlingsplan-counters-" + hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:8],
            ),
            "OPTIONS": {"MAX_ENTRIES": 10000},
        },
        # Whole open data workbooks (activities/opendata/workbook.py): five files per
        # published plan, each written once per data version; a few MB each for a plan 100
        # times the size.
        "files": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "handlingsplan-files",
            "OPTIONS": {"MAX_ENTRIES": 30},
        },
    }
# Exports too large to send within a request (gunicorn's 30 s timeout) are built in the
# background by `manage.py run_jobs` (activities/export_jobs.py) into files under EXPORT_DIR,
# which every app instance and the runner must share (compose.yaml mounts one volume in all of
# them); without it, a folder of this checkout's own under the system's temporary folder, like
# the counters above. A request whose estimated rows (the file's rows, weighted by what a row
# costs to write) reach EXPORT_BACKGROUND_ROWS gets a job and a progress page instead of the
# file: at 1000x the plan the report history (500,000 rows), the roles (220,000), every
# organisation's report template (100,000 rows, weight 2) and the plan workbook (55,000
# activities, weight 4) go there; at 100x every file is under half of it and is sent at once.
# A finished file is kept EXPORT_KEEP_HOURS (or until the plan's data changes); a job whose
# runner has not reported for EXPORT_JOB_TIMEOUT seconds is taken up again by another.
EXPORT_DIR = os.environ.get("EXPORT_DIR") or os.path.join(
    tempfile.gettempdir(),
    "handlingsplan-exports-" + hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:8],
)
EXPORT_BACKGROUND_ROWS = env_int("EXPORT_BACKGROUND_ROWS", 150_000, minimum=0)
EXPORT_KEEP_HOURS = env_int("EXPORT_KEEP_HOURS", 24, minimum=1)
EXPORT_JOB_TIMEOUT = env_int("EXPORT_JOB_TIMEOUT", 300, minimum=10)
# How long an unused fragment keeps its room.
FRAGMENT_CACHE_SECONDS = env_int("FRAGMENT_CACHE_SECONDS", 3600)
# How often at most the data version a plan's pages are keyed by moves while reports come in:
# for up to this long, everyone who has changed nothing since is shown the pages as they were
# (whole, of one moment), so each kept part is rendered again at most this often; the author
# of a report sees it at once, and an edit of a plan, a round or an organisation shows at once
# to all. 0: after every report (activities/fragments.py, _pinned). Only with CACHE_URL: who
# changed what when is noted in the cache, and in a worker's own memory the other workers
# would not know that a reader is the author of a report.
_refresh = env_float("FRAGMENT_REFRESH_SECONDS", 1.0, zero=True, maximum=60)
FRAGMENT_REFRESH_SECONDS = _refresh if CACHE_URL else 0.0
# How long browsers and proxies may reuse a public page without asking (Cache-Control
# max-age); after that they ask with its ETag and get 304 Not Modified if nothing changed.
PUBLIC_CACHE_SECONDS = env_int("PUBLIC_CACHE_SECONDS", 60)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The backends (django-axes first), PASSWORD_LOGIN and city sign-in with OpenID Connect
# (OIDC_*, off unless OIDC_RP_CLIENT_ID is set): handlingsplan/sign_in_settings.py, README.md.
_sign_in = sign_in_settings.from_environment(os.environ)
AUTHENTICATION_BACKENDS = _sign_in.pop("AUTHENTICATION_BACKENDS")
globals().update(_sign_in)

# Sign-in throttling (django-axes): after AXES_FAILURE_LIMIT failed attempts for a username, or
# from one address, sign-in is refused for LOGIN_LOCKOUT_MINUTES, in the app and the admin.
# An administrator lifts a lockout in the admin or with manage.py axes_reset_* (README.md).
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
# Per username and per address; a failed city sign-in per address only.
AXES_LOCKOUT_PARAMETERS = "handlingsplan.signin.lockout_parameters"
# Axes' reset on success would clear every failure of the address and of the username, so one
# colleague's sign-in gave a guesser ten more tries; the handler forgives only the signed-in
# username's own failures from that address (handlingsplan/signin.py).
AXES_RESET_ON_SUCCESS = False
AXES_HANDLER = "handlingsplan.signin.ThrottleHandler"
# A refused attempt during a lockout is not counted, so retrying does not restart the cool-off.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "handlingsplan.views.locked_out"
AXES_VERBOSE = False
# Its log lines name the address counted (to unlock with axes_reset_ip), never the username,
# which is sometimes a password typed into the wrong field.
AXES_SENSITIVE_PARAMETERS = ["username"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Svenska")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
# Seconds one step of talking to the mail server may take (connect, each command): a mail server
# that accepts the connection and never answers must not hold a worker (the feedback form, the
# reminders) for long.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 3, minimum=1)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "handlingsplan@localhost")
# Absolute links in e-mails (reminders) need to know where the app lives.
SITE_URL = absolute_url("SITE_URL", os.environ.get("SITE_URL", "http://127.0.0.1:8000"))
# The author of the report to the board's Word document (its document properties).
BOARD_REPORT_AUTHOR = os.environ.get("BOARD_REPORT_AUTHOR", "Business Region Göteborg")

# The public side's publisher and its contact: the accessibility statement's contact address
# (and its feedback form's recipient), the open data's publisher and contact point in the
# DCAT-AP-SE catalogue. README.md, Configuration.
PUBLISHER_NAME = os.environ.get("PUBLISHER_NAME", "Göteborgs Stad, Business Region Göteborg")
PUBLISHER_URL = os.environ.get("PUBLISHER_URL", "https://www.businessregiongoteborg.se/")
ACCESSIBILITY_CONTACT_EMAIL = os.environ.get(
    "ACCESSIBILITY_CONTACT_EMAIL", "tillganglighet@handlingsplan.localhost"
)
OPEN_DATA_CONTACT_EMAIL = os.environ.get("OPEN_DATA_CONTACT_EMAIL", ACCESSIBILITY_CONTACT_EMAIL)
# The day the accessibility statement (/tillganglighet/) was last reviewed against the site,
# shown on it; set it when the statement is reviewed again. handlingsplan/accessibility.py.
ACCESSIBILITY_STATEMENT_REVIEWED = env_date("ACCESSIBILITY_STATEMENT_REVIEWED", "2026-12-06")
# How many accessibility feedback messages one address may send in an hour (a flood stops
# there; the workers on a machine share the count, CACHES["counters"]).
ACCESSIBILITY_FEEDBACK_PER_HOUR = env_int("ACCESSIBILITY_FEEDBACK_PER_HOUR", 5)
# The open data's licence (stated on the open data pages, in datapackage.json, the DCAT-AP-SE
# catalogue and the API's info): a URI and a short name; CC0 1.0 unless set.
OPEN_DATA_LICENCE_URL = os.environ.get(
    "OPEN_DATA_LICENCE_URL", "https://creativecommons.org/publicdomain/zero/1.0/"
)
OPEN_DATA_LICENCE_NAME = os.environ.get("OPEN_DATA_LICENCE_NAME", "CC0 1.0")

SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_HTTPS_PROXY") else None
)
# Sign-in throttling counts the client's address: behind TRUSTED_PROXY_COUNT proxies that each
# append to X-Forwarded-For, the entry that many from the right (what the outermost proxy saw);
# without a proxy, REMOTE_ADDR. handlingsplan/signin.py client_address, README.md.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1, minimum=0) if SECURE_PROXY_SSL_HEADER else 0
# X-Forwarded-For is read only on a connection from one of these addresses or networks: the
# proxies' (FORWARDED_ALLOW_IPS, the same list gunicorn.conf.py gives gunicorn; "*" trusts any
# peer, for a set-up where nothing but the proxy can reach the app). From anywhere else the
# header is the client's own words and REMOTE_ADDR counts.
FORWARDED_ALLOW_IPS = env_list("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
try:
    TRUSTED_PROXY_NETWORKS = [
        ipaddress.ip_network(entry, strict=False) for entry in FORWARDED_ALLOW_IPS if entry != "*"
    ]
except ValueError as exc:
    raise ImproperlyConfigured(f"FORWARDED_ALLOW_IPS: {exc}") from None
TRUST_ANY_PROXY = "*" in FORWARDED_ALLOW_IPS
AXES_CLIENT_IP_CALLABLE = "handlingsplan.signin.client_address"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

DJANGO_TABLES2_TEMPLATE = "includes/table.html"

# One line per record on standard output: time, level, logger, the request's id (the proxy's
# X-Request-ID; handlingsplan/logging.py), message (a traceback folded into the same line), so a
# log collector sees one request error as one event and can join it to the proxy's line.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {
            "()": "handlingsplan.logging.OneLineFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s request_id=%(request_id)s %(message)s",
        }
    },
    "filters": {
        "request_id": {"()": "handlingsplan.logging.RequestIdFilter"},
        "bad_host": {"()": "handlingsplan.logging.BadHostIsAWarning"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "line",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own console handler (with DEBUG) would print every record a second time.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # django-axes logs every successful sign-in at INFO; lockouts come at WARNING.
        "axes": {"level": "WARNING"},
        # A request for a host not in ALLOWED_HOSTS: one WARNING line, no traceback.
        "django.security.DisallowedHost": {
            "handlers": ["console"],
            "filters": ["bad_host"],
            "propagate": False,
        },
    },
}

# Largest request body taken at all (an upload is at most 5 MB; the rest is form fields).
MAX_REQUEST_BYTES = 6 * 1024 * 1024

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# The read-only open-data API under /api/v1/ (activities/api/) is the only user of Django REST
# framework: sign-in is the app's own session, every view decides what it shows (published
# plans; every plan for a coordinator), JSON only, nothing parsed.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # JSON is the only format: ?format=… is a parameter like any unknown one, ignored.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Handlingsplan API",
    "DESCRIPTION": (
        "Read-only open data of the published action plans of Göteborgs Stad's business "
        "strategy: activities, organisations' roles, targets and the report history (never a "
        "person's name). Files of the same data: /oppna-data/<plan>/. Columns and codes: "
        "/oppna-data/<plan>/kolumner/. Licence: see info.license."
    ),
    "VERSION": "1",
    "LICENSE": {"name": OPEN_DATA_LICENCE_NAME, "url": OPEN_DATA_LICENCE_URL},
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
}
