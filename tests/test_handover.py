"""The hand-over from this plan: a coordinator downloads the next plan's workbook, started from
the current plan (its structure, every activity continuing its own, a cover proposing the next
plan's short name, title and period), edits it and uploads it; the short name comes from the
cover; the new plan is a draft. Crafted covers and predecessors are refused at their cell."""

import datetime
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from activities.excel.plan_workbook import proposed_next
from activities.excel.sheets import (
    AREA_COLUMNS,
    AREA_SHEET,
    COVER_SHEET,
    PLAN_COLUMNS,
    PLAN_SHEET,
    PREDECESSOR,
    TARGET_COLUMNS,
    TARGET_SHEET,
)
from activities.models import Activity, ActivityOrganisation, PendingPlanImport
from areas.models import Plan, PlanState
from tests import factories
from tests.factories import REAL_PLAN
from tests.workbooks import handover_bytes, make_draft, structure, upload_plan, workbook_bytes

pytestmark = pytest.mark.django_db

COVER_SLUG_CELL = "B3"  # the cover's first pair: "Kortnamn"


def download(client, plan):
    response = client.get(reverse("handover_workbook", args=[plan.slug]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="nasta-plan-efter-{plan.slug}.xlsx"'
    )
    return response.getvalue()


def with_cover(content, **cells):
    """The workbook with cells of its cover sheet set ({"B3": "ny-plan"})."""
    wb = load_workbook(io.BytesIO(content))
    for cell, value in cells.items():
        wb[COVER_SHEET][cell] = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def with_predecessor(content, row, text):
    wb = load_workbook(io.BytesIO(content))
    ws = wb[PLAN_SHEET]
    headers = [c.value for c in ws[1]]
    ws.cell(row=row, column=headers.index(PREDECESSOR) + 1, value=text)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def form_values(html):
    """The preview form's fields as pre-filled: {name: value}."""
    return dict(re.findall(r'<input type="[a-z]+" name="([a-z_]+)" value="([^"]*)"', html))


def roles(plan):
    return [
        (r.activity.reference, r.organisation.code, r.role, r.position, r.source_spelling)
        for r in ActivityOrganisation.objects.filter(activity__insats__area__plan=plan)
        .select_related("activity__insats__area", "organisation")
        .order_by(
            "activity__insats__area__number",
            "activity__insats__number",
            "activity__number",
            "role",
            "position",
        )
    ]


# --- The workbook


def test_the_handover_workbook_proposes_the_next_plan_and_continues_every_activity(
    client, plan, coordinator
):
    client.force_login(coordinator)
    wb = load_workbook(io.BytesIO(download(client, plan)))
    assert wb.sheetnames == [COVER_SHEET, PLAN_SHEET, TARGET_SHEET, AREA_SHEET]
    cover = wb[COVER_SHEET]
    assert cover["A1"].value == plan.title.replace("2024–2025", "2026–2027")
    pairs = {row[0]: row[1] for row in cover.iter_rows(min_row=3, max_row=7, values_only=True)}
    assert pairs["Kortnamn"] == "2026-2027"
    assert pairs["Period"] == "2026-01-01 – 2027-12-31"
    assert pairs["Förväntat utfall senast"] == datetime.datetime(2027, 12, 31)
    assert pairs["Fortsätter från"] == f"{plan.title} (2024-2025)"
    # Exactly what the upload reads; no follow-up of the old plan.
    sheet = wb[PLAN_SHEET]
    assert [c.value for c in sheet[1]] == [c.header for c in PLAN_COLUMNS if c.imported]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 55
    assert all(row[-1] == f"2024-2025 {row[0]}" for row in rows)
    imported_targets = [c.header for c in TARGET_COLUMNS if c.imported]
    assert [c.value for c in wb[TARGET_SHEET][1]][: len(imported_targets)] == imported_targets
    assert wb[TARGET_SHEET].max_row == 1 + 69
    assert [c.value for c in wb[AREA_SHEET][1]] == [c.header for c in AREA_COLUMNS if c.imported]


@pytest.mark.parametrize(
    ("changes", "slug", "title"),
    [
        ({}, "2026-2027", "Handlingsplan 2026–2027"),
        ({"slug": "plan-a"}, "", "Handlingsplan 2026–2027"),  # not years: no guess
        ({"title": "Näringslivets handlingsplan"}, "2026-2027", ""),
    ],
)
def test_the_proposal_follows_the_plans_own_pattern_or_leaves_it_blank(changes, slug, title):
    plan = Plan(
        slug="2024-2025",
        title="Handlingsplan 2024–2025",
        period_start=datetime.date(2024, 1, 1),
        period_end=datetime.date(2025, 12, 31),
        outcome_deadline=datetime.date(2026, 3, 31),
    )
    for name, value in changes.items():
        setattr(plan, name, value)
    proposal = proposed_next(plan)
    assert (proposal["slug"], proposal["title"]) == (slug, title)
    assert (proposal["period_start"], proposal["period_end"]) == (
        datetime.date(2026, 1, 1),
        datetime.date(2027, 12, 31),
    )
    assert proposal["outcome_deadline"] == datetime.date(2028, 3, 31)  # as far after the end


def test_a_proposed_short_name_already_taken_is_left_blank(plan):
    make_draft(plan, "2026-2027")
    assert proposed_next(plan)["slug"] == ""


def test_only_a_coordinator_downloads_it_and_only_from_an_activated_plan(
    client, plan, coordinator, viewer
):
    url = reverse("handover_workbook", args=[REAL_PLAN])
    assert client.get(url)["Location"].startswith(reverse("login"))
    for user in (viewer, factories.make_reporter("sbf", "SBF")):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert "nasta-plan" not in client.get(plan.get_absolute_url()).content.decode()
    client.force_login(coordinator)
    assert url in client.get(plan.get_absolute_url()).content.decode()
    assert client.post(url).status_code == 405
    draft = make_draft(plan)
    response = client.get(reverse("handover_workbook", args=[draft.slug]))
    assert response.status_code == 403
    assert "Bara en aktiverad plan kan lämnas över" in response.content.decode()


def test_the_workbook_costs_the_same_queries_for_the_plan_and_one_ten_times_its_size(
    client, plan, coordinator
):
    big = factories.make_synthetic_plan("stor", scale=10)
    client.force_login(coordinator)
    counts = []
    for source in (plan, big):
        url = reverse("handover_workbook", args=[source.slug])
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
            response.getvalue()
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12, counts


# --- The round trip


def test_the_handover_workbook_uploaded_unchanged_is_a_draft_continuing_every_activity(
    client, plan, coordinator
):
    client.force_login(coordinator)
    response = upload_plan(client, download(client, plan))
    assert response.status_code == 302, response.content.decode()[-3000:]
    preview = client.get(response["Location"]).content.decode()
    assert "6 områden, 24 insatser, 55 aktiviteter, 242 roller, 69 mål" in preview
    assert "sparas som ett utkast" in preview
    values = form_values(preview)
    assert values["slug"] == "2026-2027"
    assert values["title"] == plan.title.replace("2024–2025", "2026–2027") != plan.title
    assert (values["period_start"], values["period_end"]) == ("2026-01-01", "2027-12-31")
    assert values["outcome_deadline"] == "2027-12-31"

    confirmed = client.post(response["Location"], values, follow=True)
    new = Plan.objects.get(slug="2026-2027")
    assert confirmed.redirect_chain == [(new.get_absolute_url(), 302)]
    assert "är inläst som utkast" in confirmed.content.decode()
    assert new.state == PlanState.DRAFT and not new.published
    assert structure(new) == structure(plan)
    assert roles(new) == roles(plan)
    links = {
        a.reference: (a.predecessor.insats.area.plan.slug, a.predecessor.reference)
        for a in Activity.objects.filter(insats__area__plan=new).select_related(
            "insats__area", "predecessor__insats__area__plan"
        )
    }
    assert len(links) == 55
    assert all(link == ("2024-2025", ref) for ref, link in links.items())
    assert not PendingPlanImport.objects.exists()


def test_the_short_name_comes_from_the_cover_and_can_be_corrected_in_the_form(
    client, plan, coordinator
):
    client.force_login(coordinator)
    content = with_cover(download(client, plan), B3="Nasta_plan-2026")
    location = upload_plan(client, content)["Location"]
    values = form_values(client.get(location).content.decode())
    assert values["slug"] == "Nasta_plan-2026"
    client.post(location, {**values, "slug": "rattat-namn"})
    assert Plan.objects.get(slug="rattat-namn").is_draft
    assert not Plan.objects.filter(slug="Nasta_plan-2026").exists()


def test_a_cover_without_a_short_name_leaves_it_to_the_form(client, plan, coordinator):
    client.force_login(coordinator)
    location = upload_plan(client, with_cover(download(client, plan), B3=None))["Location"]
    preview = client.get(location)
    assert preview.status_code == 200
    assert 'name="slug" value=' not in preview.content.decode()
    response = client.post(location, {**form_values(preview.content.decode())})
    assert response.status_code == 400 and Plan.objects.count() == 1


# --- Hostile covers and predecessors


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("<script>alert(1)</script>", "”&lt;script&gt;alert(1)&lt;/script&gt;” går inte"),
        ("../../admin", "går inte att använda som kortnamn"),
        ("2026 2027", "går inte att använda som kortnamn"),
        ("plan-åäö", "går inte att använda som kortnamn"),
        ("-cmd|' /C calc'!A0", "går inte att använda som kortnamn"),
        ("ny\nplan", "går inte att använda som kortnamn"),
        ("sprak", "”sprak” används redan i webbplatsens adresser"),
        ("SPRAK", "”SPRAK” används redan i webbplatsens adresser"),
        ("a" * 51, "Kortnamnet har 51 tecken; högst 50 går."),
        ("b" * 30_000, "Kortnamnet har 30000 tecken; högst 50 går."),
    ],
)
def test_a_crafted_or_overlong_short_name_is_refused_at_its_cell(
    client, plan, coordinator, slug, message
):
    client.force_login(coordinator)
    plans = Plan.objects.count()
    response = upload_plan(client, with_cover(handover_bytes(plan), B3=slug))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Blad ”Översikt”, rad 3, kolumn B (Kortnamn):" in html
    assert message in html
    assert "<script>alert" not in html
    assert len(html) < 40_000  # the value is never quoted in full
    assert not PendingPlanImport.objects.exists() and Plan.objects.count() == plans


