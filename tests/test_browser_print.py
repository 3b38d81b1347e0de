"""Printing: an activity page printed to PDF by Chromium (A4) holds no navigation, form or
button, and no table is wider than the page. The PDFs are kept in test-artifacts/."""

import datetime
import io
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from pypdf import PdfReader

from activities.models import Activity, Status
from activities.reporting import assess, file_report
from organisations.models import Organisation
from tests import factories
from tests.browser import assert_no_axe_violations, sign_in
from tests.factories import REAL_PLAN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", Path(settings.BASE_DIR) / "test-artifacts"))
# The report to the board's print test, with its page numbers and length, is
# tests/test_browser_board_report.py.

# Words of the screen's chrome that must not be printed.
CHROME = [
    "Huvudmeny",
    "Logga ut",
    "Byt språk",
    "Byt plan",
    "Hoppa till innehållet",
    "Spara rapport",
    "Spara bedömning",
    "Ladda ned som Word-dokument",
    "Visa",
    "Administration",
]

# Every table's box, and the page's printable width, with print media emulated.
MEASURE = """() => {
  const width = document.documentElement.clientWidth;
  return {
    width,
    tables: [...document.querySelectorAll('table')].map(t => {
      const r = t.getBoundingClientRect();
      return {left: r.left, right: r.right, scroll: t.scrollWidth, client: t.clientWidth,
              caption: (t.caption ? t.caption.innerText : t.innerText).slice(0, 60)};
    }),
    visible: [...document.querySelectorAll('nav, form, button, select, input, textarea')]
      .filter(e => e.getClientRects().length > 0).map(e => e.outerHTML.slice(0, 80)),
  };
}"""


@pytest.fixture
def followed_up(plan):
    coordinator = factories.make_coordinator("samordnare-print")
    final = factories.make_round(
        plan=plan,
        name="Slutuppföljning 2026",
        opens_on=datetime.date(2026, 1, 10),
        deadline=datetime.date(2026, 2, 28),
    )
    statuses = [Status.ON_TRACK, Status.AT_RISK, Status.DELAYED, Status.COMPLETED]
    activities = list(Activity.objects.filter(insats__area__plan=plan).with_related())
    for i, activity in enumerate(activities):
        values = {t: Decimal(t.value) * Decimal("0.8") for t in activity.targets.all() if t.value}
        for lead in activity.leads:
            file_report(
                activity=activity,
                organisation=lead,
                author=coordinator,
                status=statuses[i % 4],
                comment=f"Kommentar om {activity.reference} från {lead.code}: arbetet har gått "
                "vidare under året och fortsätter i nästa plan.",
                round=final,
                values=values,
                on_behalf=True,
            )
            if i % 2:
                assess(
                    activity=activity,
                    organisation=lead,
                    author=coordinator,
                    assessment="partly",
                    motivation="Delvis: hälften av målen nåddes.",
                    on_behalf=True,
                )
    return coordinator


def print_to_pdf(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.emulate_media(media="print")
    measured = page.evaluate(MEASURE)
    pdf = page.pdf(format="A4", print_background=True)
    (ARTIFACTS / name).write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(p.extract_text() for p in reader.pages)
    return measured, text, len(reader.pages)


def assert_prints_clean(measured, text):
    assert not measured["visible"], measured["visible"]
    for table in measured["tables"]:
        assert table["left"] >= 0 and table["right"] <= measured["width"] + 1, table
        assert table["scroll"] <= table["client"] + 1, table
    printed = [word for word in CHROME if word in text]
    assert not printed, printed


def test_an_activity_page_prints_without_its_forms(page, live_server, followed_up):
    reporter = factories.make_reporter("rapportor-print", "SMF")
    sign_in(page, live_server, reporter.username, factories.PASSWORD)
    page.goto(f"{live_server.url}/plan/{REAL_PLAN}/aktiviteter/5.2.1/")
    assert page.get_by_role("button", name="Spara rapport").is_visible()  # on screen, yes
    assert_no_axe_violations(page)
    measured, text, _ = print_to_pdf(page, "aktivitet-5.2.1.pdf")
    assert_prints_clean(measured, text)
    assert "Rapportera för" not in text and "Mål och utfall" in text
    # The target table's last column is on the page, not cut off (issue 11: "76 index (NKI)").
    assert "Bedömning" in text and "Målvärde" in text and "Utgångsläge" in text
    assert Organisation.objects.get(code="SMF").name.split()[0] in text
