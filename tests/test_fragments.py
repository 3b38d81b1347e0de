"""Parts of pages kept in the cache until the data changes (activities/fragments.py): the
report to the board, a round's completeness and changes, Min organisation. A second request
skips their queries, whatever the size of the plan; a report filed, a round renamed, another
language or another organisation's member sees the page as it is now, never an old copy."""

import re
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities.models import Activity
from organisations.models import Organisation
from tests import factories
from tests.actions import post_report
from tests.kept_parts import (
    DELAYED,
    REF,
    SLUG,
    board_report,
    current_round,
    end_claims,
    get,
    last_write,
    others_rendering,
    row_of,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plan_before_deadline")]

# Fixtures from tests/kept_parts.py.
__all__ = ["current_round", "others_rendering"]


def test_the_board_report_is_built_once_until_the_data_changes(client, coordinator):
    client.force_login(coordinator)
    first, cold = get(client, board_report())
    second, warm = get(client, board_report())
    assert second == first
    assert warm <= cold - 10, (cold, warm)


def test_a_warm_board_report_reads_nothing_of_the_report(client, coordinator):
    """The whole report is one kept part: a warm page reads the plan's version (one query of
    maxima and sums) and no rows of its areas, activities or reports (not even the areas'
    versions)."""
    client.force_login(coordinator)
    get(client, board_report())
    with CaptureQueriesContext(connection) as queries:
        assert client.get(board_report()).status_code == 200
    tables = ("areas_strategicarea", "activities_activity", "activities_statusreport")
    read = [
        q["sql"] for q in queries if q["sql"].startswith(tuple(f'SELECT "{t}".' for t in tables))
    ]
    assert not read, read


def test_a_warm_board_report_costs_the_same_at_ten_times_the_plan(client, coordinator):
    big = factories.make_synthetic_plan("syntetisk", scale=10, author=coordinator)
    client.force_login(coordinator)
    counts = []
    for slug in (SLUG, big.slug):
        url = reverse("report:page", args=[slug])
        client.get(url)
        counts.append(get(client, url)[1])
    assert counts[0] == counts[1]


def test_a_new_report_shows_in_the_board_report_at_once(client, coordinator, reporter_sbf):
    client.force_login(coordinator)
    before, _ = get(client, board_report())
    assert "Försenat av leveransproblem." not in before
    client.force_login(reporter_sbf)
    post_report(client, REF, plan=SLUG, status="delayed", comment=DELAYED, expect=302)
    client.force_login(coordinator)
    after, _ = get(client, board_report())
    # 3.2.4 is now listed among the activities that need the board's eye, with the comment.
    assert "Försenat av leveransproblem." in after


def test_a_renamed_round_shows_in_the_board_report(client, coordinator, current_round):
    client.force_login(coordinator)
    assert "Klara i Omgång nu" in get(client, board_report())[0]
    current_round.name = "Höstens omgång"
    current_round.save()
    page = get(client, board_report())[0]
    assert "Klara i Höstens omgång" in page and "Omgång nu" not in page


def test_each_language_has_its_own_copy(client, coordinator):
    client.force_login(coordinator)
    swedish = get(client, board_report())[0]
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = get(client, board_report())[0]
    assert "Sammanfattning" in swedish and "Summary" in english
    assert "Sammanfattning" not in english


def test_the_round_page_counts_a_new_report_at_once(
    client, coordinator, reporter_sbf, current_round
):
    url = current_round.get_absolute_url()
    client.force_login(coordinator)
    before, cold = get(client, url)
    again, warm = get(client, url)
    assert again == before and warm < cold
    reported = int(re.search(r"(\d+) rapporterade i omgången", before).group(1))
    client.force_login(reporter_sbf)
    post_report(client, REF, plan=SLUG, status="delayed", comment=DELAYED, expect=302)
    client.force_login(coordinator)
    after, _ = get(client, url)
    assert int(re.search(r"(\d+) rapporterade i omgången", after).group(1)) == reported + 1
    changes = after.split('id="andringar"')[1].split('id="paminnelser"')[0]
    assert "Ny rapport" in changes and f">{REF}</a>" in changes


def test_min_organisation_moves_a_reported_activity_at_once(client, reporter_sbf, current_round):
    url = reverse("rounds:my_organisation", args=[SLUG])
    client.force_login(reporter_sbf)
    before, cold = get(client, url)
    again, warm = get(client, url)
    assert again == before and warm < cold
    to_report = int(re.search(r"Att rapportera \((\d+)\)", before).group(1))
    post_report(client, REF, plan=SLUG, status="delayed", comment=DELAYED, expect=302)
    after, _ = get(client, url)
    assert int(re.search(r"Att rapportera \((\d+)\)", after).group(1)) == to_report - 1


def test_min_organisation_is_each_members_own(client, reporter_sbf, reporter_mf, current_round):
    url = reverse("rounds:my_organisation", args=[SLUG])
    client.force_login(reporter_sbf)
    sbf = get(client, url)[0]
    client.force_login(reporter_mf)
    mf = get(client, url)[0]
    assert "(SBF)</h2>" in sbf and "(MF)</h2>" in mf
    assert "(SBF)</h2>" not in mf
    # A new membership is a new list, at once.
    factories.Membership.objects.create(
        user=reporter_mf, organisation=Organisation.objects.get(code="SBF")
    )
    both = get(client, url)[0]
    assert "(SBF)</h2>" in both and "(MF)</h2>" in both


def test_a_report_in_another_plan_keeps_the_page_and_a_new_plan_renews_it(client, coordinator):
    """A plan's pages are kept by its own version (activities/versions.py): a report in
    another plan leaves them kept; an edit of any plan's structure (here a plan added) is a
    new copy everywhere."""
    big = factories.make_synthetic_plan("annan", scale=1, author=coordinator)
    client.force_login(coordinator)
    get(client, board_report())
    keys = len(cache._cache)
    activity = Activity.objects.filter(insats__area__plan=big).first()
    lead = activity.roles.filter(role="lead").first().organisation
    factories.file_report(activity, lead, coordinator, "delayed", comment="Sent.", on_behalf=True)
    get(client, board_report())
    assert len(cache._cache) == keys
    factories.make_synthetic_plan("tredje", scale=1, author=coordinator)
    get(client, board_report())
    assert len(cache._cache) > keys


def test_a_report_renders_the_board_reports_summary_and_its_own_area_again_not_the_others(
    client, coordinator
):
    client.force_login(coordinator)
    first, cold = get(client, board_report())
    keys = set(cache._cache)
    factories.file_report(REF, "SBF", coordinator, "delayed", comment=DELAYED, on_behalf=True)
    after, count = get(client, board_report())
    # The report, and in it the summary, area 3 (3.2.4's: its counts, and its listed
    # activities, among which 3.2.4) and the rest: five parts rendered, the five other areas
    # answered from the cache, and not read either (their activities, leads, targets, charts
    # and values: five queries fewer than cold).
    new = set(cache._cache) - keys
    assert len([key for key in new if "template.cache" in key]) == 5
    # The summary's figures are kept per area (board_facts.py): area 3's are counted again.
    assert len([key for key in new if "board-facts" in key]) == 1
    assert count <= cold - 4, (cold, count)
    area = after.split('id="area-3"')[1].split('id="area-4"')[0]
    assert DELAYED in area
    for other in (1, 2, 4, 5):
        before_area = first.split(f'id="area-{other}"')[1].split(f'id="area-{other + 1}"')[0]
        assert before_area in after


def test_a_report_on_an_activity_the_board_report_does_not_list_leaves_its_areas_list(
    client, coordinator
):
    """An area's listed activities and charts are kept by what they show
    (board_facts.shown_in_detail): a report on an activity past the area's first AREA_LIMIT
    changes the area's counts, not its list, which is not rendered again."""
    from activities.board_report import AREA_LIMIT

    big = factories.make_synthetic_plan("syntetisk", scale=10, author=coordinator)
    url = reverse("report:page", args=[big.slug])
    area_3 = Activity.objects.filter(insats__area__plan=big, insats__area__number=3)
    assert area_3.count() > AREA_LIMIT
    last = area_3.order_by("insats__number", "number").last()
    listed = area_3.order_by("insats__number", "number").first()
    client.force_login(coordinator)
    first, _ = get(client, url)
    keys = set(cache._cache)
    lead = last.roles.filter(role="lead").first().organisation
    status = "completed" if last.current_status != "completed" else "on_track"
    factories.file_report(last, lead, coordinator, status, comment=DELAYED, on_behalf=True)
    after, _ = get(client, url)
    new = {key for key in set(cache._cache) - keys if "template.cache" in key}
    assert not [key for key in new if "board-area-detail" in key], new
    assert len([key for key in new if "board-area." in key]) == 1
    area = after.split('id="area-3"')[1].split('id="area-4"')[0]
    area_before = first.split('id="area-3"')[1].split('id="area-4"')[0]
    assert area != area_before  # its counts
    assert area.split("board-report__insats")[1:] == area_before.split("board-report__insats")[1:]
    # A report on an activity it lists renders the list again, with the report in it.
    lead = listed.roles.filter(role="lead").first().organisation
    factories.file_report(listed, lead, coordinator, "delayed", comment=DELAYED, on_behalf=True)
    area = get(client, url)[0].split('id="area-3"')[1].split('id="area-4"')[0]
    assert DELAYED in area


def overview():
    return reverse("overview", args=[SLUG])


def test_the_overview_is_built_once_until_the_data_changes(client, coordinator):
    client.force_login(coordinator)
    first, cold = get(client, overview())
    second, warm = get(client, overview())
    assert second == first
    assert warm <= cold - 8, (cold, warm)
    assert "3.2.4" not in first.split('id="attention-heading"')[1].split("</section>")[0]
    factories.file_report(REF, "SBF", coordinator, "delayed", comment=DELAYED, on_behalf=True)
    after, count = get(client, overview())
    assert count >= cold
    assert "3.2.4" in after.split('id="attention-heading"')[1].split("</section>")[0]


def test_a_warm_overview_costs_the_same_at_ten_times_the_plan(client, coordinator):
    big = factories.make_synthetic_plan("syntetisk", scale=10, author=coordinator)
    client.force_login(coordinator)
    counts = []
    for slug in (SLUG, big.slug):
        url = reverse("overview", args=[slug])
        client.get(url)
        counts.append(get(client, url)[1])
    assert counts[0] == counts[1]


def test_the_overviews_kept_parts_are_the_publics_or_the_signed_in_readers(
    client, coordinator, published_plan
):
    """The public overview links to the public pages; the signed-in one to the signed-in
    pages, whichever of the two was rendered first."""
    public = client.get(reverse("insyn:overview", args=[SLUG])).content.decode()
    client.force_login(coordinator)
    signed_in = get(client, overview())[0]
    assert f'href="/insyn/{SLUG}/omraden/1/"' in public
    assert f'href="/insyn/{SLUG}/' not in signed_in.split('id="status-heading"')[1]


def test_the_activity_table_rows_are_kept_per_address_until_the_data_changes(client, reporter_sbf):
    url = reverse("activities:list", args=[SLUG]) + "?lead=SBF&per_page=100"
    client.force_login(reporter_sbf)
    before, cold = get(client, url)
    again, warm = get(client, url)
    assert again == before and warm < cold
    other = get(client, reverse("activities:list", args=[SLUG]) + "?lead=MF&per_page=100")[0]
    assert other != before
    row = re.search(
        rf'<tr[^>]*>\s*<td[^>]*><a href="[^"]*/{re.escape(REF)}/">.*?</tr>', before, re.S
    )
    assert row and "Försenad" not in row.group(0)
    post_report(client, REF, plan=SLUG, status="delayed", comment=DELAYED, expect=302)
    after = get(client, url)[0]
    row = re.search(
        rf'<tr[^>]*>\s*<td[^>]*><a href="[^"]*/{re.escape(REF)}/">.*?</tr>', after, re.S
    )
    assert "Försenad" in row.group(0)


def test_the_organisation_page_lists_are_kept_until_the_data_changes(client, reporter_sbf):
    url = reverse("organisations:detail", args=[SLUG, "SBF"])
    client.force_login(reporter_sbf)
    before, cold = get(client, url)
    again, warm = get(client, url)
    assert again == before and warm < cold
    assert "Försenad" not in before.split('id="led-heading"')[1]
    post_report(client, REF, plan=SLUG, status="delayed", comment=DELAYED, expect=302)
    after = get(client, url)[0]
    assert "Försenad" in after.split('id="led-heading"')[1]
    # Another organisation's page is its own.
    other = get(client, reverse("organisations:detail", args=[SLUG, "MF"]))[0]
    assert "(MF)" in other and "(SBF)" not in other


def test_an_area_page_is_kept_until_its_own_area_changes(client, coordinator):
    """The area page's insatser and activities are kept by the area's own version: a report in
    area 3 leaves area 1's page kept and shows on area 3's page at once."""
    client.force_login(coordinator)
    area_1, area_3 = (reverse("areas:detail", args=[SLUG, n]) for n in (1, 3))
    first, cold = get(client, area_1)
    _page, warm = get(client, area_1)
    assert warm < cold
    get(client, area_3)
    factories.file_report(REF, "SBF", coordinator, "delayed", comment=DELAYED, on_behalf=True)
    again, count = get(client, area_1)
    assert count == warm and again == first
    html, count = get(client, area_3)
    assert count > warm
    row = html.split(f">{REF}<")[1].split("</tr>")[0]
    assert "Försenad" in row


# One rendering after a report, the other workers waiting for it (fragments.kept) ------------


def test_a_part_another_worker_is_rendering_is_waited_for_not_rendered_again(monkeypatch):
    from activities import fragments

    cache.add("part:building", 1)  # another worker claimed it and is rendering it
    polls = []

    def sleep(seconds):
        polls.append(seconds)
        if len(polls) == 3:
            cache.set("part", "<p>hos den andra</p>")

    monkeypatch.setattr(fragments.time, "sleep", sleep)
    rendered = []
    assert fragments.kept("part", lambda: rendered.append(1) or "egen") == "<p>hos den andra</p>"
    assert rendered == [] and len(polls) == 3


def test_a_part_whose_renderer_gave_up_or_hangs_is_rendered_here(monkeypatch):
    from activities import fragments

    # The claim ends without a value (its request failed): rendered here, at once.
    cache.add("gave-up:building", 1)
    monkeypatch.setattr(fragments.time, "sleep", lambda seconds: cache.delete("gave-up:building"))
    assert fragments.kept("gave-up", lambda: "här") == "här"
    # A claim that stays (its worker hangs): rendered here once the wait is over.
    monkeypatch.setattr(fragments, "BUILD_WAIT_SECONDS", 0.05)
    monkeypatch.setattr(fragments.time, "sleep", lambda seconds: None)
    cache.add("hangs:building", 1)
    assert fragments.kept("hangs", lambda: "här") == "här"
    assert cache.get("hangs") == "här"


def test_a_part_is_rendered_at_once_when_nothing_can_be_claimed(monkeypatch):
    """The cache server down: add() fails and nobody holds a claim; no waiting."""
    from activities import fragments

    monkeypatch.setattr(fragments.cache, "add", lambda *args, **kwargs: False)
    monkeypatch.setattr(fragments.time, "sleep", lambda seconds: pytest.fail("waited"))
    assert fragments.kept("down", lambda: "direkt") == "direkt"


# While one request renders a part anew, the others are shown its previous rendering ---------


def test_a_reader_is_shown_the_previous_board_report_while_another_renders_the_new_one(
    client, coordinator, reporter_sbf, others_rendering
):
    client.force_login(coordinator)
    before, _ = get(client, board_report())
    reporter = Client()
    reporter.force_login(reporter_sbf)
    post_report(reporter, REF, plan=SLUG, status="delayed", comment=DELAYED, expect=302)
    others_rendering["held"] = True
    # At once, what the page showed a moment before the report: no wait, no rendering twice.
    assert get(client, board_report())[0] == before
    others_rendering["held"] = False
    end_claims()
    assert DELAYED in get(client, board_report())[0]


def test_who_filed_the_report_waits_for_the_new_rendering_not_the_previous_one(
    client, coordinator, reporter_sbf, others_rendering, monkeypatch
):
    from activities import fragments

    url = reverse("activities:list", args=[SLUG]) + "?lead=SBF&per_page=100"
    client.force_login(reporter_sbf)
    assert "Försenad" not in row_of(REF, get(client, url)[0])
    post_report(client, REF, plan=SLUG, status="delayed", comment=DELAYED, expect=302)
    assert abs(last_write(reporter_sbf) - time.time()) < 30
    others_rendering["held"] = True
    # The claims are held by nobody that finishes: this reporter waits until they end, then
    # renders the parts here, with the report in them.
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        end_claims()

    monkeypatch.setattr(fragments.time, "sleep", sleep)
    assert "Försenad" in row_of(REF, get(client, url)[0])
    assert waits


def test_only_reads_are_shown_a_previous_rendering(rf, coordinator):
    from activities import fragments

    now = time.time()
    cache.set("part:v1", "förra")
    cache.set("part:latest", ("part:v1", now - 1))
    cache.set("part:v2:building", now)
    reader = rf.get("/")
    reader.session = {}
    assert fragments.kept("part:v2", lambda: "ny", reader, "part:latest") == "förra"
    writer = rf.post("/")
    writer.session = {}
    assert fragments.kept("part:v2", lambda: "ny", writer, "part:latest") == "ny"
    assert fragments.kept("part:v3", lambda: "utan", None, "part:latest") == "utan"
    assert cache.get("part:latest")[0] == "part:v3"
    # A noted change that is no time (a value the app did not write) shows the previous one.
    reader.user = coordinator
    cache.set(fragments.LAST_WRITE_KEY.format(coordinator.pk), "i morgon")
    cache.set("part:v4:building", time.time())
    assert fragments.kept("part:v4", lambda: "ny", reader, "part:latest") == "utan"


def test_a_previous_rendering_is_shown_only_while_it_is_recent_and_its_renderer_at_work(
    rf, monkeypatch
):
    """Older than PREVIOUS_AT_MOST_SECONDS (nobody looked for a while), or with a claim older
    than BUILD_WAIT_SECONDS (its renderer is stuck), the request waits and renders itself."""
    from activities import fragments

    monkeypatch.setattr(fragments, "BUILD_WAIT_SECONDS", 0.05)
    reader = rf.get("/")
    reader.session = {}
    now = time.time()
    cache.set("old:v1", "en timme sedan")
    cache.set("old:latest", ("old:v1", now - 3600))
    cache.set("old:v2:building", now)
    assert fragments.kept("old:v2", lambda: "ny", reader, "old:latest") == "ny"
    reader = rf.get("/")
    reader.session = {}
    cache.set("stuck:v1", "förra")
    cache.set("stuck:latest", ("stuck:v1", now - 1))
    cache.set("stuck:v2:building", now - 5)
    assert fragments.kept("stuck:v2", lambda: "ny", reader, "stuck:latest") == "ny"


def test_a_get_or_a_refused_change_marks_nobody_as_having_just_written(client, reporter_sbf):

    client.force_login(reporter_sbf)
    get(client, reverse("activities:list", args=[SLUG]))
    post_report(client, "1.1.1", organisation="MF", plan=SLUG, expect=403)
    assert last_write(reporter_sbf) is None
