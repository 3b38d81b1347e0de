"""The deadline on every wait for PostgreSQL in the web processes (handlingsplan/db_deadline.py),
on real connections to the suite's server: a server that does not answer in time is the same to
the client whether it is frozen or busy, so pg_sleep() stands in for the frozen server here
(tests/test_frozen_database.py freezes a real one)."""

import gc
import os
import subprocess
import sys
import time
import weakref
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import OperationalError, connections
from django.db.backends.signals import connection_created

from handlingsplan import db_deadline

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 0.3

pytestmark = [
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="the deadline is on PostgreSQL connections only (DATABASE_URL=postgres://…)",
    ),
    # The suite's test database must exist even when this file runs alone: pytest-django sets
    # up only the databases that marked tests use (the tests open connections of their own).
    pytest.mark.django_db,
]


@pytest.fixture
def web_connection(django_db_setup, django_db_blocker):
    """A connection of its own to the test database, opened as a web process opens one (with
    the deadline installed), so the suite's connection and transaction are untouched."""
    db_deadline.install(int(DEADLINE * 1000))
    wrapper = connections.create_connection("default")
    try:
        with django_db_blocker.unblock():
            yield wrapper
            wrapper.close()
    finally:
        db_deadline.install(0)
        connection_created.disconnect(dispatch_uid=db_deadline.DISPATCH_UID)


def test_a_query_past_the_deadline_gets_operational_error_and_the_connection_is_closed(
    web_connection,
):
    with web_connection.cursor() as cursor:
        started = time.monotonic()
        with pytest.raises(OperationalError, match="did not answer within 0.3 s"):
            cursor.execute("SELECT pg_sleep(1.5)")
        assert DEADLINE <= time.monotonic() - started < DEADLINE + 0.5
    assert web_connection.connection.closed


def test_the_next_request_gets_a_new_connection_that_answers(web_connection):
    with web_connection.cursor() as cursor, pytest.raises(OperationalError):
        cursor.execute("SELECT pg_sleep(1.5)")
    # What Django does when a request ends (request_finished): the broken connection goes.
    web_connection.close_if_unusable_or_obsolete()
    assert web_connection.connection is None
    with web_connection.cursor() as cursor:
        cursor.execute("SELECT 42")
        assert cursor.fetchone() == (42,)
    assert "wait" in vars(web_connection.connection)  # the new connection has the deadline too


def test_a_query_within_the_deadline_is_untouched(web_connection):
    with web_connection.cursor() as cursor:
        for _ in range(3):
            cursor.execute("SELECT pg_sleep(0.1), 42")
            assert cursor.fetchone()[1] == 42
    web_connection.set_autocommit(False)
    with web_connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations")
        assert cursor.fetchone()[0] > 0
    web_connection.commit()
    web_connection.set_autocommit(True)
    assert web_connection.is_usable()


def test_a_fetch_from_a_server_side_cursor_has_the_deadline_too(web_connection):
    """The exports read activities 2,000 at a time from a server-side cursor: each fetch waits
    for the server outside Django's cursor wrappers."""
    web_connection.ensure_connection()
    pg = web_connection.connection
    pg.execute("BEGIN")
    cursor = pg.cursor(name="export")
    cursor.execute(
        "SELECT g, pg_sleep(CASE WHEN g > 2 THEN 1.5 ELSE 0 END) FROM generate_series(1, 4) g"
    )
    assert [row[0] for row in cursor.fetchmany(2)] == [1, 2]
    with pytest.raises(psycopg.OperationalError, match="did not answer"):
        cursor.fetchmany(2)
    assert pg.closed


def test_the_deadline_keeps_no_connection_alive(web_connection):
    """Nothing is registered anywhere: a closed connection is freed at once."""
    web_connection.ensure_connection()
    gone = weakref.ref(web_connection.connection)
    gc.disable()
    try:
        web_connection.close()
        assert gone() is None
    finally:
        gc.enable()


CHECK = """
import django
django.setup()
{web}
from django.db import connection
connection.ensure_connection()
print("DEADLINE" if "wait" in vars(connection.connection) else "NONE")
"""


@pytest.mark.parametrize(
    ("web", "expected"),
    [("", "NONE"), ("import handlingsplan.wsgi", "DEADLINE")],
    ids=["management-command", "web-process"],
)
def test_only_the_web_processes_have_the_deadline(web, expected):
    """Management commands (migrate, imports, backups from the shell) never load wsgi.py: a long
    statement there runs up to the server's statement timeout."""
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "deadline-test"}
    env.setdefault("DJANGO_SETTINGS_MODULE", "handlingsplan.settings")
    run = subprocess.run(
        [sys.executable, "-c", CHECK.format(web=web)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == expected


def test_a_request_that_waited_out_the_deadline_pauses_the_database_for_a_while():
    db_deadline.install(200)
    try:
        db_deadline.request_failed(0.05)  # refused at once (stopped): no pause
        assert not db_deadline.not_answering()
        db_deadline.request_failed(0.2)
        assert db_deadline.not_answering()
        time.sleep(db_deadline.PAUSE_FACTOR * 0.2 + 0.05)
        assert not db_deadline.not_answering()
    finally:
        db_deadline.install(0)
        connection_created.disconnect(dispatch_uid=db_deadline.DISPATCH_UID)
    db_deadline.request_failed(10)  # outside the web processes nothing pauses
    assert not db_deadline.not_answering()
