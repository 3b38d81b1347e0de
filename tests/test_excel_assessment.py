"""The final assessment in the report template: columns Slutbedömning and Motivering with a
drop-down, pre-filled with the lead's current assessment, and per target Bedömning, Motivering
and Slutvärde mål k, pre-filled with the target's; imported with the reports by the rules of
the assessment form, all or nothing."""

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from activities.excel.report_import import Upload, validate
from activities.models import Activity, OutcomeAssessment, StatusReport, TargetAssessment
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


def test_one_file_assesses_a_target_once_even_from_two_leads_rows(client, plan, coordinator):
    """5.1.1's first target names no responsible organisation, so either lead may assess it;
    one file stating it on both leads' rows is refused at the later row, nothing written,
    rather than the later row silently becoming the current assessment."""
    client.force_login(coordinator)
    content = download_template(client, plan, "?organisation=")
    verdicts = {"MF": ("Uppnått", 5), "SBF": ("Ej uppnått", 0)}
    rows = {
        ("5.1.1", code): {
            "Bedömning mål 1": verdict,
            "Motivering mål 1": f"Bedömt av {code}.",
            "Slutvärde mål 1": value,
        }
        for code, (verdict, value) in verdicts.items()
    }
    preview, confirm = preview_and_confirm(client, plan, upload(client, plan, fill(content, rows)))
    page = preview.content.decode()
    assert "Mål 1 på aktivitet 5.1.1 bedöms redan på rad" in page
    assert not preview.context["preview"].can_confirm and confirm.status_code == 400
    assert not TargetAssessment.objects.exists()


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


# A target's final assessment in the template: Bedömning, Motivering and Slutvärde mål k.


def sbf_targets(reference):
    return {t.position: t for t in activity(reference).targets.all()}


def test_round_trip_of_target_assessments_from_template_to_targets(sbf_client, plan, reporter_sbf):
    """3.2.4 (SBF leads): target 1 numeric, target 2 not; the template has both, the numeric
    one first, and the import files them as the assessment form would, with no report."""
    content = download_template(sbf_client, plan)
    ws, headers, rows = template_rows(content)
    assert {"Bedömning mål 1", "Motivering mål 1", "Slutvärde mål 1", "Bedömning mål 2"} <= set(
        headers
    )
    row = rows[("3.2.4", "SBF")]
    assert row["Målnummer"] == "1;2" and row["Bedömning mål 1"] is None
    letter = ws.cell(row=6, column=headers.index("Bedömning mål 1") + 1).column_letter
    assert not ws[f"{letter}7"].protection.locked
    filled = fill(
        content,
        {
            "3.2.4": {
                "Bedömning mål 1": "Uppnått",
                "Motivering mål 1": "Tolv målpunkter.",
                "Slutvärde mål 1": "12,5",
                "Bedömning mål 2": "ej uppnått",
                "Motivering mål 2": "Inte utrett.",
            }
        },
    )
    preview, confirm = preview_and_confirm(sbf_client, plan, upload(sbf_client, plan, filled))
    assert [r.ref for r in preview.context["preview"].new_assessments] == ["3.2.4"]
    assert "Mål 1: <strong>Uppnått</strong> (12,5): Tolv målpunkter." in preview.content.decode()
    assert confirm.status_code == 302
    targets = sbf_targets("3.2.4")
    given = {a.target_id: a for a in TargetAssessment.objects.all()}
    assert (given[targets[1].pk].assessment, given[targets[1].pk].value) == ("achieved", 12.5)
    assert given[targets[2].pk].assessment == "not_achieved"
    assert {(a.organisation.code, a.author) for a in given.values()} == {("SBF", reporter_sbf)}
    assert counts() == (0, 0)  # no report, no outcome assessment
    # The next template is pre-filled; left as it is, it adds nothing.
    again = download_template(sbf_client, plan)
    row = template_rows(again)[2][("3.2.4", "SBF")]
    assert (row["Bedömning mål 1"], row["Motivering mål 1"], row["Slutvärde mål 1"]) == (
        "Uppnått",
        "Tolv målpunkter.",
        12.5,
    )
    preview = sbf_client.get(upload(sbf_client, plan, again)["Location"])
    assert not preview.context["preview"].rows
    # Changing target 2 appends one assessment of target 2 only.
    changed = fill(again, {"3.2.4": {"Bedömning mål 2": "Delvis uppnått"}})
    preview_and_confirm(sbf_client, plan, upload(sbf_client, plan, changed))
    assert TargetAssessment.objects.count() == 3
    assert TargetAssessment.objects.filter(target=targets[2]).count() == 2


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ({"Bedömning mål 1": "Kanske"}, "Okänd bedömning ”Kanske” av mål 1"),
        ({"Motivering mål 1": " "}, "Motivering saknas"),
        ({"Bedömning mål 1": " "}, "Bedömning av mål 1 saknas"),
        ({"Slutvärde mål 2": 3}, "Mål 2 har inget målvärde: lämna slutvärdet tomt."),
        ({"Slutvärde mål 1": -1}, "Värdet får inte vara negativt."),
        ({"Slutvärde mål 1": "1e400"}, "Värdet är för stort."),
        ({"Slutvärde mål 1": "NaN"}, "är inte ett tal"),
        ({"Motivering mål 1": "x" * 5001}, "för lång (5001 tecken"),
        ({"Målnummer": "9;2"}, "Aktiviteten har inget mål för den här kolumnen"),
        # A forged Målnummer naming target 2 twice: the second column stands for no target, so
        # one import never gives target 2 two contradictory assessments.
        ({"Målnummer": "2;2"}, "Aktiviteten har inget mål för den här kolumnen"),
    ],
)
def test_a_bad_target_assessment_is_refused_with_nothing_written(sbf_client, plan, cells, message):
    row = {
        "Bedömning mål 1": "Uppnått",
        "Motivering mål 1": "Tolv.",
        "Bedömning mål 2": "Uppnått",
        "Motivering mål 2": "Klart.",
        **cells,
    }
    if "Målnummer" in cells:  # the first target's columns name a target 3.2.4 does not have
        row = {"Bedömning mål 2": "Uppnått", "Motivering mål 2": "Klart.", **cells}
        row.update(
            {"Bedömning mål 1": "Uppnått", "Motivering mål 1": "x", "Målnummer": cells["Målnummer"]}
        )
    filled = fill(download_template(sbf_client, plan), {"3.2.4": {"Status": "Genomförd", **row}})
    preview, confirm = preview_and_confirm(sbf_client, plan, upload(sbf_client, plan, filled))
    page = preview.content.decode()
    assert message in page, page[page.find("field-error") - 200 :][:2000]
    assert not preview.context["preview"].can_confirm
    assert confirm.status_code == 400
    assert counts() == (0, 0) and not TargetAssessment.objects.exists()


