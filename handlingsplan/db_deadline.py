"""In the web processes no wait for PostgreSQL lasts longer than DB_WAIT_TIMEOUT_MS.

A frozen server (a stopped process, a host or storage that hangs) keeps its connections open,
and the kernel of a machine that still runs acknowledges every packet: TCP keepalives and
tcp_user_timeout see nothing wrong, and the statement timeout is the frozen server's to
enforce. A reused connection (CONN_MAX_AGE) then waits for ever, and gunicorn kills the
worker after 30 s with no answer to the client.

psycopg does all its waiting for the server in one method, `Connection.wait()`: a query, each
fetch from a server-side cursor (the exports), a commit, and the `SELECT 1` health check that
Django runs on a reused connection outside its own cursor wrappers (so a Django
`execute_wrapper` would not see it). Since psycopg 3.3 that method takes a timeout, kept by the
same poll() loop that waits for the socket: no thread, no timer, nothing more per query. Each
new connection in a web process gets the deadline; past it the connection is closed and the
request gets OperationalError, which the app answers with its 503 page (`views.server_error`,
/healthz). Django discards the closed connection and opens a new one for the next request, so
the app recovers by itself as soon as the server answers again.

Only wsgi.py installs it: management commands (migrate, imports, backups run from the shell)
wait as long as their statements take, up to the server's statement timeout.

A request that waited out its deadline (and the reconnect's connect_timeout) holds its worker
for some 4 s; the requests queued behind it would each wait as long. So once a request has
failed on the database after waiting at least the deadline, the process answers 503 at once
for PAUSE_FACTOR deadlines (DatabaseNotAnsweringMiddleware) and then tries the database again.
A database that refuses at once (stopped) fails fast and pauses nothing, so it is used again
the moment it is back.
"""

import logging
import time
import weakref

import psycopg
from django.db.backends.signals import connection_created

logger = logging.getLogger(__name__)

DISPATCH_UID = "handlingsplan.db_deadline"

_seconds = None
PAUSE_FACTOR = 2
_not_answering_until = 0.0


def install(milliseconds):
    """Give every PostgreSQL connection this process opens from now on the deadline (0: none).
    Called once by wsgi.py; nothing is started, so it is the same with or without a fork."""
    global _seconds, _not_answering_until
    _seconds = milliseconds / 1000 if milliseconds > 0 else None
    _not_answering_until = 0.0
    connection_created.connect(_on_connection_created, dispatch_uid=DISPATCH_UID)


def not_answering():
    """Whether a request of this process lately waited out its deadline for the database, so
    a new one should be answered 503 at once instead of waiting again."""
    return _seconds is not None and time.monotonic() < _not_answering_until


def request_failed(waited):
    """A request failed on the database (answered 503) after `waited` seconds: if it waited
    out the deadline, pause the database for this process."""
    global _not_answering_until
    if _seconds is not None and waited >= _seconds:
        _not_answering_until = time.monotonic() + PAUSE_FACTOR * _seconds
        logger.warning("The database is paused for %g s in this process", PAUSE_FACTOR * _seconds)


def _on_connection_created(sender, connection, **kwargs):
    if _seconds is not None and connection.vendor == "postgresql":
        guard(connection.connection, _seconds)


def guard(pg_connection, seconds):
    """Make each wait of this psycopg connection end within `seconds`: past it, close the
    connection and raise psycopg.OperationalError."""
    wait = type(pg_connection).wait
    # A weak reference: the function lives on the connection and must not keep it alive.
    connection_ref = weakref.ref(pg_connection)

    def wait_with_deadline(gen, *args, timeout=None, **kwargs):
        conn = connection_ref()
        if timeout is not None and timeout <= seconds:
            # A caller's own shorter timeout (psycopg's notifies()) is theirs to handle.
            return wait(conn, gen, *args, timeout=timeout, **kwargs)
        started = time.monotonic()
        try:
            return wait(conn, gen, *args, timeout=seconds, **kwargs)
        except psycopg.OperationalError as error:
            waited = time.monotonic() - started
            if waited < seconds:
                raise
            # The server has the request half answered: the connection cannot be used again.
            conn.close()
            logger.warning("PostgreSQL did not answer within %.1f s; connection closed", waited)
            raise psycopg.OperationalError(
                f"PostgreSQL did not answer within {seconds:g} s; the connection was closed"
            ) from error

    # An attribute of the instance is found before the class's method: psycopg's cursors and
    # the connection itself call `conn.wait(...)`.
    pg_connection.wait = wait_with_deadline
