"""Excel exports: the plan workbook, the activity table and the report template,
each opened with openpyxl and checked against the database."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from activities.models import Activity, Status, Target
from activities.permissions import reporting_organisations_of, targets_reportable_by
from activities.reporting import file_report
from organisations.models import Organisation
from tests import factories

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TRICKY = ['=HYPERLINK("http://x","klicka")', "+46 31 00 00", "-1 försenad", "@SUM(A1)"]


def open_xlsx(response):
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    return load_workbook(io.BytesIO(response.getvalue()))


def table(ws, header_row=1):
    """The sheet's rows below its header as dicts by header."""
    rows = ws.iter_rows(min_row=header_row, values_only=True)
    headers = next(rows)
    return [dict(zip(headers, r, strict=True)) for r in rows if any(v is not None for v in r)]


def assert_no_formulas(workbook):
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate}: {cell.value!r}"


@pytest.fixture
def reported(plan, reporter_sbf):
    """Two reports with values, one later than the other, and a tricky comment."""
    activity = Activity.objects.with_related().get(
        insats__area__plan=plan, insats__area__number=3, insats__number=2, number=4
    )
    sbf = Organisation.objects.get(code="SBF")
    target = targets_reportable_by(sbf, activity)[0]
    file_report(
        activity=activity,
        organisation=sbf,
        author=reporter_sbf,
        status=Status.ON_TRACK,
        values={target: Decimal("4")},
    )
    file_report(
        activity=activity,
        organisation=sbf,
        author=reporter_sbf,
        status=Status.DELAYED,
        comment=TRICKY[0],
        values={target: Decimal("12.5")},
    )
    return activity, target


def test_plan_workbook_has_every_activity_once_with_status_and_latest_values(
    viewer_client, plan, reported
):
    wb = open_xlsx(viewer_client.get(reverse("activities:export_plan", args=[plan.slug])))
    assert wb.sheetnames == ["Översikt", "Planen", "Handlingsplan", "Mål", "Områden"]
    rows = table(wb["Handlingsplan"])
    activities = Activity.objects.filter(insats__area__plan=plan)
    labels = Status.swedish_labels()
    expected = {a.reference: labels[a.current_status] for a in activities.with_related()}
    assert sorted(r["Ref."] for r in rows) == sorted(expected)  # each activity exactly once
    assert len(rows) == 55
    assert {r["Ref."]: r["Status"] for r in rows} == expected
    row = next(r for r in rows if r["Ref."] == "3.2.4")
    assert row["Status"] == "Försenad"
    assert row["Senaste kommentar"] == TRICKY[0]
    assert row["Rapporterad av"] == "SBF"
    assert "12,5" in row["Senaste värden"]
    assert row["Leder arbetet"] == ", ".join(o.code for o in reported[0].leads)

    targets = {(t["Ref."], t["Ordning"]): t for t in table(wb["Mål"])}
    latest = Target.objects.filter(activity__insats__area__plan=plan).with_latest_value()
    assert len(targets) == latest.count() == 69
    for target in latest.select_related("activity__insats__area"):
        row = targets[(target.activity.reference, target.position)]
        assert row["Formulering"] == target.phrase
        assert row["Senaste värde"] == (
            float(target.latest_value) if target.latest_value is not None else None
        )
    assert targets[("3.2.4", reported[1].position)]["Senaste värde"] == 12.5
    assert_no_formulas(wb)


def test_plan_workbook_reads_in_plan_order_grouped_by_area_and_insats(viewer_client, plan):
    wb = open_xlsx(viewer_client.get(reverse("activities:export_plan", args=[plan.slug])))
    rows = table(wb["Handlingsplan"])
    keys = [tuple(int(p) for p in r["Ref."].split(".")) for r in rows]
    assert keys == sorted(keys)
    assert rows[0]["Strategiskt område"] == "1. Kompetensförsörjning"
    assert rows[0]["Insats"].startswith("1.1 Utveckla skola-näringslivssamverkan")


def test_plan_workbook_cover_has_title_export_time_and_status_count_per_area(
    viewer_client, plan, reported
):
    wb = open_xlsx(viewer_client.get(reverse("activities:export_plan", args=[plan.slug])))
    cover = wb["Översikt"]
    assert cover["A1"].value == plan.title
    facts = {r[0]: r[1] for r in cover.iter_rows(min_row=3, max_row=7, values_only=True)}
    assert facts["Exporterad"] is not None and facts["Kortnamn"] == plan.slug
    counts = {r["Strategiskt område"]: r for r in table(cover, header_row=9)}
    area3 = counts["3. Infrastruktur och tillgänglighet"]
    assert area3["Aktiviteter"] == 9
    assert area3["Försenad"] == 1 and area3["Ej rapporterad"] == 8
    assert counts["Totalt"]["Aktiviteter"] == 55
    assert counts["Totalt"]["Ej rapporterad"] == 54


