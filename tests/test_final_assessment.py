"""The final assessment: each lead assesses the activity's expected outcome (numeric or not)
with a motivation, and the targets in the same form (tests/test_target_assessment.py); both roll
up for the plan."""

import re

import pytest
from django.urls import reverse

from activities.models import Activity, ActivityOrganisation, Assessment, OutcomeAssessment, Target
from activities.summaries import assessment_rollup
from organisations.models import Organisation
from tests import factories

pytestmark = pytest.mark.django_db

SLUG = "2024-2025"


def activity(reference):
    return Activity.objects.with_related().get(
        pk=Activity.objects.by_reference(Activity.objects.first().insats.area.plan, reference)
        .get()
        .pk
    )


def assess(client, reference, code, assessment="achieved", motivation="Det blev så."):
    data = {"assessment": assessment, "motivation": motivation}
    if code:
        data["organisation"] = Organisation.objects.get(code=code).pk
    return client.post(reverse("activities:assess", args=[SLUG, reference]), data)


def test_an_outcome_without_a_number_is_assessed_by_its_lead(client, plan):
    lead = activity("6.2.1").leads[0]
    assert not activity("6.2.1").targets.exclude(value=None).exists()
    client.force_login(factories.make_reporter("lead", lead.code))
    response = assess(client, "6.2.1", lead.code, "partly", "Halva vägen.")
    assert response.status_code == 302
    fresh = activity("6.2.1")
    assert fresh.final_assessment == (Assessment.PARTLY_ACHIEVED if len(fresh.leads) == 1 else "")
    page = client.get(fresh.get_absolute_url()).content.decode()
    assert "Halva vägen." in page and "Delvis uppnått" in page


def test_a_reassessed_outcome_keeps_the_earlier_assessment_in_the_pages_history(client, plan):
    lead = activity("6.2.1").leads[0]
    client.force_login(factories.make_reporter("lead", lead.code))
    assert assess(client, "6.2.1", lead.code, "partly", "Först halva vägen.").status_code == 302
    assert assess(client, "6.2.1", lead.code, "achieved", "Sedan hela.").status_code == 302
    page = client.get(activity("6.2.1").get_absolute_url()).content.decode()
    history = page[page.index('id="bedomningshistorik"') :]
    history = history[: history.index("</details>")]
    assert "Bedömningshistorik (2 bedömningar)" in history
    assert history.index("Sedan hela.") < history.index("Först halva vägen.")  # newest first
    assert history.count("Förväntat utfall") == 2


def test_co_leads_that_disagree_are_both_shown_and_the_activity_is_partly_achieved(
    client, plan, coordinator
):
    client.force_login(coordinator)
    leads = [o.code for o in activity("5.2.1").leads]
    assert len(leads) == 5
    for code in leads:
        verdict = "achieved" if code == "SMF" else "not_achieved"
        assert assess(client, "5.2.1", code, verdict, f"Bedömt av {code}.").status_code == 302
        if code != leads[-1]:
            assert activity("5.2.1").final_assessment == ""  # not every lead yet
    fresh = activity("5.2.1")
    assert fresh.final_assessment == Assessment.PARTLY_ACHIEVED
    page = client.get(fresh.get_absolute_url()).content.decode()
    start = page.index('id="slutbedomning"')
    section = page[start : page.index("</ul>", start)]
    assert 'class="lead-assessments"' in section
    assert "Bedömt av SMF." in section and "Bedömt av MF." in section
    assert section.count("Ej uppnått") == 4 and "Uppnått" in section
    assert OutcomeAssessment.objects.filter(on_behalf=True).count() == 5


def test_a_numeric_target_is_assessed_in_the_assessment_form_and_shown_in_the_table(client, plan):
    client.force_login(factories.make_reporter("smf", "SMF"))
    target = activity("3.2.3").targets.get()
    response = client.post(
        reverse("activities:assess", args=[SLUG, "3.2.3"]),
        {
            "organisation": Organisation.objects.get(code="SMF").pk,
            f"assessment_{target.pk}": "achieved",
            f"motivation_{target.pk}": "104 arbetsplatser deltog.",
            f"value_{target.pk}": "104",
        },
    )
    assert response.status_code == 302
    assert Target.objects.with_latest_value().get(pk=target.pk).assessment == "achieved"
    page = client.get(reverse("activities:detail", args=[SLUG, "3.2.3"])).content.decode()
    table = page[
        page.index("Mål och utfall") : page.index("</table>", page.index("Mål och utfall"))
    ]
    assert "Uppnått" in table


