"""Bad files are refused with a Swedish message, and nothing is written."""

import io
import re
import zipfile

import pytest
from django.urls import reverse
from openpyxl import Workbook

from activities.models import Activity, Status, StatusReport, TargetValue
from tests import factories
from tests.workbooks import SBF_ROWS, download_template, fill, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def existing(plan, reporter_sbf, sbf_client):
    """One earlier import, so "nothing written" means "the count did not change"."""
    content = fill(download_template(sbf_client, plan), {"4.2.1": {"Status": "Genomförd"}})
    response = upload(sbf_client, plan, content)
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    sbf_client.post(reverse("activities:import_confirm", args=[plan.slug, token]))
    assert StatusReport.objects.count() == 1
    return StatusReport.objects.count(), TargetValue.objects.count()


def counts():
    return StatusReport.objects.count(), TargetValue.objects.count()


def zip_bytes(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def workbook_bytes(sheet="Blad1"):
    wb = Workbook()
    wb.active.title = sheet
    wb.active["A1"] = "Ref."
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


NOT_XLSX = "Filen är inte en Excel-arbetsbok (.xlsx)"


def _rename_header(header, new):
    def edit(wb):
        for cell in wb["Rapport"][6]:
            if cell.value == header:
                cell.value = new

    return edit


FILE_CASES = {
    "text renamed to xlsx": (lambda t: (b"Ref.;Status\n3.2.2;Klar\n", "rapport.xlsx"), NOT_XLSX),
    "word file renamed to xlsx": (
        lambda t: (
            zip_bytes({"[Content_Types].xml": "<x/>", "word/document.xml": "<x/>"}),
            "r.xlsx",
        ),
        NOT_XLSX,
    ),
    "old xls renamed to xlsx": (
        lambda t: (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000, "rapport.xlsx"),
        NOT_XLSX,
    ),
    "damaged xlsx": (lambda t: (t[: len(t) // 2], "rapport.xlsx"), NOT_XLSX),
    "csv file": (lambda t: (b"Ref.,Status\n", "rapport.csv"), "måste vara en Excel-arbetsbok"),
    "file over the size limit": (
        lambda t: (t + b"\0" * (5 * 1024 * 1024), "rapport.xlsx"),
        "Filen är för stor",
    ),
    "workbook without the Rapport sheet": (
        lambda t: (workbook_bytes(), "rapport.xlsx"),
        "Arbetsboken saknar bladet ”Rapport”",
    ),
    "renamed headers": (
        lambda t: (fill(t, SBF_ROWS, edit=_rename_header("Status", "Läge")), "rapport.xlsx"),
        "saknar kolumnerna ”Status”",
    ),
}


@pytest.mark.parametrize("case", FILE_CASES)
def test_a_file_that_cannot_be_read_is_refused_with_a_swedish_message(
    sbf_client, plan, existing, case
):
    make, message = FILE_CASES[case]
    content, name = make(download_template(sbf_client, plan))
    response = upload(sbf_client, plan, content, name=name)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "Inget har sparats" in page
    assert counts() == existing


def test_a_template_for_another_plan_is_refused(client, plan, coordinator):
    other = factories.make_synthetic_plan("annan", scale=1, author=coordinator)
    before = counts()
    client.force_login(coordinator)
    response = upload(client, plan, download_template(client, other, ""))
    assert response.status_code == 400
    assert "Filen är en mall för handlingsplanen ”annan”" in response.content.decode()
    assert counts() == before


def test_a_template_for_a_deleted_round_is_refused(sbf_client, plan, existing):
    round = factories.make_round(
        plan=plan, name="Borttagen", opens_on="2025-01-01", deadline="2025-02-01"
    )
    content = fill(download_template(sbf_client, plan, f"?organisation=SBF&round={round.pk}"))
    round.delete()
    response = upload(sbf_client, plan, fill(content, SBF_ROWS))
    assert response.status_code == 400
    assert "Mallen gäller en uppföljningsomgång som inte pågår nu" in response.content.decode()
    assert counts() == existing


GOOD = SBF_ROWS["3.2.2"]
ROW_CASES = {
    "unknown activity": ({"Ref.": "9.9.9", **GOOD}, "Ref.", "Okänd aktivitet ”9.9.9”"),
    "activity the uploader may not report on": (
        {"Ref.": "1.1.1", "Status": "Pågår enligt plan"},
        "Organisation",
        "Du får inte rapportera för SBF på aktivitet 1.1.1.",
    ),
    "organisation the uploader is not a member of": (
        {"Organisation": "MF", **GOOD},
        "Organisation",
        "Du får inte rapportera för MF på aktivitet 3.2.2.",
    ),
    "another lead of a shared activity": (
        # 5.2.1 is led by SBF and MF (among others): an SBF member reports for SBF only.
        {"Ref.": "5.2.1", "Organisation": "MF", "Status": "Försenad", "Kommentar": "Enligt MF?"},
        "Organisation",
        "Du får inte rapportera för MF på aktivitet 5.2.1.",
    ),
    "unknown organisation": ({"Organisation": "XYZ", **GOOD}, "Organisation", "Okänd organisation"),
    "unknown status": (
        {"Status": "Klar"},
        "Status",
        "Okänd status ”Klar”. Välj en av: Ej påbörjad, Pågår enligt plan, Pågår med risk, "
        "Försenad, Genomförd, Avbruten.",
    ),
    "missing status": ({"Kommentar": "Bra jobbat"}, "Status", "Status saknas."),
    "non-numeric value": (
        {**GOOD, "Värde mål 1": "tolv"},
        "Värde mål 1",
        "”tolv” är inte ett tal.",
    ),
    "negative value": (
        {**GOOD, "Värde mål 1": -3},
        "Värde mål 1",
        "Värdet får inte vara negativt.",
    ),
    "comment missing for a delayed activity of the ended plan": (
        {"Status": "Försenad"},
        "Kommentar",
        "Planperioden är slut. Förklara i kommentaren varför aktiviteten fortfarande pågår "
        "(Försenad)",
    ),
    "comment too long": (
        {"Status": "Försenad", "Kommentar": "x" * 5001},
        "Kommentar",
        "Kommentaren är för lång",
    ),
    "value for a target another organisation reports": (
        # Målnummer typed over: target 2 of 3.1.1 is BRG's.
        {"Ref.": "3.1.1", "Målnummer": "2", "Status": "Genomförd", "Värde mål 1": 4},
        "Värde mål 1",
        "SBF rapporterar inte värdet för mål 2 på aktivitet 3.1.1.",
    ),
    "value for a target without a target value": (
        {"Ref.": "3.2.4", "Målnummer": "2", "Status": "Genomförd", "Värde mål 1": 4},
        "Värde mål 1",
        "Mål 2 har inget målvärde. Lämna cellen tom.",
    ),
    "value where the activity has no target": (
        {"Ref.": "4.3.1", "Status": "Genomförd", "Värde mål 1": 2},
        "Värde mål 1",
        "Aktiviteten har inget mål för den här kolumnen",
    ),
}


@pytest.mark.parametrize("case", ROW_CASES)
def test_a_bad_row_is_shown_in_the_preview_and_nothing_is_written(sbf_client, plan, existing, case):
    values, column, message = ROW_CASES[case]
    # the bad row, and two good rows that must not be written either
    rows = {"3.2.2": values, "3.2.4": SBF_ROWS["3.2.4"], "5.1.1": {"Status": "Ej påbörjad"}}
    response = upload(sbf_client, plan, fill(download_template(sbf_client, plan), rows))
    assert response.status_code == 302
    preview = sbf_client.get(response["Location"])
    page = preview.content.decode()
    pattern = rf"Blad ”Rapport”, rad \d+, kolumn [A-Z]+ \({re.escape(column)}\): "
    pattern += re.escape(message)
    assert re.search(pattern, page), page[page.find("error-summary") :][:1500]
    assert "inget kan sparas" in page
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    confirm_url = reverse("activities:import_confirm", args=[plan.slug, token])
    assert confirm_url not in page  # no button to save
    assert not preview.context["preview"].can_confirm
    confirm = sbf_client.post(confirm_url)
    assert confirm.status_code == 400
    assert "Inget sparades" in confirm.content.decode()
    assert counts() == existing


def test_the_same_activity_twice_in_one_file_is_an_error(sbf_client, plan, existing):
    def duplicate(wb):
        ws = wb["Rapport"]
        last = ws.max_row
        for cell in ws[7]:
            ws.cell(row=last + 1, column=cell.column).value = cell.value

    content = fill(download_template(sbf_client, plan), {"3.1.1": GOOD}, edit=duplicate)
    response = upload(sbf_client, plan, content)
    preview = sbf_client.get(response["Location"])
    assert "Aktivitet 3.1.1 för SBF finns redan på rad 7." in preview.content.decode()
    duplicate = [e for e in preview.context["preview"].errors if "finns redan" in e.message]
    assert [(e.column, e.letter) for e in duplicate] == [("Ref.", "A")]
    assert counts() == existing


def test_a_reporter_of_mf_cannot_import_sbfs_template(client, plan, reporter_sbf, reporter_mf):
    client.force_login(reporter_sbf)
    content = fill(download_template(client, plan), SBF_ROWS)
    client.force_login(reporter_mf)
    response = upload(client, plan, content)
    page = client.get(response["Location"]).content.decode()
    assert "Du får inte rapportera för SBF på aktivitet 3.2.2." in page
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert (
        client.post(reverse("activities:import_confirm", args=[plan.slug, token])).status_code
        == 400
    )
    assert StatusReport.objects.count() == 0


def test_a_status_from_an_organisation_only_responsible_for_a_target_is_refused(
    client, plan, report_import
):
    """3.1.1 is led by SBF; BRG is responsible for its second target. BRG's row gives that
    target's value, never the activity's status: a Status there is an error on the row, and
    nothing of the file is written."""
    client.force_login(factories.make_reporter("rapportor-brg", "BRG"))
    row = {"Status": "Försenad", "Kommentar": "Enligt BRG", "Värde mål 1": 4}
    token = report_import.upload(
        report_import.filled({("3.1.1", "BRG"): row}, query="?organisation=BRG")
    )
    preview = report_import.preview(token)
    page = preview.content.decode()
    message = "BRG leder inte aktivitet 3.1.1 och rapporterar bara målets värde: lämna Status tom."
    assert re.search(
        rf"Blad ”Rapport”, rad \d+, kolumn [A-Z]+ \(Status\): {re.escape(message)}", page
    ), page[page.find("error-summary") :][:1500]
    assert not preview.context["preview"].can_confirm
    confirm = report_import.confirm(token)
    assert confirm.status_code == 400 and "Inget sparades" in confirm.content.decode()
    assert counts() == (0, 0)
    activity = Activity.objects.get_by_natural_key(plan.slug, 3, 1, 1)
    assert activity.current_status == Status.NOT_REPORTED

    # Without the Status, the same row is BRG's value and leaves the status to SBF.
    del row["Status"]
    token = report_import.upload(
        report_import.filled({("3.1.1", "BRG"): row}, query="?organisation=BRG")
    )
    assert report_import.confirm(token).status_code == 302
    report = StatusReport.objects.get()
    assert (report.organisation.code, report.status) == ("BRG", "")
    value = TargetValue.objects.get()
    assert (value.target.position, value.target.responsible_organisation.code) == (2, "BRG")
    assert value.value == 4
    activity.refresh_from_db()
    assert activity.current_status == Status.NOT_REPORTED


def test_a_comment_of_exactly_the_longest_length_is_imported(sbf_client, report_import):
    longest = "x" * StatusReport.COMMENT_MAX_LENGTH
    token = report_import.upload(
        report_import.filled({"3.2.4": {"Status": "Försenad", "Kommentar": longest}})
    )
    assert report_import.preview(token).context["preview"].can_confirm
    assert report_import.confirm(token).status_code == 302
    assert StatusReport.objects.get().comment == longest


def test_every_bad_number_of_a_refused_row_is_named(client, coordinator, report_import):
    """A row whose activity is unknown still has each of its value cells read: the preview
    names every error of the row at once."""
    client.force_login(coordinator)
    row = {"Ref.": "9.9.9", "Status": "Genomförd", "Värde mål 1": "tolv", "Värde mål 2": "elva"}
    token = report_import.upload(report_import.filled({("3.2.2", "SBF"): row}, query=""))
    errors = report_import.preview(token).context["preview"].errors
    assert [(e.column, e.message) for e in errors] == [
        ("Ref.", "Okänd aktivitet ”9.9.9” i handlingsplanen."),
        ("Värde mål 1", "”tolv” är inte ett tal."),
        ("Värde mål 2", "”elva” är inte ett tal."),
    ]
    assert report_import.confirm(token).status_code == 400
    assert counts() == (0, 0)
