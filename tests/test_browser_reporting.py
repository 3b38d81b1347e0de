"""Reporting in a real browser: a reporter reports from Min organisation and sees
status, progress and history change; a lead gives its final assessment of the outcome and its
targets in one form; axe-core on the forms, Min organisation and round pages."""

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from activities.models import OutcomeAssessment, StatusReport, TargetAssessment
from activities.reporting import file_report
from tests import factories
from tests.browser import assert_no_axe_violations, sign_in
from tests.factories import REAL_PLAN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def round_t2(plan):
    return factories.make_round(
        plan=plan,
        name="Uppföljning T2 2025",
        opens_on=datetime.date(2025, 9, 1),
        deadline=datetime.date(2025, 10, 15),
    )


def test_reporter_reports_from_min_organisation_and_sees_status_progress_and_history(
    page, live_server, plan_before_deadline, round_t2, reporter_smf
):
    sign_in(page, live_server, reporter_smf.username, factories.PASSWORD)
    page.get_by_role("link", name="Min organisation").click()
    expect(page.get_by_role("heading", name="Att rapportera (3)")).to_be_visible()
    # The plan is in its last quarter: the final assessments SMF owes are work too.
    expect(page.get_by_role("heading", name="Slutbedömningar att göra (3)")).to_be_visible()
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
    page.get_by_role("link", name="Gör slutbedömningen av 3.2.3").click()
    expect(page).to_have_url(re.compile(r"/aktiviteter/3\.2\.3/\?for=SMF#slutbedomning$"))


def test_after_the_plans_end_the_form_asks_why_work_goes_on(page, live_server, plan, reporter_smf):
    sign_in(page, live_server, reporter_smf.username, factories.PASSWORD)
    page.goto(f"{live_server.url}/plan/{REAL_PLAN}/aktiviteter/3.2.3/")
    notice = page.locator("#report-plan-ended")
    expect(notice).to_contain_text("Planperioden är slut")
    expect(notice.get_by_role("link", name="Gör slutbedömningen")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_label("Pågår enligt plan").check()
    page.get_by_role("button", name="Spara rapport").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Förklara i kommentaren varför aktiviteten fortfarande pågår"
    )
    assert StatusReport.objects.count() == 0
    assert_no_axe_violations(page)
    notice.get_by_role("link", name="Gör slutbedömningen").click()
    expect(page).to_have_url(re.compile(r"/aktiviteter/3\.2\.3/\?for=SMF#slutbedomning$"))
    expect(page.get_by_text("Du bedömer för")).to_contain_text("SMF")


def test_round_pages_have_no_axe_violations(page, live_server, round_t2, reporter_smf):
    coordinator = factories.make_coordinator("samordnare")
    file_report(
        activity=round_t2.plan.areas.get(number=3).insatser.get(number=2).activities.get(number=3),
        organisation=reporter_smf.memberships.get().organisation,
        author=reporter_smf,
        status="on_track",
        round=round_t2,
    )
    sign_in(page, live_server, coordinator.username, factories.PASSWORD)
    page.goto(f"{live_server.url}/plan/{REAL_PLAN}/omgangar/")
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Uppföljning T2 2025").click()
    expect(page.get_by_text("1 av 63 klara")).to_be_visible()
    assert_no_axe_violations(page)


