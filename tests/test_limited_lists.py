"""Pages list at most SECTION_LIMIT activities per section, chosen in SQL, with the section's
full count and a link to all of them; what they list agrees with the database."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity, Role, Status, StatusReport, Target
from activities.permissions import reporting_organisations_of
from activities.views.context import INSATS_LIMIT, SECTION_LIMIT
from activities.work_list import work_lists
from organisations.models import Organisation
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def synthetic_plan(module_db, django_db_blocker):
    """Built once for the module (module_db)."""
    with django_db_blocker.unblock():
        return factories.make_synthetic_plan("stor", scale=12)  # 28 a insats


@pytest.fixture
def big(synthetic_plan):
    synthetic_plan.refresh_from_db()
    return synthetic_plan


def file_earlier(plan, when, status=None):
    """The plan's reports as filed on `when` (a date), all with `status` if given."""
    activities = Activity.objects.filter(insats__area__plan=plan)
    reports = StatusReport.objects.filter(
        activity_id__in=list(activities.values_list("pk", flat=True))
    )
    when = timezone.make_aware(datetime.datetime.combine(when, datetime.time(12)))
    reports.update(created_at=when, **({"status": status} if status else {}))
    factories.refresh_statistics()
    if status:
        activities.recompute_current()


FINISHED = {Status.COMPLETED, Status.CANCELLED}


def expected_section(activity, organisation, reported, start):
    """The work list's section of the activity for the organisation, row by row: reported
    in the round's window, finished before it, still to report, or only taking part."""
    if organisation not in reporting_organisations_of(activity):
        roles = activity.roles.all()
        return "participating" if any(r.organisation_id == organisation.pk for r in roles) else None
    if (activity.pk, organisation.pk) in reported:
        return "reported"
    lead = next(
        (r for r in activity.roles.all() if r.organisation == organisation and r.role == Role.LEAD),
        None,
    )
    own = lead.current_report if lead else activity.latest_report
    status = own.status if lead and own else (activity.current_status if not lead else None)
    if status in FINISHED and own.created_at < start:
        return "finished"
    return "to_report"


def test_area_page_lists_the_first_of_each_insats_and_links_to_all(client, coordinator, big):
    client.force_login(coordinator)
    page = client.get(reverse("areas:detail", args=[big.slug, 2])).content.decode()
    for insats in big.areas.get(number=2).insatser.order_by("number"):
        activities = Activity.objects.filter(insats=insats).in_plan_order()
        section = page.split(f'id="insats-{insats.number}"')[1].split("</section>")[0]
        listed = re.findall(r'href="/plan/stor/aktiviteter/([\d.]+)/"', section)
        assert listed == [a.reference for a in activities[:INSATS_LIMIT]]
        assert f"av {activities.count()} aktiviteter" in section
        assert f"?insats={insats.reference}" in section


def test_organisation_page_counts_all_and_lists_the_first(client, coordinator, big):
    client.force_login(coordinator)
    organisation = Organisation.objects.order_by("code")[0]
    page = client.get(reverse("organisations:detail", args=[big.slug, organisation.code]))
    led = Activity.objects.filter(insats__area__plan=big).led_by(organisation).in_plan_order()
    assert led.count() > SECTION_LIMIT
    html = page.content.decode()
    assert f"Leder arbetet ({led.count()})" in html
    assert [a.reference for a in page.context["led"]] == [a.reference for a in led[:SECTION_LIMIT]]
    assert f"?lead={organisation.code}" in html


