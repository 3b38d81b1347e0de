"""Rounds ask only for what is owed (issue 21, found items 3 and 4): what counts for a round
is when a report was filed (its window: from the end of the previous round's deadline day,
or the plan's start, to the next round's opening), and a lead whose own status is Genomförd
or Avbruten from before the round is done, not asked. Every consumer agrees: the round's
completeness and missing reports, the reminders, Min organisation, the activity table's
?to_report filter and its Excel export, and the changes since the previous round."""

import datetime
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from activities.changes import FINISHED, MISSING, WORSE, since_previous
from tests import factories
from tests.actions import post_report

pytestmark = pytest.mark.django_db

SLUG = factories.REAL_PLAN


def at(year, month, day):
    return timezone.make_aware(datetime.datetime(year, month, day, 12))


@pytest.fixture
def first(plan):
    """A round of spring 2025, long past: its window runs from the plan's start (2024-01-01)
    until the next round opens."""
    return factories.make_round(
        plan=plan, name="Vår 2025", opens_on=datetime.date(2025, 3, 1), deadline="2025-04-15"
    )


@pytest.fixture
def second(first):
    """The round in progress: its window starts when the first's deadline day ends."""
    return factories.make_open_round(plan=first.plan)


def report(ref, code, author, status, when, **fields):
    return factories.file_report(ref, code, author, status, created_at=when, **fields)


def rows_of(completeness):
    return {r.organisation.code: (r.reported, r.finished, r.owed) for r in completeness.rows}


def missing_of(completeness):
    return {(m.activity.reference, m.organisation.code) for m in completeness.missing}


def test_a_round_s_window_runs_from_the_previous_deadline_to_the_next_opening(first, second):
    assert first.window.start == at(2024, 1, 1).replace(hour=0)
    assert first.window.end == timezone.make_aware(
        datetime.datetime.combine(second.opens_on, datetime.time.min)
    )
    assert second.window.start == at(2025, 4, 16).replace(hour=0) and second.window.end is None
    assert second.previous() == first and first.previous() is None


def test_work_reported_completed_or_cancelled_is_not_asked_for_again(
    viewer_client, first, second, coordinator
):
    """MF reported 6.2.6 Genomförd and SBF 3.2.4 Avbruten in the spring: the round in
    progress does not ask them again, shows them as done and counts them in the share."""
    report("6.2.6", "MF", coordinator, "completed", at(2025, 4, 1))
    report("3.2.4", "SBF", coordinator, "cancelled", at(2025, 4, 1), comment="Slopad.")
    report("5.1.1", "MF", coordinator, "on_track", at(2025, 4, 1))  # going on: asked again

    response = viewer_client.get(second.get_absolute_url())
    completeness = response.context["completeness"]
    rows = rows_of(completeness)
    assert rows["MF"] == (0, 1, 2) and rows["SBF"] == (0, 1, 6)
    assert ("6.2.6", "MF") not in missing_of(completeness)
    assert ("3.2.4", "SBF") not in missing_of(completeness)
    assert ("5.1.1", "MF") in missing_of(completeness)
    assert (completeness.done, completeness.due, completeness.share) == (2, 63, 3)
    page = response.content.decode()
    assert "2 av 63 klara (3 %)" in page
    assert "0 rapporterade i omgången, 2 genomförda eller avbrutna sedan tidigare." in page
    assert "Klara sedan tidigare" in page and "1 genomförd eller avbruten" in page
    assert "Rapporter som lämnas från och med 16 april 2025 räknas för omgången" in page

    # In the spring round itself they were reports like any other.
    assert rows_of(first.completeness())["MF"] == (2, 0, 1)


def test_work_completed_in_the_round_counts_as_reported_and_reopened_work_is_asked_again(
    first, second, coordinator
):
    report("6.2.6", "MF", coordinator, "completed", at(2025, 4, 1))
    report("6.2.6", "MF", coordinator, "on_track", timezone.now(), comment="Återupptagen.")
    report("5.1.1", "MF", coordinator, "completed", timezone.now())
    assert rows_of(second.completeness())["MF"] == (2, 0, 1)
    # A third round: 6.2.6 was reopened, so MF is asked again; 5.1.1 is done.
    later = factories.make_round(
        plan=second.plan,
        name="Senare",
        opens_on=second.deadline + datetime.timedelta(days=1),
        deadline=second.deadline + datetime.timedelta(days=30),
    )
    completeness = later.completeness()
    assert rows_of(completeness)["MF"] == (0, 1, 2)
    assert ("6.2.6", "MF") in missing_of(completeness)


def test_a_report_filed_between_rounds_counts_late_for_one_and_early_for_the_next(
    first, second, coordinator
):
    report("5.2.1", "SMF", coordinator, "on_track", at(2025, 5, 2))  # after the deadline
    report("3.2.3", "SMF", coordinator, "on_track", timezone.now())  # in the second round
    assert rows_of(first.completeness())["SMF"] == (1, 0, 2)
    assert rows_of(second.completeness())["SMF"] == (2, 0, 1)
    assert ("3.2.3", "SMF") in missing_of(first.completeness())


