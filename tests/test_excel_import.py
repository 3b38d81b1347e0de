"""Importing a filled-in report template: upload → preview → confirm."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from activities.models import Activity, Status, StatusReport, TargetValue
from activities.permissions import reporting_organisations_of
from organisations.models import Organisation
from tests import factories
from tests.workbooks import SBF_ROWS, download_template, fill, preview_and_confirm, upload

pytestmark = pytest.mark.django_db


def test_filled_in_sbf_template_imports_exactly_the_filled_rows(sbf_client, plan, reporter_sbf):
    content = fill(download_template(sbf_client, plan), SBF_ROWS)
    preview, confirm = preview_and_confirm(sbf_client, plan, upload(sbf_client, plan, content))
    assert [r.ref for r in preview.context["preview"].new_rows] == ["3.2.2", "3.2.4", "4.2.1"]
    assert "Ny rapport" in preview.content.decode()
    assert confirm.status_code == 302
    reports = StatusReport.objects.select_related("activity__insats__area", "organisation")
    assert {(r.activity.reference, r.organisation.code, r.status) for r in reports} == {
        ("3.2.2", "SBF", Status.ON_TRACK),
        ("3.2.4", "SBF", Status.DELAYED),
        ("4.2.1", "SBF", Status.COMPLETED),
    }
    assert {r.author for r in reports} == {reporter_sbf}
    assert not any(r.on_behalf for r in reports)
    values = TargetValue.objects.select_related("report__activity__insats__area")
    assert {(v.report.activity.reference, v.target.position, v.value) for v in values} == {
        ("3.2.2", 1, Decimal("3")),
        ("3.2.4", 1, Decimal("12.5")),
    }
    assert "3 rapporter sparades" in sbf_client.get(confirm["Location"]).content.decode()


def test_every_row_of_the_sbf_template_imports_as_one_sbf_report_and_again_as_none(
    sbf_client, plan
):
    def every_row(ref, org, headers, ws, row):
        values = {"Status": "Pågår enligt plan", "Kommentar": "Fortsätter 2026"}
        for header, column in headers.items():
            if not header.startswith("Värde mål"):
                continue
            beside = ws.cell(row=row, column=column - 1).value
            if beside and "målvärde" in beside:
                values[header] = 7  # the numeric target beside it exists on this row
        return values

    content = fill(download_template(sbf_client, plan), every_row=every_row)
    sbf = Organisation.objects.get(code="SBF")
    expected = {
        a.reference
        for a in Activity.objects.filter(insats__area__plan=plan).with_related()
        if sbf in reporting_organisations_of(a)
    }
    preview_and_confirm(sbf_client, plan, upload(sbf_client, plan, content))
    reports = StatusReport.objects.select_related("activity__insats__area")
    assert sorted(r.activity.reference for r in reports) == sorted(expected)
    assert {r.organisation_id for r in reports} == {sbf.pk}
    count, values = StatusReport.objects.count(), TargetValue.objects.count()
    assert values > 0

    preview, confirm = preview_and_confirm(sbf_client, plan, upload(sbf_client, plan, content))
    assert len(preview.context["preview"].already_rows) == len(expected)
    assert preview.context["preview"].new_rows == []
    assert "Redan inläst" in preview.content.decode()
    assert (StatusReport.objects.count(), TargetValue.objects.count()) == (count, values)


def test_a_changed_row_is_imported_again_and_the_rest_is_already_imported(sbf_client, plan):
    template = download_template(sbf_client, plan)
    preview_and_confirm(sbf_client, plan, upload(sbf_client, plan, fill(template, SBF_ROWS)))
    changed = {**SBF_ROWS, "3.2.2": {**SBF_ROWS["3.2.2"], "Värde mål 1": 4}}
    preview, _ = preview_and_confirm(
        sbf_client, plan, upload(sbf_client, plan, fill(template, changed))
    )
    assert [r.ref for r in preview.context["preview"].new_rows] == ["3.2.2"]
    assert StatusReport.objects.count() == 4


def test_a_second_app_process_can_confirm_the_preview(sbf_client, plan):
    response = upload(sbf_client, plan, fill(download_template(sbf_client, plan), SBF_ROWS))
    other = Client()  # no shared memory: only the session cookie and the database
    other.cookies = sbf_client.cookies
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    confirm = other.post(reverse("activities:import_confirm", args=[plan.slug, token]))
    assert confirm.status_code == 302
    assert StatusReport.objects.count() == 3
    again = other.post(reverse("activities:import_confirm", args=[plan.slug, token]))
    assert again.status_code == 302 and StatusReport.objects.count() == 3


def test_the_import_uses_the_round_stated_in_the_template(client, plan, coordinator):
    client.force_login(coordinator)
    factories.make_round(plan=plan, name="T1 2025", opens_on="2025-01-01", deadline="2025-03-31")
    current = factories.make_round(
        plan=plan, name="T2 2025", opens_on="2025-06-01", deadline="2025-09-30"
    )
    content = fill(
        download_template(client, plan, f"?organisation=SBF&round={current.pk}"), SBF_ROWS
    )
    preview_and_confirm(client, plan, upload(client, plan, content))
    assert {r.round for r in StatusReport.objects.all()} == {current}
    assert all(r.on_behalf for r in StatusReport.objects.all())  # BRG's coordinator for SBF


def test_a_template_for_a_round_no_longer_in_progress_is_refused(client, plan, coordinator):
    client.force_login(coordinator)
    t2 = factories.make_round(
        plan=plan, name="T2 2025", opens_on="2025-06-01", deadline="2025-09-30"
    )
    content = fill(download_template(client, plan, f"?organisation=SBF&round={t2.pk}"), SBF_ROWS)
    factories.make_round(plan=plan, name="T3 2025", opens_on="2025-10-01", deadline="2025-12-15")
    response = upload(client, plan, content)
    assert response.status_code == 400
    assert "inte pågår nu" in response.content.decode()
    assert StatusReport.objects.count() == 0


def test_a_file_without_the_template_sheet_mall_uses_the_current_round(client, plan, coordinator):
    client.force_login(coordinator)
    factories.make_round(plan=plan, name="T1", opens_on="2025-01-01", deadline="2025-03-31")
    current = factories.make_round(
        plan=plan, name="T2", opens_on=datetime.date.today(), deadline="2099-01-01"
    )

    def drop_meta(wb):
        del wb["Mall"]

    content = fill(download_template(client, plan), SBF_ROWS, edit=drop_meta)
    preview_and_confirm(client, plan, upload(client, plan, content))
    assert {r.round for r in StatusReport.objects.all()} == {current}


def test_confirm_only_accepts_post(sbf_client, plan):
    response = upload(sbf_client, plan, fill(download_template(sbf_client, plan), SBF_ROWS))
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    url = reverse("activities:import_confirm", args=[plan.slug, token])
    assert sbf_client.get(url).status_code == 405
    assert StatusReport.objects.count() == 0


def test_anonymous_visitor_is_sent_to_sign_in_and_nothing_is_written(client, plan):
    for url in (
        reverse("activities:import_upload", args=[plan.slug]),
        reverse("activities:import_confirm", args=[plan.slug, "abc"]),
    ):
        response = client.post(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert StatusReport.objects.count() == 0


def test_viewer_without_organisation_is_forbidden_to_import(viewer_client, plan, reporter_sbf):
    client = Client()
    client.force_login(reporter_sbf)
    content = fill(download_template(client, plan), SBF_ROWS)
    assert (
        viewer_client.get(reverse("activities:import_upload", args=[plan.slug])).status_code == 403
    )
    assert upload(viewer_client, plan, content).status_code == 403
    confirm = viewer_client.post(reverse("activities:import_confirm", args=[plan.slug, "x"]))
    assert confirm.status_code == 403
    assert StatusReport.objects.count() == 0


def test_import_page_offers_the_template_and_the_upload_form(sbf_client, plan):
    content = sbf_client.get(reverse("activities:import_upload", args=[plan.slug])).content.decode()
    assert "Ladda ned mall" in content and 'enctype="multipart/form-data"' in content
    assert '<option value="SBF"' in content and '<option value="MF"' not in content
    assert '<label for="id_file">' in content


def test_values_go_to_the_targets_the_row_names_also_when_typed_with_commas(
    client, plan, report_import
):
    """BRG's row of 2.2.2 reports its targets 2 and 3: "Värde mål 1" is target 2's value and
    "Värde mål 2" target 3's, by the row's hidden Målnummer "2;3" (or "2, 3" typed over it)."""
    client.force_login(factories.make_reporter("rapportor-brg", "BRG"))
    activity = Activity.objects.get_by_natural_key(plan.slug, 2, 2, 2)
    row = {"Kommentar": "Halvvägs", "Värde mål 1": 25, "Värde mål 2": 480}
    if activity.roles.filter(organisation__code="BRG", role="lead").exists():
        row["Status"] = "Genomförd"
    for numbers, first, second in [(None, 25, 480), ("2, 3", 26, 490)]:
        row.update({"Värde mål 1": first, "Värde mål 2": second})
        if numbers:
            row["Målnummer"] = numbers
        content = report_import.filled({("2.2.2", "BRG"): row}, query="?organisation=BRG")
        assert report_import.confirm(report_import.upload(content)).status_code == 302
        latest = StatusReport.objects.filter(activity=activity).latest("created_at", "id")
        assert {v.target.position: v.value for v in latest.values.all()} == {2: first, 3: second}
