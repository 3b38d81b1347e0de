"""The final assessment is its own act: in one form a lead organisation assesses the activity's
expected outcome and each target it answers for (a target's responsible organisation its own
targets), each with its own motivation and a final value for a numeric target, without filing a
status report. A reassessment appends; a part left as it was is not appended again; the rules
are the reporting core's, for the form and the workbook alike."""

from decimal import Decimal

import pytest
from django.urls import reverse

from activities.models import (
    Activity,
    OutcomeAssessment,
    StatusReport,
    Target,
    TargetAssessment,
)
from activities.reporting import (
    TargetAssessmentDraft,
    file_final_assessment,
    final_assessment_problems,
)
from activities.versions import data_version
from organisations.models import Organisation
from tests import factories
from tests.actions import count_queries, post_report
from tests.open_data import api_list, csv_rows

pytestmark = pytest.mark.django_db

SLUG = "2024-2025"


def target(ref, position):
    return Target.objects.get(activity=factories.activity(ref), position=position)


def assess_url(ref):
    return reverse("activities:assess", args=[SLUG, ref])


def post(client, ref, code, **fields):
    data = {"organisation": Organisation.objects.get(code=code).pk, **fields}
    return client.post(assess_url(ref), data)


def target_part(t, assessment="achieved", motivation="Det blev så.", value=None):
    part = {f"assessment_{t.pk}": assessment, f"motivation_{t.pk}": motivation}
    if value is not None:
        part[f"value_{t.pk}"] = value
    return part


def nothing_written():
    return not (
        OutcomeAssessment.objects.exists()
        or TargetAssessment.objects.exists()
        or StatusReport.objects.exists()
    )


def test_a_lead_assesses_the_outcome_and_its_targets_in_one_act(client, plan):
    """SBF leads 3.2.4: target 1 numeric, target 2 not; no status report is filed."""
    client.force_login(factories.make_reporter("sbf", "SBF"))
    numeric, other = target("3.2.4", 1), target("3.2.4", 2)
    page = client.get(factories.activity("3.2.4").get_absolute_url())
    form = page.context["assessment_form"]
    assert {"assessment", "motivation", f"value_{numeric.pk}"} <= set(form.fields)
    assert f"value_{other.pk}" not in form.fields and f"assessment_{other.pk}" in form.fields
    response = post(
        client,
        "3.2.4",
        "SBF",
        assessment="partly",
        motivation="Målpunkterna är identifierade, anslutningen återstår.",
        **target_part(numeric, "achieved", "Tolv målpunkter identifierades.", "12,5"),
        **target_part(other, "not_achieved", "Åtgärderna är inte utredda."),
    )
    assert response.status_code == 302
    assert response.url.endswith("?for=SBF#slutbedomning")
    outcome = OutcomeAssessment.objects.get()
    assert (outcome.assessment, outcome.organisation.code, outcome.on_behalf) == (
        "partly",
        "SBF",
        False,
    )
    given = {a.target_id: a for a in TargetAssessment.objects.all()}
    assert given[numeric.pk].value == Decimal("12.50") and given[other.pk].value is None
    assert given[other.pk].motivation == "Åtgärderna är inte utredda."
    assert {a.organisation.code for a in given.values()} == {"SBF"}
    assert not StatusReport.objects.exists()
    assert Target.objects.get(pk=numeric.pk).current_assessment == given[numeric.pk]
    html = client.get(factories.activity("3.2.4").get_absolute_url()).content.decode()
    section = html[html.index('id="slutbedomning"') : html.index('id="historik"')]
    assert "Tolv målpunkter identifierades." in section and "12,5" in section
    assert "Åtgärderna är inte utredda." in section and "Ej uppnått" in section
    # Signed in, the history names the person.
    assert "Stadsbyggnadsförvaltningen, bedömd av Sbf" in section


def test_a_coordinator_assesses_on_behalf_and_it_is_attributed(client, plan, coordinator):
    client.force_login(coordinator)
    numeric = target("3.2.3", 1)
    response = post(
        client,
        "3.2.3",
        "SMF",
        assessment="achieved",
        motivation="Fler än hundra arbetsplatser.",
        **target_part(numeric, "achieved", "104 arbetsplatser.", "104"),
    )
    assert response.status_code == 302
    assert OutcomeAssessment.objects.get().on_behalf is True
    given = TargetAssessment.objects.get()
    assert (given.on_behalf, given.author, given.organisation.code) == (True, coordinator, "SMF")
    html = client.get(factories.activity("3.2.3").get_absolute_url()).content.decode()
    assert "Bedömd av Samordnare för Stadsmiljöförvaltningen" in html


