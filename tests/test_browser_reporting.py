"""Reporting in a real browser: a reporter reports from Min organisation and sees
status, progress and history change; axe-core on the form, Min organisation and round pages."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from activities.models import ReportingRound, StatusReport
from tests import factories
from tests.browser import assert_no_axe_violations, sign_in
from tests.conftest import REAL_PLAN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def round_t2(plan):
    return ReportingRound.objects.create(
        plan=plan,
        name="Uppföljning T2 2025",
        opens_on=datetime.date(2025, 9, 1),
        deadline=datetime.date(2025, 10, 15),
    )


@pytest.fixture
def reporter(plan):
    return factories.make_reporter("rapportor-smf", "SMF")


def test_reporter_reports_from_min_organisation_and_sees_status_progress_and_history(
    page, live_server, round_t2, reporter
):
    sign_in(page, live_server, reporter.username, factories.PASSWORD)
    page.get_by_role("link", name="Min organisation").click()
    expect(page.get_by_role("heading", name="Att rapportera (3)")).to_be_visible()
    assert_no_axe_violations(page)

    page.get_by_role("link", name="3.2.3", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/aktiviteter/3\.2\.3/$"))
    expect(page.locator(".status-large")).to_contain_text("Ej rapporterad")
    assert_no_axe_violations(page)

    # A status that needs a comment, without one: a Swedish error, nothing written.
    page.get_by_label("Pågår med risk").check()
    page.get_by_role("button", name="Spara rapport").click()
    expect(page.get_by_role("alert")).to_contain_text("Skriv en kommentar")
    assert StatusReport.objects.count() == 0
    assert_no_axe_violations(page)

    page.get_by_label("Pågår med risk").check()
    page.get_by_label(re.compile("^100 deltagande arbetsplatser")).fill("73")
    page.get_by_label("Kommentar").fill("Färre arbetsplatser än väntat har anmält sig.")
    page.get_by_role("button", name="Spara rapport").click()

    expect(page.locator(".message")).to_contain_text("Rapporten för 3.2.3 är sparad för SMF")
    expect(page.locator(".status-large")).to_contain_text("Pågår med risk")
    progress = page.locator(".progress").first
    expect(progress).to_contain_text("73 arbetsplatser av 100")
    expect(progress).to_contain_text("50 %")
    history = page.locator(".history__item")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text("Färre arbetsplatser än väntat")

    page.get_by_role("link", name="Min organisation").click()
    expect(page.get_by_role("heading", name="Rapporterade i omgången (1)")).to_be_visible()


def test_round_pages_have_no_axe_violations(page, live_server, round_t2, reporter):
    coordinator = factories.make_coordinator("samordnare")
    StatusReport.objects.file(
        activity=round_t2.plan.areas.get(number=3).insatser.get(number=2).activities.get(number=3),
        organisation=reporter.memberships.get().organisation,
        author=reporter,
        status="on_track",
        round=round_t2,
    )
    sign_in(page, live_server, coordinator.username, factories.PASSWORD)
    page.goto(f"{live_server.url}/plan/{REAL_PLAN}/omgangar/")
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Uppföljning T2 2025").click()
    expect(page.get_by_text("1 av 63 rapporter inkomna")).to_be_visible()
    assert_no_axe_violations(page)
