"""The files and the API agree with the database for the real plan: 55 activities, 242
organisation roles, 69 targets, each activity's leads and participants, each target's value,
and what reports change."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from activities.models import (
    Activity,
    ActivityOrganisation,
    Role,
    Status,
    Target,
)
from activities.reporting import assess, file_report
from tests import factories
from tests.open_data import api_list, body, csv_rows, file_url, json_items

pytestmark = pytest.mark.django_db


def db_roles(plan):
    """{reference: ([lead codes], [participant codes])} in the plan's order of each cell."""
    roles = {}
    for role in (
        ActivityOrganisation.objects.filter(activity__insats__area__plan=plan)
        .select_related("organisation", "activity__insats__area")
        .order_by("position")
    ):
        leads, participants = roles.setdefault(role.activity.reference, ([], []))
        (leads if role.role == Role.LEAD else participants).append(role.organisation.code)
    return roles


def db_targets(plan):
    return {
        (t.activity.reference, t.position): t
        for t in Target.objects.filter(activity__insats__area__plan=plan).select_related(
            "activity__insats__area", "responsible_organisation"
        )
    }


def as_decimal(value):
    return None if value in ("", None) else Decimal(str(value))


def test_the_counts_agree_with_the_database(client, published_plan):
    plan = published_plan
    # Another published_plan plan, whose rows must not count in this one's.
    other = factories.make_synthetic_plan("annan", scale=1)
    other.published = True
    other.save()
    assert ActivityOrganisation.objects.filter(activity__insats__area__plan=plan).count() == 242
    assert len(csv_rows(client, plan, "aktiviteter")) == 55
    assert len(json_items(client, plan, "aktiviteter")) == 55
    assert len(csv_rows(client, plan, "roller")) == 242
    assert len(json_items(client, plan, "roller")) == 242
    assert len(csv_rows(client, plan, "mal")) == 69
    assert len(json_items(client, plan, "mal")) == 69
    activities = api_list(client, plan, "activities")
    assert len(activities) == 55
    assert sum(len(a["leads"]) + len(a["participants"]) for a in activities) == 242
    assert sum(len(a["targets"]) for a in activities) == 69
    assert len(api_list(client, plan, "targets")) == 69
    organisations = api_list(client, plan, "organisations")
    assert sum(o["leads"] + o["participates"] for o in organisations) == 242
    assert csv_rows(client, plan, "rapporter") == [] == api_list(client, plan, "reports")
    other_activities = Activity.objects.filter(insats__area__plan=other).count()
    assert len(api_list(client, other, "activities")) == other_activities
    other_roles = api_list(client, other, "organisations")
    assert sum(o["leads"] + o["participates"] for o in other_roles) == 5 * other_activities


def test_every_activitys_organisations_agree_with_the_database(client, published_plan):
    plan = published_plan
    expected = db_roles(plan)
    assert len(expected) == 55
    for row in csv_rows(client, plan, "aktiviteter"):
        leads, participants = expected[row["reference"]]
        assert row["leads"] == "; ".join(leads)
        assert row["participants"] == "; ".join(participants)
        assert row["status"] == Status.NOT_REPORTED.value
        assert row["status_label"] == "Ej rapporterad"
    for item in api_list(client, plan, "activities") + json_items(client, plan, "aktiviteter"):
        leads, participants = expected[item["reference"]]
        assert [lead["code"] for lead in item["leads"]] == leads
        assert [org["code"] for org in item["participants"]] == participants
    by_role = {}
    for row in csv_rows(client, plan, "roller"):
        by_role.setdefault(row["activity_reference"], []).append((row["role"], row["organisation"]))
    for reference, (leads, participants) in expected.items():
        assert sorted(by_role[reference]) == sorted(
            [("lead", code) for code in leads] + [("participant", code) for code in participants]
        )
    activity = Activity.objects.by_reference(plan, "3.2.3").select_related("insats__area").get()
    item = client.get(reverse("api:activity", args=[plan.slug, "3.2.3"])).json()
    assert item["description"] == activity.description
    assert item["expected_outcome"] == activity.expected_outcome
    assert item["insats_title"] == activity.insats.title


def test_every_targets_value_agrees_with_the_database(client, published_plan):
    plan = published_plan
    expected = db_targets(plan)
    assert len(expected) == 69
    sources = [csv_rows(client, plan, "mal"), json_items(client, plan, "mal")]
    sources += [api_list(client, plan, "targets")]
    sources += [
        [t for a in api_list(client, plan, "activities") for t in a["targets"]],
    ]
    for rows in sources:
        assert len(rows) == 69
        for row in rows:
            target = expected[(row["activity_reference"], int(row["position"]))]
            assert row["phrase"] == target.phrase
            assert as_decimal(row["value"]) == target.value
            assert as_decimal(row["value_max"]) == target.value_max
            assert as_decimal(row["baseline"]) == target.baseline
            assert (row["unit"] or "") == target.unit
            responsible = target.responsible_organisation
            assert (row["responsible_organisation"] or None) == (
                responsible.code if responsible else None
            )


