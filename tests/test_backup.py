"""A backup brings back every table it holds, row for row and field for field.

`backup` writes the suite's database (the real plan and, below, at least one row in the table
of every model of every installed app, timestamps to the microsecond); `restore` reads it into
a new database made by `migrate`, as an operator would (README, "Säkerhetskopior"). Then every
table is read back with plain SQL from both and compared, every column as the database holds
it. Runs on the suite's engine: SQLite, or PostgreSQL in CI.

The commands run in this process (`call_command`, what `make backup`/`make restore` run through
manage.py) against a second database given by `--database`: `migrate` makes it once for the
module and each test restores into a copy, where subprocesses that each ran `migrate` and
`load_plan` took 20–37 s for this file.
"""

import datetime
import gzip
import json
import shutil
import uuid
from decimal import Decimal

import pytest
from axes.models import AccessAttempt, AccessAttemptExpiration, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import CommandError, call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import connections
from django.db.utils import load_backend
from django.utils import translation

from activities.models import (
    Activity,
    ExportJob,
    OutcomeAssessment,
    PendingImport,
    PendingPlanImport,
    ReminderSending,
    StatusReport,
    TargetAssessment,
)
from activities.reporting import file_report
from areas.models import Plan, StrategicArea
from organisations.models import Organisation, OrganisationAlias
from tests import factories

pytestmark = pytest.mark.django_db

# What a backup leaves out, and why (README, "Säkerhetskopior"): sign-ins in progress are
# keys to signed-in sessions, and sign-in attempts, lockouts and the sign-in log are
# short-lived security records with addresses in them. A restore starts without them.
NOT_IN_BACKUP = {
    "sessions.session",
    "axes.accessattempt",
    "axes.accessattemptexpiration",
    "axes.accessfailurelog",
    "axes.accesslog",
    "activities.exportjob",
}
# Made by `migrate` in the new database, not read from the backup, and equal all the same.
MADE_BY_MIGRATE = {"contenttypes.contenttype", "auth.permission"}
RESTORED = "restored"
# A time with microseconds that are not whole milliseconds, as the database keeps it.
WHEN = datetime.datetime(2025, 11, 3, 9, 41, 7, 123457, tzinfo=datetime.UTC)


