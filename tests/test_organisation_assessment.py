"""The organisation page counts the organisation's own final assessments (each of its lead
roles' current one), not the activities' combined assessment: SMF rating the co-led 5.2.1
Uppnått while the other leads rate it lower is Uppnått on SMF's page, Delvis uppnått on the
activity, area and overview pages. Each count links to the activity table filtered by that
organisation's own assessment (?lead=…&lead_assessment=…), which lists as many activities."""

import re

import pytest
from django.urls import reverse

from activities import reporting
from activities.models import Activity, ActivityOrganisation, Assessment, Role
from organisations.models import Organisation
from tests import factories
from tests.actions import count_queries

pytestmark = pytest.mark.django_db

SLUG = "2024-2025"


def assess(reference, code, verdict, author):
    return reporting.assess(
        activity=factories.activity(reference),
        organisation=Organisation.objects.get(code=code),
        author=author,
        assessment=verdict,
        motivation=f"Bedömt av {code}.",
        on_behalf=True,
    )


def leads_of(reference):
    return [o.code for o in factories.activity(reference).leads]


@pytest.fixture
def disagreeing(plan, coordinator):
    """5.2.1 assessed by its five leads: SMF achieved, the others not achieved; 3.2.3 (SMF
    leads it alone) not achieved."""
    leads = leads_of("5.2.1")
    assert "SMF" in leads and len(leads) > 1
    for code in leads:
        assess("5.2.1", code, "achieved" if code == "SMF" else "not_achieved", coordinator)
    assess("3.2.3", "SMF", "not_achieved", coordinator)
    assert factories.activity("5.2.1").final_assessment == Assessment.PARTLY_ACHIEVED
    return leads


def rollup_activity_links(html):
    """{assessment key: (link query, count)} of a roll-up's activity counts."""
    heading = html.index('id="final-heading"')
    section = html[re.compile(r"Av \d+ aktivitet(?:er)?:").search(html, heading).start() :]
    return {
        key: (query.replace("&amp;", "&"), int(n))
        for query, key, n in re.findall(
            r'href="/plan/[^/]+/aktiviteter/\?((?:[^"]*&amp;)?[a-z_]*assessment=([a-z_]+))">'
            r"[^:<]+: (\d+)</a>",
            section[: section.index("</p>")],
        )
    }


def table_refs(client, query):
    response = client.get(reverse("activities:list", args=[SLUG]) + f"?per_page=100&{query}")
    assert response.status_code == 200 and not response.context["filter"].errors, query
    return [row.record.reference for row in response.context["table"].paginated_rows]


def own_refs(plan, code, key):
    """What `code` leads with its own current assessment `key` ("none": not assessed)."""
    roles = ActivityOrganisation.objects.filter(
        role=Role.LEAD, organisation__code=code, activity__insats__area__plan=plan
    )
    if key == "none":
        roles = roles.filter(current_assessment=None)
    else:
        roles = roles.filter(current_assessment__assessment=key)
    activities = Activity.objects.filter(pk__in=roles.values("activity")).in_plan_order()
    return [a.reference for a in activities.select_related("insats__area")]


def test_smf_page_counts_its_own_achieved_where_the_activity_is_partly_achieved(
    viewer_client, plan, disagreeing
):
    html = viewer_client.get(reverse("organisations:detail", args=[SLUG, "SMF"])).text
    links = rollup_activity_links(html)
    assert links["achieved"] == ("lead=SMF&lead_assessment=achieved", 1)
    assert links["partly"][1] == 0
    assert links["not_achieved"] == ("lead=SMF&lead_assessment=not_achieved", 1)
    led = Activity.objects.filter(insats__area__plan=plan).led_by(
        Organisation.objects.get(code="SMF")
    )
    assert links["none"][1] == led.count() - 2
    assert table_refs(viewer_client, links["achieved"][0]) == ["5.2.1"]
    assert table_refs(viewer_client, links["not_achieved"][0]) == ["3.2.3"]
    assert "Aktiviteterna räknas efter SMF:s egen slutbedömning" in html


def test_a_co_lead_that_rated_it_lower_counts_it_as_it_rated_it(viewer_client, plan, disagreeing):
    other = next(code for code in disagreeing if code != "SMF")
    html = viewer_client.get(reverse("organisations:detail", args=[SLUG, other])).text
    links = rollup_activity_links(html)
    assert links["achieved"][1] == 0
    assert "5.2.1" in table_refs(viewer_client, links["not_achieved"][0])


def test_the_activity_and_area_pages_keep_the_combined_assessment(viewer_client, plan, disagreeing):
    area = viewer_client.get(reverse("areas:detail", args=[SLUG, 5])).text
    links = rollup_activity_links(area)
    assert links["partly"] == ("area=5&assessment=partly", 1)
    assert table_refs(viewer_client, links["partly"][0]) == ["5.2.1"]
    overview = rollup_activity_links(viewer_client.get(reverse("overview", args=[SLUG])).text)
    assert overview["partly"] == ("assessment=partly", 1)
    assert overview["achieved"][1] == 0
    page = viewer_client.get(reverse("activities:detail", args=[SLUG, "5.2.1"])).text
    assert "Delvis uppnått" in page


