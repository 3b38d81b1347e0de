"""A frozen PostgreSQL server (every process of it stopped with SIGSTOP) answers nothing but
keeps its connections open. The app as in production (gunicorn with gunicorn.conf.py, DEBUG=0,
two workers, each holding a reused connection) must answer /healthz and pages with 503 within
5 s instead of hanging until gunicorn kills the worker, and serve pages again by itself once
the server runs again (SIGCONT). A stopped server (pg_ctl stop) keeps giving 503 at once.

The server is a throwaway cluster this test starts on a free port, never the suite's own;
it runs in the PostgreSQL CI run and is skipped on SQLite."""

import contextlib
import glob
import http.client
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
PG_BINS = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
SLUG = "frusen"

pytestmark = [
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="needs DATABASE_URL=postgres://… (the PostgreSQL CI run): it freezes a real server",
    ),
    pytest.mark.skipif(not PG_BINS, reason="PostgreSQL's server programs (initdb) are missing"),
    # The suite's migrated test database (its schema is copied) must exist when this file
    # runs alone: pytest-django sets up only the databases that marked tests use.
    pytest.mark.django_db,
]

# One Django process makes the database ready: the schema if it was not copied, a published
# plan, a signed-in user; it prints the session key.
SETUP = f"""
import datetime
import os
import django
django.setup()
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from areas.models import Plan
if not os.environ.get("SCHEMA_COPIED"):
    call_command("migrate", verbosity=0)
Plan.objects.create(
    slug="{SLUG}", title="Frusen plan", published=True, period_start=datetime.date(2026, 1, 1),
    period_end=datetime.date(2027, 12, 31), outcome_deadline=datetime.date(2027, 12, 31),
)
client = Client()
client.force_login(get_user_model().objects.create_user("lasare"))
print("SESSION" + client.cookies["sessionid"].value)
"""

