"""Insyn: a published plan's public pages under /insyn/<plan-slug>/, without sign-in.

They render the signed-in pages' templates and content with `public` set (see
templatetags/insyn.py and public_cache.render_public): the overview, the areas, the activity
table and the activity pages, with no report forms, exports or links into the signed-in site,
no person's name anywhere, and report comments and assessment motivations only when the plan's
`public_comments` says so. A plan that is not published answers 404 here for everyone.
"""

from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from areas.decorators import read_only
from areas.models import Plan

from ..filters import PublicActivityFilter
from ..public_cache import TABLE_PARAMETERS, public_page, render_public
from ..summaries import areas_with_counts
from ..tables import PublicActivityTable
from .context import (
    activity_context,
    activity_table_context,
    area_context,
    get_activity,
    overview_context,
    report_history,
)

# What the public activity table reads: its filters (?plan= switches to another plan's table)
# and the table's sort and page; any other parameter is not part of the page.
ACTIVITY_TABLE_PARAMETERS = (
    *(name for name in PublicActivityFilter.base_filters if name != "to_report"),
    *TABLE_PARAMETERS,
)


def published_plan_view(view=None, *, reads=()):
    """Resolve the URL's plan among the published ones; any other slug is 404. `reads`: the
    query parameters the page reads (public_cache.public_page)."""
    if view is None:
        return lambda view: published_plan_view(view, reads=reads)

    @wraps(view)
    def wrapper(request, plan_slug, *args, **kwargs):
        plan = get_object_or_404(Plan, slug=plan_slug, published=True)
        return view(request, plan, *args, **kwargs)

    return public_page(wrapper, reads=reads)


@public_page
def plan_index(request):
    plans = Plan.objects.filter(published=True)
    return render_public(request, "public/plan_index.html", {"plans": plans})


@published_plan_view
def overview(request, plan):
    return render_public(request, "areas/overview.html", overview_context(plan))


@published_plan_view
def area_list(request, plan):
    context = {"plan": plan, "areas": areas_with_counts(plan)}
    return render_public(request, "areas/area_list.html", context)


@published_plan_view
def area_detail(request, plan, number):
    return render_public(request, "areas/area_detail.html", area_context(plan, number))


@published_plan_view(reads=ACTIVITY_TABLE_PARAMETERS)
def activity_list(request, plan):
    other_plan = request.GET.get("plan")
    if other_plan and other_plan != plan.slug:
        other = get_object_or_404(Plan, slug=other_plan, published=True)
        params = request.GET.copy()
        del params["plan"]
        params.pop("page", None)
        url = reverse("insyn:activities", args=[other.slug])
        return redirect(f"{url}?{params.urlencode()}" if params else url)
    context = activity_table_context(
        request,
        plan,
        filter_class=PublicActivityFilter,
        table_class=PublicActivityTable,
        public=True,
    )
    return render_public(request, "activities/activity_list.html", context)


@published_plan_view
def activity_detail(request, plan, reference):
    activity = get_activity(plan, reference, authors=False)
    history = report_history(activity, authors=False)
    context = activity_context(plan, activity, history)
    # An unpublished plan (a draft of the next one, say) is not named on a public page.
    if activity.predecessor and not activity.predecessor.insats.area.plan.published:
        activity.predecessor = None
    context["successors"] = context["successors"].filter(insats__area__plan__published=True)
    return render_public(request, "activities/activity_detail.html", context)


@login_not_required
@read_only
@never_cache
def choose_language(request, language):
    """The public pages' language switch: a link, not a form, since a public page has no CSRF
    token to post with (its rendering is shared by everyone). Sets the language cookie as
    Django's set_language does and returns to the public page it came from."""
    if language not in dict(settings.LANGUAGES):
        raise Http404
    back = request.GET.get("next", "")
    safe = back.startswith("/insyn/") and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    response = HttpResponseRedirect(back if safe else reverse("insyn:index"))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
