"""Insyn in a real browser, as an anonymous visitor: a crawl of the published plan's public
pages by their links from /insyn/<plan>/ reaches every activity, every page answers 200 and
has no axe-core WCAG 2.1 A/AA violation nor best-practice warning; the table's filters, the
language links and the accessibility feedback form work without JavaScript."""

import re
from collections import deque

import pytest
from django.core import mail
from playwright.sync_api import expect

from activities.models import Activity, Assessment, Status
from activities.reporting import assess, file_report
from activities.templatetags.insyn import public_url_of
from tests import factories
from tests.browser import (
    WCAG_21_AA,
    assert_every_element_is_tabbable_with_visible_focus,
    axe_violations,
    format_violations,
    keyboard_problem,
)
from tests.factories import REAL_PLAN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

START = f"/insyn/{REAL_PLAN}/"
# axe-core's best-practice rules too (heading-order, landmark-unique, region, …): not WCAG
# failures, but each one makes a page harder to find one's way in with a screen reader.
RULES = [*WCAG_21_AA, "best-practice"]
# Links with a query string (the table filtered, sorted, paged) show the same page with other
# rows; the crawl checks the first few of them, and every page without one.
QUERY_PAGES = 6


@pytest.fixture
def reported(published_plan):
    """Reports on some activities (every status, a history, a target value) and an
    assessment, so the pages show more than "Ej rapporterad"; comments are public."""
    published_plan.public_comments = True
    published_plan.save()
    author = factories.make_coordinator("samordnare-insyn")
    statuses = list(Status.reportable_values())
    activities = Activity.objects.filter(insats__area__plan=published_plan).with_related()
    for n, activity in enumerate(activities.in_plan_order()[:12]):
        target = next((t for t in activity.targets.all() if t.value is not None), None)
        file_report(
            activity=activity,
            organisation=activity.leads[0],
            author=author,
            status=statuses[n % len(statuses)],
            comment=f"Kommentar {n}",
            values={target: target.value} if target else None,
            on_behalf=True,
        )
        if n % 4 == 0:
            assess(
                activity=activity,
                organisation=activity.leads[0],
                author=author,
                assessment=Assessment.ACHIEVED,
                motivation=f"Motivering {n}",
                on_behalf=True,
            )
    return published_plan


def public_links(page):
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(a => a.getAttribute('href'))")
    return [h.split("#")[0] for h in hrefs if h.startswith(START)]


def test_a_crawl_of_the_public_pages_reaches_every_activity_without_axe_violations(
    page, live_server, reported
):
    queue, seen, query_pages = deque([START]), {START}, 0
    visited, problems = [], []
    while queue:
        path = queue.popleft()
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        visited.append(path)
        violations = axe_violations(page, RULES)
        if violations:
            problems.append(format_violations(violations, where=f"{path}: "))
        for link in public_links(page):
            if link in seen:
                continue
            if "?" in link:
                if query_pages >= QUERY_PAGES:
                    continue
                query_pages += 1
            seen.add(link)
            queue.append(link)
    assert problems == [], "\n".join(problems)

    reached = {p for p in visited if re.fullmatch(rf"{START}aktiviteter/\d+\.\d+\.\d+/", p)}
    activities = Activity.objects.filter(insats__area__plan=reported).select_related(
        "insats__area__plan"
    )
    assert reached == {public_url_of(a) for a in activities}
    assert len(reached) == 55


def test_the_public_table_filters_without_javascript(browser, live_server, reported):
    context = browser.new_context(java_script_enabled=False, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{live_server.url}{START}aktiviteter/")
    page.get_by_label("Leder arbetet").select_option("SBF")
    page.get_by_role("button", name="Visa").click()
    expect(page).to_have_url(re.compile(r"lead=SBF"))
    rows = page.locator("table.data-table tbody tr")
    expect(rows.first).to_contain_text("SBF")
    assert "/insyn/" in page.url
    context.close()


def test_the_language_links_work_without_javascript(browser, live_server, reported):
    context = browser.new_context(java_script_enabled=False, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{live_server.url}{START}aktiviteter/3.2.3/")
    page.get_by_role("link", name="English").click()
    expect(page).to_have_url(f"{live_server.url}{START}aktiviteter/3.2.3/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="svenska").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    context.close()


def test_the_english_pages_have_no_axe_violations(page, live_server, reported):
    page.goto(f"{live_server.url}{START}")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    for path in ["", "omraden/3/", "aktiviteter/?lead=SBF", "aktiviteter/1.1.1/"]:
        page.goto(f"{live_server.url}{START}{path}")
        violations = axe_violations(page, RULES)
        assert violations == [], format_violations(violations, where=f"{path}: ")


def test_the_accessibility_statement_and_its_form_pass_axe_and_the_keyboard(
    page, live_server, published_plan
):
    page.goto(f"{live_server.url}{START}aktiviteter/5.2.1/")
    page.get_by_role("link", name="Tillgänglighetsredogörelse").click()
    expect(page).to_have_url(f"{live_server.url}/tillganglighet/")
    problems = [format_violations(axe_violations(page, RULES), where="statement: ")]
    page.get_by_role("link", name="Rapportera ett tillgänglighetsproblem i formuläret").click()
    expect(page.get_by_label("Vad fungerade inte?")).to_be_visible()
    problems.append(format_violations(axe_violations(page, RULES), where="form: "))
    assert_every_element_is_tabbable_with_visible_focus(page)
    page.get_by_role("button", name="Skicka").click()
    expect(page.locator(".error-summary")).to_contain_text("Skriv vad som inte fungerade.")
    problems.append(format_violations(axe_violations(page, RULES), where="form with errors: "))
    assert [p for p in problems if p] == []
    assert mail.outbox == []


def test_the_accessibility_feedback_is_sent_without_javascript(
    browser, live_server, published_plan
):
    context = browser.new_context(java_script_enabled=False, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{live_server.url}{START}omraden/")
    page.get_by_role("link", name="Rapportera ett tillgänglighetsproblem").click()
    # The form knows which page the visitor came from.
    expect(page.get_by_label("Sidans adress")).to_have_value(f"{START}omraden/")
    page.get_by_label("Vad fungerade inte?").fill("Rubrikerna hoppar över en nivå.")
    page.get_by_role("button", name="Skicka").click()
    expect(page).to_have_url(f"{live_server.url}/tillganglighet/synpunkter/tack/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tack för ditt meddelande")
    [message] = mail.outbox
    assert message.subject == f"Tillgänglighet i Handlingsplan: {START}omraden/"
    assert "Rubrikerna hoppar över en nivå." in message.body
    context.close()


def test_the_public_pages_are_usable_with_the_keyboard_alone(page, live_server, reported):
    """The skip link comes first, and every link and control is reached by Tab with a visible
    focus (what the accessibility statement says of the site)."""
    failures = []
    for path in ["", "omraden/", "aktiviteter/", "aktiviteter/5.2.1/", "mal/"]:
        page.goto(f"{live_server.url}{START}{path}")
        if problem := keyboard_problem(page):
            failures.append(problem)
    assert not failures, "\n".join(failures)
