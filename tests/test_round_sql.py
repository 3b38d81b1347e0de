"""A round's page reads its counts, its first missing reports and its first changes from the
database (GROUP BY, LIMIT), whatever the size of the plan. Here they are checked against a
plain Python reading of every row, for the real plan and a synthetic plan ten times larger,
and the page costs the same number of queries for both.

What counts for a round is when a report was filed (ReportingRound.window), not its `round`:
the seeded reports' rounds are random, their times fall before the first round, in it,
between the rounds (late for the first, early for the second) and in the second."""

import collections
import datetime
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activities.changes import CHANGED_KINDS, WORSE, kind_of, since_previous
from activities.models import (
    Activity,
    ActivityOrganisation,
    Role,
    Status,
    StatusReport,
    Target,
    TargetValue,
)
from activities.views import rounds as round_views
from organisations.models import Organisation
from tests import factories

pytestmark = pytest.mark.django_db

STATUSES = [*Status.reportable_values(), ""]  # "": target values only
# Before the first round (2024-01-01 – 2024-03-01), in it, between it and the second
# (2024-06-01 –), in the second; each twice, so the id decides between equal times.
TIMES = [
    timezone.make_aware(datetime.datetime(*day, 12))
    for day in [(2023, 11, 1), (2024, 2, 1), (2024, 4, 1), (2024, 7, 1)] * 2
]
FINISHED = {Status.COMPLETED.value, Status.CANCELLED.value}


def seed_rounds(plan, author, seed):
    """Two rounds with reports of every kind: several per pair and window (with equal times,
    so the id decides which is newest), from leads and participants, some with target values
    (equal, different, missing), some before any round, some Genomförd or Avbruten."""
    rng = random.Random(seed)
    earlier = factories.make_round(
        plan=plan, name="R1", opens_on=datetime.date(2024, 1, 1), deadline=datetime.date(2024, 3, 1)
    )
    later = factories.make_round(
        plan=plan, name="R2", opens_on=datetime.date(2024, 6, 1), deadline=datetime.date(2030, 1, 1)
    )
    targets = collections.defaultdict(list)
    for target in Target.objects.filter(activity__insats__area__plan=plan):
        targets[target.activity_id].append(target)
    reports = []
    roles = ActivityOrganisation.objects.filter(activity__insats__area__plan=plan).order_by("pk")
    for role in roles:
        for _ in range(rng.choice([0, 1, 1, 2, 3] if role.role == Role.LEAD else [0, 0, 0, 1])):
            status = rng.choice(STATUSES) if role.role == Role.LEAD else ""
            reports.append(
                StatusReport(
                    activity_id=role.activity_id,
                    organisation_id=role.organisation_id,
                    author=author,
                    status=status,
                    comment="Text",
                    round=rng.choice([earlier, later, later, None]),
                    created_at=rng.choice(TIMES),
                )
            )
    reports = StatusReport.objects.bulk_create(reports)
    TargetValue.objects.bulk_create(
        TargetValue(report=report, target=target, value=rng.choice([Decimal(1), Decimal("2.0")]))
        for report in reports
        for target in targets[report.activity_id]
        if rng.random() < 0.5
    )
    Activity.objects.filter(insats__area__plan=plan).recompute_current()
    factories.refresh_statistics()
    return earlier, later


@pytest.fixture(scope="module")
def synthetic_rounds(module_db, django_db_blocker):
    """A 10× synthetic plan with its two seeded rounds, built once for the module (5–6 s)."""
    with django_db_blocker.unblock():
        author = factories.make_user("författare-runda")
        big = factories.make_synthetic_plan("syntetisk", scale=10, author=author)
        factories.refresh_statistics()  # the new plan's rows, before rewriting them
        # Its own reports filed before any round: owed, or finished before the rounds.
        StatusReport.objects.filter(activity__insats__area__plan=big).update(created_at=TIMES[0])
        return seed_rounds(big, author, seed=2)