def seed(remove_activity=True):
    """A row in every model's table, beside the loaded plan: reports with values, a final
    assessment, a round, a reminder, pending imports, users with groups and permissions,
    the admin's log, history of an edit, of a removed participant and of a removed activity,
    a session and sign-in records (which the backup leaves out)."""
    plan = Plan.objects.get(slug="2024-2025")
    coordinator = factories.make_coordinator("samordnare")
    reporter = factories.make_reporter("rapportor-smf", "SMF", email="smf@example.invalid")
    reporter.user_permissions.add(Permission.objects.get(codename="view_plan"))
    Group.objects.get_or_create(name="granskare")[0].permissions.add(
        Permission.objects.get(codename="view_statusreport")
    )
    round = factories.make_round(
        plan=plan, name="Slutuppföljning 2025", opens_on="2025-11-01", deadline="2025-12-15"
    )
    activity = Activity.objects.get_by_natural_key("2024-2025", 3, 2, 3)
    target = activity.targets.get()
    smf = Organisation.objects.get(code="SMF")
    file_report(
        activity=activity,
        organisation=smf,
        author=reporter,
        status="at_risk",
        comment="Färre än väntat",
        round=round,
        values={target: Decimal("73.25")},
        created_at=WHEN,
    )
    OutcomeAssessment.objects.create(
        activity=activity,
        organisation=smf,
        author=reporter,
        assessment="partly",
        motivation="Hälften av arbetsplatserna",
        created_at=WHEN,
    )
    TargetAssessment.objects.create(
        target=target,
        organisation=smf,
        author=reporter,
        assessment="partly",
        motivation="73 av 100 arbetsplatser",
        value=Decimal("73.25"),
        created_at=WHEN,
    )
    ReminderSending.objects.create(
        round=round,
        organisation=smf,
        recipients="smf@example.invalid",
        activity_count=3,
        sent_by=coordinator,
        sent_at=WHEN,
    )
    PendingImport.objects.create(user=reporter, plan=plan, upload={"rows": [{"ref": "3.2.3"}]})
    PendingPlanImport.objects.create(user=coordinator, workbook=b"PK\x03\x04\x00\xff")
    ExportJob.objects.create(
        key="k" * 64, kind="plan", plan=plan, audience="signed_in", filename="plan.xlsx"
    )
    OrganisationAlias.objects.get_or_create(organisation=smf, alias="Miljöförvaltningen")
    target.unit = "arbetsplatser i Göteborg"
    target.save()  # a history row beside the loaded one
    area = plan.areas.get(number=1)
    area.participating_organisations.remove(area.participating_organisations.first())
    if remove_activity:  # one without reports, in the admin: its history stays and names it
        Activity.objects.get_by_natural_key("2024-2025", 4, 3, 1).delete()
    for flag, message in [(ADDITION, "Lade till"), (CHANGE, "Ändrade enhet")]:
        LogEntry.objects.create(
            user=coordinator,
            content_type=ContentType.objects.get_for_model(target),
            object_id=str(target.pk),
            object_repr=str(target)[:200],
            action_flag=flag,
            change_message=message,
        )
    session = SessionStore()
    session["_auth_user_id"] = str(coordinator.pk)
    session.create()
    seen = {"user_agent": "pytest", "ip_address": "10.0.0.7", "http_accept": "*/*"}
    attempt = AccessAttempt.objects.create(
        **seen, username="admin", path_info="/", get_data="", post_data="", failures_since_start=3
    )
    AccessAttemptExpiration.objects.create(access_attempt=attempt, expires_at=WHEN)
    AccessFailureLog.objects.create(**seen, username="admin", path_info="/")
    AccessLog.objects.create(**seen, username="samordnare", path_info="/", session_hash="x")
    # Every time the app wrote just now has microseconds; make a few not whole milliseconds.
    get_user_model().objects.filter(pk=reporter.pk).update(last_login=WHEN, date_joined=WHEN)
    LogEntry.objects.update(action_time=WHEN)


