"""robots.txt and the sitemap of the public pages: what crawlers may read, every published plan's
public pages at absolute addresses on SITE_URL, never a draft or unpublished plan, and the
same few queries however many plans and activities there are."""

import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver

from activities.models import Activity
from areas.models import Plan, PlanState
from handlingsplan import urls as root_urls
from handlingsplan.sitemaps import ALLOWED, DISALLOWED
from tests import factories
from tests.factories import REAL_PLAN

SITE = "https://handlingsplan.goteborg.example"
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE
    settings.ALLOWED_HOSTS = ["testserver", "annan.example"]


def locations(client, **extra):
    response = client.get("/sitemap.xml", **extra)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    return [loc.text for loc in root.findall("s:url/s:loc", NS)]


def plan_paths(urls, slug):
    return [u.removeprefix(SITE) for u in urls if f"/{slug}/" in u]


# robots.txt ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_robots_txt_allows_the_public_pages_and_names_the_sitemap(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "public" in response["Cache-Control"]
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    for path in ["/insyn/", "/oppna-data/", "/tillganglighet/"]:
        assert f"Allow: {path}" in lines
    for path in ["/admin/", "/konto/", "/plan/", "/api/", "/tillganglighet/synpunkter/"]:
        assert f"Disallow: {path}" in lines
    assert f"Sitemap: {SITE}/sitemap.xml" in lines
    assert len(queries) == 0


def top_level_prefixes():
    """The first path segment of every address the app answers, from its URL configuration."""
    prefixes = set()
    for pattern in root_urls.urlpatterns:
        assert isinstance(pattern, URLPattern | URLResolver)
        route = str(pattern.pattern)
        prefixes.add("/" + route.split("/")[0] + "/" if "/" in route else "/" + route)
    return prefixes


def test_every_address_of_the_app_is_either_allowed_or_disallowed():
    """A new page that is neither (a new signed-in section, say) fails here until someone
    decides whether search engines may read it."""
    rules = ALLOWED + DISALLOWED
    exempt = {"/", "/robots.txt", "/sitemap.xml"}
    undecided = [
        prefix
        for prefix in top_level_prefixes() - exempt
        if not any(prefix.startswith(rule) or rule.startswith(prefix) for rule in rules)
        and not prefix.startswith("/<slug:plan_slug>")
    ]
    assert undecided == []
    # The plan's signed-in pages are all under /plan/.
    assert "/plan/" in DISALLOWED


@pytest.mark.django_db
def test_robots_txt_and_the_sitemap_answer_get_only(client):
    assert client.post("/robots.txt").status_code == 405
    assert client.post("/sitemap.xml").status_code == 405
    assert client.head("/robots.txt").status_code == 200


# The sitemap --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sitemap_lists_every_public_page_of_a_published_plan(client, published_plan):
    urls = locations(client)
    assert all(u.startswith(SITE + "/") for u in urls)
    assert len(urls) == len(set(urls))
    for path in ["/tillganglighet/", "/insyn/", "/oppna-data/"]:
        assert SITE + path in urls
    paths = plan_paths(urls, REAL_PLAN)
    activities = Activity.objects.filter(insats__area__plan=published_plan).select_related(
        "insats__area"
    )
    expected = {
        f"/insyn/{REAL_PLAN}/",
        f"/insyn/{REAL_PLAN}/omraden/",
        f"/insyn/{REAL_PLAN}/aktiviteter/",
        f"/insyn/{REAL_PLAN}/mal/",
        f"/oppna-data/{REAL_PLAN}/",
        f"/oppna-data/{REAL_PLAN}/kolumner/",
        *(f"/insyn/{REAL_PLAN}/omraden/{n}/" for n in range(1, 7)),
        *(f"/insyn/{REAL_PLAN}/aktiviteter/{a.reference}/" for a in activities),
    }
    assert expected <= set(paths)
    assert len([p for p in paths if "/aktiviteter/" in p and p.count(".") == 2]) == 55
    # An organisation's public page is the activity table filtered on it.
    organisations = [p for p in paths if "?organisation=" in p]
    assert f"/insyn/{REAL_PLAN}/aktiviteter/?organisation=SBF" in organisations
    assert set(paths) == expected | set(organisations)


@pytest.mark.django_db
def test_every_address_in_the_sitemap_answers_an_anonymous_visitor(client, published_plan):
    for url in locations(client):
        path = url.removeprefix(SITE)
        assert client.get(path).status_code == 200, path


@pytest.mark.django_db
def test_an_unpublished_or_draft_plan_is_never_in_the_sitemap(client, plan, coordinator):
    factories.make_synthetic_plan("opublicerad", scale=1)
    draft = factories.make_synthetic_plan("utkastet", scale=1)
    Plan.objects.filter(pk=draft.pk).update(state=PlanState.DRAFT)
    client.force_login(coordinator)  # who asks changes nothing
    urls = locations(client)
    assert sorted(u.removeprefix(SITE) for u in urls) == [
        "/insyn/",
        "/oppna-data/",
        "/tillganglighet/",
    ]
    assert not any(slug in u for u in urls for slug in (REAL_PLAN, "opublicerad", "utkastet"))


@pytest.mark.django_db
def test_the_addresses_are_on_site_url_whatever_host_was_asked(client, published_plan):
    urls = locations(client, HTTP_HOST="annan.example")
    assert urls and all(u.startswith(SITE + "/") for u in urls)
    assert not any("annan.example" in u for u in urls)


@pytest.mark.django_db
def test_the_sitemap_is_a_fixed_number_of_queries_as_plans_grow(client, published_plan):
    def count():
        with CaptureQueriesContext(connection) as queries:
            urls = locations(client)
        return len(queries), len(urls)

    one, urls_one = count()
    again, _urls = count()
    bigger = factories.make_synthetic_plan("storre", scale=3)
    bigger.published = True
    bigger.save(update_fields=["published"])
    two, urls_two = count()
    assert urls_two > urls_one + 165  # the synthetic plan's 168 activities and more
    # The data version and four queries; asked again, only the data version (the rendered
    # sitemap is kept under it), until the data changes.
    assert one == two == 5
    assert again == 1


def test_the_sitemap_answers_304_to_its_etag_until_the_data_changes(client, published_plan):
    first = client.get("/sitemap.xml")
    assert first["Content-Type"] == "application/xml"
    assert client.get("/sitemap.xml", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    factories.make_synthetic_plan("ny", scale=1)
    assert client.get("/sitemap.xml", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_a_report_changes_no_address_and_keeps_the_sitemap(client, published_plan):
    """The sitemap lists addresses, which no report changes: kept across reports (at 100× the
    plan each report made every worker list thousands of addresses again)."""
    first = client.get("/sitemap.xml")
    reporter = factories.make_user("kartrapportor")
    factories.file_report("3.2.3", "SMF", reporter, status="delayed", comment="Väntar.")
    again = client.get("/sitemap.xml", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
