"""The open data pages in a real browser, without signing in: axe-core (WCAG 2.1 AA), the
links to every file work, and a phone-sized screen does not scroll sideways."""

import pytest

from activities.opendata.datasets import DATASETS
from tests.browser import WCAG_21_AA, assert_no_axe_violations, horizontal_overflow
from tests.factories import REAL_PLAN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)])
def test_the_open_data_pages_are_accessible_and_their_links_work(
    page, live_server, published_plan, size
):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    for path in ["/oppna-data/", f"/oppna-data/{REAL_PLAN}/", f"/oppna-data/{REAL_PLAN}/kolumner/"]:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        # Also axe's best-practice rules, as on the insyn pages (landmark-unique, heading-order).
        assert_no_axe_violations(page, [*WCAG_21_AA, "best-practice"])
        assert not horizontal_overflow(page), path
    page.goto(f"{live_server.url}/oppna-data/{REAL_PLAN}/")
    links = page.locator("main .tag-list a")
    assert links.count() == 3 * len(DATASETS)  # Excel, CSV and JSON
    for href in links.evaluate_all("links => links.map(a => a.href)"):
        answer = page.request.get(href)
        assert answer.status == 200, href
        assert answer.headers["etag"]