def models():
    """{label: model} for every model of every installed app, many-to-many tables included."""
    return {
        model._meta.label_lower: model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


def snapshot(alias):
    """{model label: its rows} for every table of the database `alias`, each row as the
    database holds it (plain SQL), in primary-key order. Content types and permissions are
    made by each database's own `migrate`, so they, and every column that refers to them,
    are given by their natural keys (what the backup writes), not their ids."""
    names = {
        (ContentType, ct.pk): (ct.app_label, ct.model)
        for ct in ContentType.objects.using(alias).all()
    }
    for permission in Permission.objects.using(alias).select_related("content_type"):
        names[(Permission, permission.pk)] = permission.natural_key()
    result = {}
    for label, model in models().items():
        made_elsewhere = {
            field.column: field.related_model
            for field in model._meta.concrete_fields
            if field.related_model in (ContentType, Permission)
        }
        rows = _rows(alias, model._meta.db_table)
        for row in rows:
            for column, related in made_elsewhere.items():
                if row[column] is not None:
                    row[column] = names[(related, row[column])]
        if model in (ContentType, Permission):
            rows = sorted(({k: v for k, v in r.items() if k != "id"} for r in rows), key=str)
        result[label] = rows
    return result


def _rows(alias, table):
    connection = connections[alias]
    with connection.cursor() as cursor:
        key = connection.introspection.get_primary_key_columns(cursor, table)
        order = ", ".join(connection.ops.quote_name(c) for c in key)
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY {order}")
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _renumber_content_types(alias):
    """Make `migrate`'s content types and permissions anew in `alias`, so their ids differ
    from the source's (as after another order of apps, or rows made and removed)."""
    ContentType.objects.using(alias).all().delete()  # and the permissions with them
    ContentType.objects.clear_cache()
    emit_post_migrate_signal(verbosity=0, interactive=False, db=alias)
    ContentType.objects.clear_cache()


def _connect(alias, name):
    """A connection to the database `name` on the suite's server, as `alias`; made here, not
    configured, so the test case allows it (a configured one would be refused as a database
    the test did not declare)."""
    default = connections.settings["default"]
    engine = load_backend(default["ENGINE"])
    connections[alias] = engine.DatabaseWrapper({**default, "NAME": name}, alias)
    return alias


def _disconnect(alias):
    connections[alias].close()
    del connections[alias]
    # Content types are cached by alias; the next database under this alias has its own.
    ContentType.objects.clear_cache()


def _sqlite():
    return connections.settings["default"]["ENGINE"].endswith("sqlite3")


@pytest.fixture(scope="module")
def migrated(tmp_path_factory, django_db_setup, django_db_blocker):
    """A new, empty database made by `migrate`, once for the module (its name): each test
    restores into a copy of it."""
    if _sqlite():
        name = str(tmp_path_factory.mktemp("backup") / "migrated.sqlite3")
    else:
        name = f"hp_migrated_{uuid.uuid4().hex[:8]}"
        _postgres(f'CREATE DATABASE "{name}"')
    with django_db_blocker.unblock():
        _connect("migrated", name)
        try:
            call_command("migrate", database="migrated", interactive=False, verbosity=0)
        finally:
            _disconnect("migrated")
    yield name
    if not _sqlite():
        _postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def restored(migrated, tmp_path):
    """A copy of the migrated database, as the database alias RESTORED."""
    if _sqlite():
        name = str(tmp_path / "restored.sqlite3")
        shutil.copyfile(migrated, name)
    else:
        name = f"hp_restored_{uuid.uuid4().hex[:8]}"
        _postgres(f'CREATE DATABASE "{name}" TEMPLATE "{migrated}"')
    _connect(RESTORED, name)
    try:
        yield RESTORED
    finally:
        _disconnect(RESTORED)
        if not _sqlite():
            _postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _postgres(statement):
    import psycopg

    default = connections.settings["default"]
    with psycopg.connect(
        host=default["HOST"],
        port=default["PORT"] or 5432,
        user=default["USER"],
        password=default["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as connection:
        connection.execute(statement)


def test_a_restored_backup_holds_every_row_and_field_of_the_tables_it_keeps(restored, tmp_path):
    seed()
    source = snapshot("default")
    assert [label for label, rows in source.items() if not rows] == []  # every table is tested

    backup = tmp_path / "backup.json.gz"
    call_command("backup", str(backup), verbosity=0)
    made_by_migrate = max(ContentType.objects.using(restored).values_list("pk", flat=True))
    _renumber_content_types(restored)
    assert ContentType.objects.using(restored).order_by("pk")[0].pk > made_by_migrate
    call_command("restore", str(backup), database=restored, verbosity=0)

    copy = snapshot(restored)
    differing = {}
    for label, rows in source.items():
        expected = [] if label in NOT_IN_BACKUP else rows
        if copy[label] != expected:
            differing[label] = _first_difference(expected, copy[label])
    assert differing == {}
    with gzip.open(backup, "rt") as file:
        text = file.read()
    # The file keeps the microseconds (Django's own JSON cuts them to milliseconds) …
    assert "2025-11-03T09:41:07.123457Z" in text
    # … and holds every table but those it leaves out and those `migrate` makes.
    dumped = {row["model"] for row in json.loads(text)}
    assert dumped == set(source) - NOT_IN_BACKUP - MADE_BY_MIGRATE

    # New rows in the restored database are numbered after the restored ones (PostgreSQL's
    # sequences are set by `loaddata`).
    activity = Activity.objects.using(restored).get_by_natural_key("2024-2025", 3, 2, 3)
    user = get_user_model().objects.db_manager(restored).create_user("ny")
    user.groups.add(Group.objects.using(restored).get(name="granskare"))
    report = StatusReport.objects.using(restored).create(
        activity=activity,
        organisation=Organisation.objects.using(restored).get(code="SMF"),
        author=user,
        status="on_track",
    )
    assert report.pk > max(r["id"] for r in source["activities.statusreport"])


def _first_difference(expected, found):
    for want, got in zip(expected, found, strict=False):
        if want != got:
            return {k: (v, got.get(k)) for k, v in want.items() if got.get(k) != v}
    return f"{len(expected)} rows expected, {len(found)} restored"


def test_a_backup_made_before_it_kept_microseconds_still_restores(restored, tmp_path):
    """Files written by the earlier `backup` (Django's own JSON: times to the millisecond,
    natural keys for every reference, many-to-many links as lists) restore as they did. The
    plan's areas, organisations and users stand for the whole (the earlier format is slow to
    write: a query per reference). It could not write a database with a removed activity."""
    seed(remove_activity=False)
    old = tmp_path / "old.json.gz"
    kept = ["auth.user", "auth.group", "organisations", "areas"]
    call_command("dumpdata", *kept, natural_foreign=True, output=str(old), verbosity=0)
    call_command("restore", str(old), database=restored, verbosity=0)
    source, copy = snapshot("default"), snapshot(restored)
    restored_rows = {label: len(rows) for label, rows in copy.items() if rows}
    assert restored_rows == {
        label: len(rows)
        for label, rows in source.items()
        if label.split(".")[0] in ("organisations", "areas")
        or label in MADE_BY_MIGRATE
        or label.startswith(("auth.user", "auth.group"))
    }
    assert restored_rows["areas.strategicarea_participating_organisations"] > 0
    for label in ("organisations.membership", "areas.historicalstrategicarea", "auth.user"):
        # the same rows, but for times cut to the millisecond
        assert [_to_milliseconds(r) for r in source[label]] == copy[label]
    links = [(a, sorted(o)) for a, o in _links("default").items()]
    assert links == [(a, sorted(o)) for a, o in _links(restored).items()]


def _to_milliseconds(row):
    return {
        k: v.replace(microsecond=v.microsecond // 1000 * 1000)
        if isinstance(v, datetime.datetime)
        else v
        for k, v in row.items()
    }


def _links(alias):
    """{area id: [participating organisation ids]}."""
    links = {}
    for area in StrategicArea.objects.using(alias).order_by("pk"):
        links[area.pk] = list(area.participating_organisations.values_list("pk", flat=True))
    return links


def test_restore_refuses_a_database_that_has_content(tmp_path):
    backup = tmp_path / "backup.json.gz"
    call_command("backup", str(backup), verbosity=0)
    before = snapshot("default")
    with pytest.raises(CommandError, match="redan innehåll"):
        call_command("restore", str(backup), verbosity=0)
    assert snapshot("default") == before


def _rows_json(*rows):
    return json.dumps(list(rows)).encode()


ORGANISATION = {
    "model": "organisations.organisation",
    "pk": 1,
    "fields": {"code": "SMF", "name": "Miljöförvaltningen", "kind": "forvaltning"},
}
DEEP = 100_000

# (name, file name, its bytes, what the refusal says): files made to break `restore`, each
# refused with a message of its own and nothing written.
CRAFTED = [
    ("malformed", "b.json", b'[{"model": "areas.plan", ', "inte giltig JSON: Expecting"),
    ("not-gzip", "b.json.gz", _rows_json(ORGANISATION), r"b\.json\.gz slutar på \.gz men"),
    ("broken-gzip", "b.json.gz", gzip.compress(_rows_json(ORGANISATION))[:30], "trasig gzip"),
    ("not-utf8", "b.json", b'[{"model": "\xff"}]', "inte giltig JSON: 'utf-8' codec"),
    ("pk-abc", "b.json", _rows_json({**ORGANISATION, "pk": "abc"}), "ogiltigt id: 'abc'"),
    ("pk-huge", "b.json", _rows_json({**ORGANISATION, "pk": 10**30}), "ogiltigt id: 10000"),
    (
        "pk-5000-digits",
        "b.json",
        b'[{"model": "organisations.organisation", "fields": {}, "pk": 1' + b"0" * 4999 + b"}]",
        "inte giltig JSON: Exceeds the limit",
    ),
    (
        "pk-5000-digit-text",
        "b.json",
        _rows_json({**ORGANISATION, "pk": "1" + "0" * 4999}),
        "Rad 1 .* ogiltigt id: '10000",
    ),
    ("unknown-model", "b.json", _rows_json({**ORGANISATION, "model": "x.y"}), "okänd modell: 'x"),
    ("no-model", "b.json", _rows_json({"pk": 1, "fields": {}}), "okänd modell: None"),
    ("dict", "b.json", json.dumps(ORGANISATION).encode(), "lista av rader .* men är dict"),
    ("text", "b.json", b'"[]"', "lista av rader .* men är str"),
    ("strings", "b.json", _rows_json("a", "b"), "Rad 1 i säkerhetskopian är inte ett objekt: 'a'"),
    ("deep", "b.json", b"[" * DEEP + b"]" * DEEP, "för djupt nästlad"),
    ("fields-null", "b.json", _rows_json({**ORGANISATION, "fields": None}), "Rad 1 .* saknar fält"),
    ("empty", "b.json.gz", gzip.compress(b"[]"), "innehåller inga rader"),
    (
        "fk-nowhere",  # the organisation is written, then undone with the rest
        "b.json",
        _rows_json(
            ORGANISATION,
            {
                "model": "organisations.organisationalias",
                "pk": 1,
                "fields": {"organisation": 999, "alias": "Ingen", "note": ""},
            },
        ),
        "kunde inte läsas in: IntegrityError",
    ),
    ("bad-field", "b.json", _rows_json({**ORGANISATION, "fields": {"nej": 1}}), "kunde inte"),
]


def _empty(alias):
    """Whether the database holds nothing but what `migrate` made."""
    tables = snapshot(alias)
    assert tables["organisations.organisation"] == []  # read from the database, not assumed
    return [label for label, rows in tables.items() if rows and label not in MADE_BY_MIGRATE] == []


@pytest.mark.parametrize(
    ("file_name", "content", "message"),
    [case[1:] for case in CRAFTED],
    ids=[case[0] for case in CRAFTED],
)
def test_restore_refuses_a_crafted_file_with_a_message_and_writes_nothing(
    restored, tmp_path, file_name, content, message
):
    crafted = tmp_path / file_name
    crafted.write_bytes(content)
    with pytest.raises(CommandError, match=message) as refused:
        call_command("restore", str(crafted), database=restored, verbosity=0)
    assert "Inget ändrades." in str(refused.value)
    assert _empty(restored)


def test_restore_refuses_a_file_that_inflates_beyond_its_limit(restored, tmp_path):
    """A small gzip of many spaces (valid JSON around them) is refused once it inflates past
    --max-mb, before it is parsed; what fits restores."""
    bomb = tmp_path / "bomb.json.gz"
    bomb.write_bytes(gzip.compress(b"[" + b" " * (2 * 1024 * 1024) + b"]"))
    assert bomb.stat().st_size < 10_000
    with pytest.raises(CommandError, match="större än 1 MB uppackad"):
        call_command("restore", str(bomb), database=restored, max_mb=1, verbosity=0)
    assert _empty(restored)
    fits = tmp_path / "fits.json.gz"
    fits.write_bytes(gzip.compress(b" " * (1024 * 1024 - 1000) + _rows_json(ORGANISATION)))
    call_command("restore", str(fits), database=restored, max_mb=1, verbosity=0)
    assert list(Organisation.objects.using(restored).values_list("code", flat=True)) == ["SMF"]


def test_restore_speaks_the_site_language_whatever_was_active(restored, tmp_path):
    """A command has no request: its messages are in LANGUAGE_CODE even when English was left
    active in the process (as a request in English leaves it in a test run)."""
    crafted = tmp_path / "b.json"
    crafted.write_bytes(b"[")
    with translation.override("en"), pytest.raises(CommandError, match="inte giltig JSON"):
        call_command("restore", str(crafted), database=restored, verbosity=0)
