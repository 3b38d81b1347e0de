"""After the plan's outcome deadline (the real plan ended on 31 December 2025) a report of work
still in progress must say why: in the report form and in the Excel import. Completed, not
started and every status of a plan that has not ended need no extra explanation."""

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from activities.models import OutcomeAssessment, StatusReport
from organisations.models import Organisation
from tests import factories
from tests.actions import post_report
from tests.workbooks import download_template, fill, preview_and_confirm, upload

pytestmark = pytest.mark.django_db

ENDED = "Planperioden är slut. Förklara i kommentaren varför aktiviteten fortfarande pågår"


@pytest.mark.parametrize(
    ("status", "label"),
    [("on_track", "Pågår enligt plan"), ("at_risk", "Pågår med risk"), ("delayed", "Försenad")],
)
def test_an_ended_plan_refuses_work_in_progress_without_an_explanation(
    sbf_client, plan, status, label
):
    assert plan.has_ended
    for comment in ("", "   "):
        response = post_report(sbf_client, "3.2.4", plan=plan, status=status, comment=comment)
        assert response.status_code == 400
        page = response.content.decode()
        assert f"{ENDED} ({label}) och vad som återstår." in page
        assert "Rapporten sparades inte" in page
    assert not StatusReport.objects.exists()


def test_an_ended_plan_files_work_in_progress_with_an_explanation(sbf_client, plan):
    response = post_report(
        sbf_client,
        "3.2.4",
        plan=plan,
        status="on_track",
        comment="Sista etappen blir klar i mars 2026.",
    )
    assert response.status_code == 302
    saved = StatusReport.objects.get()
    assert (saved.status, saved.comment) == ("on_track", "Sista etappen blir klar i mars 2026.")


@pytest.mark.parametrize("status", ["completed", "not_started"])
def test_completed_and_not_started_need_no_explanation_after_the_end(sbf_client, plan, status):
    assert post_report(sbf_client, "3.2.4", plan=plan, status=status).status_code == 302
    assert StatusReport.objects.get().status == status


def test_cancelled_still_needs_its_own_comment_after_the_end(sbf_client, plan):
    response = post_report(sbf_client, "3.2.4", plan=plan, status="cancelled")
    assert response.status_code == 400
    assert "Skriv en kommentar: den krävs när statusen är Avbruten." in response.content.decode()
    assert not StatusReport.objects.exists()


def test_a_plan_that_has_not_ended_needs_no_comment_for_on_track(sbf_client, plan_before_deadline):
    plan = plan_before_deadline
    page = sbf_client.get(reverse("activities:detail", args=[plan.slug, "3.2.4"]))
    assert 'id="report-plan-ended"' not in page.content.decode()
    assert page.context["form"].fields["comment"].help_text.startswith("Krävs för Pågår med risk")
    assert post_report(sbf_client, "3.2.4", plan=plan, status="on_track").status_code == 302
    delayed = post_report(sbf_client, "3.2.4", plan=plan, status="delayed")
    assert delayed.status_code == 400
    assert "Skriv en kommentar: den krävs när statusen är Försenad." in delayed.content.decode()
    assert ENDED not in delayed.content.decode()
    assert StatusReport.objects.count() == 1


def test_the_form_says_so_before_sending_and_points_to_the_final_assessment(sbf_client, plan):
    url = reverse("activities:detail", args=[plan.slug, "3.2.4"])
    page = sbf_client.get(url).content.decode()
    form = page[page.index('id="rapportera"') :]
    notice = form[form.index('id="report-plan-ended"') : form.index("</div>")]
    assert "Planperioden är slut: det förväntade utfallet skulle vara uppnått senast" in notice
    assert "SBF har ännu inte gjort slutbedömningen" in notice
    assert f'<a href="{url}?for=SBF#slutbedomning">Gör slutbedömningen</a>' in notice
    assert 'id="slutbedomning"' in page  # where the link leads
    help_text = (
        "Planperioden är slut: kommentaren krävs för Pågår enligt plan, Pågår med risk, "
        "Försenad och Avbruten."
    )
    assert help_text in form
    sbf_client.post(
        reverse("activities:assess", args=[plan.slug, "3.2.4"]),
        {
            "organisation": Organisation.objects.get(code="SBF").pk,
            "assessment": "partly",
            "motivation": "Halva sträckan klar.",
        },
    )
    assert OutcomeAssessment.objects.count() == 1
    notice = sbf_client.get(url).content.decode()
    assert "SBF har gett slutbedömningen <strong>Delvis uppnått</strong>." in notice
    assert "Till slutbedömningen" in notice


