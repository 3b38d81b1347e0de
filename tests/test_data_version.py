"""The data version (activities/versions.py) that public pages use as ETag and cache key: it
changes with every kind of change a page can show, and costs one query at any scale."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.models import Activity, ActivityOrganisation
from activities.models.status import Status
from activities.reporting import assess, file_report
from activities.versions import data_version
from organisations.models import Organisation
from tests import factories

pytestmark = pytest.mark.django_db


def _changes(action):
    before = data_version()
    action()
    after = data_version()
    assert after != before
    assert data_version() == after  # stable while nothing changes


def test_unchanged_data_keeps_its_version(plan):
    assert data_version() == data_version()


def test_one_query_at_any_scale(plan):
    factories.make_synthetic_plan(scale=3)
    with CaptureQueriesContext(connection) as queries:
        data_version()
    assert len(queries) == 1


def test_a_report_changes_it(plan, reporter_sbf):
    activity = Activity.objects.by_reference(plan, "1.1.1").get()
    lead = activity.roles.filter(role="lead").first().organisation

    _changes(
        lambda: file_report(
            activity=activity, organisation=lead, author=reporter_sbf, status=Status.ON_TRACK
        )
    )


def test_an_assessment_changes_it(plan, reporter_sbf):
    activity = Activity.objects.by_reference(plan, "1.1.1").get()
    lead = activity.roles.filter(role="lead").first().organisation

    _changes(
        lambda: assess(
            activity=activity,
            organisation=lead,
            author=reporter_sbf,
            assessment="achieved",
            motivation="Klart.",
        )
    )


def test_edits_to_the_plan_change_it(plan):
    activity = Activity.objects.by_reference(plan, "1.1.1").get()

    def rename():
        activity.description += " (ändrad)"
        activity.save()

    _changes(rename)
    _changes(lambda: ActivityOrganisation.objects.filter(activity=activity).first().delete())

    def publish():
        plan.published = True
        plan.save()

    _changes(publish)


def test_organisation_and_round_edits_change_it(plan, coordinator):
    def rename():
        organisation = Organisation.objects.get(code="SBF")
        organisation.name = "Stadsbyggnadsförvaltningen (ny)"
        organisation.save(update_fields=["name"])

    _changes(rename)
    round_ = factories.make_round(
        plan=plan,
        name="Omgång 1",
        opens_on=datetime.date(2025, 1, 1),
        deadline=datetime.date(2025, 2, 1),
        created_by=coordinator,
    )

    def rename_round():
        round_.name = "Omgång ett"
        round_.save()

    _changes(rename_round)
    _changes(round_.delete)
