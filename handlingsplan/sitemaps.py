"""robots.txt and the sitemap (/sitemap.xml) of the public pages, for search engines.

The sitemap lists what anyone may read without signing in: the accessibility statement, the
insyn and open data start pages, and for each published plan its insyn overview, areas,
activity table, activities, targets page, each organisation's page (on the public side the
activity table filtered on it, as the public pages link to it) and its open data page. A
draft or unpublished plan is never named. Four queries, however many plans and activities.

Every address is absolute, built on SITE_URL (where the app lives, whatever host a request
came by)."""

import hashlib
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import sitemap as sitemap_view
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import condition

from activities.models import Activity, ActivityOrganisation
from activities.public_cache import without_any_etag
from activities.templatetags.insyn import public_url
from activities.versions import structure_version
from areas.decorators import read_only
from areas.models import Plan, StrategicArea

# Path prefixes no search engine should crawl: sign-in, the signed-in side, administration,
# the API (its JSON is reached through the open data pages), the language links (they set a
# cookie and redirect) and the feedback form.
DISALLOWED = [
    "/admin/",
    "/konto/",
    "/oidc/",
    "/plan/",
    "/planer/",
    "/byt-plan/",
    "/organisationer/",
    "/i18n/",
    "/api/",
    "/insyn/sprak/",
    "/tillganglighet/synpunkter/",
]
ALLOWED = ["/insyn/", "/oppna-data/", "/tillganglighet/", "/static/"]
CACHE_SECONDS = 60 * 60


class SiteUrlSitemap(Sitemap):
    """Absolute addresses on SITE_URL rather than the request's host and scheme."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme or "https"

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc

    def location(self, item):
        return item


class PageSitemap(SiteUrlSitemap):
    """The public pages that belong to no plan."""

    def items(self):
        return [
            reverse("accessibility_statement"),
            reverse("insyn:index"),
            reverse("open_data:index"),
        ]


class PublishedPlansSitemap(SiteUrlSitemap):
    """Each published plan's public pages, in the plan's order."""

    def items(self):
        plans = list(Plan.objects.filter(published=True).values_list("slug", flat=True))
        if not plans:
            return []
        areas = _group(
            StrategicArea.objects.filter(plan__published=True)
            .order_by("number")
            .values_list("plan__slug", "number")
        )
        activities = _group(
            Activity.objects.filter(insats__area__plan__published=True)
            .order_by("insats__area__number", "insats__number", "number")
            .values_list(
                "insats__area__plan__slug", "insats__area__number", "insats__number", "number"
            )
        )
        organisations = _group(
            ActivityOrganisation.objects.filter(activity__insats__area__plan__published=True)
            .order_by("organisation__code")
            .values_list("activity__insats__area__plan__slug", "organisation__code")
            .distinct()
        )
        urls = []
        for slug in plans:
            urls += _plan_urls(slug, areas, activities, organisations)
        return urls


def _group(rows):
    """Rows (plan slug, *rest) as {slug: [rest, …]}, in the rows' order."""
    grouped = {}
    for slug, *rest in rows:
        grouped.setdefault(slug, []).append(rest)
    return grouped


def _plan_urls(slug, areas, activities, organisations):
    urls = [reverse("insyn:overview", args=[slug]), reverse("insyn:areas", args=[slug])]
    urls += [reverse("insyn:area", args=[slug, number]) for (number,) in areas.get(slug, [])]
    urls.append(reverse("insyn:activities", args=[slug]))
    urls += [
        reverse("insyn:activity", args=[slug, ".".join(map(str, parts))])
        for parts in activities.get(slug, [])
    ]
    urls.append(reverse("insyn:targets", args=[slug]))
    urls += [
        public_url("organisations:detail", slug, code) for (code,) in organisations.get(slug, [])
    ]
    urls.append(reverse("open_data:plan", args=[slug]))
    urls.append(reverse("open_data:columns", args=[slug]))
    return urls


SITEMAPS = {"sidor": PageSitemap, "planer": PublishedPlansSitemap}


def _sitemap_etag(request):
    """Changes with the plans' structure (a plan published, an activity added) and with
    SITE_URL, not with reports, which change no address (at 100× the plan, a report every
    0.5 s made each worker list 6,000 addresses again); asked once a request (condition() and
    the cache both need it)."""
    if not hasattr(request, "sitemap_etag"):
        key = f"{structure_version()}\n{settings.SITE_URL}\n{request.GET.get('p', '')}"
        request.sitemap_etag = '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'
    return request.sitemap_etag


@login_not_required
@read_only
@cache_control(public=True, max_age=settings.PUBLIC_CACHE_SECONDS)
@without_any_etag
@condition(etag_func=_sitemap_etag)
def sitemap(request):
    """Rendered once per data version and kept in the cache: with a large plan it lists
    thousands of addresses, and a crawler asking again must not cost that every time."""
    key = "sitemap:" + _sitemap_etag(request)
    content = cache.get(key)
    if content is None:
        response = sitemap_view(request, SITEMAPS)
        content = response.render().content
        cache.set(key, content, CACHE_SECONDS)
    return HttpResponse(content, content_type="application/xml")


@login_not_required
@read_only
@cache_control(public=True, max_age=CACHE_SECONDS)
def robots_txt(request):
    lines = ["User-agent: *"]
    lines += [f"Allow: {path}" for path in ALLOWED]
    lines += [f"Disallow: {path}" for path in DISALLOWED]
    lines += ["", f"Sitemap: {settings.SITE_URL}{reverse('sitemap')}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