def test_every_exported_sheet_has_a_styled_frozen_filtered_header(viewer_client, plan):
    wb = open_xlsx(viewer_client.get(reverse("activities:export_plan", args=[plan.slug])))
    for name in ("Handlingsplan", "Mål", "Områden"):
        ws = wb[name]
        assert ws.freeze_panes is not None and ws.freeze_panes[-1] == "2"
        assert ws.auto_filter.ref.startswith("A1:")
        assert ws["A1"].font.bold and ws["A1"].fill.fgColor.rgb.endswith("004B87")
        assert ws.column_dimensions["B"].width > 8
    assert wb["Handlingsplan"]["D2"].alignment.wrap_text


def test_text_that_looks_like_a_formula_is_exported_as_text(plan, coordinator, client):
    client.force_login(coordinator)
    activity = Activity.objects.with_related().get(
        insats__area__plan=plan, insats__area__number=1, insats__number=1, number=1
    )
    for text in TRICKY:
        file_report(
            activity=activity,
            organisation=activity.leads[0],
            author=coordinator,
            status=Status.AT_RISK,
            comment=text,
        )
    Organisation.objects.filter(code="GRF").update(name="=1+1")
    for url in (
        reverse("activities:export_plan", args=[plan.slug]),
        reverse("activities:export_table", args=[plan.slug]) + "?q=1.1.1",
        reverse("activities:report_template", args=[plan.slug]) + "?organisation=GRF",
    ):
        wb = open_xlsx(client.get(url))
        assert_no_formulas(wb)
    comment = table(
        load_workbook(
            io.BytesIO(
                client.get(
                    reverse("activities:export_table", args=[plan.slug]) + "?q=1.1.1"
                ).getvalue()
            )
        )["Aktiviteter"]
    )[0]["Senaste kommentar"]
    assert comment == TRICKY[-1]


def test_table_export_has_exactly_the_rows_the_filtered_table_shows(viewer_client, plan, reported):
    query = "?lead=SBF&status=delayed&status=not_reported&sort=-current_status&page=2"
    listed = viewer_client.get(reverse("activities:list", args=[plan.slug]) + query)
    labels = Status.swedish_labels()
    shown = {a.reference: labels[a.current_status] for a in listed.context["filter"].qs}
    assert listed.context["result_count"] == len(shown) > 1
    wb = open_xlsx(viewer_client.get(reverse("activities:export_table", args=[plan.slug]) + query))
    rows = table(wb["Aktiviteter"])
    assert sorted(r["Ref."] for r in rows) == sorted(shown)  # each row once, no other row
    assert {r["Ref."]: r["Status"] for r in rows} == shown
    assert shown["3.2.4"] == "Försenad"
    assert_no_formulas(wb)
    filters = {r[0]: r[1] for r in wb["Urval"].iter_rows(min_row=3, values_only=True)}
    assert "Leder arbetet" in filters and "Status" in filters


def test_overview_and_activity_table_link_to_the_exports(client, plan, reporter_sbf):
    client.force_login(reporter_sbf)
    overview = client.get(reverse("overview", args=[plan.slug])).content.decode()
    assert reverse("activities:export_plan", args=[plan.slug]) in overview
    assert reverse("activities:import_upload", args=[plan.slug]) in overview
    listed = client.get(reverse("activities:list", args=[plan.slug]) + "?lead=SBF&status=on_track")
    export = reverse("activities:export_table", args=[plan.slug]) + "?lead=SBF&amp;status=on_track"
    assert export in listed.content.decode()


def test_table_export_with_an_invalid_filter_has_no_rows(viewer_client, plan):
    url = reverse("activities:export_table", args=[plan.slug]) + "?status=okand"
    assert table(open_xlsx(viewer_client.get(url))["Aktiviteter"]) == []


def test_report_template_holds_the_activities_and_targets_the_organisation_reports_on(
    client, plan, reporter_sbf, reported
):
    client.force_login(reporter_sbf)
    url = reverse("activities:report_template", args=[plan.slug]) + "?organisation=SBF"
    wb = open_xlsx(client.get(url))
    ws = wb["Rapport"]
    rows = table(ws, header_row=6)
    sbf = Organisation.objects.get(code="SBF")
    labels = Status.swedish_labels()
    expected, statuses = {}, {}
    activities = Activity.objects.filter(insats__area__plan=plan).with_related()
    for activity in activities:
        if sbf in reporting_organisations_of(activity):
            # While the assessment is open (the plan has ended) every target it answers for
            # has its columns, to be assessed: the numeric ones (with a value) first.
            assert plan.assessment_is_open
            targets = targets_reportable_by(sbf, activity)
            ordered = [t for t in targets if t.is_numeric] + [
                t for t in targets if not t.is_numeric
            ]
            expected[activity.reference] = ";".join(str(t.position) for t in ordered) or None
            statuses[activity.reference] = labels[activity.current_status]
    assert sorted(r["Ref."] for r in rows) == sorted(expected)  # each activity once
    assert {r["Ref."]: r["Målnummer"] for r in rows} == expected
    assert {r["Ref."]: r["Nuvarande status"] for r in rows} == statuses
    assert statuses["3.2.4"] == "Försenad"
    assert_no_formulas(wb)
    assert {r["Organisation"] for r in rows} == {"SBF"}
    assert all(r["Status"] is None and r["Kommentar"] is None for r in rows)