def test_the_work_list_agrees_with_the_permission_rules(big, coordinator):
    """Against an oracle computed row by row from reporting_organisations_of: each section's
    count, and its first activities in plan order. One organisation is responsible for a
    target of an activity it has no role on, and reports on it all the same. The plan's
    reports were filed in the previous round; those Genomförd or Avbruten are finished."""
    factories.make_round(
        plan=big, name="R0", opens_on=datetime.date(2026, 1, 1), deadline=datetime.date(2026, 3, 1)
    )
    round_ = factories.make_round(
        plan=big, name="R", opens_on=datetime.date(2026, 4, 1), deadline=datetime.date(2026, 6, 1)
    )
    file_earlier(big, datetime.date(2026, 2, 1))
    activities = list(Activity.objects.filter(insats__area__plan=big).with_related())
    organisations = list(Organisation.objects.order_by("code")[:3])
    outsider = Organisation.objects.exclude(
        activity_roles__activity=activities[7]
    ).first()  # no role on activity 7
    Target.objects.create(
        activity=activities[7], position=9, phrase="Ett mål", responsible_organisation=outsider
    )
    organisations.append(outsider)
    # Every third activity is reported in the round by each of its reporting organisations.
    StatusReport.objects.bulk_create(
        StatusReport(
            activity=a, organisation=o, author=coordinator, status="on_track", round=round_
        )
        for a in activities[::3]
        for o in reporting_organisations_of(a)
    )
    activities = list(
        Activity.objects.filter(insats__area__plan=big)
        .with_related()
        .select_related("latest_report")
        .in_plan_order()
    )
    reported = set(
        StatusReport.objects.filter(round_.window.filed()).values_list("activity", "organisation")
    )
    lists = work_lists(big, organisations, round_, limit=SECTION_LIMIT)
    for organisation, work_list in zip(organisations, lists, strict=True):
        expected = {"to_report": [], "reported": [], "finished": [], "participating": []}
        for a in activities:
            kind = expected_section(a, organisation, reported, round_.window.start)
            if kind:
                expected[kind].append(a.reference)
        assert expected["finished"] and expected["to_report"] and expected["reported"]
        for kind, references in expected.items():
            section = getattr(work_list, kind)
            assert section.count == len(references), (organisation.code, kind)
            assert [a.reference for a in section.activities] == references[:SECTION_LIMIT]
    assert activities[7].reference in [
        a.reference for a in lists[-1].to_report.activities + lists[-1].reported.activities
    ]


def test_my_organisation_without_a_round_lists_everything_as_to_report(client, big):
    file_earlier(big, datetime.date(2026, 2, 1), status=Status.ON_TRACK)
    reporter = factories.make_reporter(
        "stor-rapportor", Organisation.objects.order_by("code")[0].code
    )
    client.force_login(reporter)
    response = client.get(reverse("rounds:my_organisation", args=[big.slug]))
    (section,) = response.context["sections"]
    organisation = section.organisation
    led = (
        Activity.objects.filter(insats__area__plan=big)
        .filter(roles__organisation=organisation, roles__role=Role.LEAD)
        .distinct()
    )
    assert section.reported.count == 0
    assert section.to_report.count >= led.count() > SECTION_LIMIT
    assert len(section.to_report.activities) == SECTION_LIMIT
    assert "Rapportera alla i Excel" in response.content.decode()


def test_what_is_left_to_report_is_the_same_on_min_organisation_the_table_and_the_round(
    client, big, coordinator
):
    """ "Att rapportera" on Min organisation, the activity table's ?to_report=CODE and the
    round page's link under "Saknas" agree, before and after some reports in the round."""
    round_ = factories.make_round(
        plan=big, name="R", opens_on=datetime.date(2026, 1, 1), deadline=datetime.date(2040, 1, 1)
    )
    file_earlier(big, datetime.date(2025, 12, 1), status=Status.ON_TRACK)  # before the plan
    organisation = Organisation.objects.order_by("code")[0]
    reporter = factories.make_reporter("stor-r", organisation.code)
    led = list(Activity.objects.filter(insats__area__plan=big).led_by(organisation)[:2])
    StatusReport.objects.bulk_create(
        StatusReport(activity=a, organisation=organisation, author=coordinator, round=round_)
        for a in led
    )
    client.force_login(reporter)
    (section,) = client.get(reverse("rounds:my_organisation", args=[big.slug])).context["sections"]
    table = client.get(
        reverse("activities:list", args=[big.slug]) + f"?to_report={organisation.code}"
    )
    assert table.context["result_count"] == section.to_report.count > SECTION_LIMIT
    assert not {a.pk for a in led} & {a.pk for a in table.context["filter"].qs}
    client.force_login(coordinator)
    page = client.get(round_.get_absolute_url()).content.decode()
    assert f"?to_report={organisation.code}" in page
