"""The benchmark's data: the real plan and synthetic plans 10×, 100×, 1000× its size, each with
a reporting history as dense as a real plan's.

    .venv/bin/python manage.py shell -c "from bench.seed import seed; seed([1, 10, 100])"

(bench/pages.py runs it, then caches the database with pg_dump.) For every plan: eight
reporting rounds over the year before today, the last one open today (opened ten days ago,
deadline in twenty days) so it is the plan's current round; about nine status reports per
activity spread over the rounds (a lead reports in most past rounds, and in the current round
about half have, so the round page lists owed reports), each with a value for every numeric
target the reporting lead reports on, filed by a reporter of its organisation at a time inside
its round; then the stored current state, as the reporting core (activities/reporting/write.py)
leaves it after real reports.

The reports are written with INSERT … SELECT in the database, not through file_reports: at
1000× that is half a million reports and most of a million values, minutes through the ORM and
seconds here. The choices are pseudo-random but repeatable (hashtext of the row), so two seedings
give the same data. PostgreSQL only.
"""

import datetime
import time

from django.db import connection, transaction
from django.utils import timezone

from activities.models import (
    Activity,
    ActivityOrganisation,
    ReportingRound,
    StatusReport,
    Target,
    TargetValue,
)
from activities.models.status import Status
from areas.models import Insats, Plan, StrategicArea
from organisations.models import Organisation
from tests import factories as f

PASSWORD = "bench-lösenord-1"
ROUNDS = 8
REPORTS_PER_ACTIVITY = 9
# The share of lead organisations that have reported in the current round so far.
CURRENT_SHARE = 0.45
COMMENT = (
    "Arbetet har gått vidare sedan förra omgången: möten med berörda förvaltningar och "
    "företag är genomförda och nästa steg är planerat. Se bilaga för detaljer."
)


def seed(scales):
    """Users, the synthetic plans of `scales` (1 is the real plan, loaded before), every plan
    published, and each plan's rounds, reports and values. Prints what it made."""
    started = time.monotonic()
    f.PASSWORD = PASSWORD  # the password bench/pages.py signs in with
    coordinator = f.make_coordinator("bench-samordnare")
    coordinator.is_staff = coordinator.is_superuser = True
    coordinator.save()
    authors = {}
    for organisation in Organisation.objects.order_by("code"):
        username = f"bench-{organisation.code.lower()}"
        authors[organisation.pk] = f.make_reporter(username, organisation.code).pk
    for scale in scales:
        if scale > 1:
            f.make_synthetic_plan(
                f"skala-{scale}", scale=scale, reports_per_activity=0, author=coordinator
            )
    # Every plan published, for the public insyn pages.
    Plan.objects.update(published=True)
    print(f"Plans built in {time.monotonic() - started:.0f} s.", flush=True)
    for plan in Plan.objects.order_by("pk"):
        begun = time.monotonic()
        with transaction.atomic():
            rounds = make_rounds(plan, coordinator)
            reports, values = file_history(plan, rounds, authors)
            rebuild_current(plan)
        print(
            f"{plan.slug}: {Activity.objects.filter(insats__area__plan=plan).count()} "
            f"activities, {len(rounds)} rounds, {reports} reports, {values} values "
            f"({time.monotonic() - begun:.0f} s)",
            flush=True,
        )


def make_rounds(plan, coordinator):
    """Eight rounds, evenly spaced over the year before today (not before the plan starts),
    each open for thirty days; the last opened ten days ago and is the current round."""
    today = timezone.localdate()
    last_opens = today - datetime.timedelta(days=10)
    first_opens = max(plan.period_start, today - datetime.timedelta(days=365))
    step = (last_opens - first_opens) / (ROUNDS - 1)
    rounds = []
    for k in range(ROUNDS):
        opens_on = first_opens + step * k
        round_ = ReportingRound(
            plan=plan,
            name=f"Uppföljning {k + 1} ({opens_on:%Y-%m})",
            opens_on=opens_on,
            # Rounds of a plan may not overlap (ReportingRound.clean).
            deadline=opens_on + min(datetime.timedelta(days=30), step - datetime.timedelta(days=1)),
            created_by=coordinator,
        )
        round_.save()
        rounds.append(round_)
    return rounds


