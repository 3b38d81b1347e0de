"""Insyn: a published plan's public pages under /insyn/<plan>/, for anyone without sign-in; an
unpublished plan answers 404 there for everyone, signed in or not."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities.models import Activity
from activities.templatetags.insyn import PUBLISHED_PLANS_KEY
from organisations.models import Organisation
from tests import factories

pytestmark = pytest.mark.django_db

SLUG = "2024-2025"


def public_pages(slug=SLUG):
    return [
        reverse("insyn:overview", args=[slug]),
        reverse("insyn:areas", args=[slug]),
        reverse("insyn:area", args=[slug, 3]),
        reverse("insyn:activities", args=[slug]),
        reverse("insyn:activities", args=[slug]) + "?lead=SBF&status=not_reported",
        reverse("insyn:activity", args=[slug, "3.2.3"]),
    ]


@pytest.mark.parametrize("url", public_pages())
def test_an_unpublished_plan_answers_404_to_an_anonymous_visitor(client, plan, url):
    assert not plan.published
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", public_pages())
def test_an_unpublished_plan_answers_404_on_insyn_even_to_a_coordinator(client, plan, url):
    client.force_login(factories.make_coordinator())
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", public_pages("finns-inte"))
def test_an_unknown_plan_answers_404(client, published_plan, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", public_pages())
def test_a_published_plan_is_open_without_sign_in(client, published_plan, url):
    response = client.get(url)
    assert response.status_code == 200
    assert published_plan.title in response.text
    # Nothing to sign in to, and no form to post: no session or CSRF cookie is set.
    assert response.cookies == {}
    assert 'method="post"' not in response.text


def test_unpublishing_closes_the_pages_again(client, published_plan):
    url = reverse("insyn:overview", args=[SLUG])
    assert client.get(url).status_code == 200
    published_plan.published = False
    published_plan.save()
    assert client.get(url).status_code == 404


def test_an_unknown_activity_or_area_answers_404(client, published_plan):
    assert client.get(reverse("insyn:activity", args=[SLUG, "9.9.9"])).status_code == 404
    assert client.get(reverse("insyn:area", args=[SLUG, 99])).status_code == 404


def test_public_pages_are_read_only(client, published_plan):
    url = reverse("insyn:activity", args=[SLUG, "3.2.3"])
    assert client.post(url, {"status": "delayed"}).status_code == 405


def _links(html):
    return re.findall(r'href="([^"]*)"', html)


@pytest.mark.parametrize("url", public_pages())
def test_every_link_on_a_public_page_stays_public(client, published_plan, url):
    """Links go to other public pages, the plan's open data, the sign-in page, the language
    switch, the accessibility statement and its form or static files; never into the
    signed-in site."""
    html = client.get(url).text
    allowed = ("/insyn/", f"/oppna-data/{SLUG}/", "/konto/login/", "/static/", "#", "?")
    allowed += ("/tillganglighet/",)
    outside = [link for link in _links(html) if not link.startswith(allowed)]
    assert outside == []


def test_the_overview_shows_the_status_chart_and_links_to_the_public_table(client, published_plan):
    html = client.get(reverse("insyn:overview", args=[SLUG])).text
    assert f'href="/oppna-data/{SLUG}/"' in html
    assert "Status per strategiskt område" in html
    assert 'class="bar"' in html
    assert f"/insyn/{SLUG}/aktiviteter/?area=1&amp;status=" in html
    assert "Logga in" in html
    # Nothing that belongs to the signed-in pages: exports, the board report, rounds.
    assert "Excel" not in html
    assert "Rapport till styrelsen" not in html
    assert "Logga ut" not in html


def test_the_table_filters_and_links_organisations_to_the_table(client, published_plan):
    url = reverse("insyn:activities", args=[SLUG])
    html = client.get(url + "?lead=SBF&per_page=100").text
    sbf = Organisation.objects.get(code="SBF")
    sbf_led = Activity.objects.filter(insats__area__plan=published_plan).led_by(sbf).count()
    assert f"{sbf_led} aktiviteter" in html
    assert f'href="/insyn/{SLUG}/aktiviteter/?lead=SBF"' in html
    led = Activity.objects.filter(insats__area__plan=published_plan).led_by(sbf).in_plan_order()
    assert f'href="/insyn/{SLUG}/aktiviteter/{led.first().reference}/"' in html
    # Who still has to report in a round is for the people reporting, not for insyn.
    assert 'name="to_report"' not in html


def test_the_table_switches_only_to_published_plans(client, published_plan):
    other = factories.make_synthetic_plan("annan", scale=1)
    url = reverse("insyn:activities", args=[SLUG])
    assert client.get(url + "?plan=annan&lead=SBF").status_code == 404
    assert "Syntetisk plan annan" not in client.get(url).text
    other.published = True
    other.save()
    response = client.get(url + "?plan=annan&lead=SBF")
    assert response.status_code == 302
    assert response["Location"] == "/insyn/annan/aktiviteter/?lead=SBF"


def test_the_signed_in_overview_links_to_the_public_pages_when_published(client, plan, coordinator):
    client.force_login(coordinator)
    url = reverse("overview", args=[SLUG])
    assert "Insyn: planens öppna sidor" not in client.get(url).text
    plan.published = True
    plan.save()
    assert f'href="/insyn/{SLUG}/"' in client.get(url).text


def test_the_sign_in_page_links_to_published_plans(client, plan):
    assert f"/insyn/{SLUG}/" not in client.get(reverse("login")).text
    plan.published = True
    plan.save()
    cache.delete(PUBLISHED_PLANS_KEY)  # the list is kept for a minute
    with CaptureQueriesContext(connection) as queries:
        assert f'href="/insyn/{SLUG}/"' in client.get(reverse("login")).text
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("login"))
    assert len(queries) == 0  # the sign-in page reads no data while the list is kept


def test_the_index_lists_published_plans_only(client, published_plan):
    factories.make_synthetic_plan("hemlig", scale=1)
    html = client.get(reverse("insyn:index")).text
    assert f'href="/insyn/{SLUG}/"' in html
    assert "hemlig" not in html


def test_the_language_links_switch_to_english_and_back_to_the_page(client, published_plan):
    page = reverse("insyn:activity", args=[SLUG, "3.2.3"])
    html = client.get(page).text
    assert f'href="/insyn/sprak/en/?next={page.replace("/", "%2F")}" lang="en"' in html
    assert ">English</a>" in html
    response = client.get(reverse("insyn:language", args=["en"]) + f"?next={page}")
    assert response.status_code == 302
    assert response["Location"] == page
    assert response.cookies["django_language"].value == "en"
    assert client.get(page)["Content-Language"] == "en"


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "/plan/2024-2025/", "", "/insyn"]
)
def test_the_language_switch_returns_only_to_public_pages(client, next_url):
    response = client.get(reverse("insyn:language", args=["en"]), {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == reverse("insyn:index")


def test_the_language_switch_refuses_unknown_languages(client):
    assert client.get("/insyn/sprak/xx/").status_code == 404


def test_the_public_table_has_the_signed_in_tables_columns_and_order(
    client, published_plan, viewer_client
):
    def headers(html):
        return re.findall(r'<th scope="col"[^>]*>\s*(?:<a [^>]*>)?([^<]*)', html)

    public = client.get(reverse("insyn:activities", args=[SLUG])).text
    signed_in = viewer_client.get(reverse("activities:list", args=[SLUG])).text
    assert headers(public) == headers(signed_in)
    assert '<table class="data-table">' in public
    assert 'aria-sort="ascending"' in public  # sorted by reference, as signed in