def test_a_responsible_organisation_is_told_of_the_end_and_sent_to_assess_its_targets(client, plan):
    client.force_login(factories.make_reporter("brg", "BRG"))  # responsible for a 3.1.1 target
    page = client.get(reverse("activities:detail", args=[plan.slug, "3.1.1"]) + "?for=BRG")
    text = page.content.decode()
    warning = text[
        text.index('id="report-plan-ended"') : text.index(
            "</div>", text.index('id="report-plan-ended"')
        )
    ]
    assert "BRG bedömer sina mål i slutbedömningen" in warning and "#slutbedomning" in warning
    form = page.context["assessment_form"]
    assert not form.is_lead and "assessment" not in form.fields


# The Excel import: the same rule, an error naming sheet, row and column; nothing written.


def _error(page, message):
    return re.search(rf"Blad ”Rapport”, rad \d+, kolumn [A-Z]+ \(Kommentar\): {message}", page)


def test_an_ended_plan_refuses_an_unexplained_row_in_progress_in_the_excel_import(sbf_client, plan):
    rows = {"3.2.4": {"Status": "Pågår enligt plan"}, "4.2.1": {"Status": "Genomförd"}}
    response = upload(sbf_client, plan, fill(download_template(sbf_client, plan), rows))
    preview, confirm = preview_and_confirm(sbf_client, plan, response)
    page = preview.content.decode()
    assert _error(page, re.escape(f"{ENDED} (Pågår enligt plan)")), page
    assert not preview.context["preview"].can_confirm
    assert confirm.status_code == 400 and "Inget sparades" in confirm.content.decode()
    assert not StatusReport.objects.exists()


def test_an_ended_plan_imports_explained_rows_and_finished_ones_without_comment(sbf_client, plan):
    rows = {
        "3.2.4": {"Status": "Försenad", "Kommentar": "Klart till sommaren 2026"},
        "3.2.2": {"Status": "Pågår enligt plan", "Kommentar": "Fortsätter i nästa plan"},
        "4.2.1": {"Status": "Genomförd"},
        "5.1.1": {"Status": "Ej påbörjad"},
    }
    response = upload(sbf_client, plan, fill(download_template(sbf_client, plan), rows))
    preview, confirm = preview_and_confirm(sbf_client, plan, response)
    assert not preview.context["preview"].errors
    assert confirm.status_code == 302
    assert StatusReport.objects.count() == 4


def test_a_plan_that_has_not_ended_imports_on_track_without_comment(
    sbf_client, plan_before_deadline
):
    plan = plan_before_deadline
    rows = {"3.2.2": {"Status": "Pågår enligt plan"}, "3.2.4": {"Status": "Försenad"}}
    response = upload(sbf_client, plan, fill(download_template(sbf_client, plan), rows))
    preview, _confirm = preview_and_confirm(sbf_client, plan, response)
    page = preview.content.decode()
    assert _error(page, "Skriv en kommentar: den krävs när statusen är Försenad.")
    assert ENDED not in page
    errors = preview.context["preview"].errors
    assert [e.message for e in errors] == [
        "Skriv en kommentar: den krävs när statusen är Försenad."
    ]
    assert not StatusReport.objects.exists()
    rows["3.2.4"]["Kommentar"] = "Väntar på Trafikverket"
    response = upload(sbf_client, plan, fill(download_template(sbf_client, plan), rows))
    preview_and_confirm(sbf_client, plan, response)
    assert StatusReport.objects.count() == 2


def test_the_template_of_an_ended_plan_says_that_work_in_progress_needs_a_comment(sbf_client, plan):
    ws = load_workbook(io.BytesIO(download_template(sbf_client, plan)))["Rapport"]
    assert ws["B4"].value.startswith("Planperioden är slut: pågår en aktivitet fortfarande")
    assert "Pågår enligt plan, Pågår med risk, Försenad och Avbruten" in ws["B4"].value
