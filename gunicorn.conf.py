"""gunicorn settings for production: `gunicorn handlingsplan.wsgi -c gunicorn.conf.py`.
Each value can be changed from the environment without editing this file."""

import gc
import os


def env_int(name, default, minimum=1):
    """A whole number from the environment; nonsense stops the start with one clear line, not
    a traceback (or, for GC_THRESHOLD, a worker that dies at every start)."""
    raw = os.environ.get(name, "").strip() or str(default)
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise SystemExit(f"{name} must be a whole number, {minimum} or more; got {raw!r}.")
    return value


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = env_int("WEB_CONCURRENCY", 3)
# A request that runs longer than this is cut off and its worker restarted; pages and
# exports finish in a few seconds, and a database that does not answer gives 503 within four
# (DB_CONNECT_TIMEOUT and DB_WAIT_TIMEOUT_MS in settings.py).
timeout = env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = 30
keepalive = 5
# Refuse oversized request lines and headers before Django sees them.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# Recycle workers now and then so no slow leak lives for weeks.
max_requests = 2000
max_requests_jitter = 200
# Logs to standard output and error, one line each, for the platform's collector.
accesslog = "-"
errorlog = "-"
# The access log line: the proxy's address, the client's as the proxy passed it on, the
# request, status, size, time taken, and the request id the app answered with (the proxy's
# X-Request-ID, or one of the app's own), the same id as on the app's log lines for it.
access_log_format = (
    '%(h)s forwarded_for="%({x-forwarded-for}i)s" %(t)s "%(r)s" %(s)s %(b)s %(M)sms '
    "request_id=%({x-request-id}o)s"
)
# The proxies' addresses (or networks), whose X-Forwarded-* headers are trusted; the app reads
# the same variable for X-Forwarded-For (handlingsplan/signin.py).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


GC_THRESHOLD = env_int("GC_THRESHOLD", 10000)


def post_fork(server, worker):
    """Python's cycle collector runs after every 700 new objects by default; a large import or
    page builds tens of thousands of model instances, and collecting that often took about a
    third of the CPU time of an import's preview and confirmation at 100× (bench/
    import_upload.py: 3.0 → 1.6 s and 5.6 → 3.7 s). Cycles are still collected, a little later."""
    gc.set_threshold(GC_THRESHOLD, 10, 10)