@pytest.mark.parametrize("slug", ["2024-2025", "2024-2025".upper(), "Stor"])
def test_a_short_name_another_plan_has_is_not_offered_and_not_accepted(
    client, plan, coordinator, slug
):
    factories.make_synthetic_plan("stor", scale=1)
    client.force_login(coordinator)
    location = upload_plan(client, with_cover(handover_bytes(plan), B3=slug))["Location"]
    preview = client.get(location).content.decode()
    assert f"Arbetsbokens kortnamn ”{slug}” används redan av en annan plan." in preview
    values = form_values(preview)
    assert "slug" not in values
    plans = Plan.objects.count()
    response = client.post(location, {**values, "slug": slug})
    assert response.status_code == 400
    assert "Det finns redan en handlingsplan med det kortnamnet." in response.content.decode()
    assert Plan.objects.count() == plans and PendingPlanImport.objects.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-2027 1.1.1", "Planen ”2026-2027” är ett utkast; en aktivitet kan bara fortsätta"),
        ("okand-plan 1.1.1", "Det finns ingen plan med kortnamnet ”okand-plan”."),
        ("2024-2025 7.1.1", "Aktivitet 7.1.1 finns inte i planen ”2024-2025”."),
        ("2024-2025 1.1.99", "Aktivitet 1.1.99 finns inte i planen ”2024-2025”."),
        ("2024-2025  1.1.1 x", "ska vara planens kortnamn och aktivitetens referens"),
        ("<b>2024</b> 1.1.1", "ska vara planens kortnamn och aktivitetens referens"),
    ],
)
def test_a_predecessor_in_a_draft_or_unknown_plan_or_activity_is_refused_at_its_cell(
    client, plan, coordinator, text, message
):
    make_draft(plan, "2026-2027")
    client.force_login(coordinator)
    plans = Plan.objects.count()
    content = with_cover(handover_bytes(plan), B3="2028-2029")
    response = upload_plan(client, with_predecessor(content, 5, text))
    assert response.status_code == 400
    html = response.content.decode()
    assert f"Blad ”{PLAN_SHEET}”, rad 5, kolumn H ({PREDECESSOR}):" in html
    assert message in html and "<b>2024" not in html
    assert not PendingPlanImport.objects.exists() and Plan.objects.count() == plans


