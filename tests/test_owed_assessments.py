"""Owed final assessments are work (issue 21, found item 5): once the plan's assessment is
open, Min organisation lists what each of the user's organisations owes, each activity it
leads without a final assessment of its own and each target it is responsible for (without
leading the activity) that is not assessed, linking to the activity page's assessment form."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.models import Assessment
from activities.reporting import assess
from activities.work_list import owed_assessment_counts, owed_assessments
from organisations.models import Organisation
from tests import factories
from tests.actions import count_queries

pytestmark = pytest.mark.django_db

SLUG = factories.REAL_PLAN
SBF_LEADS = ["3.1.1", "3.2.2", "3.2.4", "4.2.1", "4.3.1", "5.1.1", "5.2.1"]


def my_organisation(client, user):
    client.force_login(user)
    response = client.get(reverse("rounds:my_organisation", args=[SLUG]))
    assert response.status_code == 200
    return response


def test_min_organisation_lists_each_activity_a_lead_has_not_assessed(client, reporter_sbf):
    response = my_organisation(client, reporter_sbf)
    (section,) = response.context["sections"]
    owed = section.to_assess
    assert owed.count == 7 and not owed.more
    assert [item.activity.reference for item in owed.activities] == SBF_LEADS
    assert all(item.targets == () for item in owed.activities)
    page = response.content.decode()
    assert "Slutbedömningar att göra (7)" in page
    assert 'href="/plan/2024-2025/aktiviteter/3.2.4/?for=SBF#slutbedomning"' in page
    assert "Gör slutbedömningen av 3.2.4" in page


def test_an_assessment_given_leaves_the_list_and_a_co_leads_stays_owed(
    client, reporter_sbf, coordinator
):
    for code in ["SBF", "MF"]:
        assess(
            activity=factories.activity("5.2.1"),
            organisation=Organisation.objects.get(code=code),
            author=coordinator,
            assessment=Assessment.ACHIEVED,
            motivation="Målen nåddes.",
            on_behalf=True,
        )
    (section,) = my_organisation(client, reporter_sbf).context["sections"]
    assert "5.2.1" not in [item.activity.reference for item in section.to_assess.activities]
    assert section.to_assess.count == 6
    smf = factories.make_reporter("smf-person", "SMF")
    (section,) = my_organisation(client, smf).context["sections"]
    assert "5.2.1" in [item.activity.reference for item in section.to_assess.activities]


def test_a_target_s_responsible_organisation_that_does_not_lead_owes_its_target(client, plan):
    """BRG is responsible for a target of 3.1.1, which SBF leads."""
    brg = factories.make_reporter("brg-person", "BRG")
    response = my_organisation(client, brg)
    (section,) = response.context["sections"]
    items = {item.activity.reference: item for item in section.to_assess.activities}
    assert items["3.1.1"].targets == (
        "Godsplanen synliggjord vid minst 10 event/seminarium i näringslivet, ansvarig BRG",
    )
    assert items["1.2.1"].targets == ()  # one BRG leads
    assert section.to_assess.count == 23  # its 22 activities and the target of 3.1.1
    page = response.content.decode()
    assert "Mål som organisationen ansvarar för: Godsplanen synliggjord" in page
    assert "/aktiviteter/3.1.1/?for=BRG#slutbedomning" in page
    # The link opens the activity page at its final assessment.
    form = client.get(items["3.1.1"].url.split("#")[0])
    assert form.status_code == 200 and 'id="slutbedomning"' in form.content.decode()
    # A lead's target is assessed with its activity: SBF's target of 3.1.1 is no item.
    owed = owed_assessments(plan, [Organisation.objects.get(code="SBF")])
    assert all(item.targets == () for items in owed.values() for item in items)


def test_the_counts_and_the_lists_agree_for_every_organisation(plan):
    lists = owed_assessments(plan)
    assert owed_assessment_counts(plan) == {pk: len(items) for pk, items in lists.items()}
    assert sum(len(items) for items in lists.values()) == 63 + 1  # every lead role, BRG's target


def test_before_the_assessment_opens_nothing_is_listed(client, plan, reporter_sbf):
    plan.period_end = plan.outcome_deadline = timezone.localdate() + datetime.timedelta(days=365)
    plan.save()
    assert not plan.assessment_is_open
    response = my_organisation(client, reporter_sbf)
    (section,) = response.context["sections"]
    assert section.to_assess is None
    assert "Slutbedömningar att göra" not in response.content.decode()


def test_a_many_organisation_member_sees_each_organisations_assessments_in_fixed_queries(
    client, plan
):
    url = reverse("rounds:my_organisation", args=[SLUG])
    one = factories.make_reporter("en", "MF")
    many = factories.make_reporter("många", "MF", "BRG", "SBF", "SMF", "INK")
    client.force_login(one)
    client.get(url)
    single = count_queries(client, url)
    client.force_login(many)
    client.get(url)
    assert count_queries(client, url) == single
    sections = client.get(url).context["sections"]
    assert [s.to_assess.count for s in sections] == [23, 4, 3, 7, 3]


def test_a_later_active_plans_min_organisation_names_what_is_owed_in_the_earlier_one(
    client, plan, reporter_sbf
):
    """Once the next plan is active it is everyone's start page, while the earlier plan's
    final assessment is still open: its Min organisation says what is owed there, with a
    link."""
    from areas.models import Plan, PlanState

    later = Plan.objects.create(
        slug="2026-2027",
        title="Nästa plan",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2027, 12, 31),
        outcome_deadline=datetime.date(2027, 12, 31),
        state=PlanState.ACTIVE,
    )
    client.force_login(reporter_sbf)
    page = client.get(reverse("rounds:my_organisation", args=[later.slug])).content.decode()
    assert "Slutbedömningar kvar i andra planer" in page
    owed = len(SBF_LEADS)
    assert f"{plan.title}: {owed} slutbedömningar att göra" in page
    assert f'href="{reverse("rounds:my_organisation", args=[SLUG])}"' in page
    # The earlier plan's own page does not point at itself.
    here = my_organisation(client, reporter_sbf).content.decode()
    assert "Slutbedömningar kvar i andra planer" not in here
    # Counted as the linked page counts: BRG owes activities it leads and a target it answers
    # for without leading (3.1.1).
    brg = Organisation.objects.get(code="BRG")
    owed = owed_assessment_counts(plan, [brg.pk])[brg.pk]
    client.force_login(factories.make_reporter("brg-later", "BRG"))
    page = client.get(reverse("rounds:my_organisation", args=[later.slug])).content.decode()
    assert f"{plan.title}: {owed} slutbedömningar att göra" in page
    linked = my_organisation(client, factories.make_reporter("brg-earlier", "BRG"))
    assert f"Slutbedömningar att göra ({owed})" in linked.content.decode()

    # The count is kept until the earlier plan's data changes: an assessment there shows at
    # once on the later plan's page.
    client.force_login(reporter_sbf)
    later_page = reverse("rounds:my_organisation", args=[later.slug])
    client.get(later_page)
    assess(
        activity=factories.activity("5.2.1"),
        organisation=Organisation.objects.get(code="SBF"),
        author=reporter_sbf,
        assessment=Assessment.ACHIEVED,
        motivation="Målen nåddes.",
    )
    page = client.get(later_page).content.decode()
    assert f"{plan.title}: {len(SBF_LEADS) - 1} slutbedömningar att göra" in page
