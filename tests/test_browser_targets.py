"""The targets page in a real browser: axe-core (WCAG 2.1 AA) on the signed-in and the public
page at desktop and phone width, no sideways scrolling on a phone, the filters used through
the form without JavaScript, and a roll-up's target count followed to as many rows.

Set BROWSER_SHOTS=/some/dir to save a screenshot of each page at each width."""

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from activities.models import Target
from activities.reporting import TargetAssessmentDraft, file_report, file_target_assessments
from activities.views.context import get_activity
from tests import factories
from tests.browser import axe_violations, format_violations, overflowing_elements, sign_in
from tests.factories import REAL_PLAN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TARGETS = f"/plan/{REAL_PLAN}/mal/"
PUBLIC = f"/insyn/{REAL_PLAN}/mal/"
WIDTHS = [(1280, 800), (390, 844)]
SHOTS = os.environ.get("BROWSER_SHOTS")


@pytest.fixture
def followed_up(published_plan):
    """A reported value on 3.2.3 and final assessments of three targets (one with a final
    value); the plan is published with its comments, so the public page shows motivations."""
    published_plan.public_comments = True
    published_plan.save(update_fields=["public_comments"])
    author = factories.make_coordinator("samordnare-mal")
    activity = get_activity(published_plan, "3.2.3")
    first = activity.targets.first()
    file_report(
        activity=activity,
        organisation=activity.leads[0],
        author=author,
        status="on_track",
        comment="Text",
        values={first: Decimal("62")},
    )
    drafts = []
    for reference, position, verdict, value in [
        ("3.2.3", 1, "partly", Decimal("80")),
        ("3.1.1", 1, "achieved", None),
        ("3.1.1", 2, "not_achieved", Decimal("6")),
    ]:
        target = Target.objects.get(
            activity=get_activity(published_plan, reference), position=position
        )
        drafts.append(
            TargetAssessmentDraft(
                target=target,
                organisation=target.responsible_organisation or activity.leads[0],
                author=author,
                assessment=verdict,
                motivation=f"Motivering för {reference} mål {position}.",
                value=value,
            )
        )
    file_target_assessments(drafts)
    return published_plan


def visit(page, live_server, path):
    response = page.goto(live_server.url + path)
    assert response.status == 200, path


def test_no_wcag_violations_and_no_sideways_scrolling_on_the_targets_pages(
    page, live_server, viewer, followed_up
):
    failures = []
    sign_in(page, live_server, viewer.username, factories.PASSWORD)
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        for name, path in [
            ("mal", TARGETS),
            ("mal-filtrerade", f"{TARGETS}?area=3&assessment=partly&assessment=none"),
            ("mal-ogiltigt-filter", f"{TARGETS}?area=abc"),
            ("insyn-mal", PUBLIC),
        ]:
            visit(page, live_server, path)
            if SHOTS:
                Path(SHOTS).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
            violations = axe_violations(page)
            if violations:
                failures.append(format_violations(violations, where=f"{path} @{width}px: "))
            if page.evaluate("() => document.documentElement.scrollWidth") > width:
                failures.append(f"{path} @{width}px scrolls sideways: {overflowing_elements(page)}")
    assert not failures, "\n".join(failures)


def test_the_filters_work_without_javascript(
    browser, browser_context_args, live_server, viewer, followed_up
):
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, live_server, viewer.username, factories.PASSWORD)
        visit(page, live_server, TARGETS)
        count = page.locator(".result-count")
        expect(count).to_have_text("69 mål")
        form = page.locator("form.filter-form")
        form.locator("[name=area]").select_option("3")
        form.locator("#id_assessment input[value=partly]").check()
        form.locator("#id_assessment input[value=not_achieved]").check()
        with page.expect_navigation():
            form.get_by_role("button", name="Visa").click()
        for chosen in ["area=3", "assessment=partly", "assessment=not_achieved"]:
            expect(page).to_have_url(re.compile(rf"[?&]{chosen}(&|$)"))
        expect(count).to_have_text("2 mål")
        cells = page.locator("table.data-table tbody tr td:first-child").all_inner_texts()
        assert sorted(cells) == ["3.1.1", "3.2.3"]
        expect(page.locator("tbody")).to_contain_text("Motivering för 3.2.3 mål 1.")
        expect(page.locator("tbody")).to_contain_text("slutvärde enligt bedömningen")
    finally:
        context.close()


def test_a_target_count_on_the_overview_opens_as_many_targets(
    page, live_server, viewer, followed_up
):
    sign_in(page, live_server, viewer.username, factories.PASSWORD)
    visit(page, live_server, f"/plan/{REAL_PLAN}/")
    link = page.locator(f"a[href^='{TARGETS}?']", has_text="ej uppnått")
    stated = int(re.search(r"(\d+)$", link.inner_text()).group(1))
    assert stated == 1
    with page.expect_navigation():
        link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mål")
    expect(page.locator(".result-count")).to_have_text(f"{stated} mål")
    expect(page.locator("tbody tr")).to_have_count(stated)
