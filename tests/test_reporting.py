"""Filing a status report on an activity: permissions, validation, history, while the plan
runs (the rules after its outcome deadline: test_ended_plan.py)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from activities.models import Activity, StatusReport, TargetValue
from organisations.models import Organisation
from tests import factories
from tests.actions import post_report

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plan_before_deadline")]


def activity(ref):
    area, insats, number = (int(p) for p in ref.split("."))
    return Activity.objects.get_by_natural_key("2024-2025", area, insats, number)


def report_url(ref):
    return reverse("activities:report", args=["2024-2025", ref])


def org(code):
    return Organisation.objects.get(code=code)


# 3.2.4 is led only by SBF (SMF takes part); 3.2.3 is led by SMF with a target of 100, baseline 46.


def test_anonymous_is_sent_to_sign_in_and_nothing_is_written(client, plan):
    response = post_report(client, "3.2.4", "SBF")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert StatusReport.objects.count() == 0


def test_viewer_gets_403_and_nothing_is_written(viewer_client, plan):
    assert post_report(viewer_client, "3.2.4", "SBF").status_code == 403
    assert StatusReport.objects.count() == 0


def test_reporter_cannot_report_on_other_organisations_activity(client, reporter_mf):
    client.force_login(reporter_mf)
    assert post_report(client, "3.2.4", "MF").status_code == 403
    assert post_report(client, "3.2.4", "SBF").status_code == 403
    assert StatusReport.objects.count() == 0


def test_reporter_of_the_lead_organisation_creates_a_report(client, reporter_sbf):
    client.force_login(reporter_sbf)
    response = post_report(client, "3.2.4", "SBF", comment="Arbetet går enligt plan.")
    assert response.status_code == 302
    report = StatusReport.objects.get()
    assert (report.activity, report.organisation, report.author) == (
        activity("3.2.4"),
        org("SBF"),
        reporter_sbf,
    )
    assert report.on_behalf is False


def test_coordinator_report_is_attributed_on_behalf_of_the_organisation(client, coordinator):
    client.force_login(coordinator)
    assert post_report(client, "3.2.4", "SBF").status_code == 302
    report = StatusReport.objects.get()
    assert report.organisation == org("SBF") and report.on_behalf
    page = client.get(activity("3.2.4").get_absolute_url()).content.decode()
    assert "Rapporterad av Samordnare för Stadsbyggnadsförvaltningen" in page


def test_get_on_the_report_url_is_405(client, reporter_sbf):
    client.force_login(reporter_sbf)
    assert client.get(report_url("3.2.4")).status_code == 405


def test_forged_organisation_in_the_post_is_rejected(client, reporter_sbf):
    client.force_login(reporter_sbf)
    # SMF participates in 3.2.4 but does not lead it; the SBF reporter is no member of SMF.
    response = post_report(client, "3.2.4", "SMF")
    assert response.status_code == 400
    assert "Välj ett giltigt alternativ" in response.content.decode()
    response = client.post(report_url("3.2.4"), {"organisation": "9999", "status": "on_track"})
    assert response.status_code == 400
    assert StatusReport.objects.count() == 0


def test_a_lead_cannot_report_for_another_lead_of_a_shared_activity(client, reporter_sbf):
    """5.2.1 is led by INK, MF, RSG, SBF and SMF. The SBF reporter may report there, but only
    for SBF: a post naming MF, a lead too, is refused on the organisation field and nothing is
    filed for either organisation."""
    client.force_login(reporter_sbf)
    forged = post_report(client, "5.2.1", "MF", status="delayed", comment="Försenad enligt MF?")
    assert forged.status_code == 400
    form = forged.context["form"]
    assert form.reporting_for == org("SBF")
    assert list(form.errors) == ["organisation"]
    assert "Välj ett giltigt alternativ" in form.errors["organisation"][0]
    assert StatusReport.objects.count() == 0
    fresh = Activity.objects.with_related().get(pk=activity("5.2.1").pk)
    assert fresh.status_of(org("MF")) == fresh.status_of(org("SBF")) == "not_reported"
    # The same post for SBF itself is filed, as SBF's and nobody else's.
    assert (
        post_report(client, "5.2.1", "SBF", status="delayed", comment="Försenad").status_code == 302
    )
    assert list(StatusReport.objects.values_list("organisation__code", "status")) == [
        ("SBF", "delayed")
    ]


def test_each_lead_of_a_co_led_activity_can_report(client, plan):
    for code in ["INK", "MF", "RSG", "SBF", "SMF"]:
        reporter = factories.make_reporter(f"rapportor-{code.lower()}", code)
        client.force_login(reporter)
        assert post_report(client, "5.2.1", code).status_code == 302, code
    assert set(StatusReport.objects.values_list("organisation__code", flat=True)) == {
        "INK",
        "MF",
        "RSG",
        "SBF",
        "SMF",
    }


def test_the_form_offers_only_the_organisations_the_user_may_report_for(client, plan):
    reporter = factories.make_reporter("dubbel", "SBF", "MF", "GE")
    client.force_login(reporter)
    response = client.get(activity("5.2.1").get_absolute_url())
    offered = {code for _pk, code in response.context["form"].fields["organisation"].choices}
    assert offered == {"MF", "SBF"}
    switcher = response.content.decode().split('id="id_for"')[1].split("</select>")[0]
    assert "Miljöförvaltningen (MF)" in switcher and "Stadsbyggnadsförvaltningen (SBF)" in switcher
    assert "GE" not in switcher


def test_viewer_sees_no_report_form(viewer_client, plan):
    response = viewer_client.get(activity("3.2.4").get_absolute_url())
    assert response.context["form"] is None
    assert "Spara rapport" not in response.content.decode()


def test_value_against_a_target_is_stored_and_progress_shown(client, plan):
    client.force_login(factories.make_reporter("smf", "SMF"))
    target = activity("3.2.3").targets.get()
    response = post_report(client, "3.2.3", "SMF", **{f"value_{target.pk}": "73"})
    assert response.status_code == 302
    assert TargetValue.objects.get().value == 73
    page = client.get(activity("3.2.3").get_absolute_url()).content.decode()
    # (73 - 46) / (100 - 46) = 50 %
    assert "73 arbetsplatser av 100" in page and "50 %" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"status": "finns_inte"}, "Okänd status ”finns_inte”"),
        ({"status": "at_risk", "comment": ""}, "Skriv en kommentar"),
        ({"status": "delayed", "comment": "   "}, "Skriv en kommentar"),
        ({"status": "cancelled"}, "Skriv en kommentar"),
        ({"comment": "x" * 20_000}, "Kommentaren är för lång (20000 tecken, högst 5000)"),
        ({"value": "många"}, "Fyll i ett tal"),
        ({"value": "-5"}, "Värdet får inte vara negativt."),
    ],
)
def test_bad_input_gets_a_swedish_error_and_writes_nothing(client, plan, data, message):
    client.force_login(factories.make_reporter("smf", "SMF"))
    target = activity("3.2.3").targets.get()
    data = dict(data)  # the parameter is shared by every run of the test in this process
    if "value" in data:
        data[f"value_{target.pk}"] = data.pop("value")
    response = post_report(client, "3.2.3", "SMF", **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert StatusReport.objects.count() == 0 and TargetValue.objects.count() == 0


def test_comment_with_html_is_shown_as_text(client, reporter_sbf):
    client.force_login(reporter_sbf)
    post_report(client, "3.2.4", "SBF", comment='<script>alert("x")</script><b>fet</b>')
    page = client.get(activity("3.2.4").get_absolute_url()).content.decode()
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;fet&lt;/b&gt;" in page


def test_two_quick_reports_are_both_kept_and_the_later_is_current(client, reporter_sbf):
    client.force_login(reporter_sbf)
    post_report(client, "3.2.4", "SBF", status="on_track")
    post_report(client, "3.2.4", "SBF", status="delayed", comment="Väntar på Trafikverket.")
    assert StatusReport.objects.count() == 2
    response = client.get(activity("3.2.4").get_absolute_url())
    assert response.context["activity"].current_status == "delayed"
    assert [r.status for r in response.context["history"]] == ["delayed", "on_track"]


def test_responsible_organisation_reports_its_target_but_not_the_leads(client, plan):
    # 3.1.1 is led by SBF; its second target is "ansvarig BRG".
    brg = factories.make_reporter("brg", "BRG")
    client.force_login(brg)
    targets = {
        t.responsible_organisation.code: t
        for t in activity("3.1.1").targets.all()
        if t.responsible_organisation
    }
    response = post_report(client, "3.1.1", "BRG", status="", **{f"value_{targets['BRG'].pk}": "4"})
    assert response.status_code == 302
    assert TargetValue.objects.get().target == targets["BRG"]
    # A status from BRG is refused with a message, not silently dropped.
    response = post_report(client, "3.1.1", "BRG", **{f"value_{targets['BRG'].pk}": "5"})
    assert response.status_code == 400
    assert (
        "BRG leder inte aktivitet 3.1.1 och rapporterar bara målets värde"
        in response.content.decode()
    )
    assert TargetValue.objects.count() == 1
    form = client.get(activity("3.1.1").get_absolute_url()).context["form"]
    assert [t.pk for t in form.targets] == [targets["BRG"].pk]


def test_a_lead_cannot_report_a_target_another_organisation_is_responsible_for(client, plan):
    """SBF's form has no field for BRG's target; a forged one is refused."""
    client.force_login(factories.make_reporter("dubbel", "SBF", "BRG"))
    targets = {
        t.responsible_organisation.code: t
        for t in activity("3.1.1").targets.all()
        if t.responsible_organisation
    }
    page = client.get(activity("3.1.1").get_absolute_url() + "?for=SBF")
    assert f"value_{targets['BRG'].pk}" not in page.context["form"].fields
    response = post_report(client, "3.1.1", "SBF", **{f"value_{targets['BRG'].pk}": "4"})
    assert response.status_code == 400
    assert "SBF rapporterar inte värdet för mål 2 på aktivitet 3.1.1" in response.content.decode()
    assert not TargetValue.objects.filter(target=targets["BRG"]).exists()
    assert not StatusReport.objects.exists()


def test_the_same_form_sent_twice_files_one_report(client, plan, reporter_sbf):
    client.force_login(reporter_sbf)
    page = client.get(reverse("activities:detail", args=[plan.slug, "3.2.4"]))
    token = page.context["form"]["token"].value()
    assert token and f'value="{token}"' in page.content.decode()
    first = post_report(client, "3.2.4", "SBF", plan=plan, token=token)
    second = post_report(client, "3.2.4", "SBF", plan=plan, token=token)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert StatusReport.objects.count() == 1
    # A new form has a new token and files a new report.
    again = client.get(reverse("activities:detail", args=[plan.slug, "3.2.4"]))
    post_report(client, "3.2.4", "SBF", plan=plan, token=again.context["form"]["token"].value())
    assert StatusReport.objects.count() == 2


def test_a_value_with_a_decimal_comma_is_read_as_swedish(client, plan, reporter_sbf):
    client.force_login(reporter_sbf)
    page = client.get(reverse("activities:detail", args=[plan.slug, "3.2.4"]))
    target = page.context["form"].targets[0]
    field = page.context["form"].value_field(target)
    assert 'inputmode="decimal"' in page.content.decode()
    post_report(client, "3.2.4", "SBF", plan=plan, expect=302, **{field: "11,5"})
    assert TargetValue.objects.get().value == Decimal("11.5")


def test_an_old_form_sent_again_with_other_content_is_refused_not_dropped(
    client, plan, reporter_sbf
):
    client.force_login(reporter_sbf)
    page = client.get(reverse("activities:detail", args=[plan.slug, "3.2.4"]))
    token = page.context["form"]["token"].value()
    post_report(client, "3.2.4", "SBF", plan=plan, token=token, expect=302)
    # Back in the browser, corrected, sent again with the same (used) token.
    again = post_report(
        client, "3.2.4", "SBF", plan=plan, token=token, status="delayed", comment="Försenad ändå"
    )
    assert again.status_code == 400
    assert "Formuläret har redan skickats en gång" in again.content.decode()
    assert StatusReport.objects.count() == 1


def test_a_missing_comment_is_an_error_on_the_comment_field(client, plan):
    client.force_login(factories.make_reporter("smf", "SMF"))
    response = post_report(client, "3.2.3", "SMF", status="delayed", comment=" ")
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "comment": ["Skriv en kommentar: den krävs när statusen är Försenad."]
    }
    # The summary at the top names the error and links to its field.
    html = response.content.decode()
    assert '<div class="error-summary" role="alert" tabindex="-1" id="report-errors">' in html
    assert "<h3>Rapporten sparades inte. Rätta följande:</h3>" in html
    field = response.context["form"]["comment"]
    assert f'<a href="#{field.auto_id}">{field.label}</a>: Skriv en kommentar' in html


def test_a_status_needing_a_comment_with_a_comment_too_long_is_refused_not_a_crash(client, plan):
    client.force_login(factories.make_reporter("smf", "SMF"))
    response = post_report(client, "3.2.3", "SMF", status="delayed", comment="x" * 20_000)
    assert response.status_code == 400
    assert "Kommentaren är för lång (20000 tecken, högst 5000)" in response.content.decode()
    assert StatusReport.objects.count() == 0


def test_a_forged_assessment_of_another_organisations_target_is_refused(client, plan):
    """The report form offers no assessment at all (targets are assessed in the final
    assessment); a forged one is refused, not silently dropped."""
    client.force_login(factories.make_reporter("rapportor-sbf", "SBF"))
    brg_target = activity("3.1.1").targets.get(responsible_organisation__code="BRG")
    page = client.get(activity("3.1.1").get_absolute_url())
    assert not [name for name in page.context["form"].fields if "assessment" in name]
    response = post_report(client, "3.1.1", "SBF", **{f"assessment_{brg_target.pk}": "achieved"})
    assert response.status_code == 400
    assert "Statusrapporten bedömer inga mål" in response.content.decode()
    assert not StatusReport.objects.exists()


def test_a_responsible_organisation_reports_a_value_or_a_comment_not_nothing(client, plan):
    """BRG does not lead 3.1.1: its report has no status, so it must hold a value or a
    comment; a comment alone is a report."""
    client.force_login(factories.make_reporter("brg", "BRG"))
    empty = post_report(client, "3.1.1", "BRG", status="", comment="  ")
    assert empty.status_code == 400
    assert empty.context["form"].non_field_errors() == [
        "Fyll i ett värde eller en kommentar: BRG rapporterar målets värde."
    ]
    assert not StatusReport.objects.exists()
    assert (
        post_report(client, "3.1.1", "BRG", status="", comment="Inget nytt i år.").status_code
        == 302
    )
    report = StatusReport.objects.get()
    assert (report.organisation.code, report.status, report.comment) == (
        "BRG",
        "",
        "Inget nytt i år.",
    )
    assert not report.values.exists()
