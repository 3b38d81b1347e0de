"""A round's completeness and changes kept per strategic area (activities/per_area.py) are
exactly what the model computes over the whole plan at once: with reports in several areas,
after reports in one area (only that area is counted again), after a round's window moves,
after a lead role is added or removed, and on the round page itself, whose kept parts match a
rendering from an empty cache after every change."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone

from activities import per_area
from activities.changes import RoundChanges, compared, since_previous
from activities.models import ActivityOrganisation, ReportingRound, Role
from activities.views import rounds as round_views
from organisations.models import Organisation
from tests import factories

pytestmark = pytest.mark.django_db


def at(year, month, day):
    return timezone.make_aware(datetime.datetime(year, month, day, 12))


@pytest.fixture
def rounds(plan, coordinator):
    """A past round and the one in progress, with reports in four of the six areas: in the
    first round's window, before it (finished work: Genomförd, Avbruten) and now."""
    first = factories.make_round(
        plan=plan, name="Vår 2025", opens_on=datetime.date(2025, 3, 1), deadline="2025-04-15"
    )
    second = factories.make_open_round(plan=plan)
    then, now = at(2025, 4, 1), timezone.now()
    for ref, code, status, when in [
        ("1.1.1", "SBF", "completed", at(2024, 6, 1)),
        ("1.2.1", "BRG", "on_track", then),
        ("1.2.1", "BRG", "at_risk", now),
        ("3.2.4", "SBF", "cancelled", then),
        ("3.2.3", "SMF", "on_track", then),
        ("3.2.3", "SMF", "delayed", now),
        ("5.1.1", "MF", "on_track", now),
        ("6.2.6", "MF", "completed", then),
    ]:
        factories.file_report(ref, code, coordinator, status, created_at=when, comment="Text")
    return first, second


def fresh(reporting_round):
    """The round read again: nothing it remembers (its window, its areas' versions)."""
    return ReportingRound.objects.get(pk=reporting_round.pk)


def summary(completeness):
    rows = [(r.organisation.code, r.due, r.reported, r.finished) for r in completeness.rows]
    missing = [(m.activity.reference, m.organisation.code) for m in completeness.missing]
    return rows, missing


def direct_changes(reporting_round):
    """{(before, after): n} counted over the whole plan in one GROUP BY, as before."""
    rows = compared(reporting_round.previous(), reporting_round)
    grouped = rows.values("before", "after").annotate(n=Count("pk")).order_by()
    return {(g["before"], g["after"]): g["n"] for g in grouped}


def assert_kept_equals_direct(*rounds_to_check, limit=10):
    for reporting_round in rounds_to_check:
        kept = per_area.completeness(fresh(reporting_round), limit)
        assert summary(kept) == summary(fresh(reporting_round).completeness(limit))
        assert kept.due and kept.missing
        changes = since_previous(fresh(reporting_round))
        assert changes._by_statuses == direct_changes(fresh(reporting_round))


@pytest.fixture
def counted_areas(monkeypatch):
    """The areas counted afresh (not read from the cache), call by call."""
    calls = []
    real = ReportingRound.completeness_of_areas

    def spy(self, areas):
        calls.append(sorted(areas))
        return real(self, areas)

    monkeypatch.setattr(ReportingRound, "completeness_of_areas", spy)
    return calls


def test_kept_counts_are_the_direct_ones_and_a_report_counts_its_area_again(
    rounds, coordinator, counted_areas
):
    first, second = rounds
    assert_kept_equals_direct(first, second)

    def counted_by_kept(reporting_round):
        counted_areas.clear()
        per_area.completeness(fresh(reporting_round))
        return list(counted_areas)

    assert counted_by_kept(second) == [] and counted_by_kept(first) == []  # all kept
    factories.file_report("3.1.1", "SBF", coordinator, "on_track", comment="Text")
    factories.file_report("3.2.3", "SMF", coordinator, "completed", comment="Text")
    area_3 = factories.activity("3.1.1").insats.area_id
    assert counted_by_kept(second) == [[area_3]]  # area 3 again, no other
    assert counted_by_kept(first) == [[area_3]]
    assert_kept_equals_direct(first, second)


def test_kept_counts_follow_a_round_whose_window_moves(rounds, coordinator):
    first, second = rounds
    assert_kept_equals_direct(first, second)
    # The spring round's deadline a month earlier: the report of 2025-04-01 is now between
    # the rounds (late for the first, early for the second).
    first.deadline = datetime.date(2025, 3, 20)
    first.save()
    assert fresh(second).window.start == at(2025, 3, 21).replace(hour=0)
    assert_kept_equals_direct(first, second)


def test_kept_counts_follow_lead_roles_added_and_removed(rounds, plan):
    first, second = rounds
    assert_kept_equals_direct(first, second)
    activity = factories.activity("4.1.1")
    added = ActivityOrganisation.objects.create(
        activity=activity,
        organisation=Organisation.objects.get(code="MF"),
        role=Role.LEAD,
        position=9,
    )
    assert_kept_equals_direct(first, second)
    ActivityOrganisation.objects.filter(
        activity=factories.activity("5.1.1"), role=Role.LEAD
    ).exclude(pk=added.pk).first().delete()
    assert_kept_equals_direct(first, second)


TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def page_of(client, reporting_round):
    response = client.get(reporting_round.get_absolute_url())
    assert response.status_code == 200
    return TOKEN.sub("", response.content.decode())


def lead_of(ref):
    return factories.activity(ref).roles.filter(role=Role.LEAD).first().organisation.code


def test_the_round_page_from_kept_parts_is_the_page_from_an_empty_cache(
    client, rounds, coordinator, monkeypatch
):
    """With the first 3 changes listed (on 1.1.1, 1.1.2 and 1.2.1), a report on another
    activity leaves that list kept; a report on one of them, or on an earlier activity that
    had none (it joins the list), renders it again. Every time, the page is the one rendered
    from an empty cache."""
    monkeypatch.setattr(round_views, "CHANGES_SHOWN", 3)
    monkeypatch.setattr(round_views, "MISSING_SHOWN", 5)
    listed = []
    real_first = RoundChanges.first

    def first(self, n):
        changes = real_first(self, n)
        listed.append([c.activity.reference for c in changes])
        return changes

    monkeypatch.setattr(RoundChanges, "first", first)
    first_round, second = rounds
    client.force_login(coordinator)
    factories.file_report("1.1.2", "SBF", coordinator, "on_track", comment="Text")
    factories.file_report("1.3.1", lead_of("1.3.1"), coordinator, "on_track", comment="Text")
    page_of(client, second)
    assert listed == [["1.1.1", "1.1.2", "1.2.1"]]

    for ref, status, rendered in [
        ("5.1.2", "delayed", None),  # not listed: the list is kept
        ("1.2.1", "completed", ["1.1.1", "1.1.2", "1.2.1"]),
        ("1.1.3", "on_track", ["1.1.1", "1.1.2", "1.1.3"]),  # joins the list
        ("2.1.1", "at_risk", None),
        ("1.3.1", "delayed", None),  # no longer among the first three
    ]:
        listed.clear()
        factories.file_report(ref, lead_of(ref), coordinator, status, comment="Text")
        kept = page_of(client, second)
        assert listed == ([rendered] if rendered else []), ref
        listed.clear()
        cache.clear()
        assert kept == page_of(client, second), ref


def test_the_missing_list_is_kept_until_an_organisation_it_lists_files_a_report(
    client, rounds, coordinator, monkeypatch
):
    monkeypatch.setattr(round_views, "MISSING_SHOWN", 5)
    read = []
    real_first_missing = ReportingRound.first_missing

    def first_missing(self, rows, limit=None):
        missing = real_first_missing(self, rows, limit)
        read.append([(m.activity.reference, m.organisation.code) for m in missing])
        return missing

    monkeypatch.setattr(ReportingRound, "first_missing", first_missing)
    first_round, second = rounds
    client.force_login(coordinator)
    page_of(client, second)
    (listed,) = read
    codes = {c for _ref, c in listed}  # the first organisations by code that owe
    assert len(listed) == 5
    other = (
        ActivityOrganisation.objects.filter(
            role=Role.LEAD, activity__insats__area__plan=second.plan
        )
        .exclude(organisation__code__in=codes)
        .first()
    )
    ref, code = listed[2]

    for activity, reporter, rendered in [
        (other.activity.reference, other.organisation.code, False),
        (ref, code, True),  # one of those listed: it leaves the list
    ]:
        read.clear()
        factories.file_report(activity, reporter, coordinator, "on_track", comment="Text")
        kept = page_of(client, second)
        assert bool(read) == rendered, activity
        cache.clear()
        assert kept == page_of(client, second), activity
    assert (ref, code) not in read[-1]


def missing_list(page):
    return page.split('class="missing-list"')[1].split("</ul>")[0]


def owed_by(reporting_round, code):
    rows = per_area.completeness(fresh(reporting_round), 5).rows
    return next(r.owed for r in rows if r.organisation.code == code)


def test_the_missing_list_follows_reports_that_leave_an_organisations_count_as_it_was(
    client, rounds, coordinator, monkeypatch
):
    """One report makes a lead done, another (dated before the round) reopens work that was
    finished: the organisation owes as many as before, but not the same. The kept list is
    keyed by the organisation's reports too, so it is rendered again."""
    monkeypatch.setattr(round_views, "MISSING_SHOWN", 5)
    first_round, second = rounds
    client.force_login(coordinator)
    listed = summary(per_area.completeness(fresh(second), 5))[1]
    (reopened, code), (done, _code) = listed[2], listed[3]
    factories.file_report(reopened, code, coordinator, "completed", created_at=at(2025, 1, 1))
    before = page_of(client, second)
    assert f">{reopened}<" not in missing_list(before)
    owed = owed_by(second, code)
    factories.file_report(done, code, coordinator, "on_track", comment="Text")
    factories.file_report(
        reopened, code, coordinator, "delayed", comment="Text", created_at=at(2025, 2, 1)
    )
    assert owed_by(second, code) == owed
    kept = page_of(client, second)
    assert f">{reopened}<" in missing_list(kept) and f">{done}<" not in missing_list(kept)
    cache.clear()
    assert kept == page_of(client, second)