def test_the_roll_up_counts_what_the_database_holds(client, plan, coordinator):
    client.force_login(coordinator)
    assess(client, "6.2.1", activity("6.2.1").leads[0].code, "achieved")
    assess(client, "3.2.3", "SMF", "not_achieved")
    rollup = assessment_rollup(plan)
    activities = Activity.objects.filter(insats__area__plan=plan)
    targets = Target.objects.filter(activity__insats__area__plan=plan)
    by_key = {c.key: c.count for c in rollup.activities}
    assert rollup.activity_total == activities.count() == 55
    assert rollup.target_total == targets.count() == 69
    assert by_key["achieved"] == activities.filter(final_assessment="achieved").count()
    assert by_key["not_achieved"] == activities.filter(final_assessment="not_achieved").count()
    assert by_key["none"] == activities.filter(final_assessment="").count()
    assert {c.key: c.count for c in rollup.targets}["none"] == targets.filter(
        current_assessment=None
    ).count()
    page = client.get(reverse("overview", args=[SLUG])).content.decode()
    assert f"Av {targets.count()} mål:" in page and f"Av {activities.count()} aktiviteter:" in page
    listed = client.get(reverse("activities:list", args=[SLUG]) + "?assessment=not_achieved")
    assert [r.record.reference for r in listed.context["table"].page.object_list] == ["3.2.3"]


def test_who_may_assess(client, plan, viewer):
    url = reverse("activities:assess", args=[SLUG, "3.2.4"])
    assert assess(client, "3.2.4", "SBF").status_code == 302  # anonymous: to sign-in
    assert client.post(url).url.startswith(reverse("login"))
    client.force_login(viewer)
    assert assess(client, "3.2.4", "SBF").status_code == 403
    client.force_login(factories.make_reporter("mf", "MF"))
    assert assess(client, "3.2.4", "SBF").status_code == 403
    client.force_login(factories.make_reporter("ink", "INK"))  # no role on 3.1.1
    assert assess(client, "3.1.1", "INK").status_code == 403
    client.force_login(factories.make_reporter("brg", "BRG"))  # responsible for a 3.1.1 target
    outcome = assess(client, "3.1.1", "BRG")  # assesses its target, not the outcome
    assert outcome.status_code == 400
    assert "BRG leder inte aktivitet 3.1.1 och gör ingen slutbedömning" in outcome.content.decode()
    client.force_login(factories.make_reporter("sbf", "SBF"))
    assert client.get(url).status_code == 405
    missing = assess(client, "3.2.4", "SBF", motivation="  ")
    assert (
        missing.status_code == 400
        and "Motivering saknas: skriv vad som uppnåddes" in missing.content.decode()
    )
    assert not OutcomeAssessment.objects.exists()
    assert assess(client, "3.2.4", "SBF").status_code == 302
    assert OutcomeAssessment.objects.get().on_behalf is False


def test_a_lead_cannot_assess_for_another_lead_of_a_shared_activity(client, plan):
    """5.2.1 has five leads; the SBF reporter assesses for SBF only, not for MF."""
    client.force_login(factories.make_reporter("sbf", "SBF"))
    forged = assess(client, "5.2.1", "MF", "not_achieved", "Enligt MF?")
    assert forged.status_code == 400
    form = forged.context["assessment_form"]
    assert form.reporting_for.code == "SBF" and list(form.errors) == ["organisation"]
    assert not OutcomeAssessment.objects.exists()
    assert assess(client, "5.2.1", "SBF", "not_achieved").status_code == 302
    assert list(OutcomeAssessment.objects.values_list("organisation__code", flat=True)) == ["SBF"]


@pytest.mark.parametrize(
    "data",
    [
        {"assessment": "maybe", "motivation": "x"},
        {"assessment": "achieved", "motivation": "x" * 6000},
        {"assessment": "achieved", "motivation": "a\x00b"},
        {"assessment": "achieved", "motivation": "x", "organisation": "99999999999999999999"},
        {"assessment": "achieved", "motivation": "x", "organisation": "-1"},
    ],
)
def test_crafted_assessments_are_refused_with_nothing_written(client, plan, data):
    client.force_login(factories.make_reporter("sbf", "SBF"))
    payload = {"organisation": Organisation.objects.get(code="SBF").pk, **data}
    response = client.post(reverse("activities:assess", args=[SLUG, "3.2.4"]), payload)
    assert response.status_code == 400
    html = response.content.decode()
    assert '<div class="error-summary" role="alert" tabindex="-1" id="assessment-errors">' in html
    assert "<h3>Bedömningen sparades inte. Rätta följande:</h3>" in html
    assert not OutcomeAssessment.objects.exists()
    assert activity("3.2.4").final_assessment == ""


