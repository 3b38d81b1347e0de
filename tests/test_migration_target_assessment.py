"""Migrations 0011–0012: a target assessed inside a status report (before final assessment
became its own act) keeps its assessment, as a TargetAssessment of its own with the report's
comment as its motivation and the report's value as its final value; the target's current
assessment points at it. Run on both databases, with the real plan in place."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from activities.models import Target, TargetAssessment
from tests.factories import REAL_PLAN

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("activities", "0010_reportinground_updated_at")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _report(apps, target, organisation, author, *, comment, value, assessment, days_ago):
    StatusReport = apps.get_model("activities", "StatusReport")
    TargetValue = apps.get_model("activities", "TargetValue")
    report = StatusReport.objects.create(
        activity_id=target.activity_id,
        organisation=organisation,
        author=author,
        status="on_track",
        comment=comment,
        created_at=timezone.now() - datetime.timedelta(days=days_ago),
    )
    TargetValue.objects.create(report=report, target=target, value=value, assessment=assessment)


def test_assessments_given_in_reports_become_target_assessments():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        apps = _migrate(BEFORE)
        Target_ = apps.get_model("activities", "Target")
        Organisation = apps.get_model("organisations", "Organisation")
        User = apps.get_model("auth", "User")
        author = User.objects.create(username="migration-author")
        numeric = Target_.objects.filter(
            activity__insats__area__plan__slug=REAL_PLAN, value__isnull=False
        ).first()
        organisation = Organisation.objects.get(code="BRG")
        _report(
            apps,
            numeric,
            organisation,
            author,
            comment="Första bedömningen.",
            value=Decimal("3"),
            assessment="partly",
            days_ago=10,
        )
        _report(
            apps,
            numeric,
            organisation,
            author,
            comment="  ",
            value=Decimal("7.5"),
            assessment="achieved",
            days_ago=2,
        )
        _report(
            apps,
            numeric,
            organisation,
            author,
            comment="Bara ett värde.",
            value=Decimal("8"),
            assessment="",
            days_ago=1,
        )
    finally:
        _migrate(latest)

    target = Target.objects.with_latest_value().get(pk=numeric.pk)
    given = list(TargetAssessment.objects.filter(target=target).order_by("created_at"))
    assert [(a.assessment, a.motivation, a.value) for a in given] == [
        ("partly", "Första bedömningen.", Decimal("3.00")),
        ("achieved", "Bedömd i en statusrapport utan kommentar.", Decimal("7.50")),
    ]
    assert {a.organisation.code for a in given} == {"BRG"}
    assert target.current_assessment == given[-1]
    assert target.assessment == "achieved"
    assert target.latest_value == Decimal("8.00")  # the value-only report is newer
    assert target.final_value == Decimal("7.50")  # the final assessment's value stands
