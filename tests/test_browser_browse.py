"""Browsing the plan in a real browser: sign-in, links between pages, the activity
table's filters, sorting and paging, keyboard use, a phone-sized screen, axe-core (WCAG 2.1 AA)
and the pages without JavaScript.

Set BROWSER_SHOTS=/some/dir to save a screenshot of every page at 1280 and 390 px."""

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from activities.models import Status
from activities.reporting import file_report
from activities.views.context import get_activity
from tests import factories
from tests.browser import (
    axe_violations,
    format_violations,
    horizontal_overflow,
    keyboard_problem,
    overflowing_elements,
    sign_in,
)
from tests.factories import REAL_PLAN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLAN = f"/plan/{REAL_PLAN}"
PAGES = {
    "oversikt": f"{PLAN}/",
    "omraden": f"{PLAN}/omraden/",
    "omrade-3": f"{PLAN}/omraden/3/",
    "aktiviteter": f"{PLAN}/aktiviteter/",
    "aktivitet-3.2.3": f"{PLAN}/aktiviteter/3.2.3/",
    "organisationer": f"{PLAN}/organisationer/",
    "organisation-SBF": f"{PLAN}/organisationer/SBF/",
}
WIDTHS = [(1280, 800), (390, 844)]  # desktop, phone
SHOTS = os.environ.get("BROWSER_SHOTS")

# A few reports, so that pages show more than "Ej rapporterad": every status once, a history
# with a comment and a target value on 3.2.3.
REPORTS = [
    ("1.1.1", Status.NOT_STARTED),
    ("3.1.1", Status.ON_TRACK),
    ("3.2.2", Status.DELAYED),
    ("3.2.3", Status.ON_TRACK),
    ("3.2.3", Status.AT_RISK),
    ("4.2.1", Status.COMPLETED),
    ("5.1.1", Status.CANCELLED),
]


@pytest.fixture
def reports(plan):
    author = factories.make_coordinator("samordnare-rapport")
    for reference, status in REPORTS:
        activity = get_activity(plan, reference)
        target = activity.targets.first()
        file_report(
            activity=activity,
            organisation=activity.leads[0],
            author=author,
            status=status,
            comment=f"Rapport om {reference}: {status.label}.",
            values={target: Decimal("40")} if target else None,
        )


@pytest.fixture
def signed_in(page, live_server, viewer, plan):
    sign_in(page, live_server, viewer.username, factories.PASSWORD)
    return page


def visit(page, live_server, path):
    response = page.goto(live_server.url + path)
    assert response.status == 200, f"{path}: HTTP {response.status}"


def rows(page):
    """The references in the first column of the activity table, in order."""
    return page.locator("table.data-table tbody tr td:first-child").all_inner_texts()


def filter_by(page, **fields):
    form = page.locator("form.filter-form")
    for name, value in fields.items():
        field = form.locator(f"[name={name}]")
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    follow(page, form.get_by_role("button", name="Visa"))


def follow(page, locator):
    """Click a link or button and wait for the next page to load, so that what is read next
    comes from that page."""
    with page.expect_navigation():
        locator.click()


# Navigation and the activity table -----------------------------------------------------------


