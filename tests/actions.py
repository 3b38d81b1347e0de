"""What a user does through Django's test client, shared by the test modules (a test module
never imports another one): send the report form, switch to English, count a page's queries."""

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities.models import Activity
from organisations.models import Organisation
from tests.factories import REAL_PLAN


def post_report(
    client,
    ref,
    organisation="SBF",
    *,
    plan=REAL_PLAN,
    status="on_track",
    comment="",
    values=None,
    token=None,
    expect=None,
    follow=False,
    **fields,
):
    """Send the report form of the activity `ref` ("3.2.4") of `plan` (a Plan or its slug) for
    the organisation with the code `organisation`, as the signed-in user; returns the response.

    `status=None` or `comment=None` leaves that field out (a target's responsible organisation
    reports values only); `values` maps a target's position to the text typed in its field;
    `token` is the form's token; `fields` are sent as they are (forged or crafted ones too).
    `expect`: the status code asserted; `follow`: follow the redirect to the page."""
    slug = getattr(plan, "slug", plan)
    data = {"organisation": Organisation.objects.get(code=organisation).pk}
    if status is not None:
        data["status"] = status
    if comment is not None:
        data["comment"] = comment
    if values:
        area, insats, number = (int(p) for p in ref.split("."))
        activity = Activity.objects.get_by_natural_key(slug, area, insats, number)
        for target in activity.targets.all():
            if target.position in values:
                data[f"value_{target.pk}"] = values[target.position]
    if token is not None:
        data["token"] = token
    data.update(fields)
    response = client.post(reverse("activities:report", args=[slug, ref]), data, follow=follow)
    if expect is not None:
        assert response.status_code == expect, response.content.decode()[:3000]
    return response


def choose_english(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    return client


def count_queries(client, url, *, cold=True):
    """The queries of one request; `cold`: with nothing kept in the cache (fragments.py)."""
    if cold:
        cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)
