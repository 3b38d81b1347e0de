"""The data version (activities/versions.py) that public pages use as ETag and cache key: it
changes with every kind of change a page can show, and costs one query at any scale."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.models import Activity, ActivityOrganisation
from activities.models.status import Status
from activities.reporting import assess, file_report
from activities.reporting.drafts import TargetAssessmentDraft
from activities.reporting.write import file_target_assessments
from activities.versions import data_version
from organisations.models import Organisation
from tests import factories
from tests.actions import count_queries

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


# A plan's own version (data_version(plan)): what its pages are kept by. -----------------------


def _first_lead(activity):
    return activity.roles.filter(role="lead").order_by("position").first().organisation


@pytest.fixture
def other_plan(coordinator):
    return factories.make_synthetic_plan("annan-plan", scale=1, author=coordinator)


def test_a_plans_version_is_one_query_at_any_scale(plan):
    factories.make_synthetic_plan(scale=3)
    with CaptureQueriesContext(connection) as queries:
        data_version(plan)
    assert len(queries) == 1
    assert data_version(plan) == data_version(plan.slug)


def test_a_report_in_another_plan_leaves_a_plans_version(plan, other_plan, coordinator):
    mine, theirs, everything = data_version(plan), data_version(other_plan), data_version()
    activity = Activity.objects.filter(insats__area__plan=other_plan).first()

    file_report(
        activity=activity,
        organisation=_first_lead(activity),
        author=coordinator,
        status=Status.ON_TRACK,
        on_behalf=True,
    )

    assert data_version(plan) == mine
    assert data_version(other_plan) != theirs
    assert data_version() != everything


@pytest.mark.parametrize("kind", ["report", "values only", "assessment", "target assessment"])
def test_every_filing_changes_its_plans_version(plan, coordinator, kind):
    activity = Activity.objects.by_reference(plan, "1.1.1").get()
    lead = _first_lead(activity)
    target = activity.targets.exclude(value=None).first()
    before, everything = data_version(plan), data_version()
    fields = {"activity": activity, "organisation": lead, "author": coordinator}
    if kind == "report":
        file_report(**fields, status=Status.ON_TRACK, on_behalf=True)
    elif kind == "values only":
        file_report(**fields, status="", values={target: 3}, on_behalf=True)
    elif kind == "assessment":
        assess(**fields, assessment="achieved", motivation="Klart.", on_behalf=True)
    else:
        file_target_assessments(
            [
                TargetAssessmentDraft(
                    target=target,
                    organisation=lead,
                    author=coordinator,
                    assessment="achieved",
                    motivation="Nått.",
                    value=None,
                    on_behalf=True,
                )
            ]
        )
    assert data_version(plan) != before
    assert data_version() != everything


def test_an_edit_of_another_plans_structure_changes_every_plans_version(plan, other_plan):
    # A plan's pages name other plans' activities (continuations): structure counts for all.
    before = data_version(plan)
    activity = Activity.objects.filter(insats__area__plan=other_plan).first()
    activity.description += " (ändrad)"
    activity.save()
    assert data_version(plan) != before


def test_a_report_in_another_plan_keeps_a_plans_pages_kept(
    plan, other_plan, coordinator, coordinator_client
):
    """The board report of one plan stays kept (warm: the data version and the viewer's own
    queries) while another plan takes a report, and is rendered again after one of its own."""
    url = f"/plan/{plan.slug}/rapport/"
    cold = count_queries(coordinator_client, url)
    warm = count_queries(coordinator_client, url, cold=False)
    assert warm < cold
    activity = Activity.objects.filter(insats__area__plan=other_plan).first()
    file_report(
        activity=activity,
        organisation=_first_lead(activity),
        author=coordinator,
        status=Status.DELAYED,
        comment="Försenad",
        on_behalf=True,
    )
    assert count_queries(coordinator_client, url, cold=False) == warm

    own = Activity.objects.by_reference(plan, "1.1.1").get()
    file_report(
        activity=own,
        organisation=_first_lead(own),
        author=coordinator,
        status=Status.DELAYED,
        comment="Försenad här",
        on_behalf=True,
    )
    # Its own plan's report: the parts it changes are read and rendered again (the board
    # report reads only the report's area of its six: BoardReport).
    assert warm < count_queries(coordinator_client, url, cold=False) <= cold
    assert "Försenad här" in coordinator_client.get(url).content.decode()
