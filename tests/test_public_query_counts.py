"""No query per row on the public pages either: rendering one (a cache miss) costs the same for
the real plan (55 activities) as for a synthetic plan ten times larger, pinned here; served from
the cache it costs one query (tests/test_public_cache.py)."""

import datetime

import pytest
from django.urls import reverse

from areas.models import Plan
from tests import factories
from tests.actions import count_queries

pytestmark = pytest.mark.django_db

# Each page's queries when it is rendered: the data version, the plan, then the page's own.
EXPECTED = {
    # The overview and ?change= compare rounds by their windows (the round before and after
    # the current one: one small query, activities/models/rounds.py window_for).
    "overview": 14,
    "area_list": 4,
    "area_detail": 9,
    "activity_list": 12,
    "activity_list_filtered": 13,
    # As ?lead=SBF alone costs; the filtered page above lists nothing (change=worse with no
    # round in progress), so it reads no rows' organisations and targets.
    "activity_list_by_alias": 13,
    "activity_detail": 12,  # with the assessment history (the outcome's, the targets')
}
PAGES = {
    "overview": lambda slug: reverse("insyn:overview", args=[slug]),
    "area_list": lambda slug: reverse("insyn:areas", args=[slug]),
    "area_detail": lambda slug: reverse("insyn:area", args=[slug, 1]),
    "activity_list": lambda slug: reverse("insyn:activities", args=[slug]) + "?per_page=100",
    "activity_list_filtered": lambda slug: (
        reverse("insyn:activities", args=[slug])
        + "?per_page=100&lead=SBF&q=a&status=on_track&status=partly_reported&change=worse"
        + "&sort=current_status&page=1"
    ),
    "activity_list_by_alias": lambda slug: (
        reverse("insyn:activities", args=[slug]) + "?per_page=100&lead=gsf&lead_assessment=none"
    ),
    "activity_detail": lambda slug: reverse("insyn:activity", args=[slug, "1.1.1"]),
}


@pytest.fixture(scope="module")
def synthetic_plan(module_db, django_db_blocker):
    """A 10× synthetic plan, published, in final follow-up (the real plan's dates) and with a
    reporting round, built once for the module (5–6 s each time)."""
    with django_db_blocker.unblock():
        real = Plan.objects.get(slug=factories.REAL_PLAN)
        big = factories.make_synthetic_plan("syntetisk", scale=10)
        for field in ("period_start", "period_end", "outcome_deadline"):
            setattr(big, field, getattr(real, field))
        big.published = True
        big.public_comments = True
        big.save()
        factories.make_round(
            plan=big,
            name="T2",
            opens_on=datetime.date(2024, 1, 1),
            deadline=datetime.date(2030, 1, 1),
        )
    return big


@pytest.fixture
def published_plans(published_plan, synthetic_plan):
    """The real plan with a report on every activity and the 10× synthetic plan, both
    published, in final follow-up and with a reporting round."""
    author = factories.make_reporter("rapportor", "SBF")
    factories.report_on_every_activity(published_plan, author)
    factories.make_round(
        plan=published_plan,
        name="T2",
        opens_on=datetime.date(2024, 1, 1),
        deadline=datetime.date(2030, 1, 1),
    )
    synthetic_plan.refresh_from_db()
    return published_plan, synthetic_plan


@pytest.mark.parametrize("page", PAGES)
def test_public_page_query_count_is_pinned_and_does_not_grow(client, published_plans, page):
    real, big = published_plans
    client.get(PAGES[page](real.slug))  # warm the content-type cache
    small = count_queries(client, PAGES[page](real.slug))
    large = count_queries(client, PAGES[page](big.slug))
    assert small == large, f"{page}: {small} queries vs {large} at 10×"
    assert small == EXPECTED[page], f"{page}: {small} queries"
