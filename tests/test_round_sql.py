"""A round's page reads its counts, its first missing reports and its first changes from the
database (GROUP BY, LIMIT), whatever the size of the plan. Here they are checked against a
plain Python reading of every row, for the real plan and a synthetic plan ten times larger,
and the page costs the same number of queries for both."""

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
TIMES = [timezone.make_aware(datetime.datetime(2024, 7, day, 12)) for day in (1, 2, 3)]


def seed_rounds(plan, author, seed):
    """Two rounds with reports of every kind: several per pair and round (with equal times,
    so the id decides which is newest), from leads and participants, some with target values
    (equal, different, missing), some outside any round."""
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
    return earlier, later


@pytest.fixture(scope="module")
def synthetic_rounds(module_db, django_db_blocker):
    """A 10× synthetic plan with its two seeded rounds, built once for the module (5–6 s)."""
    with django_db_blocker.unblock():
        author = factories.make_user("författare-runda")
        big = factories.make_synthetic_plan("syntetisk", scale=10, author=author)
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


def expected_completeness(reporting_round):
    """({code: (reported, due)}, [(code, area, insats, activity) owed, in order])"""
    roles = ActivityOrganisation.objects.filter(
        role=Role.LEAD, activity__insats__area__plan=reporting_round.plan
    ).select_related("organisation", "activity__insats__area")
    done = set(
        StatusReport.objects.filter(round=reporting_round).values_list(
            "activity_id", "organisation_id"
        )
    )
    rows, missing = {}, []
    for role in roles:
        reported = (role.activity_id, role.organisation_id) in done
        row = rows.setdefault(role.organisation.code, [0, 0])
        row[0] += reported
        row[1] += 1
        if not reported:
            a = role.activity
            missing.append(
                (role.organisation.code, a.insats.area.number, a.insats.number, a.number)
            )
    return {code: tuple(row) for code, row in rows.items()}, sorted(missing)


def expected_changes(previous, current):
    """[(activity id, organisation id, before, after, [(target id, before, after)])] in plan
    order, from every report of both rounds."""
    newest = {}
    for report in StatusReport.objects.filter(round__in=[previous, current]):
        key = (report.round_id, report.activity_id, report.organisation_id)
        if key not in newest or (report.created_at, report.pk) > (
            newest[key].created_at,
            newest[key].pk,
        ):
            newest[key] = report

    def state(round_, pair):
        report = newest.get((round_.pk, *pair))
        if report is None:
            return None, {}
        values = report.values.filter(value__isnull=False).select_related("target")
        return report.status, {v.target: v.value for v in values}

    changes = []
    for pair in {(a, o) for _r, a, o in newest}:
        before, before_values = state(previous, pair)
        after, after_values = state(current, pair)
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
    assert {r.organisation.code: (r.reported, r.due) for r in completeness.rows} == rows
    assert completeness.missing_count == len(missing) > 25
    assert [
        (m.organisation.code, m.activity.insats.area.number, m.activity.insats.number)
        + (m.activity.number,)
        for m in context["missing"]
    ] == missing[:25]
    owing = {code: due - reported for code, (reported, due) in rows.items() if due > reported}
    assert {r.organisation.code: r.owed for r in context["reminders"]} == owing

    changes = context["changes"]
    expected = expected_changes(previous, current)
    assert [shown(c) for c in context["changes_shown"]] == expected[:30]
    assert len(expected) > 30 and changes.total == len(expected)
    kinds = collections.Counter(kind_of(before, after) for _a, _o, before, after, _v in expected)
    assert changes.counts() == kinds and len(kinds) >= 5
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
    done = set(StatusReport.objects.filter(round=current).values_list("activity", "organisation"))
    owed = collections.defaultdict(list)
    for role in ActivityOrganisation.objects.filter(
        role=Role.LEAD, activity__insats__area__plan=current.plan
    ).select_related("activity__insats__area"):
        if (role.activity_id, role.organisation_id) not in done:
            owed[role.organisation_id].append(role.activity)
    counted = current.reminders()
    listed = current.reminders(activities=True)
    assert [(r.organisation.pk, r.owed) for r in counted] == [
        (r.organisation.pk, r.owed) for r in listed
    ]
    assert {r.organisation.pk: r.owed for r in listed} == {o: len(a) for o, a in owed.items()}
    for reminder in listed:
        expected = sorted(
            owed[reminder.organisation.pk],
            key=lambda a: (a.insats.area.number, a.insats.number, a.number),
        )
        assert reminder.activities == expected


def test_the_first_round_lists_every_report_as_new(rounds):
    previous, _current = rounds["real"]
    changes = since_previous(previous)
    assert changes.previous is None and changes.silent == []
    kinds = changes.counts()
    assert set(kinds) <= {"new", "values"} and sum(kinds.values()) == changes.total > 0
    assert len(changes.changes) == changes.total