def test_a_late_report_counts_for_its_round_until_the_next_one_opens(first, coordinator):
    report("5.2.1", "SMF", coordinator, "on_track", timezone.now())
    assert first.window.end is None
    assert rows_of(first.completeness())["SMF"][0] == 1
    # The next round, created now, opens tomorrow: the report came before, so it still
    # counts for the first round (and, filed after its deadline, for the next too).
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    nxt = factories.make_round(plan=first.plan, name="Nästa", opens_on=tomorrow, deadline=tomorrow)
    first.refresh_from_db()
    del first.plan_rounds, first.window
    assert rows_of(first.completeness())["SMF"][0] == 1
    assert rows_of(nxt.completeness())["SMF"][0] == 1


def test_reminders_ask_only_for_what_is_owed(client, first, second, coordinator, mailoutbox):
    """MF was mailed about 6.2.6 and BRG about 1.2.1 after reporting them Genomförd."""
    report("6.2.6", "MF", coordinator, "completed", at(2025, 4, 1))
    report("1.2.1", "BRG", coordinator, "completed", at(2025, 4, 1))
    factories.make_reporter("mf", "MF", email="mf@example.invalid")
    factories.make_reporter("brg", "BRG", email="brg@example.invalid")
    client.force_login(coordinator)
    client.post(reverse("rounds:send_reminders", args=[SLUG, second.pk]), {"kind": "reports"})
    mails = {m.to[0]: m for m in mailoutbox}
    mf, brg = mails["mf@example.invalid"], mails["brg@example.invalid"]
    assert "MF har 2 aktiviteter kvar att rapportera" in mf.subject
    assert "5.1.1" in mf.body and "5.2.1" in mf.body and "6.2.6" not in mf.body
    assert "BRG har 21 aktiviteter kvar att rapportera" in brg.subject
    assert "/aktiviteter/1.2.1/" not in brg.body and "/aktiviteter/1.1.3/" in brg.body
    assert {s.organisation.code: s.activity_count for s in second.reminder_sendings.all()} == {
        "MF": 2,
        "BRG": 21,
    }


def table_references(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    refs = (str(row[0]) for row in sheet.iter_rows(values_only=True) if row and row[0])
    return [ref for ref in refs if re.fullmatch(r"\d+\.\d+\.\d+", ref)]


def test_min_organisation_the_table_and_its_export_agree_on_what_is_owed(
    client, first, second, reporter_sbf, coordinator
):
    report("3.2.4", "SBF", coordinator, "completed", at(2025, 4, 1))
    report("3.1.1", "SBF", coordinator, "on_track", timezone.now())
    client.force_login(reporter_sbf)
    response = client.get(reverse("rounds:my_organisation", args=[SLUG]))
    (section,) = response.context["sections"]
    owed = ["3.2.2", "4.2.1", "4.3.1", "5.1.1", "5.2.1"]
    assert [a.reference for a in section.to_report.activities] == owed
    assert [a.reference for a in section.reported.activities] == ["3.1.1"]
    assert [a.reference for a in section.finished.activities] == ["3.2.4"]
    assert "Klara sedan tidigare (1)" in response.content.decode()
    query = "?to_report=SBF"
    table = client.get(reverse("activities:list", args=[SLUG]) + query)
    assert [a.reference for a in table.context["filter"].qs.in_plan_order()] == owed
    export = client.get(reverse("activities:export_table", args=[SLUG]) + query)
    assert table_references(export) == owed


def test_min_organisation_without_a_round_lists_finished_work_apart(client, plan, reporter_sbf):
    factories.file_report("3.2.4", "SBF", reporter_sbf, "completed")
    client.force_login(reporter_sbf)
    (section,) = client.get(reverse("rounds:my_organisation", args=[SLUG])).context["sections"]
    assert [a.reference for a in section.finished.activities] == ["3.2.4"]
    assert section.to_report.count == 6 and section.reported.count == 0


def test_changes_compare_what_was_said_by_the_previous_deadline_with_this_round(
    coordinator_client, first, second, coordinator
):
    report("3.2.3", "SMF", coordinator, "on_track", at(2025, 4, 1))
    report("3.2.3", "SMF", coordinator, "delayed", at(2025, 5, 2), comment="Väntar.")
    report("6.2.6", "MF", coordinator, "completed", at(2025, 4, 1))
    report("3.2.4", "SBF", coordinator, "on_track", at(2025, 4, 1))
    changes = since_previous(second)
    kinds = {(c.activity.reference, c.organisation.code): c.kind for c in changes.changes}
    assert kinds == {("3.2.3", "SMF"): WORSE, ("6.2.6", "MF"): FINISHED, ("3.2.4", "SBF"): MISSING}
    assert [o.code for o in changes.silent] == ["MF", "SBF"]
    page = coordinator_client.get(second.get_absolute_url()).content.decode()
    assert "Klar sedan tidigare (begärs inte)" in page


def test_a_report_through_the_form_counts_for_the_round_in_progress(client, second, reporter_sbf):
    client.force_login(reporter_sbf)
    post_report(client, "3.2.4", "SBF", status="completed", comment="Klart.", expect=302)
    assert rows_of(second.completeness())["SBF"] == (1, 0, 6)