def test_another_organisations_target_and_one_assessed_since_the_template_are_refused(
    sbf_client, plan, coordinator
):
    content = download_template(sbf_client, plan)
    # SBF's row of 3.1.1 names BRG's target 2 by a forged Målnummer.
    forged = fill(
        content,
        {"3.1.1": {"Målnummer": "2", "Bedömning mål 1": "Uppnått", "Motivering mål 1": "x"}},
    )
    preview, _confirm = preview_and_confirm(sbf_client, plan, upload(sbf_client, plan, forged))
    assert "SBF bedömer inte mål 2 på aktivitet 3.1.1: det gör BRG." in preview.content.decode()
    # Someone assesses 3.2.4's target 1 after the template was made.
    target = sbf_targets("3.2.4")[1]
    coordinator_client = sbf_client.__class__()
    coordinator_client.force_login(coordinator)
    coordinator_client.post(
        reverse("activities:assess", args=[plan.slug, "3.2.4"]),
        {
            "organisation": Organisation.objects.get(code="SBF").pk,
            f"assessment_{target.pk}": "partly",
            f"motivation_{target.pk}": "Enligt samordnaren.",
        },
    )
    late = fill(content, {"3.2.4": {"Bedömning mål 1": "Uppnått", "Motivering mål 1": "SBF:s."}})
    preview, confirm = preview_and_confirm(sbf_client, plan, upload(sbf_client, plan, late))
    assert (
        "Bedömningen av mål 1 på aktivitet 3.2.4 har ändrats sedan mallen"
        in preview.content.decode()
    )
    assert confirm.status_code == 400
    assert TargetAssessment.objects.count() == 1


def test_control_characters_in_a_targets_motivation_are_refused_past_the_reader(plan, reporter_sbf):
    """A pending import is JSON: a crafted one reaches the core's rule, with its message on
    the target's column."""
    pending = Upload(
        rows=[
            {
                "row": 7,
                "ref": "3.2.4",
                "organisation": "SBF",
                "targets": "1;2",
                "target_assessments": {
                    "1": ["Uppnått", "a\x00b", None],
                    "2": ["x" * 10_000, "", 7],
                },
                "target_assessment_ids": ";",
            }
        ],
        letters={"motivation_of_1": "Q", "assessment_of_2": "T", "final_value_of_2": "V"},
    )
    errors = validate(pending, plan=plan, user=reporter_sbf).errors
    assert [str(e) for e in errors] == [
        "Blad ”Rapport”, rad 7, kolumn Q (Motivering mål 1): Motiveringen innehåller otillåtna "
        "styrtecken. Skriv in texten på nytt.",
        f"Blad ”Rapport”, rad 7, kolumn T (Bedömning mål 2): Okänd bedömning ”{'x' * 39}…” av "
        "mål 2. Välj en av: Uppnått, Delvis uppnått, Ej uppnått.",
        "Blad ”Rapport”, rad 7, kolumn ? (Motivering mål 2): Motivering saknas: skriv vad som "
        "uppnåddes och hur ni vet det.",
        "Blad ”Rapport”, rad 7, kolumn V (Slutvärde mål 2): Mål 2 har inget målvärde: lämna "
        "slutvärdet tomt.",
    ]
    assert not TargetAssessment.objects.exists()