def _unit(*parts):
    """SQL for a repeatable number in [0, 1) from the text of `parts` (SQL expressions)."""
    key = " || ':' || ".join(f"({p})::text" for p in parts)
    return f"((hashtext({key})::bigint + 2147483648) / 4294967296.0)"


def _windows(rounds, now):
    """(round id, index, start, seconds, current) of each round's reporting time."""
    step = rounds[1].opens_on - rounds[0].opens_on
    windows = []
    for k, round_ in enumerate(rounds):
        start = timezone.make_aware(datetime.datetime.combine(round_.opens_on, datetime.time(8)))
        current = k == len(rounds) - 1
        # Most reports come in before the deadline, a few up to a week late; the current
        # round's so far, up to now.
        end = now if current else start + min(datetime.timedelta(days=35), step)
        windows.append((round_.pk, k, start, (end - start).total_seconds(), current))
    return windows


def _report_expressions():
    """(slot test, time, status): the SQL that picks each lead's reports per round."""
    u_slot, u_time, u_status = (
        _unit("ao.id", "w.k", "s.slot", salt) for salt in ("'n'", "'t'", "'s'")
    )
    # Per lead and round: a first report with probability e (capped at 1), a second (a
    # correction) with e - 1, so that the leads of an activity file REPORTS_PER_ACTIVITY in
    # all; fewer so far in the current round.
    expected = (
        f"CASE WHEN w.current THEN {CURRENT_SHARE} "
        f"ELSE ({REPORTS_PER_ACTIVITY}.0 / ao.leads - {CURRENT_SHARE}) / {ROUNDS - 1} END"
    )
    # Mostly on track; not started early on, completed more often late.
    status = f"""CASE
        WHEN {u_status} < 0.15 * (1 - w.k / 7.0) THEN 'not_started'
        WHEN {u_status} < 0.70 THEN 'on_track'
        WHEN {u_status} < 0.84 THEN 'at_risk'
        WHEN {u_status} < 0.94 THEN 'delayed'
        WHEN {u_status} < 0.94 + 0.05 * w.k / 7.0 THEN 'completed'
        WHEN {u_status} >= 0.995 THEN 'cancelled'
        ELSE 'on_track' END"""
    assert {"not_started", "on_track", "at_risk", "delayed", "completed", "cancelled"} <= set(
        Status.reportable_values()
    )
    return f"{u_slot} < ({expected}) - (s.slot - 1)", u_time, status


# The plan's lead roles (the plan's id is the parameter), each with its activity's number of leads.
_LEADS_OF_PLAN = f"""
    SELECT ao.id, ao.activity_id, ao.organisation_id,
           count(*) OVER (PARTITION BY ao.activity_id) AS leads
    FROM {ActivityOrganisation._meta.db_table} ao
    JOIN {Activity._meta.db_table} a ON a.id = ao.activity_id
    JOIN {Insats._meta.db_table} i ON i.id = a.insats_id
    JOIN {StrategicArea._meta.db_table} sa ON sa.id = i.area_id
    WHERE ao.role = 'lead' AND sa.plan_id = %s"""


def file_history(plan, rounds, authors):
    """The plan's reports and their values, in two INSERT … SELECT; returns their numbers."""
    now = timezone.now()
    windows = _windows(rounds, now)
    slot_test, u_time, status = _report_expressions()
    report_table = StatusReport._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {report_table}")
        (before,) = cursor.fetchone()
        cursor.execute(
            f"""
            WITH w (round_id, k, start, seconds, current) AS (
                SELECT * FROM unnest(%s::int[], %s::int[], %s::timestamptz[],
                                     %s::float8[], %s::bool[])
            ),
            authors (organisation_id, user_id) AS (
                SELECT * FROM unnest(%s::int[], %s::int[])
            ),
            ao AS ({_LEADS_OF_PLAN})
            INSERT INTO {report_table}
                (activity_id, organisation_id, author_id, on_behalf, round_id, status,
                 comment, created_at)
            SELECT ao.activity_id, ao.organisation_id, authors.user_id, false, w.round_id,
                   {status}, %s,
                   w.start + make_interval(secs => {u_time} * w.seconds)
            FROM ao
            JOIN authors USING (organisation_id)
            CROSS JOIN w
            CROSS JOIN (VALUES (1), (2)) s (slot)
            WHERE {slot_test}
            ORDER BY 8
            """,
            [
                *map(list, zip(*windows, strict=True)),
                list(authors),
                list(authors.values()),
                plan.pk,
                COMMENT,
            ],
        )
        reports = cursor.rowcount
        values = _file_values(cursor, windows[0][2], now, before)
    return reports, values


