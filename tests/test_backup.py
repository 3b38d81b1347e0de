"""A backup restores every table: `backup` (dumpdata) from one database, `restore`
(loaddata) into a fresh one, and the two hold the same rows, history and users included.
Runs the commands as an operator would, in subprocesses, on the suite's database engine."""

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent

SEED = """
from decimal import Decimal
from activities.models import Activity, ReportingRound, StatusReport, Target
from areas.models import Plan
from organisations.models import Organisation
from tests import factories

plan = Plan.objects.get(slug="2024-2025")
coordinator = factories.make_coordinator("samordnare")
reporter = factories.make_reporter("rapportor-smf", "SMF", email="smf@example.invalid")
round = ReportingRound.objects.create(
    plan=plan, name="Slutuppföljning 2025", opens_on="2025-11-01", deadline="2025-12-15"
)
activity = Activity.objects.get_by_natural_key("2024-2025", 3, 2, 3)
target = activity.targets.get()
StatusReport.objects.file(
    activity=activity, organisation=Organisation.objects.get(code="SMF"), author=reporter,
    status="at_risk", comment="Färre än väntat", round=round, values={target: Decimal("73")},
)
target.unit = "arbetsplatser i Göteborg"
target.save()  # a history row beside the loaded one
area = plan.areas.get(number=1)
area.participating_organisations.remove(area.participating_organisations.first())
"""


def _database_urls(tmp_path):
    """Two empty databases on the engine the suite runs on; yields their URLs, then drops them."""
    default = settings.DATABASES["default"]
    if default["ENGINE"].endswith("sqlite3"):
        yield [f"sqlite:///{tmp_path / name}.sqlite3" for name in ("source", "restored")]
        return
    import psycopg

    names = [f"hp_backup_{uuid.uuid4().hex[:8]}_{n}" for n in ("source", "restored")]
    auth = default["USER"] + (f":{default['PASSWORD']}" if default["PASSWORD"] else "")
    server = f"{default['HOST']}:{default['PORT'] or 5432}"
    admin = {
        "host": default["HOST"],
        "port": default["PORT"] or 5432,
        "user": default["USER"],
        "password": default["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**admin) as connection:
        for name in names:
            connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield [f"postgres://{auth}@{server}/{name}" for name in names]
    finally:
        with psycopg.connect(**admin) as connection:
            for name in names:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def databases(tmp_path):
    yield from _database_urls(tmp_path)


def manage(url, *args):
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "0", "SECRET_KEY": "backup-test"}
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def rows(url, tmp_path, name):
    """Every row of every table a backup holds, as {(model, pk): fields}."""
    out = tmp_path / f"{name}.json"
    manage(url, "backup", str(out))
    # dumpdata writes times to the millisecond: ".000Z" and "Z" are the same time.
    text = re.sub(r"\.000Z\b", "Z", out.read_text())
    return {(r["model"], r["pk"]): r["fields"] for r in json.loads(text)}


def test_backup_and_restore_bring_back_every_table(databases, tmp_path):
    source, restored = databases
    manage(source, "migrate", "--noinput", "-v0")
    manage(source, "load_plan", "-v0")
    manage(source, "shell", "-c", SEED)
    backup = tmp_path / "backup.json.gz"
    assert "skriven" in manage(source, "backup", str(backup))

    manage(restored, "migrate", "--noinput", "-v0")
    assert "inläst" in manage(restored, "restore", str(backup))

    before, after = rows(source, tmp_path, "before"), rows(restored, tmp_path, "after")
    differing = {
        key: {f: (v, after[key].get(f)) for f, v in fields.items() if after[key].get(f) != v}
        for key, fields in before.items()
        if key in after and after[key] != fields
    }
    assert differing == {}
    assert before.keys() == after.keys()
    models = {model for model, _pk in before}
    for model in [
        "activities.statusreport",
        "activities.targetvalue",
        "activities.reportinground",
        "activities.historicaltarget",
        "areas.historicalstrategicarea",
        "auth.user",
        "auth.group",
        "organisations.membership",
    ]:
        assert model in models, model
    assert sum(m == "activities.historicaltarget" for m, _ in before) == 70  # 69 loaded + 1 edit


def test_restore_refuses_a_database_that_has_content(databases, tmp_path):
    source, _restored = databases
    manage(source, "migrate", "--noinput", "-v0")
    manage(source, "load_plan", "-v0")
    backup = tmp_path / "backup.json.gz"
    manage(source, "backup", str(backup))
    env = {**os.environ, "DATABASE_URL": source, "DEBUG": "0", "SECRET_KEY": "backup-test"}
    result = subprocess.run(
        [sys.executable, "manage.py", "restore", str(backup)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "redan innehåll" in result.stderr