def test_reports_values_and_assessments_show_everywhere(client, published_plan, coordinator):
    plan = published_plan
    activity = Activity.objects.by_reference(plan, "3.2.3").with_related().get()
    target = next(t for t in activity.targets.all() if t.value is not None)
    lead = activity.leads[0]
    report = file_report(
        activity=activity,
        organisation=lead,
        author=coordinator,
        status="on_track",
        values={target: Decimal("12.50")},
        on_behalf=True,
        created_at=datetime.datetime(2025, 5, 1, 8, 0, tzinfo=datetime.UTC),
    )
    assess(
        activity=activity,
        organisation=lead,
        author=coordinator,
        assessment="partly",
        motivation="Halvvägs.",
    )
    row = next(r for r in csv_rows(client, plan, "aktiviteter") if r["reference"] == "3.2.3")
    assert row["latest_report_at"] == "2025-05-01T10:00:00+02:00"
    assert f"{lead.code}=on_track" in row["lead_statuses"]
    assert row["lead_assessments"] == f"{lead.code}=partly"
    assert row["latest_values"] == f"{target.position}=12.5"
    role = next(
        r
        for r in csv_rows(client, plan, "roller")
        if r["activity_reference"] == "3.2.3" and r["organisation"] == lead.code
    )
    assert (role["status"], role["status_label"]) == ("on_track", "Pågår enligt plan")
    assert (role["assessment"], role["assessment_label"]) == ("partly", "Delvis uppnått")
    assert role["comment"] == role["motivation"] == ""
    mal = next(
        r
        for r in csv_rows(client, plan, "mal")
        if (r["activity_reference"], r["position"]) == ("3.2.3", str(target.position))
    )
    assert (mal["latest_value"], mal["latest_value_organisation"]) == ("12.5", lead.code)
    [reported] = csv_rows(client, plan, "rapporter")
    assert reported["id"] == str(report.pk) and reported["organisation"] == lead.code
    assert reported["status"] == "on_track" and reported["comment"] == ""
    [value] = csv_rows(client, plan, "malvarden")
    assert (value["report_id"], value["target_position"], value["value"]) == (
        str(report.pk),
        str(target.position),
        "12.5",
    )
    [api_report] = api_list(client, plan, "reports")
    assert api_report["values"] == [{"target_position": target.position, "value": 12.5}]
    assert api_report["comment"] is None
    # The files' items are the API's with the plan and the row's URI appended.
    [json_report] = json_items(client, plan, "rapporter")
    assert json_report.pop("plan") == plan.slug and json_report.pop("uri")
    assert json_report == api_report
    api_activity = client.get(reverse("api:activity", args=[plan.slug, "3.2.3"])).json()
    json_activity = next(
        a for a in json_items(client, plan, "aktiviteter") if a["reference"] == "3.2.3"
    )
    assert json_activity.pop("plan") == plan.slug and json_activity.pop("uri")
    assert api_activity == json_activity


def test_csv_is_excel_friendly_and_defuses_formulas(client, published_plan, coordinator):
    plan = published_plan
    plan.public_comments = True
    plan.save()
    activity = Activity.objects.by_reference(plan, "1.1.1").with_related().get()
    file_report(
        activity=activity,
        organisation=activity.leads[0],
        author=coordinator,
        status="at_risk",
        comment='=HYPERLINK("http://x","y")\nrad två, "citat"',
    )
    response = client.get(file_url(plan, "rapporter", "csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8; header=present"
    assert "attachment" in response["Content-Disposition"]
    raw = body(response)
    assert raw.startswith(b"\xef\xbb\xbfid,activity_reference,")
    assert b"\r\n" in raw
    [row] = csv_rows(client, plan, "rapporter")
    assert row["comment"] == '\'=HYPERLINK("http://x","y")\nrad två, "citat"'
    [item] = json_items(client, plan, "rapporter")
    assert item["comment"].startswith("=HYPERLINK")  # JSON is not a spreadsheet
    assert client.get(file_url(plan, "rapporter", "json"))["Content-Type"] == (
        "application/json; charset=utf-8"
    )


def test_the_schema_document_names_every_file_column_and_code():
    """docs/open-data.md documents every file, every column and every code with its label."""
    from pathlib import Path

    from activities.models import Assessment
    from activities.opendata.datasets import DATASETS
    from activities.opendata.items import label
    from organisations.models import Organisation

    text = (Path(__file__).resolve().parent.parent / "docs" / "open-data.md").read_text()
    for dataset in DATASETS.values():
        assert f"### {dataset.name}.csv / {dataset.name}.json" in text
        for column in dataset.names:
            assert f"| `{column}` |" in text, (dataset.name, column)
    for choices in (Status, Assessment, Role, Organisation.Kind):
        for member in choices:
            assert f"| `{member.value}` | {label(choices, member.value)}" in text, member