def _file_values(cursor, first, now, before):
    """A value for each numeric target the lead reports on (targets_reportable_by: its own,
    and those without a responsible organisation) in the reports after id `before`, rising
    towards the target over the year from `first`, with some noise; returns their number."""
    report_table, value_table = StatusReport._meta.db_table, TargetValue._meta.db_table
    cursor.execute(
        f"""
        INSERT INTO {value_table} (report_id, target_id, value)
        SELECT r.id, t.id,
               round((coalesce(t.baseline, 0) + (t.value - coalesce(t.baseline, 0))
                      * least(1.2, greatest(0, extract(epoch FROM r.created_at - %s)
                                                / %s * (0.7 + 0.6 * {_unit("r.id", "t.id")})
                                                ))), 0)
        FROM {report_table} r
        JOIN {Target._meta.db_table} t ON t.activity_id = r.activity_id
        WHERE r.id > %s AND t.value IS NOT NULL
          AND (t.responsible_organisation_id = r.organisation_id
               OR t.responsible_organisation_id IS NULL)
        """,
        [first, (now - first).total_seconds(), before],
    )
    return cursor.rowcount


def rebuild_current(plan):
    """The stored current state of the plan's activities, as record_current leaves it: each
    lead's newest report, each activity's newest report and overall status, each target's
    newest value (by report time, then id)."""
    in_plan = f"""
        SELECT a.id FROM {Activity._meta.db_table} a
        JOIN {Insats._meta.db_table} i ON i.id = a.insats_id
        JOIN {StrategicArea._meta.db_table} sa ON sa.id = i.area_id
        WHERE sa.plan_id = %(plan)s"""
    reports, roles = StatusReport._meta.db_table, ActivityOrganisation._meta.db_table
    activities, targets = Activity._meta.db_table, Target._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {roles} ao SET current_report_id = newest.id
            FROM (SELECT DISTINCT ON (activity_id, organisation_id)
                         id, activity_id, organisation_id
                  FROM {reports} WHERE status <> '' AND activity_id IN ({in_plan})
                  ORDER BY activity_id, organisation_id, created_at DESC, id DESC) newest
            WHERE ao.role = 'lead' AND ao.activity_id = newest.activity_id
              AND ao.organisation_id = newest.organisation_id;
            UPDATE {activities} a SET latest_report_id = newest.id
            FROM (SELECT DISTINCT ON (activity_id) id, activity_id
                  FROM {reports} WHERE status <> '' AND activity_id IN ({in_plan})
                  ORDER BY activity_id, created_at DESC, id DESC) newest
            WHERE a.id = newest.activity_id;
            UPDATE {targets} t SET current_value_id = newest.id
            FROM (SELECT DISTINCT ON (v.target_id) v.id, v.target_id
                  FROM {TargetValue._meta.db_table} v JOIN {reports} r ON r.id = v.report_id
                  WHERE v.value IS NOT NULL AND r.activity_id IN ({in_plan})
                  ORDER BY v.target_id, r.created_at DESC, r.id DESC) newest
            WHERE t.id = newest.target_id;
            """,
            {"plan": plan.pk},
        )
        _set_overall_status(cursor, plan, in_plan)


def _set_overall_status(cursor, plan, in_plan):
    """Each activity's overall status from its leads' newest reports: Status.overall's rule,
    in Python as the reporting core has it."""
    roles, reports = ActivityOrganisation._meta.db_table, StatusReport._meta.db_table
    activities = Activity._meta.db_table
    cursor.execute(
        f"""
        SELECT ao.activity_id, array_agg(coalesce(r.status, ''))
        FROM {roles} ao LEFT JOIN {reports} r ON r.id = ao.current_report_id
        WHERE ao.role = 'lead' AND ao.activity_id IN ({in_plan})
        GROUP BY ao.activity_id
        """,
        {"plan": plan.pk},
    )
    overall = {pk: Status.overall(statuses).value for pk, statuses in cursor.fetchall()}
    cursor.execute(
        f"""
        UPDATE {activities} a SET current_status = s.status
        FROM unnest(%s::int[], %s::text[]) s (id, status) WHERE a.id = s.id
        """,
        [list(overall), list(overall.values())],
    )