def test_a_target_only_organisation_assesses_just_its_targets(client, plan):
    """BRG answers for target 2 of 3.1.1 (led by SBF): its form has that target and no
    outcome part; SBF's form has the outcome and target 1 (its own), not BRG's."""
    brg_target, sbf_target = target("3.1.1", 2), target("3.1.1", 1)
    client.force_login(factories.make_reporter("brg", "BRG"))
    form = client.get(factories.activity("3.1.1").get_absolute_url()).context["assessment_form"]
    assert not form.is_lead and "assessment" not in form.fields
    assert [t.pk for t in form.targets] == [brg_target.pk]
    response = post(client, "3.1.1", "BRG", **target_part(brg_target, "partly", "Åtta event.", "8"))
    assert response.status_code == 302
    given = TargetAssessment.objects.get()
    assert (given.organisation.code, given.value, given.assessment) == ("BRG", 8, "partly")
    assert not OutcomeAssessment.objects.exists()
    client.force_login(factories.make_reporter("sbf", "SBF"))
    form = client.get(factories.activity("3.1.1").get_absolute_url()).context["assessment_form"]
    assert form.is_lead and [t.pk for t in form.targets] == [sbf_target.pk]


def test_the_form_starts_from_the_current_assessments_and_an_unchanged_part_is_not_appended(
    client, plan
):
    client.force_login(factories.make_reporter("sbf", "SBF"))
    numeric, other = target("3.2.4", 1), target("3.2.4", 2)
    first = {
        "assessment": "partly",
        "motivation": "Halvvägs.",
        **target_part(numeric, "achieved", "Tolv.", "12"),
        **target_part(other, "partly", "Delvis."),
    }
    assert post(client, "3.2.4", "SBF", **first).status_code == 302
    form = client.get(factories.activity("3.2.4").get_absolute_url()).context["assessment_form"]
    assert form["assessment"].value() == "partly" and form["motivation"].value() == "Halvvägs."
    assert form[f"motivation_{numeric.pk}"].value() == "Tolv."
    assert Decimal(form[f"value_{numeric.pk}"].value()) == 12
    # The same form again (a double click): nothing new.
    again = client.post(
        assess_url("3.2.4"),
        {"organisation": Organisation.objects.get(code="SBF").pk, **first},
        follow=True,
    )
    assert "Inget nytt att spara" in again.content.decode()
    assert (OutcomeAssessment.objects.count(), TargetAssessment.objects.count()) == (1, 2)
    # Only target 2 changed: only it is appended; the first stays in the history.
    changed = {**first, **target_part(other, "achieved", "Alla åtgärder är utredda.")}
    assert post(client, "3.2.4", "SBF", **changed).status_code == 302
    assert (OutcomeAssessment.objects.count(), TargetAssessment.objects.count()) == (1, 3)
    history = TargetAssessment.objects.filter(target=other).order_by("created_at", "id")
    assert [a.assessment for a in history] == ["partly", "achieved"]
    assert Target.objects.get(pk=other.pk).current_assessment == history.last()
    html = client.get(factories.activity("3.2.4").get_absolute_url()).content.decode()
    assert "Delvis." in html and "Alla åtgärder är utredda." in html  # history keeps both


def test_each_part_is_optional_but_at_least_one_is_needed(client, plan):
    client.force_login(factories.make_reporter("sbf", "SBF"))
    numeric = target("3.2.4", 1)
    empty = post(client, "3.2.4", "SBF")
    assert empty.status_code == 400
    assert "Fyll i minst en bedömning" in empty.content.decode()
    only_target = post(client, "3.2.4", "SBF", **target_part(numeric, "achieved", "Tolv."))
    assert only_target.status_code == 302
    assert not OutcomeAssessment.objects.exists()
    given = TargetAssessment.objects.get()
    assert given.value is None  # left empty: the newest reported value stands


def sbf_forgeries():
    """(activity, fields, the Swedish message, the form field it is on or None)."""
    numeric, other = target("3.2.4", 1), target("3.2.4", 2)
    brg, elsewhere = target("3.1.1", 2), target("3.2.3", 1)
    return [
        ("3.1.1", target_part(brg), "SBF bedömer inte mål 2 på aktivitet 3.1.1: det gör BRG."),
        ("3.2.4", target_part(elsewhere), "Aktiviteten har inget sådant mål."),
        ("3.2.4", {"assessment_99999999": "achieved"}, "Aktiviteten har inget sådant mål."),
        ("3.2.4", {"motivation_x1": "Hej"}, "Aktiviteten har inget sådant mål."),
        ("3.2.4", target_part(other, value="3"), "Mål 2 har inget målvärde: lämna slutvärdet"),
        ("3.2.4", target_part(numeric, value="-1"), "Värdet får inte vara negativt."),
        ("3.2.4", target_part(numeric, value="99999999999"), "Värdet är för stort."),
        ("3.2.4", target_part(numeric, value="1e400"), "Värdet är för stort."),
        ("3.2.4", target_part(numeric, value="NaN"), "Slutvärde för mål 1"),
        ("3.2.4", target_part(numeric, value="9" * 5000), "Värdet är för stort."),
        ("3.2.4", target_part(numeric, motivation="a\x07b"), "otillåtna styrtecken"),
        ("3.2.4", target_part(numeric, motivation="a\x00b"), "Motivering för mål 1"),
        ("3.2.4", target_part(numeric, motivation="x" * 5001), "för lång (5001 tecken"),
        ("3.2.4", target_part(numeric, motivation="   "), "Motivering saknas"),
        ("3.2.4", target_part(numeric, assessment=""), "Bedömning av mål 1 saknas."),
        ("3.2.4", target_part(numeric, assessment="x" * 100_000), "Okänd bedömning"),
        ("3.2.4", {"assessment": "", "motivation": "Bara den."}, "Slutbedömning saknas."),
    ]


