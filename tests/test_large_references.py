"""References of any length (activities/references.py): an insats of more than 999 activities,
as a plan a thousand times the real one has, is listed, paged to its end, linked, exported and
read back like any other. Before, a fourth digit matched no URL and every table page listing
such an activity answered 500 (NoReverseMatch)."""

import datetime
import io
import re
from html import unescape

import openpyxl
import pytest
from django.urls import reverse

from activities.models import Activity, ActivityOrganisation, Role
from areas.models import Insats, Plan, StrategicArea
from organisations.models import Organisation
from tests.actions import post_report

pytestmark = pytest.mark.django_db

ACTIVITIES = 1005  # one insats past three digits
SLUG = "stor-insats"


@pytest.fixture
def large_insats(coordinator):
    plan = Plan.objects.create(
        slug=SLUG,
        title="En plan med en stor insats",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2027, 12, 31),
        outcome_deadline=datetime.date(2027, 12, 31),
        published=True,
    )
    area = StrategicArea.objects.create(plan=plan, number=1, name="Område 1")
    insats = Insats.objects.create(area=area, number=1, title="Insats 1.1")
    activities = Activity.objects.bulk_create(
        Activity(insats=insats, number=n, description=f"Aktivitet nummer {n}")
        for n in range(1, ACTIVITIES + 1)
    )
    sbf = Organisation.objects.get(code="SBF")
    ActivityOrganisation.objects.bulk_create(
        ActivityOrganisation(activity=a, organisation=sbf, role=Role.LEAD, position=0)
        for a in activities
    )
    Activity.objects.filter(insats=insats).recompute_current()
    return plan


def references_on(html):
    return re.findall(r'href="[^"]*/aktiviteter/(\d+\.\d+\.\d+)/"', html)


def walk(client, url):
    """Every page of a table, following its "Nästa" link to the end: the references listed."""
    seen, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        seen += references_on(html.split("<tbody")[1].split("</tbody>")[0])
        following = re.search(r'<a href="([^"]+)" rel="next">', html)
        url = unescape(following[1]) if following else None
        if url and url.startswith("?"):
            url = response.request["PATH_INFO"] + url
        pages += 1
        assert pages < 50
    return seen, pages


def test_the_activity_table_pages_to_the_end_past_three_digits(client, coordinator, large_insats):
    client.force_login(coordinator)
    seen, pages = walk(client, reverse("activities:list", args=[SLUG]) + "?per_page=100")
    assert pages == 11
    assert len(seen) == ACTIVITIES and len(set(seen)) == ACTIVITIES
    assert seen[-1] == f"1.1.{ACTIVITIES}"
    # Sorted the other way, the longest references come first.
    first = client.get(reverse("activities:list", args=[SLUG]) + "?sort=-reference")
    assert references_on(first.content.decode())[0] == f"1.1.{ACTIVITIES}"


def test_the_public_table_pages_to_the_end_past_three_digits(client, large_insats):
    seen, pages = walk(client, reverse("insyn:activities", args=[SLUG]) + "?per_page=100")
    assert pages == 11 and len(set(seen)) == ACTIVITIES


@pytest.mark.parametrize("name", ["activities:detail", "insyn:activity", "api_activity"])
def test_a_four_digit_reference_has_its_pages(client, coordinator, large_insats, name):
    client.force_login(coordinator)
    reference = "1.1.1005"
    if name == "api_activity":
        url = f"/api/v1/plans/{SLUG}/activities/{reference}/"
    else:
        url = reverse(name, args=[SLUG, reference])
    response = client.get(url)
    assert response.status_code == 200, url
    assert "1.1.1005" in response.content.decode()
    assert Activity.objects.get(number=1005).get_absolute_url().endswith(f"/{reference}/")


def test_a_four_digit_reference_takes_a_report(client, reporter_sbf, large_insats):
    client.force_login(reporter_sbf)
    post_report(client, "1.1.1005", plan=SLUG, status="delayed", comment="Sent.", expect=302)
    activity = Activity.objects.get(insats__area__plan__slug=SLUG, number=1005)
    assert activity.reports.get().comment == "Sent."


def test_a_reference_past_what_the_database_holds_is_not_found(client, coordinator, large_insats):
    client.force_login(coordinator)
    for reference in ("1.1.32767", "1.1.99999", "99999.1.1"):
        assert client.get(reverse("activities:detail", args=[SLUG, reference])).status_code == 404
    # Six digits match no address at all.
    assert client.get(f"/plan/{SLUG}/aktiviteter/1.1.100000/").status_code == 404


def test_the_table_export_and_the_plan_workbook_name_four_digit_references(
    client, coordinator, large_insats
):
    client.force_login(coordinator)
    for name in ("activities:export_table", "activities:export_plan"):
        response = client.get(reverse(name, args=[SLUG]))
        assert response.status_code == 200
        content = b"".join(response.streaming_content) if response.streaming else response.content
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        cells = {
            str(value)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        }
        assert f"1.1.{ACTIVITIES}" in cells, name


def test_the_next_plans_workbook_reads_back_four_digit_references(
    client, coordinator, large_insats
):
    """The handover workbook (the plan with "Fortsätter" filled in) of a plan with an insats
    past 999 activities is read back by the plan import without a refused reference."""
    Plan.objects.filter(slug=SLUG).update(state="active")
    client.force_login(coordinator)
    response = client.get(reverse("handover_workbook", args=[SLUG]))
    assert response.status_code == 200
    from activities.excel.plan_import import read_plan_workbook

    content = b"".join(response.streaming_content) if response.streaming else response.content
    parsed = read_plan_workbook(io.BytesIO(content))
    refused = [e for e in parsed.errors if "1.1.1005" in str(e)]
    assert refused == []
    assert (1, 1, ACTIVITIES) in parsed.activities
