"""What running as several instances behind a proxy needs of the app itself (issue 23): the
shared cache (CACHE_URL, a real Redis server), the request id that joins the proxy's log to the
app's, and the PostgreSQL application name that tells the instances apart. The whole set-up,
nginx and two instances, is checked by `make prod-check` (deploy/prodcheck/)."""

import contextlib
import json
import logging
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.cache import caches
from django.db import connection

from deploy.prodcheck.stack import REDIS_PASSWORD, free_port, start_redis
from handlingsplan.logging import RequestIdFilter
from tests.factories import REAL_PLAN
from tests.settings_process import run_settings

REDIS_SERVER = shutil.which("redis-server")
needs_redis = pytest.mark.skipif(
    not REDIS_SERVER, reason="redis-server is not installed (CI installs it: apt redis-server)"
)
PAGE = f"/insyn/{REAL_PLAN}/aktiviteter/"


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A real Redis server of this module's own, started as `make prod-check` starts it (a
    password, the README's memory bound) on a free port, stopped afterwards."""
    port = free_port()
    server = start_redis(tmp_path_factory.mktemp("redis"), port)
    try:
        yield f"redis://:{REDIS_PASSWORD}@127.0.0.1:{port}/0"
    finally:
        server.stop()


def shared_caches(url):
    """CACHES as settings.py builds them from CACHE_URL."""
    code = "import json; from handlingsplan import settings as s; print(json.dumps(s.CACHES))"
    result = settings_run(code, CACHE_URL=url)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def settings_run(code, **env):
    return run_settings({"DEBUG": "1", **env}, code)


@pytest.fixture
def redis_caches(settings, redis_url):
    """Every cache alias in the Redis server, as CACHE_URL sets them; emptied before and after."""
    settings.CACHES = shared_caches(redis_url)
    caches["default"].clear()
    yield redis_url
    caches["default"].clear()


# CACHE_URL -----------------------------------------------------------------------------------


def test_cache_url_puts_every_alias_in_the_one_server():
    built = shared_caches("redis://cache.example:6379/2")
    assert set(built) == {"default", "counters", "files"}
    assert {name: alias["BACKEND"] for name, alias in built.items()} == {
        "default": "handlingsplan.cache.SharedCache",
        "files": "handlingsplan.cache.SharedCache",
        "counters": "handlingsplan.cache.SharedCounters",
    }
    assert {alias["LOCATION"] for alias in built.values()} == {"redis://cache.example:6379/2"}
    # Each alias has its own keys, so a page can never be read as a counter.
    assert len({alias["KEY_PREFIX"] for alias in built.values()}) == 3


def test_without_cache_url_each_process_keeps_its_own():
    result = settings_run(
        "from handlingsplan import settings as s; print(s.CACHES['default']['BACKEND'])"
    )
    assert result.stdout.strip() == "django.core.cache.backends.locmem.LocMemCache"


@pytest.mark.parametrize(
    "url", ["memcached://127.0.0.1:11211", "127.0.0.1:6379", "http://cache.example/"]
)
def test_a_cache_url_that_is_not_redis_stops_the_start(url):
    result = settings_run("from handlingsplan import settings", CACHE_URL=url)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "CACHE_URL" in result.stderr


@needs_redis
@pytest.mark.django_db
def test_a_public_page_is_kept_in_the_shared_server_and_served_from_it(
    client, published_plan, redis_caches, django_assert_num_queries
):
    import redis

    server = redis.Redis.from_url(redis_caches)
    assert server.dbsize() == 0
    first = client.get(PAGE)
    assert first.status_code == 200
    # The rendering is in the server, where every instance finds it.
    assert any(key.startswith(b"hp:") for key in server.scan_iter())
    # A new connection, as another instance has: only the data version is asked for.
    caches.close_all()
    del caches["default"]
    with django_assert_num_queries(1):
        again = client.get(PAGE)
    assert again.content == first.content