SIGNED_IN_PAGE = f"/plan/{SLUG}/"
PUBLIC_PAGE = f"/insyn/{SLUG}/"


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """A PostgreSQL cluster in a temporary folder, run as `postgres` when the test runs as
    root (PostgreSQL refuses root), as the current user otherwise."""

    def __init__(self):
        self.bin = PG_BINS[-1]
        self.port = _free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="pg-frozen-"))
        self.data = self.folder / "data"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                shutil.rmtree(self.folder)
                pytest.skip("running as root and there is no postgres account to run a server")
            os.chown(self.folder, account.pw_uid, account.pw_gid)
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/handlingsplan"

    def run(self, program, *args):
        command = [f"{self.bin}/{program}", *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def create(self):
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                 "--locale=C.UTF-8", "--no-sync", "--no-instructions")  # fmt: skip
        self.start()
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                 "handlingsplan")  # fmt: skip

    def start(self):
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"), "-w",
                 "-o", options, "start")  # fmt: skip

    def stop(self):
        self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def processes(self):
        """The postmaster first, then every process it started."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = []
        for stat in glob.glob("/proc/[0-9]*/stat"):
            try:
                fields = Path(stat).read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                children.append(int(Path(stat).parent.name))
        return [postmaster, *children]

    def signal_all(self, signum):
        for pid in self.processes():
            with contextlib.suppress(ProcessLookupError):  # a backend that just ended
                os.kill(pid, signum)

    def remove(self):
        """Whatever state it is in: running, stopped or frozen."""
        try:
            if (self.data / "postmaster.pid").exists():
                self.signal_all(signal.SIGCONT)
                self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def _copy_schema(source, cluster):
    """Copy the schema of the suite's test database, migrated already, into the cluster: 0.4 s
    where migrating takes 3 s or more. False if it cannot (pg_dump older than the server)."""
    env = {**os.environ, "PGPASSWORD": source["PASSWORD"] or ""}
    server = ["-h", source["HOST"] or "127.0.0.1", "-p", str(source["PORT"] or 5432)]
    dump = subprocess.run(
        [f"{cluster.bin}/pg_dump", *server, "-U", source["USER"], "--schema-only",
         "--no-owner", "--no-privileges", source["NAME"]],
        env=env, capture_output=True, timeout=60,
    )  # fmt: skip
    if dump.returncode != 0:
        return False
    subprocess.run(
        [f"{cluster.bin}/psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
         "-p", str(cluster.port), "-U", "postgres", "handlingsplan"],
        input=dump.stdout, check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return True


def _get(port, path, session=None):
    """GET with a fresh HTTP connection; (status, headers, body, seconds)."""
    headers = {"Host": "127.0.0.1"}
    if session:
        headers["Cookie"] = f"sessionid={session}"
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=40)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read().decode()
        return response.status, response, body, time.monotonic() - started
    finally:
        conn.close()


@pytest.fixture(scope="module")
def app(django_db_setup):
    """The throwaway cluster and gunicorn (production settings, two workers) serving the app
    from it; both are stopped whatever happens."""
    from django.db import connection

    cluster = Cluster()
    try:
        cluster.create()
        copied = _copy_schema(connection.settings_dict, cluster)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("DB_")},
            "DATABASE_URL": cluster.url,
            "DEBUG": "0",
            "SECRET_KEY": "frozen-database-test",
            "ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SETTINGS_MODULE": "handlingsplan.settings",
            "SCHEMA_COPIED": "1" if copied else "",
        }
        port = _free_port()
        web_env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2"}
        # The production storage needs the static files' manifest before gunicorn starts: its
        # workers read it once, when they boot (a fresh clone has none).
        static = subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        assert static.returncode == 0, static.stderr[-3000:]
        # gunicorn boots while the database is made ready: its workers touch it only to serve.
        with _gunicorn(web_env, port) as wait_until_serving:
            setup = subprocess.run(
                [sys.executable, "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True
            )
            assert setup.returncode == 0, setup.stderr[-3000:]
            session = setup.stdout.split("SESSION", 1)[1].strip()
            wait_until_serving()
            yield cluster, port, session
    finally:
        cluster.remove()


@contextlib.contextmanager
def _gunicorn(env, port):
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "handlingsplan.wsgi", "-c", "gunicorn.conf.py"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            yield lambda: _wait_until_serving(port, server, log)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def _wait_until_serving(port, server, log):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            pytest.fail(f"gunicorn stopped: {log.read().decode()[-3000:]}")
        try:
            if _get(port, "/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail("gunicorn did not answer /healthz within 30 s")


def _both_workers_hold_a_connection(cluster, port, session):
    """Warm both workers (concurrent requests reach both) and check that the server holds a
    connection for each: the frozen case must meet reused connections, not new ones."""
    import psycopg

    for _ in range(20):
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda _: _get(port, SIGNED_IN_PAGE, session), range(8)))
        assert all(result[0] == 200 for result in results), [r[0] for r in results]
        with psycopg.connect(cluster.url.replace("postgres://", "postgresql://")) as conn:
            count = conn.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = 'handlingsplan' AND pid <> pg_backend_pid()"
            ).fetchone()[0]
        if count >= 2:
            return
    pytest.fail(f"the two workers hold {count} connections, not 2")


def _assert_503_page(result, path):
    status, response, body, seconds = result
    assert status == 503, (path, status, body[:300])
    if path == "/healthz":
        assert body == "unavailable\n"
    else:
        assert "Tillfälligt otillgänglig" in body, path
        assert response.getheader("Retry-After") == "30"
    assert seconds < 5, f"{path} took {seconds:.1f} s"


def _assert_all_answer_200(port, session):
    for path in ["/healthz", SIGNED_IN_PAGE, PUBLIC_PAGE]:
        status, _, body, _ = _get(port, path, session)
        assert status == 200, (path, status, body[:300])


def _assert_all_answer_200_within(seconds, port, session):
    """Back by itself: each worker pauses the database for PAUSE_FACTOR deadlines (4 s) after
    the last request that waited one out, then tries it again."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        results = [_get(port, path, session) for path in ["/healthz", SIGNED_IN_PAGE, PUBLIC_PAGE]]
        if all(result[0] == 200 for result in results):
            return
        time.sleep(0.2)
    _assert_all_answer_200(port, session)


def test_a_frozen_database_gives_503_within_5_s_and_the_app_recovers_when_it_runs_again(app):
    cluster, port, session = app
    _assert_all_answer_200(port, session)
    _both_workers_hold_a_connection(cluster, port, session)
    cluster.signal_all(signal.SIGSTOP)
    try:
        # Eight at once: each worker meets the frozen server on its reused connection with
        # the first it takes; the six queued behind those are answered at once after them
        # (the pause), not after four seconds more each.
        paths = ["/healthz", SIGNED_IN_PAGE, PUBLIC_PAGE, SIGNED_IN_PAGE] * 2
        with ThreadPoolExecutor(len(paths)) as pool:
            results = list(pool.map(lambda path: _get(port, path, session), paths))
        for path, result in zip(paths, results, strict=True):
            _assert_503_page(result, path)
        _assert_503_page(_get(port, PUBLIC_PAGE, session), PUBLIC_PAGE)
    finally:
        cluster.signal_all(signal.SIGCONT)
    _assert_all_answer_200_within(10, port, session)


def test_a_stopped_database_gives_503_at_once_and_the_app_recovers_when_it_starts(app):
    cluster, port, session = app
    _assert_all_answer_200(port, session)
    cluster.stop()
    try:
        for path in ["/healthz", SIGNED_IN_PAGE, PUBLIC_PAGE]:
            result = _get(port, path, session)
            _assert_503_page(result, path)
            assert result[3] < 1, f"{path} took {result[3]:.1f} s"
    finally:
        cluster.start()
    _assert_all_answer_200(port, session)
