"""The hand-over to the next plan in a real browser: a coordinator downloads the next plan's
workbook from the plan's overview, uploads it, sees the preview with the cover sheet's short
name, title and dates filled in, confirms, lands on the new plan as a draft and activates it;
axe-core on the upload page, its error state, the preview, the draft's overview and the
activated plan."""

import re

import pytest
from playwright.sync_api import expect

from areas.models import Plan
from tests import factories
from tests.browser import assert_no_axe_violations, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_coordinator_starts_the_next_plan_from_this_one_and_activates_it(
    page, live_server, plan, tmp_path
):
    coordinator = factories.make_coordinator("samordnare-overlamning")
    wrong = tmp_path / "anteckningar.xlsx"
    wrong.write_bytes(b"inte en arbetsbok")

    sign_in(page, live_server, coordinator.username, factories.PASSWORD)
    page.goto(f"{live_server.url}/plan/{plan.slug}/")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Ladda ned arbetsbok för nästa plan")).click()
    assert download.value.suggested_filename == "nasta-plan-efter-2024-2025.xlsx"
    workbook = tmp_path / "nasta-plan.xlsx"
    download.value.save_as(workbook)

    page.get_by_role("link", name="Läs in nästa plan").first.click()
    expect(page.get_by_role("heading", name="Läs in nästa handlingsplan")).to_be_visible()
    assert_no_axe_violations(page)

    page.get_by_label("Den nya planens arbetsbok").set_input_files(str(wrong))
    page.get_by_role("button", name="Läs in och förhandsgranska").click()
    expect(page.get_by_role("alert")).to_contain_text("Inget har sparats")
    assert_no_axe_violations(page)

    page.get_by_label("Den nya planens arbetsbok").set_input_files(str(workbook))
    page.get_by_role("button", name="Läs in och förhandsgranska").click()
    expect(page.get_by_role("heading", name="Förhandsgranska den nya planen")).to_be_visible()
    expect(page.get_by_label("Kortnamn")).to_have_value("2026-2027")
    expect(page.get_by_label("Periodens början")).to_have_value("2026-01-01")
    expect(page.get_by_label("Titel")).to_have_value(plan.title.replace("2024–2025", "2026–2027"))
    assert_no_axe_violations(page)

    page.get_by_role("button", name="Spara den nya planen").click()
    expect(page).to_have_url(re.compile(r"/plan/2026-2027/$"))
    expect(page.get_by_text("är inläst som utkast")).to_be_visible()
    expect(page.get_by_role("heading", name="Planen är ett utkast")).to_be_visible()
    expect(page.get_by_text("När planen aktiveras ser alla inloggade den")).to_be_visible()
    assert_no_axe_violations(page)
    assert Plan.objects.get(slug="2026-2027").is_draft

    page.get_by_role("button", name="Aktivera planen").click()
    expect(page).to_have_url(re.compile(r"/plan/2026-2027/$"))
    expect(page.get_by_text("är aktiverad. Alla inloggade ser den nu")).to_be_visible()
    expect(page.get_by_role("heading", name="Planen är ett utkast")).to_have_count(0)
    assert_no_axe_violations(page)
    assert not Plan.objects.get(slug="2026-2027").is_draft