@needs_redis
@pytest.mark.django_db
def test_the_feedback_limit_is_counted_in_the_shared_server(client, redis_caches, settings):
    import redis

    settings.ACCESSIBILITY_FEEDBACK_PER_HOUR = 2
    message = {"message": "Knappen går inte att nå med tangentbordet."}
    for _ in range(2):
        assert client.post("/tillganglighet/synpunkter/", message).status_code == 302
    assert client.post("/tillganglighet/synpunkter/", message).status_code == 429
    assert len(mail.outbox) == 2
    counters = [k for k in redis.Redis.from_url(redis_caches).scan_iter() if b"hp-counters:" in k]
    assert len(counters) == 1


class Marker:
    """A pickle that, when loaded, writes a file: what an attacker with write access to the
    cache server would put there (with a command instead)."""

    path = None

    def __reduce__(self):
        return (Path(self.path).write_text, ("the pickle ran",))


@needs_redis
@pytest.mark.django_db
def test_a_value_the_app_did_not_write_is_never_unpickled(
    client, published_plan, redis_caches, tmp_path, caplog
):
    """The hostile review's case: a pickle written into a public page's key ran in the
    instance and its output was served as the page."""
    import pickle

    import redis

    server = redis.Redis.from_url(redis_caches)
    first = client.get(PAGE)
    # The page's key, not the key naming its latest rendering (fragments.kept).
    (key,) = [k for k in server.scan_iter() if k.startswith(b"hp:") and b"insyn-page:" in k]
    Marker.path = tmp_path / "ran"
    forged = {
        "a pickle": pickle.dumps(Marker()),
        "a signature of another key": b"hp1:" + b"0" * 32 + pickle.dumps(Marker()),
        "a number": b"4711",
        "HTML": b"<h1>Hacked</h1>",
    }
    for what, value in forged.items():
        server.set(key, value)
        with caplog.at_level(logging.WARNING, logger="handlingsplan.cache"):
            response = client.get(PAGE)
        assert response.status_code == 200, what
        assert response.content == first.content, what
        assert not Marker.path.exists(), what
        assert "no valid signature" in caplog.text, what
        caplog.clear()
        # Stored again, signed, by the rendering that replaced it.
        assert server.get(key).startswith(b"hp1:"), what


@needs_redis
@pytest.mark.django_db
def test_a_signed_value_moved_to_another_key_is_not_served(
    client, published_plan, redis_caches, caplog
):
    """The re-check's case: a signed-in page's part, signed by the app, copied onto a public
    page's key was served to anyone (with the staff's e-mail addresses in it)."""
    import redis

    server = redis.Redis.from_url(redis_caches)
    caches["default"].set("signed-in-part", "<p>samordnare@example.invalid</p>", 60)
    moved = server.get(caches["default"].make_key("signed-in-part"))
    first = client.get(PAGE)
    (key,) = [k for k in server.scan_iter() if b"insyn-page:" in k]
    server.set(key, moved)
    with caplog.at_level(logging.WARNING, logger="handlingsplan.cache"):
        again = client.get(PAGE)
    assert again.content == first.content
    assert b"samordnare@example.invalid" not in again.content
    assert "under another key" in caplog.text
    # Nor between aliases: the same key name in "files" is another key.
    caches["files"].set("fil", b"PK...", 60)
    server.set(caches["default"].make_key("fil"), server.get(caches["files"].make_key("fil")))
    assert caches["default"].get("fil") is None


@needs_redis
@pytest.mark.django_db
def test_a_forged_counter_neither_stops_the_cache_nor_the_count(
    client, published_plan, redis_caches, settings, caplog
):
    """The re-check's case: a counter set to text made INCR fail, which was taken for a dead
    server: the whole cache was skipped for 10 s and the limit with it."""
    import redis

    settings.ACCESSIBILITY_FEEDBACK_PER_HOUR = 2
    server = redis.Redis.from_url(redis_caches)
    message = {"message": "Fokus syns inte."}
    assert client.post("/tillganglighet/synpunkter/", message).status_code == 302
    (counter,) = [k for k in server.scan_iter() if b"hp-counters" in k]
    server.set(counter, b"<b>x</b>")
    with caplog.at_level(logging.WARNING, logger="handlingsplan.cache"):
        assert client.post("/tillganglighet/synpunkter/", message).status_code == 302
        assert client.post("/tillganglighet/synpunkter/", message).status_code == 302
        assert client.post("/tillganglighet/synpunkter/", message).status_code == 429
    assert "does not answer" not in caplog.text
    # The cache still serves pages (the data version only) right after.
    client.get(PAGE)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(PAGE)
    assert len(queries) == 1


