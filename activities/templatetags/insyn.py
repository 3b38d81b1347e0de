"""Links that stay on the side of the site a page is on.

The signed-in pages and the public insyn pages (/insyn/<plan>/) share their templates; a public
page renders them with `public` set in its context. These tags give the signed-in address
normally and the public one on a public page, so a public page never links into the signed-in
site (which would only answer with the sign-in page).
"""

from urllib.parse import urlencode

from django import template
from django.core.cache import cache
from django.urls import NoReverseMatch, reverse

from areas.models import Plan, StrategicArea

register = template.Library()

# Each signed-in page with a public counterpart, by URL name; the arguments are the same.
PUBLIC_NAMES = {
    "overview": "insyn:overview",
    "areas:list": "insyn:areas",
    "areas:detail": "insyn:area",
    "activities:list": "insyn:activities",
    "activities:detail": "insyn:activity",
    "targets:list": "insyn:targets",
}


def public_url(name, *args):
    """The public address for the signed-in page `name`. An organisation has no public page
    of its own: its link leads to the public activity table filtered on it."""
    if name == "organisations:detail":
        plan_slug, code = args
        query = urlencode({"organisation": code})
        return f"{reverse('insyn:activities', args=[plan_slug])}?{query}"
    if name not in PUBLIC_NAMES:
        raise NoReverseMatch(f"{name!r} has no public page; hide the link on public pages.")
    return reverse(PUBLIC_NAMES[name], args=args)


@register.simple_tag(takes_context=True)
def plan_url(context, name, *args):
    """`{% url %}` for a page of the plan, public on a public page."""
    return public_url(name, *args) if context.get("public") else reverse(name, args=args)


def public_url_of(obj):
    """The public page of an area or an activity (with its insats and area selected)."""
    if isinstance(obj, StrategicArea):
        return reverse("insyn:area", args=[obj.plan.slug, obj.number])
    return reverse("insyn:activity", args=[obj.insats.area.plan.slug, obj.reference])


@register.simple_tag(takes_context=True)
def page_url(context, obj):
    """An area's or activity's page: its get_absolute_url(), or on a public page its public
    page, and "" when its plan is not published (a link to an earlier plan, say)."""
    if not context.get("public"):
        return obj.get_absolute_url()
    plan = obj.plan if isinstance(obj, StrategicArea) else obj.insats.area.plan
    return public_url_of(obj) if plan.published else ""


# The sign-in page reads no data otherwise (it is the benchmark's floor, and answers while the
# database is down); its list of published plans is kept for a minute.
PUBLISHED_PLANS_KEY = "insyn:published-plans"
PUBLISHED_PLANS_SECONDS = 60


@register.simple_tag
def published_plans():
    """The plans open for insyn, newest first, for the sign-in page (at most a minute old)."""
    return cache.get_or_set(
        PUBLISHED_PLANS_KEY,
        lambda: [(p.slug, p.title) for p in Plan.objects.filter(published=True)],
        PUBLISHED_PLANS_SECONDS,
    )