def test_signing_in_leads_to_the_overview_and_links_lead_on_to_area_and_activity(
    page, live_server, viewer, reports, plan
):
    sign_in(page, live_server, viewer.username, factories.PASSWORD)
    expect(page).to_have_url(f"{live_server.url}{PAGES['oversikt']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(plan.title)
    expect(page.get_by_role("link", name="Översikt")).to_have_attribute("aria-current", "page")

    follow(page, page.get_by_role("link", name=re.compile(r"^3\. ")).first)
    expect(page).to_have_url(f"{live_server.url}{PAGES['omrade-3']}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Strategiskt område 3")

    follow(page, page.get_by_role("link", name="3.2.3", exact=True))
    expect(page).to_have_url(f"{live_server.url}{PAGES['aktivitet-3.2.3']}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Aktivitet 3.2.3")
    expect(page.locator(".status-large")).to_have_text(re.compile("Pågår med risk"))
    expect(page.locator(".history__item")).to_have_count(2)


def test_activity_table_filters_by_lead_and_free_text_sorts_and_pages(signed_in, live_server):
    page = signed_in
    visit(page, live_server, PAGES["aktiviteter"])
    count = page.locator(".result-count")
    expect(count).to_have_text("55 aktiviteter")

    filter_by(page, lead="SBF")
    expect(page).to_have_url(re.compile(r"[?&]lead=SBF"))
    expect(count).to_have_text("7 aktiviteter")
    assert rows(page) == ["3.1.1", "3.2.2", "3.2.4", "4.2.1", "4.3.1", "5.1.1", "5.2.1"]
    for leads in page.locator("tbody tr td:nth-child(4)").all_inner_texts():
        assert "SBF" in leads

    filter_by(page, q="godsplan")
    expect(count).to_have_text("1 aktivitet")
    assert rows(page) == ["3.1.1"]
    expect(page.locator("#id_lead")).to_have_value("SBF")  # the form shows the filter
    expect(page.locator("#id_q")).to_have_value("godsplan")

    # Sorting: by reference to begin with, then by description, both ways.
    follow(page, page.get_by_role("link", name="Rensa filter"))
    filter_by(page, per_page="100")
    by_reference = rows(page)
    assert len(by_reference) == 55
    reference = page.locator("thead th", has_text="Ref.")
    description = page.locator("thead th", has_text="Aktivitet")
    expect(reference).to_have_attribute("aria-sort", "ascending")
    follow(page, description.get_by_role("link"))
    expect(description).to_have_attribute("aria-sort", "ascending")
    expect(reference).not_to_have_attribute("aria-sort", re.compile(".*"))
    ascending = rows(page)
    assert ascending != by_reference and sorted(ascending) == sorted(by_reference)
    expect(page.locator("#id_per_page")).to_have_value("100")  # sorting keeps the filter
    follow(page, description.get_by_role("link"))
    expect(description).to_have_attribute("aria-sort", "descending")
    assert rows(page) == ascending[::-1]

    # Paging, ten rows at a time: every activity once, on six pages.
    follow(page, page.get_by_role("link", name="Ref."))
    filter_by(page, per_page="10")
    expect(count).to_have_text("55 aktiviteter")
    pagination = page.get_by_role("navigation", name="Sidor")
    current = pagination.locator("[aria-current=page]")
    expect(current).to_have_text("Sida 1")
    first = rows(page)
    follow(page, pagination.get_by_role("link", name="Sida 2"))
    expect(current).to_have_text("Sida 2")
    second = rows(page)
    assert len(first) == len(second) == 10 and not set(first) & set(second)
    seen = first + second
    while pagination.get_by_role("link", name="Nästa").count():
        follow(page, pagination.get_by_role("link", name="Nästa"))
        seen += rows(page)
    assert len(seen) == len(set(seen)) == 55
    expect(current).to_have_text("Sida 6")
    follow(page, pagination.get_by_role("link", name="Föregående"))
    expect(current).to_have_text("Sida 5")


# Keyboard, colour and small screens -----------------------------------------------------------


def test_keyboard_reaches_the_skip_link_first_and_every_control_with_visible_focus(
    signed_in, live_server
):
    page = signed_in
    visit(page, live_server, PAGES["aktiviteter"])
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    box = skip.bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0 and box["width"] > 20
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()

    failures = []
    for path in PAGES.values():
        visit(page, live_server, path)
        if problem := keyboard_problem(page):
            failures.append(problem)
    assert not failures, "\n".join(failures)


def test_status_badges_say_the_status_in_words(signed_in, live_server, reports):
    labels = {label for _, label in Status.choices} | {"Ej rapporterad"}
    page = signed_in
    for path in (PAGES["oversikt"], PAGES["aktiviteter"] + "?per_page=100", PAGES["omrade-3"]):
        visit(page, live_server, path)
        words = page.locator(".status").evaluate_all(
            """badges => badges.map(b => {
              const copy = b.cloneNode(true);
              copy.querySelectorAll("[aria-hidden=true]").forEach(n => n.remove());
              return copy.textContent.trim();
            })"""
        )
        assert words and set(words) <= labels, f"{path}: {words}"
    # The legend on the overview explains all of them, one word each.
    visit(page, live_server, PAGES["oversikt"])
    expect(page.locator(".legend .status")).to_have_count(len(labels))


def test_no_page_scrolls_sideways_on_a_phone_and_tables_scroll_in_their_box(
    signed_in, live_server, reports
):
    page = signed_in
    page.set_viewport_size({"width": 390, "height": 844})
    wide = []
    for path in PAGES.values():
        visit(page, live_server, path)
        if page.evaluate("() => document.documentElement.scrollWidth") > 390:
            wide.append(f"{path} is {horizontal_overflow(page)} px too wide because of: ")
            wide.append(f"    {overflowing_elements(page)}")
    assert not wide, "\n".join(wide)

    visit(page, live_server, PAGES["aktiviteter"])
    box = page.locator(".table-scroll").first
    sizes = box.evaluate(
        "el => ({scroll: el.scrollWidth, client: el.clientWidth,"
        " right: el.getBoundingClientRect().right})"
    )
    assert sizes["scroll"] > sizes["client"], "the activity table fits; nothing to scroll"
    assert sizes["right"] <= 390
    box.evaluate("el => { el.scrollLeft = 200; }")
    assert box.evaluate("el => el.scrollLeft") > 0
    assert page.evaluate("() => window.scrollX") == 0

    page.context.clear_cookies()
    visit(page, live_server, "/konto/login/")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


# axe-core -------------------------------------------------------------------------------------


def test_no_wcag_21_aa_violations_on_any_page_at_desktop_and_phone_width(
    page, live_server, viewer, reports
):
    failures = []

    def check(name, path):
        visit(page, live_server, path)
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
        violations = axe_violations(page)
        if violations:
            failures.append(format_violations(violations, where=f"{path} @{width}px: "))

    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        page.context.clear_cookies()
        check("login", "/konto/login/")
        sign_in(page, live_server, viewer.username, factories.PASSWORD)
        for name, path in PAGES.items():
            check(name, path)
    assert not failures, "\n".join(failures)


# Without JavaScript ---------------------------------------------------------------------------


def test_activity_table_filters_without_javascript(
    browser, browser_context_args, live_server, viewer, reports
):
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, live_server, viewer.username, factories.PASSWORD)
        visit(page, live_server, PAGES["aktiviteter"])
        filter_by(page, lead="SBF", q="godsplan")
        expect(page.locator(".result-count")).to_have_text("1 aktivitet")
        assert rows(page) == ["3.1.1"]
        page.locator("#id_status input[value=not_reported]").check()
        follow(page, page.get_by_role("button", name="Visa"))
        expect(page).to_have_url(re.compile(r"status=not_reported"))
        expect(page.locator(".result-count")).to_have_text("0 aktiviteter")
    finally:
        context.close()
