"""The report to the board as the final follow-up, printed by Chromium to A4 PDF: every page
numbered "Sida N av M" in its bottom margin (CSS @page margin boxes), each area starting a
page, no chrome printed, and a length stated for the real plan with every activity and target
assessed (docs/board-report.md). axe-core checks the page on screen. The PDF and a screenshot
of the first area as printed are kept in test-artifacts/."""

import datetime
import io
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from pypdf import PdfReader

from activities.models import Activity, Assessment, Status
from activities.reporting import (
    AssessmentDraft,
    TargetAssessmentDraft,
    file_assessments,
    file_report,
    file_target_assessments,
)
from areas.models import StrategicArea
from tests import factories
from tests.browser import assert_no_axe_violations, sign_in
from tests.factories import REAL_PLAN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", Path(settings.BASE_DIR) / "test-artifacts"))
# The real plan, every activity reported and every activity and target assessed, a third
# each way (achieved ones compact, the others expanded): 35 A4 pages when measured
# (docs/board-report.md); the ceiling leaves room for longer comments, not for a report that
# has grown by half.
BOARD_REPORT_MAX_PAGES = 45

# With print media: the screen's elements that must not be printed, and every table that is
# wider than the page or than its own box.
MEASURE = """() => {
  const width = document.documentElement.clientWidth;
  return {
    chrome: [...document.querySelectorAll('nav, form, button, select, input')]
      .filter(e => e.getClientRects().length > 0).map(e => e.outerHTML.slice(0, 80)),
    wide: [...document.querySelectorAll('table')].filter(t => {
      const r = t.getBoundingClientRect();
      return r.left < 0 || r.right > width + 1 || t.scrollWidth > t.clientWidth + 1;
    }).map(t => (t.caption ? t.caption.innerText : t.innerText).slice(0, 60)),
  };
}"""
# Words of the screen's chrome.
CHROME = ["Huvudmeny", "Logga ut", "Byt språk", "Hoppa till innehållet", "Ladda ned som Word"]

VERDICTS = [Assessment.ACHIEVED, Assessment.PARTLY_ACHIEVED, Assessment.NOT_ACHIEVED]
STATUSES = [Status.COMPLETED, Status.ON_TRACK, Status.DELAYED]


def _report_everything(activities, coordinator, final):
    for i, activity in enumerate(activities):
        values = {t: Decimal(t.value) * Decimal("0.8") for t in activity.targets.all() if t.value}
        for lead in activity.leads:
            file_report(
                activity=activity,
                organisation=lead,
                author=coordinator,
                status=STATUSES[i % 3],
                comment=f"Kommentar om {activity.reference} från {lead.code}: arbetet har gått "
                "vidare under året och fortsätter i nästa plan.",
                round=final,
                values=values,
                on_behalf=True,
            )


def _assess_everything(activities, coordinator):
    file_assessments(
        AssessmentDraft(
            activity=activity,
            organisation=lead,
            author=coordinator,
            assessment=VERDICTS[i % 3],
            motivation=f"{lead.code} om {activity.reference}: utfallet jämfört med det "
            "förväntade, och varför.",
            on_behalf=True,
        )
        for i, activity in enumerate(activities)
        for lead in activity.leads
    )
    file_target_assessments(
        TargetAssessmentDraft(
            target=target,
            organisation=target.responsible_organisation or activity.leads[0],
            author=coordinator,
            assessment=VERDICTS[(i + n) % 3],
            motivation="Målets utfall och skälen till det.",
            value=target.value * Decimal("0.9") if target.value is not None else None,
            on_behalf=True,
        )
        for i, activity in enumerate(activities)
        for n, target in enumerate(activity.targets.all())
    )


@pytest.fixture
def assessed(plan):
    """The real plan at its final follow-up: every activity reported and assessed."""
    coordinator = factories.make_coordinator("samordnare-styrelse")
    final = factories.make_round(
        plan=plan,
        name="Slutuppföljning 2026",
        opens_on=datetime.date(2026, 1, 10),
        deadline=datetime.date(2026, 2, 28),
    )
    activities = list(Activity.objects.filter(insats__area__plan=plan).with_related())
    _report_everything(activities, coordinator, final)
    _assess_everything(activities, coordinator)
    return coordinator


def print_report(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.emulate_media(media="print")
    measured = page.evaluate(MEASURE)
    pdf = page.pdf(format="A4", print_background=True)
    (ARTIFACTS / name).write_bytes(pdf)
    return measured, [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]


def test_the_printed_report_numbers_its_pages_and_starts_each_area_on_a_page(
    page, live_server, assessed, plan
):
    sign_in(page, live_server, assessed.username, factories.PASSWORD)
    page.goto(f"{live_server.url}/plan/{REAL_PLAN}/rapport/")
    assert_no_axe_violations(page)
    measured, pages = print_report(page, "rapport-till-styrelsen.pdf")
    assert not measured["chrome"] and not measured["wide"], measured
    assert not [word for word in CHROME if word in "".join(pages)]
    total = len(pages)
    for number, text in enumerate(pages, 1):
        assert f"Sida {number} av {total}" in text, (number, text[-200:])
    assert total <= BOARD_REPORT_MAX_PAGES, total

    # An area's heading is the first thing on its page.
    for area in StrategicArea.objects.filter(plan=plan).order_by("number"):
        heading = f"{area.number}. {area.name}"
        found = [text for text in pages if heading in text]
        assert found, heading
        first_line = next(line for line in found[0].splitlines() if not line.startswith("Sida"))
        assert heading.startswith(first_line.strip()), (heading, first_line)
    # Every activity is there with its full title.
    printed = re.sub(r"\s+", " ", " ".join(pages))
    for activity in Activity.objects.filter(insats__area__plan=plan):
        assert activity.reference in printed
    print(f"\nBoard report for the real plan, everything assessed: {total} A4 pages")

    # The first area as printed, for the closing note.
    page.set_viewport_size({"width": 700, "height": 1000})
    first_area = page.locator("section[aria-labelledby='area-1']")
    first_area.screenshot(path=str(ARTIFACTS / "board-report-print.png"))
    assert (ARTIFACTS / "board-report-print.png").stat().st_size > 10_000


def test_the_english_report_prints_page_n_of_m(page, live_server, assessed):
    sign_in(page, live_server, assessed.username, factories.PASSWORD)
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/plan/{REAL_PLAN}/rapport/")
    assert page.locator("html").get_attribute("lang") == "en"
    _measured, pages = print_report(page, "report-to-the-board-en.pdf")
    assert f"Page 1 of {len(pages)}" in pages[0]
    assert "Sida" not in "".join(pages)