@needs_redis
def test_counters_stay_plain_numbers_for_an_atomic_incr(redis_caches):
    import redis

    counters = caches["counters"]
    assert counters.add("n", 1, 60)
    assert counters.incr("n") == 2
    (key,) = [k for k in redis.Redis.from_url(redis_caches).scan_iter() if b"hp-counters" in k]
    assert redis.Redis.from_url(redis_caches).get(key) == b"2"
    # Other values in the counters alias are signed like everywhere else.
    counters.set("text", "värde", 60)
    assert counters.get("text") == "värde"


@pytest.mark.django_db
def test_a_cache_server_that_is_down_costs_a_miss_not_an_error(
    client, published_plan, settings, caplog
):
    port = free_port()  # nothing listens there
    settings.CACHES = shared_caches(f"redis://127.0.0.1:{port}/0")
    with caplog.at_level(logging.WARNING, logger="handlingsplan.cache"):
        first = client.get(PAGE)
        second = client.get(PAGE)
        feedback = client.post("/tillganglighet/synpunkter/", {"message": "Hej"})
    assert first.status_code == second.status_code == 200
    assert feedback.status_code == 302
    # Noticed once; left alone for a while after that.
    warnings = [r for r in caplog.records if r.name == "handlingsplan.cache"]
    assert len(warnings) == 1
    assert "does not answer" in warnings[0].getMessage()


@pytest.mark.django_db
def test_a_cache_server_that_hangs_holds_a_page_only_its_timeout(client, published_plan, settings):
    """A server that takes the connection and never answers (frozen, or not Redis at all)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(OSError):  # the accept timeout: look at stop again
                held.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        settings.CACHES = shared_caches(f"redis://127.0.0.1:{listener.getsockname()[1]}/0")
        started = time.monotonic()
        for _ in range(3):
            assert client.get(PAGE).status_code == 200
        # One wait of the 0.5 s socket timeout (CACHE_TIMEOUT), then the server is skipped.
        assert time.monotonic() - started < 3
    finally:
        stop.set()
        thread.join()
        for sock in held:
            sock.close()
        listener.close()


@pytest.fixture(autouse=True)
def _forget_servers_that_were_down():
    from handlingsplan import cache as shared

    shared._down_until.clear()
    yield
    shared._down_until.clear()


# The request id --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_proxys_request_id_is_on_the_answer_and_on_every_log_line(client, caplog):
    given = "7f1c2b9e4d3a46f0a1b2c3d4e5f60718"
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/finns-inte/", HTTP_X_REQUEST_ID=given)
    assert response.status_code == 404
    assert response["X-Request-ID"] == given
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records and all(r.request_id == given for r in records)
    # Outside a request the id is "-".
    logging.getLogger("django.request").warning("outside")
    assert caplog.records[-1].request_id == "-"


@pytest.mark.parametrize(
    "given",
    [None, "", "x" * 65, "ett id med mellanslag", "a\r\nSet-Cookie: x=1", "åäö", "id;rm -rf"],
)
@pytest.mark.django_db
def test_a_missing_or_crafted_request_id_is_replaced_by_one_of_the_apps_own(client, given):
    extra = {} if given is None else {"HTTP_X_REQUEST_ID": given}
    response = client.get("/konto/login/", **extra)
    assert response.status_code == 200
    assert response["X-Request-ID"] != given
    assert len(response["X-Request-ID"]) == 32
    int(response["X-Request-ID"], 16)


def test_the_log_format_carries_the_request_id():
    config = django_settings.LOGGING
    assert "%(request_id)s" in config["formatters"]["line"]["format"]
    assert "request_id" in config["handlers"]["console"]["filters"]


def test_gunicorns_access_log_carries_the_request_id_the_app_answered_with():
    source = (django_settings.BASE_DIR / "gunicorn.conf.py").read_text()
    assert "request_id=%({x-request-id}o)s" in source


# The instances' names in PostgreSQL -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's application_name (CI runs it)"
)
def test_each_instance_names_its_connections_in_postgresql():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('application_name')")
        (name,) = cursor.fetchone()
    assert name == django_settings.DATABASES["default"]["OPTIONS"]["application_name"]
    assert name == "handlingsplan"  # DB_APPLICATION_NAME is not set in the tests


# Proxy headers from the proxy only --------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("peer", "secure"), [("127.0.0.1", True), ("10.0.0.9", False), ("2001:db8::9", False)]
)
def test_https_is_believed_only_from_the_proxy(client, settings, peer, secure):
    """A client that reaches an instance past the proxy cannot pass plain http off as https
    (the session cookie would be sent on it, CSRF would check the origin as https)."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/konto/login/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_PROTO="https")
    # Believed: the request is https and is answered. Not believed: plain http, redirected.
    assert response.status_code == (200 if secure else 301)