def test_report_template_has_a_status_list_and_locked_identifier_columns(client, plan, coordinator):
    client.force_login(coordinator)
    round = factories.make_round(
        plan=plan, name="Uppföljning T2 2025", opens_on="2025-06-01", deadline="2025-09-30"
    )
    url = reverse("activities:report_template", args=[plan.slug])
    wb = open_xlsx(client.get(url + f"?organisation=SBF&round={round.pk}"))
    ws = wb["Rapport"]
    headers = [c.value for c in ws[6]]
    letter = {h: ws.cell(row=6, column=i).column_letter for i, h in enumerate(headers, 1)}
    lists = {
        str(dv.sqref).split(":")[0]: dv.formula1.strip('"').split(",")
        for dv in ws.data_validations.dataValidation
        if dv.type == "list"
    }
    # Status, and the final assessment: the plan is past its last quarter.
    assert lists == {
        f"{letter['Status']}7": list(Status.swedish_labels(reportable_only=True).values()),
        f"{letter['Slutbedömning']}7": ["Uppnått", "Delvis uppnått", "Ej uppnått"],
    }
    assert ws.protection.sheet
    assert ws[f"{letter['Ref.']}7"].protection.locked
    assert ws[f"{letter['Organisation']}7"].protection.locked
    assert not ws[f"{letter['Status']}7"].protection.locked
    assert not ws[f"{letter['Kommentar']}7"].protection.locked
    assert not ws[f"{letter['Värde mål 1']}7"].protection.locked
    assert ws.column_dimensions[letter["Målnummer"]].hidden
    meta = {r[0]: r[1] for r in wb["Mall"].iter_rows(values_only=True)}
    assert wb["Mall"].sheet_state == "veryHidden"
    assert meta["Handlingsplan"] == plan.slug and meta["Uppföljningsomgång"] == round.pk
    assert ws["B3"].value == "Uppföljning T2 2025"


def test_coordinator_can_download_one_template_for_every_organisation(client, plan, coordinator):
    client.force_login(coordinator)
    wb = open_xlsx(client.get(reverse("activities:report_template", args=[plan.slug])))
    rows = table(wb["Rapport"], header_row=6)
    activities = Activity.objects.filter(insats__area__plan=plan).with_related()
    assert len(rows) == sum(len(reporting_organisations_of(a)) for a in activities)
    assert {r["Ref."] for r in rows} == {a.reference for a in activities}


def test_reporter_cannot_download_another_organisations_template(client, plan, reporter_mf):
    client.force_login(reporter_mf)
    url = reverse("activities:report_template", args=[plan.slug])
    assert client.get(url + "?organisation=SBF").status_code == 403
    assert client.get(url + "?organisation=MF").status_code == 200


def test_viewer_cannot_download_a_template(viewer_client, plan):
    url = reverse("activities:report_template", args=[plan.slug]) + "?organisation=SBF"
    assert viewer_client.get(url).status_code == 403


def test_anonymous_visitor_is_sent_to_sign_in_for_every_export(client, plan):
    for name in ("export_plan", "export_table", "report_template"):
        response = client.get(reverse(f"activities:{name}", args=[plan.slug]))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("scale", [None, 10])
def test_exports_take_the_same_number_of_queries_however_large_the_plan(
    client, plan, coordinator, django_assert_max_num_queries, scale
):
    """The real plan (55 activities) and a synthetic plan ten times its size."""
    if scale:
        plan = factories.make_synthetic_plan("syntetisk", scale=scale, author=coordinator)
    assert Activity.objects.filter(insats__area__plan=plan).count() >= (550 if scale else 55)
    client.force_login(coordinator)
    organisation = "SBF" if not scale else Organisation.objects.order_by("code")[0].code
    for url, ceiling in (
        # session, user, plan (and the coordinator check), then the workbook's own reads,
        # and the round in progress (for the changes sheet; none here)
        (reverse("activities:export_plan", args=[plan.slug]), 10),
        (reverse("activities:export_table", args=[plan.slug]) + "?q=a", 9),
        # the template also looks up the round in progress
        (reverse("activities:report_template", args=[plan.slug]), 9),
        (
            reverse("activities:report_template", args=[plan.slug])
            + f"?organisation={organisation}",
            9,
        ),
    ):
        with django_assert_max_num_queries(ceiling):
            assert client.get(url).status_code == 200