def rollup_links(html):
    """[(href query, label, count)] of the roll-up's links on a page."""
    return [
        (query.replace("&amp;", "&"), label, int(n))
        for query, label, n in re.findall(
            r'href="/plan/[^/]+/aktiviteter/\?([^"]*assessment=[^"]+)">([^:<]+): (\d+)</a>', html
        )
    ]


@pytest.mark.parametrize(
    ("page", "scope"),
    [
        ("overview", {}),
        ("area", {"insats__area__number": 3}),
        ("organisation", {"roles__organisation__code": "SMF", "roles__role": "lead"}),
    ],
)
def test_every_roll_up_count_links_to_a_table_with_as_many_activities(
    client, plan, coordinator, page, scope
):
    client.force_login(coordinator)
    assess(client, "3.2.3", "SMF", "achieved")
    assess(client, "3.1.1", activity("3.1.1").leads[0].code, "not_achieved")
    url = {
        "overview": reverse("overview", args=[SLUG]),
        "area": reverse("areas:detail", args=[SLUG, 3]),
        "organisation": reverse("organisations:detail", args=[SLUG, "SMF"]),
    }[page]
    links = rollup_links(client.get(url).content.decode())
    # Four activity counts here; the four target counts link to the targets page (its tests).
    assert len(links) == 4
    activities = Activity.objects.filter(insats__area__plan=plan, **scope).distinct()
    for query, _label, count in links:
        key = query.rsplit("=", 1)[1]
        if query.split("&")[-1].startswith("lead_assessment="):
            # The organisation page counts its own assessments (test_organisation_assessment.py).
            roles = ActivityOrganisation.objects.filter(
                role="lead", organisation__code="SMF", activity__in=activities
            )
            own = roles.filter(current_assessment__assessment=key)
            expected = (roles.filter(current_assessment=None) if key == "none" else own).count()
            assert count == expected, query
            listed = client.get(reverse("activities:list", args=[SLUG]) + f"?per_page=100&{query}")
            assert listed.context["table"].paginator.count == count, query
        else:
            assert query.split("&")[-1].startswith("assessment="), query
            expected = activities.filter(final_assessment="" if key == "none" else key).count()
            assert count == expected, query
            listed = client.get(reverse("activities:list", args=[SLUG]) + f"?per_page=100&{query}")
            assert listed.context["table"].paginator.count == count, query


def test_the_overview_names_who_still_owes_final_assessments(client, plan, coordinator):
    client.force_login(coordinator)
    for code in [o.code for o in activity("3.2.3").leads]:
        assess(client, "3.2.3", code, "achieved")
    html = client.get(reverse("overview", args=[SLUG])).content.decode()
    section = html[
        html.index("Slutbedömningar som saknas") : html.index(
            "</ul>", html.index("Slutbedömningar som saknas")
        )
    ]
    stated = {
        code: (int(missing), int(led))
        for code, missing, led in re.findall(
            r'>([^<]+)</a> <span class="muted">[^<]*</span>: (\d+) av (\d+)', section
        )
    }
    roles = ActivityOrganisation.objects.filter(role="lead", activity__insats__area__plan=plan)
    expected = {}
    for role in roles.select_related("organisation"):
        missing, led = expected.get(role.organisation.code, (0, 0))
        expected[role.organisation.code] = (missing + (role.current_assessment_id is None), led + 1)
    assert stated == {code: v for code, v in expected.items() if v[0]}
    assert stated["SMF"][0] == expected["SMF"][1] - 1


def test_a_lead_assessing_again_replaces_its_assessment(client, plan):
    client.force_login(factories.make_reporter("sbf", "SBF"))
    assert assess(client, "3.2.4", "SBF", "achieved", "Först så.").status_code == 302
    assert assess(client, "3.2.4", "SBF", "not_achieved", "Sedan så.").status_code == 302
    fresh = activity("3.2.4")
    current = fresh.assessment_of(Organisation.objects.get(code="SBF"))
    assert (current.assessment, current.motivation) == ("not_achieved", "Sedan så.")
    assert fresh.final_assessment == Assessment.NOT_ACHIEVED
    assert OutcomeAssessment.objects.count() == 2
