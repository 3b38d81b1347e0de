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
# Recycle workers now and then so no slow leak lives for weeks. Each recycled worker takes its
# in-memory cache with it where there is no CACHE_URL (with one, the cache is the shared server's
# and a new worker finds every kept part as the old one left it). Every 2,000 requests, as
# before, meant 31 workers came and went in one benchmark run at 100×. A worker's memory does
# not grow with its requests: 4,000 requests over 180 signed-in addresses at 100× (overview,
# tables and their pages, activity pages, board report, round page, Min organisation) took one
# process from 101 MB to 119 MB in the first 500 (its caches filling, bounded by MAX_ENTRIES)
# and to 120 MB by the 4,000th. A worker that a large request grows for good is recycled at
# once (post_request below), so the interval only guards against slow leaks.
max_requests = env_int("MAX_REQUESTS", 20000)
max_requests_jitter = max_requests // 10
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


def on_starting(server):
    """The app's settings read once in the master, before it binds or starts a worker: a bad
    value in the environment (FRAGMENT_REFRESH_SECONDS=abc, DEBUG=kanske) stops the start with
    its one line, like the values above. Read only in the workers, it was a traceback from
    every worker and "Reason: Worker failed to boot." as the last line. The workers are forked
    from the master, so they read the same settings module."""
    import importlib

    from django.core.exceptions import ImproperlyConfigured

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "handlingsplan.settings")
    try:
        importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"])
    except ImproperlyConfigured as error:
        raise SystemExit(f"ImproperlyConfigured: {error}") from None


def post_fork(server, worker):
    """Python's cycle collector runs after every 700 new objects by default; a large import or
    page builds tens of thousands of model instances, and collecting that often took about a
    third of the CPU time of an import's preview and confirmation at 100× (bench/
    import_upload.py: 3.0 → 1.6 s and 5.6 → 3.7 s). Cycles are still collected, a little later."""
    gc.set_threshold(GC_THRESHOLD, 10, 10)


# Memory a large request leaves behind --------------------------------------------------------
#
# What a request frees is kept by the process for reuse, not given back to the system: glibc's
# malloc keeps freed blocks in its heap, and Python's own allocator keeps each 1 MiB arena that
# still holds one live object, so a few kilobytes of long-lived objects made during a large
# request (a compiled template, the database driver's and the ORM's query caches) pin most of
# its arenas; and with GC_THRESHOLD the request's objects in reference cycles (model instances
# and their querysets) wait for the collector. A 5,000-row import at 100× (bench/
# import_upload.py) left its worker 155 MB larger until max_requests recycled it, though all it
# built had been freed (tracemalloc: 0.6 MB still traced). So after a request that grew the
# worker by TRIM_AFTER_MB or more, its garbage is collected (about 0.1 s, after the answer is
# sent) and malloc_trim(0) hands glibc's free pages back: the import's workers kept 13 and
# 31 MB. A worker still WORKER_MAX_GROWTH_MB above the smallest size it had between requests is
# replaced once it has answered, as max_requests does, so what Python's allocator keeps goes
# back too. Ordinary pages grow a worker by far less than TRIM_AFTER_MB: they neither collect
# nor trim, and cannot make a worker be recycled.
TRIM_AFTER_MB = env_int("TRIM_AFTER_MB", 16)
WORKER_MAX_GROWTH_MB = env_int("WORKER_MAX_GROWTH_MB", 100)
MB = 1024 * 1024


PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
_statm = {}  # process id → a descriptor of its /proc/self/statm


def _resident_bytes():
    """This process's resident memory (VmRSS), or 0 where /proc cannot tell. Read through a
    descriptor each worker opens once: 2 µs a request, where opening the file took 11."""
    pid = os.getpid()
    try:
        if pid not in _statm:
            _statm[pid] = os.open("/proc/self/statm", os.O_RDONLY)
        return int(os.pread(_statm[pid], 100, 0).split()[1]) * PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return 0


def _glibc_malloc_trim():
    """glibc's malloc_trim, or None where the C library is not glibc (musl, macOS)."""
    try:
        import ctypes

        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


malloc_trim = _glibc_malloc_trim()


def pre_request(worker, req):
    worker.resident_before = _resident_bytes()


def post_request(worker, req, environ, resp):
    """Give back what a large request left (see TRIM_AFTER_MB above)."""
    before, after = getattr(worker, "resident_before", 0), _resident_bytes()
    if not (before and after):
        return
    large = after - before >= TRIM_AFTER_MB * MB
    if large:
        # The request's objects in reference cycles (model instances and their querysets) are
        # still allocated: with GC_THRESHOLD the collector has not come round to them yet.
        gc.collect()
        if malloc_trim is not None:
            malloc_trim(0)
        after = _resident_bytes()
    # Its size before its first request counts: a worker whose first request is the large
    # one is measured from where it started.
    smallest = min(getattr(worker, "resident_smallest", before), before, after)
    worker.resident_smallest = smallest
    if large and after - smallest > WORKER_MAX_GROWTH_MB * MB:
        worker.log.info(
            "Recycling worker %s: %d MB after %s %s, %d MB above its smallest between requests",
            worker.pid,
            after // MB,
            req.method,
            req.path,
            (after - smallest) // MB,
        )
        worker.alive = False