@pytest.mark.django_db
def test_a_request_for_a_foreign_host_is_one_warning_line_without_a_traceback(client):
    """The hostile review: anyone could write 1 KB ERROR tracebacks into the log without end."""
    import io

    from handlingsplan.logging import OneLineFormatter

    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(OneLineFormatter("%(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("django.security.DisallowedHost")
    logger.addHandler(handler)
    try:
        response = client.get("/konto/login/", HTTP_HOST="evil.example")
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 400
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("WARNING django.security.DisallowedHost Invalid HTTP_HOST")
    assert "Traceback" not in lines[0]


# Settings an operator gets wrong -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SITE_URL", "handlingsplan.example.se"),
        ("SITE_URL", "ftp://handlingsplan.example.se"),
        ("CSRF_TRUSTED_ORIGINS", "handlingsplan.example.se"),
        ("CACHE_URL", "redis://cache.example.se:port/0"),
        ("CACHE_URL", "unix://"),
        ("EMAIL_TIMEOUT", "0"),
        ("SECURE_HSTS_SECONDS", "-5"),
        ("FRAGMENT_REFRESH_SECONDS", "-1"),
        ("FRAGMENT_REFRESH_SECONDS", "nan"),
        ("FRAGMENT_REFRESH_SECONDS", "inf"),
        ("FRAGMENT_REFRESH_SECONDS", "61"),
        ("FRAGMENT_REFRESH_SECONDS", "en sekund"),
    ],
)
def test_a_setting_that_would_fail_later_stops_the_start(name, value):
    """The newcomer's list: each of these started, and failed only on a page or a form."""
    result = settings_run("from handlingsplan import settings", **{name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and name in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SITE_URL", "https://handlingsplan.example.se/"),
        ("CSRF_TRUSTED_ORIGINS", "https://a.example.se,http://localhost:8000"),
        ("CACHE_URL", "rediss://:lösen@cache.example.se:6380/0"),
        ("CACHE_URL", "unix:///run/redis/redis.sock"),
        ("FRAGMENT_REFRESH_SECONDS", "0"),
        ("FRAGMENT_REFRESH_SECONDS", "2.5"),
    ],
)
def test_a_good_setting_is_taken(name, value):
    result = settings_run("from handlingsplan import settings", **{name: value})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("cache_url", "seconds"), [("", "0.0"), ("redis://127.0.0.1:6379/0", "2.5")]
)
def test_the_pages_version_is_held_only_with_a_shared_cache(cache_url, seconds):
    """Who changed what when is noted in the cache (fragments.note_write): in a worker's own
    memory another worker would show the author of a report the pages from before it."""
    result = settings_run(
        "from handlingsplan import settings; print(settings.FRAGMENT_REFRESH_SECONDS)",
        FRAGMENT_REFRESH_SECONDS="2.5",
        CACHE_URL=cache_url,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == seconds


def test_a_nonsense_gunicorn_setting_is_one_clear_line():
    result = subprocess.run(
        [sys.executable, "-c", "exec(open('gunicorn.conf.py').read())"],
        env={"PATH": "/usr/bin:/bin", "GUNICORN_TIMEOUT": "trettio"},
        capture_output=True,
        text=True,
        cwd=django_settings.BASE_DIR,
    )
    assert result.returncode != 0
    assert (
        result.stderr.strip()
        == "GUNICORN_TIMEOUT must be a whole number, 1 or more; got 'trettio'."
    )
