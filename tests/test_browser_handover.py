"""The hand-over to the next plan in a real browser: a coordinator uploads the exported plan
workbook, sees the preview with the cover sheet's dates filled in, confirms, and lands on the
new plan; axe-core on the upload page, its error state and the preview."""

import re

import pytest
from playwright.sync_api import expect

from activities.excel.cells import to_bytes
from activities.excel.plan_workbook import build_plan_workbook
from areas.models import Plan
from tests import factories
from tests.browser import assert_no_axe_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_coordinator_uploads_previews_and_confirms_the_next_plan(
    page, live_server, plan, tmp_path
):
    coordinator = factories.make_coordinator("samordnare-overlamning")
    workbook = tmp_path / "nasta-plan.xlsx"
    workbook.write_bytes(to_bytes(build_plan_workbook(plan)))
    wrong = tmp_path / "anteckningar.xlsx"
    wrong.write_bytes(b"inte en arbetsbok")

    sign_in(page, live_server, coordinator.username, factories.PASSWORD)
    page.goto(f"{live_server.url}/plan/{plan.slug}/")
    page.get_by_role("link", name="Läs in nästa plan").click()
    expect(page.get_by_role("heading", name="Läs in nästa handlingsplan")).to_be_visible()
    assert_no_axe_violations(page)

    page.get_by_label("Den nya planens arbetsbok").set_input_files(str(wrong))
    page.get_by_role("button", name="Läs in och förhandsgranska").click()
    expect(page.get_by_role("alert")).to_contain_text("Inget har sparats")
    assert_no_axe_violations(page)

    page.get_by_label("Den nya planens arbetsbok").set_input_files(str(workbook))
    page.get_by_role("button", name="Läs in och förhandsgranska").click()
    expect(page.get_by_role("heading", name="Förhandsgranska den nya planen")).to_be_visible()
    expect(page.get_by_label("Periodens början")).to_have_value(plan.period_start.isoformat())
    assert_no_axe_violations(page)

    page.get_by_label("Titel").fill("Handlingsplan 2026–2027")
    page.get_by_label("Kortnamn").fill("2026-2027")
    page.get_by_role("button", name="Spara den nya planen").click()
    expect(page).to_have_url(re.compile(r"/plan/2026-2027/$"))
    expect(page.get_by_text("är inläst")).to_be_visible()
    assert Plan.objects.filter(slug="2026-2027").exists()
