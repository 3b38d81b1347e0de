"""The backup drill of README.md (Drift, Säkerhetskopior): what the city's operators are told to
do, done against the production check's live database while the instances serve it.

1. `pg_dump --format=custom` of the live database (a consistent snapshot; the app keeps running);
2. `pg_restore` of that file into a new, empty database;
3. every table of the restored database has exactly the rows of the live one, and Django finds
   its migrations applied there (`manage.py migrate --check`): the copy is a database the app
   can run on, not only a file that exists;
4. the drill's database is dropped again.
"""

import os
import time
from pathlib import Path

import psycopg

from .stack import run

ROOT = Path(__file__).resolve().parents[2]


def _counts(url):
    """{table: rows} for every table of the public schema, counted exactly."""
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        return {
            table: conn.execute(
                psycopg.sql.SQL("SELECT COUNT(*) FROM {}").format(psycopg.sql.Identifier(table))
            ).fetchone()[0]
            for table in tables
        }


def drill(pg_bin, port, database, scratch, python, env=None):
    """Back up `database` on 127.0.0.1:port, restore it into a new database and compare.

    Returns one line for the check's output; raises AssertionError on a difference."""
    live = f"postgres://postgres@127.0.0.1:{port}/{database}"
    copy_name = f"{database}_restore_drill"
    copy = f"postgres://postgres@127.0.0.1:{port}/{copy_name}"
    dump = Path(scratch) / f"{database}.dump"
    pg_bin = Path(pg_bin)

    started = time.monotonic()
    run([pg_bin / "pg_dump", "--format=custom", "--file", dump, "--dbname", live])
    dumped = time.monotonic() - started
    size = dump.stat().st_size

    server = ["-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]
    run([pg_bin / "dropdb", *server, "--if-exists", copy_name])
    run([pg_bin / "createdb", *server, copy_name])
    try:
        started = time.monotonic()
        run(
            [pg_bin / "pg_restore", "--no-owner", "--exit-on-error", "--dbname", copy, dump],
        )
        restored = time.monotonic() - started

        live_counts, copy_counts = _counts(live), _counts(copy)
        differ = {
            table: (live_counts.get(table), copy_counts.get(table))
            for table in live_counts.keys() | copy_counts.keys()
            if live_counts.get(table) != copy_counts.get(table)
        }
        assert not differ, f"rows differ after the restore (live, restored): {differ}"
        assert live_counts.get("activities_activity"), "the live database has no activities"

        # The restored database is one the app runs on: every migration is recorded there.
        run(
            [python, "manage.py", "migrate", "--check", "--noinput"],
            cwd=ROOT,
            env={**(env or os.environ), "DATABASE_URL": copy},
        )
    finally:
        run([pg_bin / "dropdb", *server, "--if-exists", copy_name])
        dump.unlink(missing_ok=True)

    return (
        f"pg_dump {size / 1e6:.1f} MB in {dumped:.1f} s, pg_restore into a new database in "
        f"{restored:.1f} s: {len(live_counts)} tables, {sum(live_counts.values()):,} rows, "
        "every table the same, every migration applied"
    )