def test_an_activity_of_an_activated_plan_is_a_predecessor_again(client, plan, coordinator):
    """Once the next plan is active, the one after it can continue its activities."""
    draft = make_draft(plan, "2026-2027")
    Plan.objects.filter(pk=draft.pk).update(state=PlanState.ACTIVE)
    client.force_login(coordinator)
    content = with_cover(download(client, draft), B3="2028-2029")
    location = upload_plan(client, content)["Location"]
    values = form_values(client.get(location).content.decode())
    assert values["slug"] == "2028-2029" and values["period_start"] == "2028-01-01"
    client.post(location, values)
    third = Activity.objects.by_reference(Plan.objects.get(slug="2028-2029"), "3.2.4").get()
    assert third.predecessor.insats.area.plan == draft
    assert third.predecessor.predecessor == factories.activity("3.2.4")


# --- The same from the command line


def test_import_plan_takes_the_short_name_from_the_cover_and_makes_a_draft(plan, tmp_path):
    path = tmp_path / "nasta.xlsx"
    path.write_bytes(handover_bytes(plan))
    out = io.StringIO()
    call_command("import_plan", str(path), stdout=out)
    new = Plan.objects.get(slug="2026-2027")
    assert new.is_draft and new.title == plan.title.replace("2024–2025", "2026–2027")
    assert "Den är ett utkast som bara samordnare ser" in out.getvalue()
    assert structure(new) == structure(plan)