def test_coordinator_previews_and_sends_reminders_from_the_round_page(
    page, live_server, round_t2, reporter_smf, mailoutbox
):
    coordinator = factories.make_coordinator("samordnare")
    reporter_smf.email = "smf@example.invalid"
    reporter_smf.save()
    sign_in(page, live_server, coordinator.username, factories.PASSWORD)
    page.goto(f"{live_server.url}{round_t2.get_absolute_url()}")
    reminders = page.locator("#paminnelser")
    # The preview: who would get one, and who has no member to remind.
    expect(reminders).to_contain_text("smf@example.invalid")
    expect(reminders).to_contain_text("Ingen medlem att påminna")
    expect(reminders).to_contain_text("Inga påminnelser har skickats i omgången.")
    assert_no_axe_violations(page)

    reminders.get_by_role("button", name="Skicka påminnelser").click()
    expect(page.locator(".message")).to_contain_text("Påminnelse")
    log = page.locator("#paminnelser table").last
    expect(log).to_contain_text("smf@example.invalid")
    expect(log).to_contain_text("Samordnare")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["smf@example.invalid"]
    assert "SMF har 3 aktiviteter kvar" in mailoutbox[0].subject
    assert_no_axe_violations(page)

    # Then the final assessments SMF owes (the plan has ended): another kind, another mail.
    reminders.get_by_label("Slutbedömningar som saknas", exact=True).check()
    reminders.get_by_role("button", name="Skicka påminnelser").click()
    expect(page.locator(".message")).to_contain_text("Påminnelse")
    assert len(mailoutbox) == 2
    assert "SMF har 3 slutbedömningar kvar att göra" in mailoutbox[1].subject
    assert "/aktiviteter/3.2.3/?for=SMF#slutbedomning" in mailoutbox[1].body
    expect(page.locator("#paminnelser table").last).to_contain_text("Slutbedömningar som saknas")
    assert_no_axe_violations(page)


def test_activity_page_with_each_leads_status_has_no_axe_violations(page, live_server, plan):
    coordinator = factories.make_coordinator("samordnare")
    activity = plan.areas.get(number=5).insatser.get(number=2).activities.get(number=1)
    file_report(
        activity=activity,
        organisation=activity.roles.get(organisation__code="MF").organisation,
        author=coordinator,
        status="delayed",
        comment="Väntar på beslut.",
    )
    sign_in(page, live_server, coordinator.username, factories.PASSWORD)
    page.goto(f"{live_server.url}/plan/{REAL_PLAN}/aktiviteter/5.2.1/")
    expect(page.locator(".status-large")).to_contain_text("Försenad")
    expect(page.locator(".lead-statuses")).to_contain_text("Väntar på beslut.")
    assert_no_axe_violations(page)
    # The coordinator switches organisation without JavaScript: a reload.
    page.get_by_label("Rapportera för").select_option("SMF")
    page.get_by_role("button", name="Byt organisation").click()
    expect(page.get_by_text("Du rapporterar för")).to_contain_text("SMF")
    assert_no_axe_violations(page)


def test_a_lead_assesses_the_outcome_and_a_target_in_one_form(page, live_server, plan):
    """SBF on 3.2.4: a part left incomplete is refused on its field, then the outcome and both
    targets are saved in one act; no JavaScript needed, axe-core on each state."""
    sbf = factories.make_reporter("sbf", "SBF")
    sign_in(page, live_server, sbf.username, factories.PASSWORD)
    page.goto(f"{live_server.url}/plan/{REAL_PLAN}/aktiviteter/3.2.4/#slutbedomning")
    form = page.locator("form.assessment-form")
    assert_no_axe_violations(page)
    form.get_by_role("group", name="Bedömning av förväntat utfall").get_by_label(
        "Delvis uppnått"
    ).check()
    form.get_by_label("Motivering", exact=True).fill("Målpunkterna finns, anslutningen återstår.")
    form.get_by_role("group", name="Bedömning av mål 1").get_by_label("Uppnått", exact=True).check()
    form.get_by_role("button", name="Spara bedömning").click()
    expect(page.get_by_role("alert")).to_contain_text("Motivering saknas")
    assert not TargetAssessment.objects.exists() and not OutcomeAssessment.objects.exists()
    assert_no_axe_violations(page)
    form = page.locator("form.assessment-form")
    form.get_by_label("Motivering för mål 1").fill("Tolv målpunkter identifierades.")
    form.get_by_label("Slutvärde för mål 1").fill("12,5")
    form.get_by_role("button", name="Spara bedömning").click()
    expect(page.locator(".message").first).to_contain_text("Slutbedömningen av 3.2.4 är sparad")
    expect(page.locator("#mal-1-bedomning")).to_contain_text("Tolv målpunkter identifierades.")
    expect(page.locator("#mal-1-bedomning")).to_contain_text("12,5")
    assert TargetAssessment.objects.get().value == Decimal("12.50")
    assert OutcomeAssessment.objects.get().assessment == "partly"
    assert_no_axe_violations(page)