@pytest.fixture
def rounds(plan, coordinator, synthetic_rounds):
    """{"real": (R1, R2), "10x": (R1, R2)}"""
    for reporting_round in synthetic_rounds:
        reporting_round.refresh_from_db()
    return {
        "real": seed_rounds(plan, coordinator, seed=1),
        "10x": synthetic_rounds,
    }


def code_rank():
    """{organisation code: place}: codes sort as the database sorts them (its collation)."""
    codes = Organisation.objects.order_by("code").values_list("code", flat=True)
    return {code: place for place, code in enumerate(codes)}


def plan_order(activity_id, organisation_id):
    activity = Activity.objects.select_related("insats__area").get(pk=activity_id)
    return (
        activity.insats.area.number,
        activity.insats.number,
        activity.number,
        code_rank()[Organisation.objects.get(pk=organisation_id).code],
    )


def in_window(report, window):
    return report.created_at >= window.start and (
        window.end is None or report.created_at < window.end
    )


def expected_completeness(reporting_round):
    """({code: (reported, due, finished)}, [(code, area, insats, activity) owed, in order]):
    a lead role is reported with a report of its own filed in the round's window, finished
    when its current report is Genomförd or Avbruten from before the window."""
    window = reporting_round.window
    roles = ActivityOrganisation.objects.filter(
        role=Role.LEAD, activity__insats__area__plan=reporting_round.plan
    ).select_related("organisation", "activity__insats__area", "current_report")
    done = {
        (r.activity_id, r.organisation_id)
        for r in StatusReport.objects.filter(activity__insats__area__plan=reporting_round.plan)
        if in_window(r, window)
    }
    rows, missing = {}, []
    for role in roles:
        reported = (role.activity_id, role.organisation_id) in done
        own = role.current_report
        finished = not reported and own and own.status in FINISHED and own.created_at < window.start
        row = rows.setdefault(role.organisation.code, [0, 0, 0])
        row[0] += reported
        row[1] += 1
        row[2] += bool(finished)
        if not (reported or finished):
            a = role.activity
            missing.append(
                (role.organisation.code, a.insats.area.number, a.insats.number, a.number)
            )
    return {code: tuple(row) for code, row in rows.items()}, sorted(missing)


def expected_changes(previous, current):
    """[(activity id, organisation id, before, after, [(target id, before, after)])] in plan
    order, from every report of the plan: "after" is a pair's newest report in the current
    round's window, "before" its newest in the previous round's window up to that."""
    now = current.window
    then = type(now)(previous.window.start, now.start)
    newest = {}
    for report in StatusReport.objects.filter(activity__insats__area__plan=current.plan):
        when = "after" if in_window(report, now) else "before" if in_window(report, then) else None
        key = (when, report.activity_id, report.organisation_id)
        if when and (
            key not in newest
            or (report.created_at, report.pk) > (newest[key].created_at, newest[key].pk)
        ):
            newest[key] = report

    def state(when, pair):
        report = newest.get((when, *pair))
        if report is None:
            return None, {}
        values = report.values.filter(value__isnull=False).select_related("target")
        return report.status, {v.target: v.value for v in values}

    changes = []
    for pair in {(a, o) for _w, a, o in newest}:
        before, before_values = state("before", pair)
        after, after_values = state("after", pair)
        values = [
            (t.pk, before_values.get(t), after_values.get(t))
            for t in sorted({*before_values, *after_values}, key=lambda t: (t.position, t.pk))
        ]
        changes.append((*pair, before, after, values))
    return sorted(changes, key=lambda c: plan_order(c[0], c[1]))


def shown(change):
    return (
        change.activity.pk,
        change.organisation.pk,
        change.before,
        change.after,
        [(v.target.pk, v.before, v.after) for v in change.values],
    )