def test_import_plan_refuses_a_taken_or_missing_short_name(plan, tmp_path):
    taken = tmp_path / "export.xlsx"
    taken.write_bytes(workbook_bytes(plan))  # the plan's own export: its own short name
    with pytest.raises(CommandError, match="Det finns redan en handlingsplan med kortnamnet"):
        call_command("import_plan", str(taken), stdout=io.StringIO())
    missing = tmp_path / "utan.xlsx"
    missing.write_bytes(with_cover(handover_bytes(plan), B3=None))
    with pytest.raises(CommandError, match="Ange kortnamnet med --slug"):
        call_command("import_plan", str(missing), stdout=io.StringIO())
    assert Plan.objects.count() == 1


# --- The confirmation form


def test_a_forged_state_or_publication_in_the_confirmation_is_ignored(client, plan, coordinator):
    client.force_login(coordinator)
    location = upload_plan(client, handover_bytes(plan))["Location"]
    values = form_values(client.get(location).content.decode())
    client.post(location, {**values, "state": "active", "published": "on"})
    new = Plan.objects.get(slug="2026-2027")
    assert new.is_draft and not new.published


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"slug": "a" * 51}, "som mest 50 tecken (den har 51)"),
        ({"slug": "x" * 100_000}, "Kortnamn"),
        ({"slug": "<script>"}, "Kortnamn"),
        ({"title": "T" * 100_000}, "Titel"),
    ],
)
def test_an_overlong_or_crafted_value_in_the_confirmation_is_refused(
    client, plan, coordinator, change, message
):
    client.force_login(coordinator)
    location = upload_plan(client, handover_bytes(plan))["Location"]
    values = form_values(client.get(location).content.decode())
    response = client.post(location, {**values, **change})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Planen sparades inte." in html
    assert message in html and "<script>" not in html
    assert Plan.objects.count() == 1 and PendingPlanImport.objects.exists()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        # Area 3's row renamed to 1: area 1 would take area 3's name and participants.
        (lambda ws: ws.cell(4, 1, 1), "Område 1 står på två rader."),
        # An area no activity belongs to would become an empty area of the new plan.
        (lambda ws: ws.cell(7, 1, 100), "Område 100 har inga aktiviteter på bladet"),
        (lambda ws: ws.cell(3, 2, "Ett annat namn"), "Område 2 heter ”"),
    ],
)
def test_the_area_sheet_cannot_rename_double_or_add_an_area(plan, edit, message):
    """Each area of the plan sheet once on the area sheet, named as there: nothing else."""
    from activities.excel.plan_import import read_plan_workbook

    content = handover_bytes(plan, lambda wb: edit(wb[AREA_SHEET]))
    data = read_plan_workbook(io.BytesIO(content))
    assert any(message in error for error in data.errors), data.errors
