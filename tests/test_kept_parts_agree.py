"""Pages built from kept parts equal pages rendered afresh (issue 24's second review: what
held, kept as regression tests). After each kind of write, every page built from kept parts
(area pages, the activity table and targets page with filters, the round page, the board
report, Min organisation) equals the same page rendered from an empty cache, in Swedish and
in English."""

import datetime
import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from activities.models import Activity, ActivityOrganisation, Assessment, ReportingRound, Role
from activities.reporting import AssessmentDraft, file_final_assessment
from areas.models import Insats, StrategicArea
from organisations.models import Organisation
from tests import factories

pytestmark = pytest.mark.django_db


def _lead(activity):
    return activity.roles.filter(role=Role.LEAD).order_by("position").first().organisation


def _clean(html):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def _urls(plan, round_pk):
    base = f"/plan/{plan.slug}"
    return [
        f"{base}/omraden/1/",
        f"{base}/omraden/3/",
        f"{base}/aktiviteter/?lead=SBF",
        f"{base}/aktiviteter/?area=1&status=on_track",
        f"{base}/mal/?area=3",
        f"{base}/omgangar/{round_pk}/",
        f"{base}/rapport/",
        f"{base}/min-organisation/",
    ]


def _pages(client, urls):
    pages = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 302), (url, response.status_code)
        pages[url] = _clean(response.content.decode())
    return pages


def _report(ref, status="delayed", comment="Ny"):
    def write(plan, coordinator):
        activity = Activity.objects.by_reference(plan, ref).get()
        factories.file_report(
            activity, _lead(activity), coordinator, status=status, comment=comment, on_behalf=True
        )

    return write


def _assess(plan, coordinator):
    activity = Activity.objects.by_reference(plan, "3.2.3").get()
    file_final_assessment(
        [
            AssessmentDraft(
                activity=activity,
                organisation=_lead(activity),
                author=coordinator,
                assessment=Assessment.NOT_ACHIEVED,
                motivation="Inte nått.",
                on_behalf=True,
            )
        ]
    )


def _edit_description(plan, coordinator):
    activity = Activity.objects.by_reference(plan, "1.1.1").get()
    activity.description = "Ny beskrivning i admin"
    activity.save()


def _move_activity(plan, coordinator):
    activity = Activity.objects.by_reference(plan, "1.1.2").get()
    target = Insats.objects.filter(area__plan=plan, area__number=3).order_by("number").first()
    activity.insats = target
    activity.number = 99
    activity.save()


def _renumber_area(plan, coordinator):
    area = StrategicArea.objects.get(plan=plan, number=3)
    area.name = "Omdöpt område"
    area.save()


def _rename_organisation(plan, coordinator):
    organisation = Organisation.objects.get(code="SBF")
    organisation.name = "Omdöpt förvaltning"
    organisation.save()


def _participant(plan, coordinator):
    area = StrategicArea.objects.get(plan=plan, number=1)
    area.participating_organisations.add(Organisation.objects.get(code="MF"))


def _new_lead(plan, coordinator):
    activity = Activity.objects.by_reference(plan, "3.2.4").get()
    ActivityOrganisation.objects.create(
        activity=activity,
        organisation=Organisation.objects.get(code="BRG"),
        role=Role.LEAD,
        position=9,
    )


def _remove_role(plan, coordinator):
    ActivityOrganisation.objects.filter(
        activity__insats__area__plan=plan, activity__insats__area__number=1, role=Role.LEAD
    ).order_by("pk").last().delete()


def _edit_round(plan, coordinator):
    reporting_round = ReportingRound.objects.filter(plan=plan).order_by("opens_on").last()
    reporting_round.opens_on -= datetime.timedelta(days=400)
    reporting_round.save()


def _delete_first_round(plan, coordinator):
    ReportingRound.objects.filter(plan=plan).order_by("opens_on").first().delete()


def _plan_edit(plan, coordinator):
    plan.outcome_deadline = timezone.localdate() + datetime.timedelta(days=30)
    plan.save()


def _new_organisation(plan, coordinator):
    Organisation.objects.create(code="NYORG", name="Ny organisation")


WRITES = {
    "report": _report("1.2.1"),
    "report-other-area": _report("5.1.1", "at_risk"),
    "final-assessment": _assess,
    "description": _edit_description,
    "moved-activity": _move_activity,
    "area-renamed": _renumber_area,
    "organisation-renamed": _rename_organisation,
    "participant-added": _participant,
    "lead-added": _new_lead,
    "lead-removed": _remove_role,
    "round-edited": _edit_round,
    "round-deleted": _delete_first_round,
    "plan-edited": _plan_edit,
    "organisation-added": _new_organisation,
}


# Every write in Swedish; in English those that change text a page shows (each language's
# parts are kept apart, so the others add time, not cases).
AFTER_A_WRITE = [(write, "sv") for write in WRITES] + [
    (write, "en") for write in ("report", "area-renamed", "organisation-renamed", "round-edited")
]


