"""The data version a plan's pages are keyed by moves at most once per
settings.FRAGMENT_REFRESH_SECONDS while reports come in (fragments._pinned), with the
production setting (1 s; the rest of the suite sets 0): until the version the pages were last
keyed by is that old, a reader who has filed nothing since is shown the pages under it,
without the reports since. The author of a report sees it at once; an edit (a plan
unpublished or renamed, an organisation renamed) shows at once to everyone; and after the
second the next reader gets the page as it is."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from activities import fragments
from organisations.models import Organisation
from tests import factories
from tests.actions import post_report
from tests.kept_parts import (
    DELAYED,
    REF,
    SLUG,
    board_report,
    get,
    later,
    production_refresh,
    row_of,
)

# Every test here with the production second (tests/kept_parts.py).
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("plan_before_deadline", "production_refresh"),
]

# Fixtures from tests/kept_parts.py.
__all__ = ["later", "production_refresh"]


def delayed_by_sbf(coordinator):
    factories.file_report(REF, "SBF", coordinator, "delayed", comment=DELAYED, on_behalf=True)


def test_a_report_shows_to_others_once_the_latest_rendering_is_a_second_old(
    client, coordinator, later
):
    client.force_login(coordinator)
    assert DELAYED not in get(client, board_report())[0]
    reader = Client()
    reader.force_login(factories.make_coordinator("annan-samordnare"))
    delayed_by_sbf(factories.make_coordinator("rapporterande"))
    later(0.5)
    within, _ = get(reader, board_report())
    assert DELAYED not in within
    later(0.6)
    after, _ = get(reader, board_report())
    assert DELAYED in after


def test_the_author_of_a_report_sees_it_at_once_within_the_second(client, reporter_sbf, later):
    client.force_login(reporter_sbf)
    table = reverse("activities:list", args=[SLUG]) + f"?q={REF}"
    get(client, table)
    post_report(client, REF, status="delayed", comment=DELAYED, expect=302)
    later(0.1)
    assert "Försenad" in row_of(REF, get(client, table)[0])


def test_a_colleague_of_the_author_may_see_it_a_second_later(client, reporter_sbf, later):
    colleague = Client()
    colleague.force_login(factories.make_reporter("kollega-sbf", "SBF"))
    table = reverse("activities:list", args=[SLUG]) + f"?q={REF}"
    assert "Försenad" not in row_of(REF, get(colleague, table)[0])
    client.force_login(reporter_sbf)
    post_report(client, REF, status="delayed", comment=DELAYED, expect=302)
    later(0.1)
    assert "Försenad" not in row_of(REF, get(colleague, table)[0])
    later(1.0)
    assert "Försenad" in row_of(REF, get(colleague, table)[0])


def test_an_edit_shows_to_everyone_at_once(client, coordinator, later):
    """An organisation renamed is an edit: the family of renderings is named with the edits,
    so no rendering from before it is shown, not even within the second."""
    client.force_login(coordinator)
    get(client, board_report())
    sbf = Organisation.objects.get(code="SBF")
    sbf.name = "Stadsbyggnadsförvaltningen (nytt namn)"
    sbf.save()
    later(0.1)
    page, _ = get(client, board_report())
    assert "Stadsbyggnadsförvaltningen (nytt namn)" in page


def test_an_unpublished_plan_is_gone_at_once_within_the_second(client, published_plan, later):
    url = reverse("insyn:overview", args=[SLUG])
    assert client.get(url).status_code == 200
    published_plan.published = False
    published_plan.save(update_fields=["published"])
    later(0.1)
    assert client.get(url).status_code == 404


def test_a_public_page_within_the_second_is_the_page_under_its_etag(
    client, published_plan, coordinator, later
):
    url = reverse("insyn:activity", args=[SLUG, REF])
    first = client.get(url)
    delayed_by_sbf(coordinator)
    later(0.5)
    within = client.get(url)
    assert within.content == first.content
    assert within["ETag"] == first["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    # Asked again with that ETag after the second: the new page, not a 304.
    later(0.6)
    after = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200
    assert "Försenad" in after.content.decode()
    assert "Försenad" not in first.content.decode()
    assert after["ETag"] != first["ETag"]


def test_a_part_is_rendered_once_a_second_however_many_reports(
    client, coordinator, later, monkeypatch
):
    """Five reports within the second: the readers are shown the same rendering, and the
    summary is rendered again once the second has passed."""
    from activities import board_facts

    client.force_login(coordinator)
    get(client, board_report())
    counted = []
    real = board_facts.count_areas

    def counting(*args, **kwargs):
        counted.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(board_facts, "count_areas", counting)
    reporter = factories.make_coordinator("rapporterande")
    for status in ("delayed", "at_risk", "delayed", "on_track", "delayed"):
        factories.file_report(REF, "SBF", reporter, status, comment=DELAYED, on_behalf=True)
        later(0.15)
        assert DELAYED not in get(client, board_report())[0]
    assert counted == []
    later(0.5)
    assert DELAYED in get(client, board_report())[0]
    assert len(counted) == 1


def test_the_setting_zero_renders_after_every_report(client, coordinator, settings, later):
    settings.FRAGMENT_REFRESH_SECONDS = 0
    client.force_login(coordinator)
    get(client, board_report())
    delayed_by_sbf(factories.make_coordinator("rapporterande"))
    assert DELAYED in get(client, board_report())[0]


@pytest.mark.parametrize(
    "crafted",
    [
        "not a state",
        (("2024-2025", "row"), 1.0),
        (("annan-plan", ("edits",)), "now"),
        "another slug's",
        "from the future",
    ],
)
def test_a_pinned_state_the_app_did_not_store_is_not_used(client, coordinator, crafted, later):
    """What the cache holds as the pages' state is used only as _pinned stores it, for the
    same plan, with the same edits, read in this second: anything else (written by someone
    else, another plan's, dated ahead by a clock that runs fast) gives the page as it is
    now."""
    import time

    from activities.versions import plan_state

    client.force_login(coordinator)
    get(client, board_report())
    key = fragments.pinned_key(SLUG)
    if crafted == "another slug's":
        state, _read_at = cache.get(key)
        crafted = (("annan-plan", state[1]), time.time())
    elif crafted == "from the future":
        crafted = (plan_state(SLUG), time.time() + 30)
    delayed_by_sbf(factories.make_coordinator("rapporterande"))
    cache.set(key, crafted)
    later(0.1)
    assert DELAYED in get(client, board_report())[0]