@pytest.mark.parametrize("scale", ["real", "10x"])
def test_the_round_page_agrees_with_every_row(client, coordinator, rounds, scale, monkeypatch):
    previous, current = rounds[scale]
    # Few enough that the lists are cut short at both scales, across organisations.
    monkeypatch.setattr(round_views, "MISSING_SHOWN", 25)
    monkeypatch.setattr(round_views, "CHANGES_SHOWN", 30)
    client.force_login(coordinator)
    response = client.get(current.get_absolute_url())
    context = response.context

    rows, missing = expected_completeness(current)
    completeness = context["completeness"]
    assert [r.organisation.code for r in completeness.rows] == sorted(rows, key=code_rank().get)
    assert {r.organisation.code: (r.reported, r.due, r.finished) for r in completeness.rows} == rows
    assert completeness.missing_count == len(missing) > 25
    assert completeness.reported and completeness.finished  # each rule has rows to judge
    assert [
        (m.organisation.code, m.activity.insats.area.number, m.activity.insats.number)
        + (m.activity.number,)
        for m in context["missing"]
    ] == missing[:25]
    owing = {
        code: due - reported - finished
        for code, (reported, due, finished) in rows.items()
        if due > reported + finished
    }
    # The page's reminders also count final assessments owed (the plan's assessment is open).
    assert {r.organisation.code: r.owed for r in context["reminders"] if r.owed} == owing

    changes = context["changes"]
    expected = expected_changes(previous, current)
    assert [shown(c) for c in context["changes_shown"]] == expected[:30]
    assert len(expected) > 30 and changes.total == len(expected)
    kinds = collections.Counter(kind_of(before, after) for _a, _o, before, after, _v in expected)
    assert changes.counts() == kinds and len(kinds) >= 6
    assert [shown(c) for c in changes.changes] == expected  # the export's full list
    reported_now = {o for _a, o, _b, after, _v in expected if after is not None}
    silent = {o for _a, o, before, _a2, _v in expected if before is not None} - reported_now
    assert [o.pk for o in changes.silent] == sorted(
        silent, key=lambda pk: code_rank()[Organisation.objects.get(pk=pk).code]
    )
    changed = {
        a
        for a, _o, before, after, values in expected
        if kind_of(before, after) in CHANGED_KINDS or any(b != n for _t, b, n in values)
    }
    assert changes.activity_ids() == changed
    worse = {a for a, _o, before, after, _v in expected if kind_of(before, after) == WORSE}
    assert changes.activity_ids({WORSE}) == worse and worse

    page = response.content.decode()
    assert f"De första 25 av {len(missing)} visas" in page
    assert f"De första 30 av {len(expected)} ändringar visas" in page


def test_the_round_page_costs_the_same_queries_for_the_real_plan_and_at_10x(
    client, coordinator, rounds
):
    client.force_login(coordinator)
    counts = []
    for _previous, current in rounds.values():
        url = current.get_absolute_url()
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_reminders_to_send_list_every_owed_activity(rounds):
    _previous, current = rounds["10x"]
    _rows, missing = expected_completeness(current)
    owed = collections.defaultdict(list)
    for code, area, insats, number in missing:
        owed[code].append((area, insats, number))
    counted = current.reminders()
    listed = current.reminders(activities=True)
    assert [(r.organisation.pk, r.owed) for r in counted] == [
        (r.organisation.pk, r.owed) for r in listed
    ]
    assert {r.organisation.code: r.owed for r in listed} == {o: len(a) for o, a in owed.items()}
    for reminder in listed:
        assert [
            (a.insats.area.number, a.insats.number, a.number) for a in reminder.activities
        ] == owed[reminder.organisation.code]


def test_the_first_round_lists_every_report_as_new(rounds):
    previous, _current = rounds["real"]
    changes = since_previous(previous)
    assert changes.previous is None and changes.silent == []
    kinds = changes.counts()
    assert set(kinds) <= {"new", "values"} and sum(kinds.values()) == changes.total > 0
    assert len(changes.changes) == changes.total