@pytest.mark.parametrize("code", ["SMF", "SBF", "MF", "ArbVux"])
def test_every_count_of_an_organisation_page_links_to_as_many_activities(
    viewer_client, plan, disagreeing, coordinator, code
):
    assess("3.1.1", leads_of("3.1.1")[0], "partly", coordinator)
    arbvux = leads_of_organisation(plan, "ArbVux")
    assess(arbvux[0], "ArbVux", "achieved", coordinator)
    html = viewer_client.get(reverse("organisations:detail", args=[SLUG, code])).text
    links = rollup_activity_links(html)
    assert set(links) == {*Assessment.values, "none"}
    assert sum(n for _query, n in links.values()) == len(
        Activity.objects.filter(insats__area__plan=plan).led_by(Organisation.objects.get(code=code))
    )
    for key, (query, count) in links.items():
        assert query == f"lead={code}&lead_assessment={key}"
        listed = table_refs(viewer_client, query)
        assert listed == own_refs(plan, code, key) and len(listed) == count, (key, listed)


def leads_of_organisation(plan, code):
    organisation = Organisation.objects.get(code=code)
    activities = Activity.objects.filter(insats__area__plan=plan).led_by(organisation)
    return [a.reference for a in activities.in_plan_order().select_related("insats__area")]


def test_a_code_that_needs_escaping_keeps_its_links_working(viewer_client, plan, coordinator):
    """The links' query strings are URL-encoded (Gbg&Co would cut the query at its &)."""
    organisation = Organisation.objects.get(code="Gbg&Co")
    activity = factories.activity("1.1.1")
    ActivityOrganisation.objects.update_or_create(
        activity=activity, organisation=organisation, defaults={"role": Role.LEAD, "position": 9}
    )
    assess("1.1.1", "Gbg&Co", "achieved", coordinator)
    html = viewer_client.get(reverse("organisations:detail", args=[SLUG, "Gbg&Co"])).text
    links = rollup_activity_links(html)
    assert links["achieved"] == ("lead=Gbg%26Co&lead_assessment=achieved", 1)
    assert table_refs(viewer_client, links["achieved"][0]) == ["1.1.1"]


def test_lead_assessment_without_a_lead_is_any_leads_own(viewer_client, plan, disagreeing):
    achieved = table_refs(viewer_client, "lead_assessment=achieved")
    assert achieved == ["5.2.1"]  # SMF's, though the activity is partly achieved
    not_achieved = table_refs(viewer_client, "lead_assessment=not_achieved")
    assert not_achieved == ["3.2.3", "5.2.1"]
    none = table_refs(viewer_client, "lead_assessment=none")
    assert "5.2.1" not in none and "3.2.3" not in none and len(none) == 53
    # The combined assessment's filter is unchanged.
    assert table_refs(viewer_client, "assessment=achieved") == []


def test_lead_assessment_with_an_alias_lead(viewer_client, plan, coordinator):
    grf = leads_of_organisation(plan, "GRF")
    assess(grf[0], "GRF", "partly", coordinator)
    assert table_refs(viewer_client, "lead=gsf&lead_assessment=partly") == grf[:1]


@pytest.mark.parametrize(
    "value", ["bogus", "x" * 5000, "achieved' OR '1'='1", "Achieved", "ACHIEVED", "none "]
)
def test_an_unknown_lead_assessment_is_a_clear_error(viewer_client, plan, value):
    response = viewer_client.get(
        reverse("activities:list", args=[SLUG]), {"lead": "SMF", "lead_assessment": value}
    )
    assert response.status_code == 200 and response.context["result_count"] == 0
    errors = response.context["filter"].errors
    assert list(errors) == ["lead_assessment"]
    assert "Välj ett giltigt alternativ" in errors["lead_assessment"][0]


def test_repeated_lead_assessments_take_the_last(viewer_client, plan, disagreeing):
    url = reverse("activities:list", args=[SLUG])
    query = "&".join(["lead_assessment=bogus"] * 200 + ["lead=SMF", "lead_assessment=achieved"])
    response = viewer_client.get(f"{url}?{query}")
    assert [row.record.reference for row in response.context["table"].paginated_rows] == ["5.2.1"]


def test_the_organisation_page_costs_the_same_however_many_are_assessed(
    client, plan, coordinator, viewer
):
    url = reverse("organisations:detail", args=[SLUG, "SBF"])
    client.force_login(viewer)
    client.get(url)
    before = count_queries(client, url)
    for reference in leads_of_organisation(plan, "SBF"):
        assess(reference, "SBF", "partly", coordinator)
    assert count_queries(client, url) == before
    # An alias costs the redirect only: the page it leads to costs the same.
    assert client.get(reverse("organisations:detail", args=[SLUG, "sbf"])).status_code == 302
    assert count_queries(client, url) == before


def test_the_summary_is_in_english_too(client, viewer, plan, disagreeing):
    from tests.actions import choose_english

    client.force_login(viewer)
    choose_english(client)
    html = client.get(reverse("organisations:detail", args=[SLUG, "SMF"])).text
    assert "The activities are counted by SMF's own final assessment" in html
    table = client.get(reverse("activities:list", args=[SLUG])).text
    assert "Lead organisation&#x27;s own final assessment" in table