@pytest.mark.parametrize("write, language", AFTER_A_WRITE)
def test_kept_pages_equal_fresh_ones_after_a_write(
    plan, coordinator, client, write, language, monkeypatch
):
    today = timezone.localdate()
    factories.make_round(
        plan=plan,
        name="Förra",
        opens_on=today - datetime.timedelta(days=90),
        deadline=today - datetime.timedelta(days=60),
    )
    current = factories.make_open_round(plan=plan)
    factories.file_report("3.2.3", "SMF", coordinator, "on_track", comment="Före")
    reporter = factories.make_reporter("rapp-sbf", "SBF")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    urls = _urls(plan, current.pk)
    for user in (coordinator, reporter):
        client.force_login(user)
        _pages(client, urls)  # everything kept
    WRITES[write](plan, coordinator)
    for user in (coordinator, reporter):
        client.force_login(user)
        _pages(client, urls)  # kept again after the write, per viewer
    for user in (coordinator, reporter):
        client.force_login(user)
        kept = _pages(client, urls)
        cache.clear()
        fresh = _pages(client, urls)
        for url in urls:
            assert kept[url] == fresh[url], (user.username, url)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_kept_pages_equal_fresh_ones_the_next_day(plan, coordinator, client, language, monkeypatch):
    today = timezone.localdate()
    current = factories.make_round(
        plan=plan,
        name="I morgon",
        opens_on=today + datetime.timedelta(days=1),
        deadline=today + datetime.timedelta(days=30),
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(coordinator)
    urls = _urls(plan, current.pk) + [f"/plan/{plan.slug}/aktiviteter/?to_report=SBF"]
    _pages(client, urls)
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + datetime.timedelta(days=1))
    kept = _pages(client, urls)
    cache.clear()
    fresh = _pages(client, urls)
    for url in urls:
        assert kept[url] == fresh[url], url


def _docx_text(content):
    import io

    from docx import Document

    document = Document(io.BytesIO(content))
    return "\n".join(p.text for p in document.paragraphs)


def _text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_word_document_and_the_page_give_the_same_figures(plan, coordinator, client, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(coordinator)
    factories.make_open_round(plan=plan)
    url = f"/plan/{plan.slug}/rapport/"
    client.get(url)
    client.get(url + "word/")
    for ref, status in [("1.2.1", "at_risk"), ("5.1.1", "delayed"), ("3.2.3", "completed")]:
        _report(ref, status)(plan, coordinator)
    for _round in range(2):  # kept, then from an empty cache
        page = _text(client.get(url).content.decode())
        doc = re.sub(r"\s+", " ", _docx_text(client.get(url + "word/").content))
        for pattern in [
            r"(?:Planen har|The plan has) [^.]*\.",
            r"(?:Status|Status:)[^.]*\d\.",
            r"(?:Slutbedömning av|Final assessment of) \d+ [^:]*:[^.]*\.",
            r"(?:Rapportering|Reporting):[^.]*\.",
        ]:
            in_doc = re.search(pattern, doc)
            assert in_doc, (pattern, doc[:2000])
            assert in_doc.group(0).split(":")[-1].strip() in page, (pattern, in_doc.group(0))
        for ref in ("1.2.1", "5.1.1"):
            assert ref in doc and ref in page
        cache.clear()


def test_area_versions_are_the_versions_the_page_reads(plan, coordinator):
    """The board report's page keys the facts kept per area by version_of_area (read with
    the plan's state); the Word document and the round page by area_versions. The same
    versions, so they share what is kept (else each counts the plan again)."""
    from activities.versions import area_versions, plan_state, version_of_area, with_filings

    factories.file_report("1.2.1", "BRG", coordinator, "on_track")
    factories.make_open_round(plan=plan)
    state = plan_state(plan)
    areas = with_filings(StrategicArea.objects.filter(plan=plan).order_by("number"))
    assert area_versions(plan.pk) == {a.pk: version_of_area(state, a) for a in areas}


HOSTILE = [
    "rapport/?omgang=abc",
    "rapport/?omgang=-1",
    "rapport/?omgang=99999999999999999999999",
    "rapport/?omgang=%00",
    "rapport/?omgang=1&omgang=x",
    "rapport/?omgang[]=1",
    "rapport/word/?omgang=abc",
    "rapport/word/?omgang=99999999999999999999999",
    "omraden/1/?x=%00&area=<script>",
    "aktiviteter/?insats=9.9.9&lead=%00&status=x&per_page=-5&sort=%00",
    "aktiviteter/?q=%00&change=worse&to_report=NOPE&page=999999999999",
    "aktiviteter/?plan=%00",
    "mal/?area=%00&assessment=x&numeric=maybe&per_page=99999999999999999999",
    "mal/?responsible=%00&lead=' OR 1=1",
]


@pytest.mark.parametrize("path", HOSTILE)
def test_hostile_query_strings_answer_without_a_server_error(plan, coordinator_client, path):
    factories.make_open_round(plan=plan)
    response = coordinator_client.get(f"/plan/{plan.slug}/{path}")
    assert response.status_code < 500, response.status_code


def test_a_round_of_another_plan_is_not_chosen(plan, coordinator, coordinator_client):
    other = factories.make_synthetic_plan("annan", scale=1, author=coordinator)
    theirs = factories.make_open_round(plan=other, name="Deras omgång")
    page = coordinator_client.get(f"/plan/{plan.slug}/rapport/?omgang={theirs.pk}")
    assert page.status_code == 400 and b"Deras omg" not in page.content
    assert coordinator_client.get(f"/plan/{plan.slug}/omgangar/{theirs.pk}/").status_code == 404
