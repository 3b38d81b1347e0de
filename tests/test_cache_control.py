"""Cache-Control on every answer (handlingsplan.middleware.PrivateUnlessSaidMiddleware): what may
depend on who asks is `private`, so no shared cache keeps a signed-in page, the open data pages
(a coordinator's copy lists unpublished plans and names the user) or the sign-in page; what is
the same for everyone keeps its `public, max-age=…`; a Cache-Control a view sets is kept."""

import pytest
from django.urls import reverse

from tests.factories import REAL_PLAN

pytestmark = pytest.mark.django_db

PRIVATE = "private, no-cache"

SIGNED_IN_PAGES = [
    "/",
    f"/plan/{REAL_PLAN}/",
    f"/plan/{REAL_PLAN}/omraden/",
    f"/plan/{REAL_PLAN}/aktiviteter/",
    f"/plan/{REAL_PLAN}/aktiviteter/?lead=SBF&sort=-current_status",
    f"/plan/{REAL_PLAN}/aktiviteter/3.2.3/",
    f"/plan/{REAL_PLAN}/mal/",
    f"/plan/{REAL_PLAN}/organisationer/",
    f"/plan/{REAL_PLAN}/rapport/",
    "/oppna-data/",
    f"/oppna-data/{REAL_PLAN}/",
]
VIEWER_DEPENDENT_ANONYMOUS = [
    "/konto/login/",
    "/oppna-data/",
    f"/oppna-data/{REAL_PLAN}/",
    f"/plan/{REAL_PLAN}/",  # the redirect to sign in
    "/api/v1/",  # an error
    "/insyn/finns-inte/",
]
PUBLIC = [
    "/insyn/",
    f"/insyn/{REAL_PLAN}/",
    f"/insyn/{REAL_PLAN}/aktiviteter/?utm_source=x",
    f"/insyn/{REAL_PLAN}/aktiviteter/3.2.3/",
    "/api/v1/plans/",
    f"/api/v1/plans/{REAL_PLAN}/activities/",
    f"/oppna-data/{REAL_PLAN}/aktiviteter.csv",
    "/api/v1/schema/",
]


def is_private(response):
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    return "private" in directives and "public" not in directives


@pytest.mark.parametrize("url", SIGNED_IN_PAGES)
def test_every_signed_in_page_is_private(coordinator_client, published_plan, url):
    response = coordinator_client.get(url)
    assert response.status_code in (200, 302), url
    assert is_private(response), (url, response["Cache-Control"])


@pytest.mark.parametrize("url", VIEWER_DEPENDENT_ANONYMOUS)
def test_what_depends_on_the_viewer_is_private_for_anyone(client, published_plan, url):
    response = client.get(url)
    assert is_private(response), (url, response["Cache-Control"])


@pytest.mark.parametrize("url", PUBLIC)
def test_what_is_the_same_for_everyone_stays_public(client, coordinator, published_plan, url):
    anonymous = client.get(url)
    assert anonymous.status_code == 200, url
    assert anonymous["Cache-Control"].startswith("public, max-age="), url
    client.force_login(coordinator)
    signed_in = client.get(url)
    if url == "/api/v1/plans/":  # a coordinator's list names the unpublished plans too
        assert is_private(signed_in)
    else:
        assert signed_in["Cache-Control"] == anonymous["Cache-Control"], url


def test_the_open_data_page_of_a_coordinator_lists_the_unpublished_plan_privately(
    coordinator_client, plan, coordinator
):
    assert not plan.published
    response = coordinator_client.get("/oppna-data/")
    assert response.status_code == 200
    assert f"/oppna-data/{plan.slug}/" in response.text
    assert response["Cache-Control"] == PRIVATE


def test_a_cache_control_set_by_the_view_is_kept(coordinator_client, plan):
    # The API's answer about an unpublished plan, which only a coordinator sees.
    response = coordinator_client.get(reverse("api:activities", args=[plan.slug]))
    assert response["Cache-Control"] == "private, max-age=0, must-revalidate"
    admin = coordinator_client.get("/admin/login/")
    assert "no-store" in admin["Cache-Control"] and is_private(admin)
