"""The board report's lists to read first, read in one query of values with three window
functions (board_facts._first_to_read), against the three queries of model instances they
replaced: the same activities, kinds, order, addresses and listed flags for any mix of
statuses and final assessments (NULL partitions, the '' kind), and limits small and large."""

import random

import pytest
from django.db.models import F

from activities.board_facts import ASSESSED_KINDS, AT_RISK, count_areas, in_area_order
from activities.models import Activity, Assessment, Status
from areas.models import StrategicArea
from tests import factories

pytestmark = pytest.mark.django_db


def lists_as_before(area_ids, listed_per_area, per_list):
    """The implementation before main's d841e0c, kept here as the reference."""
    activities = Activity.objects.filter(insats__area_id__in=area_ids)
    listed = set(
        activities.annotate(place=in_area_order())
        .filter(place__lte=listed_per_area)
        .values_list("pk", flat=True)
    )
    first_of_kind = (
        activities.filter(final_assessment__in=ASSESSED_KINDS)
        .annotate(place=in_area_order(F("final_assessment")))
        .filter(place__lte=per_list)
        .select_related("insats__area__plan")
        .in_plan_order()
    )
    at_risk = (
        activities.filter(current_status__in=Status.needing_attention())
        .annotate(place=in_area_order())
        .filter(place__lte=per_list)
        .select_related("insats__area__plan")
        .in_plan_order()
    )
    lists = {pk: {kind: [] for kind in [*ASSESSED_KINDS, AT_RISK]} for pk in area_ids}
    for kind, activity in [
        *((a.final_assessment, a) for a in first_of_kind),
        *((AT_RISK, a) for a in at_risk),
    ]:
        lists[activity.insats.area_id][kind].append(
            (activity.reference, activity.get_absolute_url(), activity.pk in listed)
        )
    return lists, listed


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("limits", [(5, 3), (1, 1), (12, 40), (500, 500)])
def test_the_lists_are_those_of_the_three_queries(plan, seed, limits):
    synthetic = factories.make_synthetic_plan("lista", scale=2, reports_per_activity=0)
    chance = random.Random(seed)
    statuses = list(Status.values)
    assessments = [*Assessment.values, ""]
    for activity in Activity.objects.filter(insats__area__plan=synthetic):
        Activity.objects.filter(pk=activity.pk).update(
            current_status=chance.choice(statuses),
            final_assessment=chance.choice(assessments),
        )
    # Areas of both plans at once, as the report never asks, and one with no activities.
    empty = StrategicArea.objects.create(plan=synthetic, number=7, name="Tomt")
    area_ids = [
        *StrategicArea.objects.filter(plan=synthetic).values_list("pk", flat=True),
        *StrategicArea.objects.filter(plan=plan).values_list("pk", flat=True)[:2],
    ]
    facts = count_areas(area_ids, *limits)
    expected, listed = lists_as_before(area_ids, *limits)
    for pk in area_ids:
        assert facts[pk].attention == expected[pk], pk
        assert set(facts[pk].listed) <= listed
        in_order = Activity.objects.filter(pk__in=facts[pk].listed).in_plan_order()
        assert facts[pk].listed == list(in_order.values_list("pk", flat=True))
    assert {pk for pk in area_ids for pk in facts[pk].listed} == listed
    assert facts[empty.pk].listed == [] and not any(facts[empty.pk].attention.values())
