"""Organisations in a plan: what each leads and takes part in."""

from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django_tables2 import RequestConfig

from areas.decorators import plan_view
from organisations.models import Organisation

from ..fragments import lazy
from ..models import Activity, Role
from ..summaries import assessment_rollup
from ..tables import PlanOrganisationTable
from .context import SECTION_LIMIT


def _role_count(plan, role):
    return Count(
        "activity_roles",
        filter=Q(activity_roles__role=role, activity_roles__activity__insats__area__plan=plan),
        distinct=True,
    )


@plan_view
def organisation_list(request, plan):
    organisations = Organisation.objects.prefetch_related("aliases").annotate(
        lead_count=_role_count(plan, Role.LEAD),
        participant_count=_role_count(plan, Role.PARTICIPANT),
    )
    table = PlanOrganisationTable(organisations, plan_slug=plan.slug)
    RequestConfig(request, paginate=False).configure(table)
    return render(request, "organisations/organisation_list.html", {"plan": plan, "table": table})


def canonical_redirect(request, url):
    """A redirect to `url` with the request's query string."""
    query = request.META.get("QUERY_STRING", "")
    return redirect(f"{url}?{query}" if query else url)


@plan_view
def organisation_detail(request, plan, code):
    # A code in another case or a spelling of the source (GSF) names the organisation too:
    # its page is at its code.
    organisation = Organisation.objects.prefetch_related("aliases").resolve(code)
    if organisation is None:
        raise Http404
    if organisation.code != code:
        return canonical_redirect(request, organisation.get_plan_url(plan.slug))
    activities = Activity.objects.filter(insats__area__plan=plan).for_rows().in_plan_order()
    led, participating = activities.led_by(organisation), activities.with_participant(organisation)
    # The lists and the roll-up are the same for every reader: kept in the cache until the
    # data changes (fragments.py), their queries run only when the cached part misses.
    return render(
        request,
        "organisations/organisation_detail.html",
        {
            "plan": plan,
            "organisation": organisation,
            # The first of each, limited in SQL, with the count; the rest in the table.
            "led": led[:SECTION_LIMIT],
            "led_count": lazy(led.count),
            "participating": participating[:SECTION_LIMIT],
            "participating_count": lazy(participating.count),
            "areas": organisation.areas.filter(plan=plan).select_related("plan").order_by("number"),
            "rollup": lazy(
                lambda: (
                    assessment_rollup(plan, lead=organisation) if plan.assessment_is_open else None
                )
            ),
        },
    )
