"""The final assessment in the report template: columns Slutbedömning and Motivering with a
drop-down, pre-filled with the lead's current assessment, imported with the reports by the
rules of the assessment form, all or nothing."""

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from activities.excel.report_import import Upload, validate
from activities.models import Activity, OutcomeAssessment, StatusReport
from organisations.models import Organisation
from tests import factories
from tests.hostile_files import with_cell
from tests.workbooks import download_template, fill, preview_and_confirm, upload

pytestmark = pytest.mark.django_db

SLUG = "2024-2025"


def activity(reference):
    plan = Activity.objects.first().insats.area.plan
    return Activity.objects.with_related().get(
        pk=Activity.objects.by_reference(plan, reference).get().pk
    )


def counts():
    return StatusReport.objects.count(), OutcomeAssessment.objects.count()


def template_rows(content):
    ws = load_workbook(io.BytesIO(content))["Rapport"]
    headers = [c.value for c in ws[6]]
    return (
        ws,
        headers,
        {
            (row[0], row[1]): dict(zip(headers, row, strict=False))
            for row in ws.iter_rows(min_row=7, values_only=True)
        },
    )


def test_round_trip_assessment_and_motivation_from_template_to_activity(
    sbf_client, plan, reporter_sbf
):
    content = download_template(sbf_client, plan)
    ws, headers, rows = template_rows(content)
    assert headers[4:8] == ["Status", "Kommentar", "Slutbedömning", "Motivering"]
    assert rows[("3.2.4", "SBF")]["Slutbedömning"] is None  # nothing assessed yet
    letter = ws.cell(row=6, column=headers.index("Slutbedömning") + 1).column_letter
    lists = {
        cells: dv.formula1
        for dv in ws.data_validations.dataValidation
        for cells in str(dv.sqref).split()
    }
    assert lists[f"{letter}7:{letter}{ws.max_row}"] == '"Uppnått,Delvis uppnått,Ej uppnått"'
    assert not ws[f"{letter}7"].protection.locked

    filled = fill(
        content,
        {
            "3.2.4": {"Slutbedömning": "Uppnått", "Motivering": "Godsplanen antogs 2025."},
            "4.2.1": {
                "Status": "Genomförd",
                "Slutbedömning": "delvis uppnått",  # case does not matter
                "Motivering": "Två av tre delar.\r\nDen tredje i nästa plan.",
            },
        },
    )
    preview, confirm = preview_and_confirm(sbf_client, plan, upload(sbf_client, plan, filled))
    result = preview.context["preview"]
    assert [r.ref for r in result.new_assessments] == ["3.2.4", "4.2.1"]
    assert [r.ref for r in result.new_reports] == ["4.2.1"]
    page = preview.content.decode()
    assert "<strong>Uppnått</strong>: Godsplanen antogs 2025." in page
    assert "Ny slutbedömning" in page and "2</strong> nya slutbedömningar" in page
    assert confirm.status_code == 302
    done = sbf_client.get(confirm["Location"]).content.decode()
    assert "1 rapport sparades. 2 slutbedömningar sparades." in done

    given = {a.activity.reference: a for a in OutcomeAssessment.objects.all()}
    assert given["3.2.4"].assessment == "achieved"
    assert given["4.2.1"].motivation == "Två av tre delar.\nDen tredje i nästa plan."
    assert {(a.organisation.code, a.author, a.on_behalf) for a in given.values()} == {
        ("SBF", reporter_sbf, False)
    }
    assert activity("3.2.4").final_assessment == "achieved"  # SBF is its only lead
    assert activity("3.2.4").assessment_of(Organisation.objects.get(code="SBF")) == given["3.2.4"]
    # The next template starts from it; left as it is, it adds nothing.
    again = download_template(sbf_client, plan)
    row = template_rows(again)[2][("3.2.4", "SBF")]
    assert (row["Slutbedömning"], row["Motivering"]) == ("Uppnått", "Godsplanen antogs 2025.")
    preview = sbf_client.get(upload(sbf_client, plan, again)["Location"])
    assert not preview.context["preview"].rows and "Ingen rad är ifylld" in preview.content.decode()
    reported = fill(again, {"3.2.4": {"Status": "Genomförd"}})
    preview_and_confirm(sbf_client, plan, upload(sbf_client, plan, reported))
    assert counts() == (2, 2)  # a new report, the assessment unchanged


def test_a_coordinator_assesses_for_each_lead_and_disagreement_is_partly(client, plan, coordinator):
    client.force_login(coordinator)
    leads = [o.code for o in activity("5.2.1").leads]
    content = download_template(client, plan, "?organisation=")
    rows = {
        ("5.2.1", code): {
            "Slutbedömning": "Uppnått" if code == "SMF" else "Ej uppnått",
            "Motivering": f"Bedömt av {code}.",
        }
        for code in leads
    }
    preview_and_confirm(client, plan, upload(client, plan, fill(content, rows)))
    assert OutcomeAssessment.objects.filter(on_behalf=True).count() == len(leads) == 5
    assert activity("5.2.1").final_assessment == "partly"


def test_a_template_made_before_someone_else_assessed_does_not_overwrite_it(sbf_client, plan):
    content = download_template(sbf_client, plan)
    sbf_client.post(
        reverse("activities:assess", args=[SLUG, "3.2.4"]),
        {
            "organisation": Organisation.objects.get(code="SBF").pk,
            "assessment": "not_achieved",
            "motivation": "Från webben.",
        },
    )
    stale = fill(content, {"3.2.4": {"Slutbedömning": "Uppnått", "Motivering": "Ur mallen."}})
    preview, confirm = preview_and_confirm(sbf_client, plan, upload(sbf_client, plan, stale))
    assert "har ändrats sedan mallen laddades ned" in preview.content.decode()
    assert confirm.status_code == 400
    assert counts() == (0, 1) and activity("3.2.4").final_assessment == "not_achieved"


