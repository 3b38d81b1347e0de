"""No query per row: every page costs the same number of queries for the real plan (55
activities) and for a synthetic plan ten times larger (550+), with reports on every activity."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.changes import since_previous
from activities.models import Activity, ReportingRound, StatusReport
from areas.models import Plan
from tests import factories
from tests.actions import count_queries

pytestmark = pytest.mark.django_db

# The ceiling per page; the test fails if a page grows past it or with the data. 21 since a
# round's completeness reads the plan's insatser first (one small query): filtering by that list
# gives PostgreSQL the true size of the plan, where a join made it guess (the board report);
# 22 since the board report reads the data version its cached part is keyed on (fragments.py);
# 23 since a round's completeness reads its window (the plan's start and rounds, one small
# query: what counts for a round is when a report was filed); 26 since the board report lists
# at most 40 activities per area and names at most 60 in each list to read first, counting the
# rest in SQL (the final assessments per area, and two queries for the lists' first ones); 27
# since each of its areas is kept by the area's own version (the areas with their filings); 32
# since the board report reads each part only when its part of the page misses
# (board_report.BoardReport): cold, the first area alone and then the other five together (five
# queries each), and the listed activities' ids for the lists to read first; after a report
# in one area it reads that area only; 35 since each area's listed activities and charts are
# kept by what they show (board_facts.shown_in_detail, three queries for every area at once).
MAX_QUERIES = 35


@pytest.fixture(scope="module")
def synthetic_plan(module_db, django_db_blocker):
    """A 10× synthetic plan with a reporting round, built once for the module (5–6 s each
    time), in the same phase as the real plan (ended, in final follow-up), so both pages show
    the same."""
    with django_db_blocker.unblock():
        real = Plan.objects.get(slug=factories.REAL_PLAN)
        big = factories.make_synthetic_plan("syntetisk", scale=10)
        for field in ("period_start", "period_end", "outcome_deadline"):
            setattr(big, field, getattr(real, field))
        big.save()
        factories.refresh_statistics()  # the new plan's rows, before rewriting them
        # Its reports filed before the plan started: they count for no round, so the round
        # has reports owed and leads finished before it (Genomförd, Avbruten) at 10× too.
        StatusReport.objects.filter(activity__insats__area__plan=big).update(
            created_at=timezone.make_aware(datetime.datetime(2023, 12, 1, 12))
        )
        factories.refresh_statistics()
        factories.make_round(
            plan=big,
            name="T2",
            opens_on=datetime.date(2024, 1, 1),
            deadline=datetime.date(2030, 1, 1),
        )
    return big


@pytest.fixture
def plans(plan, reporter_sbf, synthetic_plan):
    """The real plan with a report on every activity, and the 10× synthetic plan; both with a
    reporting round, so every page has rows to show."""
    factories.report_on_every_activity(plan, reporter_sbf)
    factories.make_round(
        plan=plan,
        name="T2",
        opens_on=datetime.date(2024, 1, 1),
        deadline=datetime.date(2030, 1, 1),
    )
    synthetic_plan.refresh_from_db()
    return plan, synthetic_plan


PAGES = {
    "overview": lambda slug: reverse("overview", args=[slug]),
    "area_list": lambda slug: reverse("areas:list", args=[slug]),
    "area_detail": lambda slug: reverse("areas:detail", args=[slug, 1]),
    "activity_list": lambda slug: reverse("activities:list", args=[slug]) + "?per_page=100",
    "activity_list_filtered": lambda slug: (
        reverse("activities:list", args=[slug])
        + "?per_page=100&lead=SBF&q=a&status=on_track&status=partly_reported&status=not_reported"
        + "&sort=current_status"
    ),
    # An alias in another case and the lead's own assessment (test_organisation_aliases.py).
    "activity_list_by_alias": lambda slug: (
        reverse("activities:list", args=[slug]) + "?per_page=100&lead=gsf&lead_assessment=none"
    ),
    "activity_detail": lambda slug: reverse("activities:detail", args=[slug, "1.1.1"]),
    "organisation_list": lambda slug: reverse("organisations:list", args=[slug]),
    "organisation_detail": lambda slug: reverse("organisations:detail", args=[slug, "SBF"]),
    "round_list": lambda slug: reverse("rounds:list", args=[slug]),
    "round_detail": lambda slug: ReportingRound.objects.get(plan__slug=slug).get_absolute_url(),
    "my_organisation": lambda slug: reverse("rounds:my_organisation", args=[slug]),
    "board_report": lambda slug: reverse("report:page", args=[slug]),
    "board_report_docx": lambda slug: reverse("report:docx", args=[slug]),
}


@pytest.mark.parametrize("page", PAGES)
def test_page_query_count_does_not_grow_with_the_plan(client, plans, reporter_sbf, page):
    real, big = plans
    client.force_login(reporter_sbf)
    client.get(PAGES[page](real.slug))  # warm the session and content-type caches
    small_count = count_queries(client, PAGES[page](real.slug))
    big_count = count_queries(client, PAGES[page](big.slug))
    assert small_count == big_count, f"{page}: {small_count} queries vs {big_count} at 10×"
    assert small_count <= MAX_QUERIES, f"{page}: {small_count} queries"


def test_synthetic_plan_is_ten_times_the_real_one(plans):
    real, big = plans
    real_count = Activity.objects.filter(insats__area__plan=real).count()
    big_count = Activity.objects.filter(insats__area__plan=big).count()
    assert real_count == 55 and big_count >= 550


def count_page(client, user, url):
    client.force_login(user)
    client.get(url)
    return count_queries(client, url)


def test_round_list_costs_the_same_with_one_round_or_thirty(client, plan, coordinator):
    url = reverse("rounds:list", args=[plan.slug])
    factories.make_round(
        plan=plan, name="R0", opens_on=datetime.date(2024, 1, 1), deadline=datetime.date(2024, 2, 1)
    )
    one = count_page(client, coordinator, url)
    ReportingRound.objects.bulk_create(
        ReportingRound(
            plan=plan,
            name=f"R{n}",
            name_key=f"r{n}",
            opens_on=datetime.date(2024, 1, 1),
            deadline=datetime.date(2024, 2, 1),
            created_by=coordinator,
        )
        for n in range(1, 30)
    )
    assert count_page(client, coordinator, url) == one


def test_my_organisation_costs_the_same_for_one_membership_or_many(client, plan):
    url = reverse("rounds:my_organisation", args=[plan.slug])
    factories.make_round(
        plan=plan, name="T", opens_on=datetime.date(2024, 1, 1), deadline=datetime.date(2030, 1, 1)
    )
    single = count_page(client, factories.make_reporter("en", "SBF"), url)
    many = count_page(
        client, factories.make_reporter("många", "SBF", "MF", "BRG", "INK", "SMF", "GR"), url
    )
    assert many == single


def test_a_round_page_with_its_change_list_costs_the_same_at_10x(client, plans, coordinator):
    """Two consecutive rounds in each plan, every activity reported in both."""
    counts = []
    for plan in plans:
        earlier, later = (
            factories.make_round(
                plan=plan, name=name, opens_on=opens, deadline=opens + datetime.timedelta(days=60)
            )
            for name, opens in [
                ("R1", datetime.date(2023, 1, 1)),
                ("R2", datetime.date(2023, 6, 1)),
            ]
        )
        reports = StatusReport.objects.filter(activity__insats__area__plan=plan)
        ids = list(reports.values_list("pk", flat=True))
        # What counts for a round is when a report was filed (its window).
        in_earlier, in_later = (
            timezone.make_aware(datetime.datetime(*day, 12)) for day in [(2023, 2, 1), (2023, 5, 1)]
        )
        StatusReport.objects.filter(pk__in=ids[::2]).update(round=earlier, created_at=in_earlier)
        StatusReport.objects.filter(pk__in=ids[1::2]).update(round=later, created_at=in_later)
        owed = StatusReport.objects.get(pk=ids[1])  # its pair is still owed in R2
        reports.filter(activity=owed.activity_id, organisation=owed.organisation_id).update(
            created_at=in_earlier,
            status="on_track",  # not finished either
        )
        factories.refresh_statistics()
        assert since_previous(later).changes and later.reminders()
        counts.append(count_page(client, coordinator, later.get_absolute_url()))
    assert counts[0] == counts[1], counts
    assert counts[0] <= MAX_QUERIES
