"""A hostile visitor's probes of insyn, open data and the API that found real problems."""

import pytest

from activities.models import Activity
from activities.templatetags.insyn import public_url_of
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_public_page_does_not_name_a_successor_in_an_unpublished_plan(client, published_plan):
    """A draft next plan's title and references stay hidden until it is published."""
    draft = factories.make_synthetic_plan(slug="utkast-2026", scale=1, reports_per_activity=0)
    draft.title = "Hemligt utkast 2026-2027"
    draft.save()
    activity = Activity.objects.filter(insats__area__plan=published_plan).first()
    successor = Activity.objects.filter(insats__area__plan=draft).order_by("pk").last()
    successor.predecessor = activity
    successor.save()

    body = client.get(public_url_of(activity)).content.decode()

    assert "Hemligt utkast" not in body
    assert "utkast-2026" not in body
    assert f"som {successor.reference} i" not in body


def test_a_public_page_does_not_name_a_predecessor_in_an_unpublished_plan(client, published_plan):
    earlier = factories.make_synthetic_plan(slug="gammal-2022", scale=1, reports_per_activity=0)
    earlier.title = "Opublicerad plan 2022"
    earlier.save()
    activity = Activity.objects.filter(insats__area__plan=published_plan).first()
    activity.predecessor = Activity.objects.filter(insats__area__plan=earlier).first()
    activity.save()

    body = client.get(public_url_of(activity)).content.decode()

    assert "Opublicerad plan 2022" not in body
    assert "plan-lineage" not in body


def test_a_published_successor_is_still_linked(client, published_plan):
    later = factories.make_synthetic_plan(slug="nasta-2026", scale=1, reports_per_activity=0)
    later.published = True
    later.save()
    activity = Activity.objects.filter(insats__area__plan=published_plan).first()
    successor = Activity.objects.filter(insats__area__plan=later).first()
    successor.predecessor = activity
    successor.save()

    body = client.get(public_url_of(activity)).content.decode()

    assert public_url_of(successor) in body