GOOD = {"Status": "Genomförd"}
HOSTILE = {
    "unknown value": (
        {"3.2.4": {"Slutbedömning": "Kanske", "Motivering": "x"}},
        "Slutbedömning",
        "Okänd slutbedömning ”Kanske”. Välj en av: Uppnått, Delvis uppnått, Ej uppnått.",
    ),
    "assessment without motivation": (
        {"3.2.4": {"Slutbedömning": "Uppnått"}},
        "Motivering",
        "Motivering saknas",
    ),
    "motivation without assessment": (
        {"3.2.4": {"Motivering": "Bra."}},
        "Slutbedömning",
        "Slutbedömning saknas",
    ),
    "6000-character motivation": (
        {"3.2.4": {"Slutbedömning": "Uppnått", "Motivering": "x" * 6000}},
        "Motivering",
        "Motiveringen är för lång (6000 tecken, högst 5000).",
    ),
    "forged row for an activity SBF does not lead": (
        {"3.2.4": {"Ref.": "1.1.1", "Slutbedömning": "Uppnått", "Motivering": "x"}},
        "Organisation",
        "Du får inte rapportera för SBF på aktivitet 1.1.1.",
    ),
    "forged row for another organisation": (
        {"3.2.4": {"Organisation": "MF", "Slutbedömning": "Uppnått", "Motivering": "x"}},
        "Organisation",
        "Du får inte rapportera för MF på aktivitet 3.2.4.",
    ),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_a_bad_assessment_is_refused_with_nothing_written(sbf_client, plan, case):
    rows, column, message = HOSTILE[case]
    rows = {**rows, "4.2.1": GOOD, "5.1.1": {**GOOD, "Slutbedömning": "Uppnått", "Motivering": "y"}}
    response = upload(sbf_client, plan, fill(download_template(sbf_client, plan), rows))
    preview, confirm = preview_and_confirm(sbf_client, plan, response)
    page = preview.content.decode()
    pattern = rf"Blad ”Rapport”, rad \d+, kolumn [A-Z]+ \({column}\): {re.escape(message)}"
    assert re.search(pattern, page), page[page.find("error-summary") :][:1500]
    assert confirm.status_code == 400 and "Inget sparades" in confirm.content.decode()
    assert counts() == (0, 0)
    assert activity("5.1.1").final_assessment == ""


def test_a_responsible_organisation_that_does_not_lead_cannot_assess(client, plan):
    client.force_login(factories.make_reporter("brg", "BRG"))  # responsible for a 3.1.1 target
    content = download_template(client, plan, "?organisation=BRG")
    rows = {("3.1.1", "BRG"): {"Slutbedömning": "Uppnått", "Motivering": "x"}}
    preview, confirm = preview_and_confirm(client, plan, upload(client, plan, fill(content, rows)))
    assert "BRG leder inte aktivitet 3.1.1 och gör ingen slutbedömning" in preview.content.decode()
    assert confirm.status_code == 400 and counts() == (0, 0)


def test_nul_in_a_motivation_is_refused_in_swedish(sbf_client, plan, reporter_sbf):
    content = download_template(sbf_client, plan)
    ws, headers, _rows = template_rows(content)
    column = ws.cell(row=6, column=headers.index("Motivering") + 1).column_letter
    cell = f'<c r="{column}7" t="inlineStr"><is><t>a&#0;b</t></is></c>'
    response = upload(sbf_client, plan, with_cell(content, cell, ref=f"{column}7"))
    assert response.status_code == 400
    # An XML parser refuses the character itself: the sheet is unreadable from that row.
    assert "Bladet ”Rapport” är skadat efter rad 6 och går inte att läsa." in (
        response.content.decode()
    )
    # Past the reader (a pending import is JSON): the check on the row refuses it too.
    upload_ = Upload(
        rows=[
            {
                "row": 7,
                "ref": "3.2.4",
                "organisation": "SBF",
                "status": "",
                "comment": "",
                "targets": "",
                "values": {},
                "assessment": "Uppnått",
                "motivation": "a\x00b",
            }
        ],
        letters={"motivation": "H"},
    )
    errors = validate(upload_, plan=plan, user=reporter_sbf).errors
    assert [e.message for e in errors] == [
        "Motiveringen innehåller otillåtna styrtecken. Skriv in texten på nytt."
    ]
    assert counts() == (0, 0)


def test_assessments_are_refused_before_the_plans_last_quarter(sbf_client, plan):
    content = fill(
        download_template(sbf_client, plan),
        {"3.2.4": {"Slutbedömning": "Uppnått", "Motivering": "x"}, "4.2.1": GOOD},
    )
    plan.period_end = plan.outcome_deadline = plan.period_end.replace(year=2030)
    plan.save()
    assert not plan.assessment_is_open
    preview, confirm = preview_and_confirm(sbf_client, plan, upload(sbf_client, plan, content))
    assert "Slutbedömningen görs från planens sista kvartal." in preview.content.decode()
    assert confirm.status_code == 400 and counts() == (0, 0)
    # …and its template has no assessment columns.
    headers = template_rows(download_template(sbf_client, plan))[1]
    assert "Slutbedömning" not in headers and "Motivering" not in headers