def test_forged_and_crafted_target_assessments_are_refused_with_nothing_written(client, plan):
    """Each alongside a valid outcome part: the act is all or nothing."""
    client.force_login(factories.make_reporter("sbf", "SBF"))
    for ref, fields, message in sbf_forgeries():
        data = {"assessment": "achieved", "motivation": "Utfallet nåddes.", **fields}
        response = post(client, ref, "SBF", **data)
        assert response.status_code == 400, (fields.keys(), response.status_code)
        html = response.content.decode()
        assert "Bedömningen sparades inte" in html and message in html, message
        assert len(html) < 200_000  # a huge input is not quoted back
        assert nothing_written(), message


def test_a_target_only_organisation_cannot_assess_the_outcome_or_the_leads_targets(client, plan):
    client.force_login(factories.make_reporter("brg", "BRG"))
    brg, sbf = target("3.1.1", 2), target("3.1.1", 1)
    outcome = post(client, "3.1.1", "BRG", assessment="achieved", motivation="Enligt BRG.")
    assert outcome.status_code == 400
    assert "BRG leder inte aktivitet 3.1.1 och gör ingen slutbedömning" in outcome.content.decode()
    other = post(client, "3.1.1", "BRG", **target_part(brg), **target_part(sbf))
    assert other.status_code == 400
    assert "BRG bedömer inte mål 1 på aktivitet 3.1.1: det gör SBF." in other.content.decode()
    assert nothing_written()


def test_an_assessment_outside_the_period_is_refused(client, plan):
    plan.period_end = plan.outcome_deadline = plan.period_end.replace(year=2030)
    plan.save(update_fields=["period_end", "outcome_deadline"])
    client.force_login(factories.make_reporter("sbf", "SBF"))
    page = client.get(factories.activity("3.2.4").get_absolute_url())
    assert page.context["assessment_form"] is None
    response = post(client, "3.2.4", "SBF", **target_part(target("3.2.4", 1)))
    assert response.status_code == 400
    assert "Slutbedömningen görs från planens sista kvartal." in response.content.decode()
    assert nothing_written()


def test_the_rules_refuse_a_target_assessment_outside_the_period(plan, coordinator):
    plan.period_end = plan.period_end.replace(year=2030)
    draft = TargetAssessmentDraft(
        target=target("3.2.4", 1),
        organisation=Organisation.objects.get(code="SBF"),
        author=coordinator,
        assessment="achieved",
        motivation="x",
    )
    [problem] = final_assessment_problems(None, [draft], plan=plan)
    assert "sista kvartal" in problem.message


def test_the_report_form_carries_no_assessment_and_a_forged_one_is_refused(client, plan):
    client.force_login(factories.make_reporter("sbf", "SBF"))
    numeric = target("3.2.4", 1)
    form = client.get(factories.activity("3.2.4").get_absolute_url()).context["form"]
    assert not [name for name in form.fields if name.startswith("assessment")]
    response = post_report(
        client,
        "3.2.4",
        "SBF",
        status="completed",
        comment="Klart.",
        values={1: "11"},
        **{f"assessment_{numeric.pk}": "achieved"},
    )
    assert response.status_code == 400
    assert "Statusrapporten bedömer inga mål" in response.content.decode()
    assert nothing_written()
    post_report(
        client, "3.2.4", "SBF", status="completed", comment="Klart.", values={1: "11"}, expect=302
    )
    assert not TargetAssessment.objects.exists()


def test_the_activity_page_keeps_a_fixed_number_of_queries_with_many_assessed_targets(
    client, plan, coordinator
):
    """5.2.1 has four targets with three responsible organisations; assessing them all, and
    again, must not add queries to the page."""
    client.force_login(coordinator)
    url = factories.activity("5.2.1").get_absolute_url()
    before = count_queries(client, url)
    for t in Activity.objects.by_reference(plan, "5.2.1").get().targets.all():
        code = t.responsible_organisation.code
        for n in range(3):
            part = target_part(t, "partly", f"Omgång {n}.", "1" if t.is_numeric else None)
            assert post(client, "5.2.1", code, **part).status_code == 302
    after = count_queries(client, url)
    assert after == before, (before, after)
    assert TargetAssessment.objects.count() == 12


