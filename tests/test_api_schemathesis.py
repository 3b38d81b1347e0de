"""The API keeps the promises of its own OpenAPI document: schemathesis reads /api/v1/schema/
from the live app (pytest-django's live_server, the real plan published, reports with and
without values and a final assessment, so numbers and nulls both occur) and sends generated
requests to every operation, valid and invalid, with all of its checks: no server error, only
documented status codes, content types and headers, bodies matching their schemas, invalid
input refused and valid input accepted, 405 with Allow for other methods, and so on.

Once anonymously and once as a coordinator signed in with a session cookie, who also sees an
unpublished plan. The number of generated requests per operation is bounded (EXAMPLES) so both
runs stay well under a minute."""

import datetime
from decimal import Decimal

import pytest
import requests
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, settings

from activities.models import Activity
from activities.reporting import assess, file_report
from areas.models import Plan
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = 25
HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
DRAFT = "utkast-2026"


def seed(coordinator):
    """The published real plan with two reports (values given and left empty) and a final
    assessment, and an unpublished plan only a coordinator sees."""
    plan = Plan.objects.get(slug=factories.REAL_PLAN)
    plan.published = True
    plan.save(update_fields=["published"])
    activity = Activity.objects.by_reference(plan, "3.2.3").with_related().get()
    numeric = [t for t in activity.targets.all() if t.value is not None]
    lead = activity.leads[0]
    file_report(
        activity=activity,
        organisation=lead,
        author=coordinator,
        status="on_track",
        comment="Enligt plan.",
        values={numeric[0]: Decimal("12.50")} if numeric else None,
        on_behalf=True,
        created_at=datetime.datetime(2025, 5, 1, 8, 0, tzinfo=datetime.UTC),
    )
    assess(
        activity=activity,
        organisation=lead,
        author=coordinator,
        assessment="partly",
        motivation="Halvvägs.",
        on_behalf=True,
    )
    factories.make_synthetic_plan(slug=DRAFT, scale=1, reports_per_activity=1, author=coordinator)


@pytest.fixture
def anonymous_session(live_server):
    seed(factories.make_coordinator())
    session = requests.Session()
    # Anyone else gets 404 for the unpublished plan, as JSON.
    draft = session.get(f"{live_server.url}/api/v1/plans/{DRAFT}/", timeout=10)
    assert draft.status_code == 404 and draft.json()["detail"]
    return session


@pytest.fixture
def coordinator_session(live_server):
    coordinator = factories.make_coordinator()
    seed(coordinator)
    client = Client()
    client.force_login(coordinator)
    session = requests.Session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    # The coordinator does see the unpublished plan.
    plans = session.get(f"{live_server.url}/api/v1/plans/").json()["results"]
    assert DRAFT in {p["slug"] for p in plans}
    return session


def served_document(live_server):
    response = requests.get(f"{live_server.url}/api/v1/schema/", timeout=10)
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def api(live_server):
    """The document as the live app serves it, read when the test runs."""
    return schemathesis.openapi.from_dict(served_document(live_server))


@pytest.fixture
def coordinator_api(live_server):
    """The same document, with the unpublished plan as the plan in the examples: the requests
    built from them go to the plan only a coordinator sees."""
    document = served_document(live_server)
    for operation in document["paths"].values():
        for parameter in operation["get"]["parameters"]:
            if parameter["name"] == "plan_slug":
                parameter["example"] = DRAFT
    return schemathesis.openapi.from_dict(document)


@pytest.fixture(autouse=True)
def _node_id(request):
    # schemathesis 4.32's fixture-based loader renames the test's node through `_nodeid`, which
    # pytest 9.2's nodes no longer have; give it the id it reads.
    request.node._nodeid = request.node.nodeid


api_schema = schemathesis.pytest.from_fixture("api")
coordinator_api_schema = schemathesis.pytest.from_fixture("coordinator_api")


@api_schema.parametrize()
@HYPOTHESIS
def test_the_api_keeps_its_schema_for_anyone(case, live_server, anonymous_session):
    case.call_and_validate(base_url=live_server.url, session=anonymous_session, timeout=10)


@coordinator_api_schema.parametrize()
@HYPOTHESIS
def test_the_api_keeps_its_schema_for_a_signed_in_coordinator(
    case, live_server, coordinator_session
):
    case.call_and_validate(base_url=live_server.url, session=coordinator_session, timeout=10)
