"""Insyn names nobody: no user's username, name or e-mail on any public page, and no report
comment or assessment motivation unless the plan's `public_comments` is on.

Reports, values and assessments are filed first by people with distinctive names and
addresses, on behalf of organisations too, and every page a visitor can reach by following
links from the overview is read and checked against every user and every comment and
motivation in the database."""

import itertools
import re
from collections import deque
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from activities.models import Activity, Assessment, OutcomeAssessment, Status, StatusReport
from activities.reporting import assess, file_report
from activities.templatetags.insyn import public_url_of
from tests import factories

pytestmark = pytest.mark.django_db

SLUG = "2024-2025"
# Enough for the overview, the areas, every activity and the table.
MAX_PAGES = 100
TABLE = f"/insyn/{SLUG}/aktiviteter/"
TABLE_VIEWS = [
    f"{TABLE}?per_page=100",
    f"{TABLE}?per_page=100&sort=-current_status",
    f"{TABLE}?per_page=100&sort=-last_reported_at&status=delayed&status=at_risk",
    f"{TABLE}?per_page=10&page=3&lead=SBF",
]


@pytest.fixture
def filed(published_plan):
    """Reports with comments on every activity, values on their targets, and assessments
    with motivations, by reporters and a coordinator with names found nowhere else."""
    people = [
        factories.make_reporter("zq-rapportor-sbf", "SBF"),
        factories.make_reporter("xv-rapportor-mf", "MF"),
        factories.make_coordinator("yw-samordnare"),
    ]
    names = [
        ("Zenobia", "Quarrington-Ödegård", "zenobia.quarrington@example.test"),
        ("Xavierine", "Vandermolen", "x.vandermolen@example.test"),
        ("Ysolde", "Wintermarsh", "ysolde.w@example.test"),
    ]
    for person, (first, last, email) in zip(people, names, strict=True):
        person.first_name, person.last_name, person.email = first, last, email
        person.save()
    coordinator = people[-1]

    statuses = itertools.cycle(Status.reportable_values())
    authors = itertools.cycle(people)
    activities = Activity.objects.filter(insats__area__plan=published_plan).with_related()
    for n, activity in enumerate(activities):
        author = next(authors)
        target = next(iter(activity.targets.all()), None)
        file_report(
            activity=activity,
            organisation=activity.leads[0],
            author=author,
            status=next(statuses),
            comment=f"Hemlig kommentar nummer {n} om budgeten",
            values={target: 7} if target and target.value is not None else None,
            on_behalf=author is coordinator,
        )
        if n % 3 == 0:
            assess(
                activity=activity,
                organisation=activity.leads[0],
                author=author,
                assessment=Assessment.PARTLY_ACHIEVED,
                motivation=f"Hemlig motivering nummer {n} om personalen",
                on_behalf=author is coordinator,
            )
    return published_plan


def crawl(client, start):
    """Every public page reachable from `start` by links, by their path: the table's filtered,
    sorted and paged views (links with a query string) are left to TABLE_VIEWS, which read the
    same rows in other orders."""
    pages, queue, seen = {}, deque([start, *TABLE_VIEWS]), {start, *TABLE_VIEWS}
    while queue and len(pages) < MAX_PAGES:
        url = queue.popleft()
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.text
        pages[url] = html
        for link in re.findall(r'href="([^"#]*)', html):
            link = unescape(link)
            if link.startswith(f"/insyn/{SLUG}/") and "?" not in link and link not in seen:
                seen.add(link)
                queue.append(link)
    return pages


def forbidden_strings(with_comments):
    users = get_user_model().objects.all()
    names = {
        value
        for user in users
        for value in (user.username, user.first_name, user.last_name, user.email)
        if value
    }
    names |= {user.get_full_name() for user in users if user.get_full_name()}
    if with_comments:
        return names
    comments = set(StatusReport.objects.exclude(comment="").values_list("comment", flat=True))
    motivations = set(OutcomeAssessment.objects.values_list("motivation", flat=True))
    return names | comments | motivations


def leaks(pages, forbidden):
    return sorted(
        f"{url}: {text!r}"
        for url, html in pages.items()
        for text in forbidden
        if text in html or text in unescape(html)
    )


def test_no_public_page_names_anyone_or_shows_comments(client, filed):
    pages = crawl(client, reverse("insyn:overview", args=[SLUG]))
    activity_pages = {url for url in pages if re.search(r"/aktiviteter/\d+\.\d+\.\d+/$", url)}
    assert len(activity_pages) == 55
    forbidden = forbidden_strings(with_comments=False)
    assert len(forbidden) > 60  # the users, 55 comments and 19 motivations
    assert leaks(pages, forbidden) == []


def test_with_public_comments_the_comments_show_but_still_no_names(client, filed):
    filed.public_comments = True
    filed.save()
    pages = crawl(client, reverse("insyn:overview", args=[SLUG]))
    everything = "".join(pages.values())
    assert "Hemlig kommentar nummer 0 om budgeten" in everything
    assert "Hemlig motivering nummer 0 om personalen" in everything
    assert leaks(pages, forbidden_strings(with_comments=True)) == []


def test_the_history_shows_status_organisation_date_and_values(client, filed):
    activity = Activity.objects.filter(insats__area__plan=filed).in_plan_order().first()
    report = StatusReport.objects.filter(activity=activity).get()
    html = client.get(public_url_of(activity)).text
    history = html.split('id="historik"')[1]
    assert str(Status.of(report.status).label) in history
    assert report.organisation.name in history
    assert f'datetime="{report.created_at:%Y}' in history
    assert "rapporterad av" not in history.lower()