def test_the_public_page_shows_the_organisation_never_the_person(client, published_plan):
    reporter = factories.make_reporter("anna", "SBF", last_name="Assessor")
    client.force_login(reporter)
    numeric = target("3.2.4", 1)
    assert post(client, "3.2.4", "SBF", **target_part(numeric, "achieved", "Tolv.", "12"))
    client.logout()
    html = client.get(reverse("insyn:activity", args=[SLUG, "3.2.4"])).content.decode()
    assert "Anna" not in html and "Assessor" not in html and "anna" not in html
    assert "SBF, " in html and "Uppnått" in html


def test_a_target_assessment_changes_the_data_version(plan, coordinator):
    before = data_version()
    file_final_assessment(
        targets=[
            TargetAssessmentDraft(
                target=target("3.2.4", 1),
                organisation=Organisation.objects.get(code="SBF"),
                author=coordinator,
                assessment="achieved",
                motivation="Tolv.",
            )
        ]
    )
    assert data_version() != before


def assess_numeric_target(author, value=Decimal("12.50")):
    given = TargetAssessmentDraft(
        target=target("3.2.4", 1),
        organisation=Organisation.objects.get(code="SBF"),
        author=author,
        assessment="partly",
        motivation="Tolv av femton målpunkter.",
        value=value,
        on_behalf=True,
    )
    return file_final_assessment(targets=[given]).targets[0]


@pytest.mark.parametrize("public_comments", [False, True])
def test_open_data_and_the_api_give_a_targets_assessment_never_its_author(
    client, published_plan, coordinator, public_comments
):
    published_plan.public_comments = public_comments
    published_plan.save(update_fields=["public_comments"])
    given = assess_numeric_target(coordinator)
    motivation = "Tolv av femton målpunkter." if public_comments else None
    expected = {
        "assessment": "partly",
        "assessment_label": "Delvis uppnått",
        "assessment_organisation": "SBF",
        "final_value": 12.5,
        "motivation": motivation,
    }
    [api] = [
        t
        for t in api_list(client, published_plan, "targets")
        if t["position"] == 1 and t["activity_reference"] == "3.2.4"
    ]
    assert {key: api[key] for key in expected} == expected
    assert api["assessed_at"][:10] == given.created_at.astimezone().date().isoformat()
    [row] = [
        r
        for r in csv_rows(client, published_plan, "mal")
        if (r["activity_reference"], r["position"]) == ("3.2.4", "1")
    ]
    assert (row["assessment"], row["final_value"], row["assessment_organisation"]) == (
        "partly",
        "12.5",
        "SBF",
    )
    assert row["motivation"] == (motivation or "")
    activity = client.get(reverse("api:activity", args=[SLUG, "3.2.4"])).json()
    assert {key: activity["targets"][0][key] for key in expected} == expected
    everything = client.get(reverse("api:targets", args=[SLUG])).content.decode()
    assert "samordnare" not in everything.lower()
    factories.file_report("3.2.4", "SBF", coordinator, values={target("3.2.4", 1): Decimal(11)})
    [value] = csv_rows(client, published_plan, "malvarden")
    assert value["value"] == "11" and not [key for key in value if "assess" in key]


def test_the_openapi_document_matches_the_targets_answer(client, published_plan, coordinator):
    assess_numeric_target(coordinator)
    schema = client.get(reverse("api:schema")).json()
    properties = schema["components"]["schemas"]["Target"]["properties"]
    [answer] = [
        t
        for t in api_list(client, published_plan, "targets")
        if (t["activity_reference"], t["position"]) == ("3.2.4", 1)
    ]
    assert set(properties) == set(answer)
    values = schema["components"]["schemas"]["Value"]["properties"]
    assert set(values) == {"target_position", "value"}


def test_the_admin_shows_final_assessments_and_never_edits_them(admin_client, plan, coordinator):
    given = assess_numeric_target(coordinator)
    for model in ("targetassessment", "outcomeassessment"):
        listed = admin_client.get(reverse(f"admin:activities_{model}_changelist"))
        assert listed.status_code == 200, model
        assert admin_client.get(reverse(f"admin:activities_{model}_add")).status_code == 403
    page = admin_client.get(reverse("admin:activities_targetassessment_change", args=[given.pk]))
    assert page.status_code == 200 and "Tolv av femton målpunkter." in page.content.decode()
    assert 'name="motivation"' not in page.content.decode()  # read-only
    url = reverse("admin:activities_targetassessment_delete", args=[given.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert TargetAssessment.objects.filter(pk=given.pk).exists()
