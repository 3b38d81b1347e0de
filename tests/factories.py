"""Personas and synthetic plans for tests. The real plan comes from fixtures/ (conftest.py)."""

import datetime
import itertools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from activities import reporting
from activities.models import (
    Activity,
    ActivityOrganisation,
    ReportingRound,
    Role,
    Status,
    StatusReport,
    Target,
)
from areas.models import Insats, Plan, StrategicArea
from organisations.models import Membership, Organisation
from organisations.roles import COORDINATOR_GROUP

PASSWORD = "test-lösenord-123"
# The published plan loaded from fixtures/ once for the test session (conftest.py).
REAL_PLAN = "2024-2025"


def make_user(username, **extra):
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, first_name=username.title(), **extra
    )
    return user


def make_coordinator(username="samordnare"):
    user = make_user(username)
    user.groups.add(Group.objects.get_or_create(name=COORDINATOR_GROUP)[0])
    Membership.objects.create(user=user, organisation=Organisation.objects.get(code="BRG"))
    return user


def make_reporter(username, *codes, **extra):
    user = make_user(username, **extra)
    for code in codes:
        Membership.objects.create(user=user, organisation=Organisation.objects.get(code=code))
    return user


def make_synthetic_plan(slug="syntetisk", scale=10, reports_per_activity=2, author=None):
    """A plan about `scale` times the size of the real one (55 activities), with roles,
    targets and reports on every activity, built in a handful of bulk inserts."""
    organisations = list(Organisation.objects.order_by("code"))
    plan = Plan.objects.create(
        slug=slug,
        title=f"Syntetisk plan {slug}",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2027, 12, 31),
        outcome_deadline=datetime.date(2027, 12, 31),
    )
    areas = StrategicArea.objects.bulk_create(
        StrategicArea(plan=plan, number=n, name=f"Område {n}") for n in range(1, 7)
    )
    insatser = Insats.objects.bulk_create(
        Insats(area=area, number=n, title=f"Insats {area.number}.{n}")
        for area in areas
        for n in range(1, 5)
    )
    per_insats = -(-55 * scale // len(insatser))
    activities = Activity.objects.bulk_create(
        Activity(
            insats=insats,
            number=n,
            description=f"Aktivitet {n} om godsflöden",
            expected_outcome=f"Minst {n} företag deltar.",
        )
        for insats in insatser
        for n in range(1, per_insats + 1)
    )
    org_cycle = itertools.cycle(organisations)
    roles, targets, reports = [], [], []
    author = author or make_user(f"författare-{slug}")
    statuses = itertools.cycle(Status.reportable_values())
    for activity in activities:
        chosen = [next(org_cycle) for _ in range(5)]
        roles += [
            ActivityOrganisation(
                activity=activity,
                organisation=org,
                role=Role.LEAD if i < 2 else Role.PARTICIPANT,
                position=i,
            )
            for i, org in enumerate(chosen)
        ]
        targets += [
            Target(
                activity=activity,
                position=1,
                phrase="Minst 10 företag",
                value=10,
                unit="företag",
                responsible_organisation=chosen[0],
            ),
            Target(activity=activity, position=2, phrase="2 evenemang/år", value=2, unit="st"),
        ]
        for lead in chosen[:2]:  # each lead organisation reports
            for _ in range(reports_per_activity):
                reports.append(
                    StatusReport(
                        activity=activity,
                        organisation=lead,
                        author=author,
                        status=next(statuses),
                        comment="Syntetisk rapport",
                    )
                )
    ActivityOrganisation.objects.bulk_create(roles)
    Target.objects.bulk_create(targets)
    StatusReport.objects.bulk_create(reports)
    # Bulk inserts skip StatusReport.objects.file_many(): rebuild the stored current state.
    Activity.objects.filter(insats__area__plan=plan).recompute_current()
    return plan


def report_on_every_activity(plan, author, with_values=False):
    """One report on each of the plan's activities from its first lead, the reportable
    statuses in turn, comment "Text"; with a value of 3 on every numeric target if
    `with_values`."""
    statuses = itertools.cycle(Status.reportable_values())
    for activity in Activity.objects.filter(insats__area__plan=plan).with_related():
        reporting.file_report(
            activity=activity,
            organisation=activity.leads[0],
            author=author,
            status=next(statuses),
            comment="Text",
            values=(
                {t: 3 for t in activity.targets.all() if t.value is not None}
                if with_values
                else None
            ),
        )


def make_round(*, plan=None, **fields):
    """A reporting round of `plan` (the real plan unless given) with the given name, opens_on
    and deadline (dates or ISO text, stored as given)."""
    plan = plan or Plan.objects.get(slug=REAL_PLAN)
    return ReportingRound.objects.create(plan=plan, **fields)


def make_open_round(*, plan=None, name="Omgång nu", **fields):
    """A round in progress today: opened five days ago, its deadline in twenty days."""
    today = timezone.localdate()
    return make_round(
        plan=plan,
        name=name,
        opens_on=today - datetime.timedelta(days=5),
        deadline=today + datetime.timedelta(days=20),
        **fields,
    )


def activity(ref, plan=REAL_PLAN):
    """The activity "3.2.4" of the plan with the slug `plan`."""
    area, insats, number = (int(p) for p in ref.split("."))
    return Activity.objects.get_by_natural_key(plan, area, insats, number)


def file_report(activity_or_ref, organisation, author, status="on_track", **fields):
    """A report filed directly through the reporting core (activities.reporting.file_report);
    `activity_or_ref` is an Activity or a reference in the real plan, `organisation` an
    Organisation or its code; `fields`: comment, round, values, created_at."""
    if isinstance(activity_or_ref, str):
        activity_or_ref = activity(activity_or_ref)
    if isinstance(organisation, str):
        organisation = Organisation.objects.get(code=organisation)
    return reporting.file_report(
        activity=activity_or_ref,
        organisation=organisation,
        author=author,
        status=status,
        **fields,
    )


def refresh_statistics():
    """ANALYZE the activities and reports on PostgreSQL (nothing on SQLite) after a test has
    made or rewritten many in bulk, as autovacuum does after real reports come in: on the old
    statistics the database takes a window of reports for a handful of rows and walks it
    for every row (and a bulk rewrite of a synthetic plan's report times once ran into the
    20 s statement timeout on a busy machine)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE activities_activity, activities_statusreport")
