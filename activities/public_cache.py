"""Caching of the public insyn pages, so a spike of public traffic costs the database one small
query per request (the data version) rather than a page's dozen.

A public page's ETag is a hash of the plan's data version, the day, the plan, the language and
the path with the query parameters the page reads (its filters, the table's sort and page;
`reads`), sorted by name: it changes whenever anything the page shows may have changed, and not
otherwise. The page sees only those parameters (see only_what_is_read), so ?utm_source=x or any
other unknown parameter neither changes what it shows nor makes a new rendering in the cache. A
browser or proxy that sends the ETag back in If-None-Match gets 304 Not Modified without the
page being rendered; any other request for the same ETag is answered from the rendered body kept
in Django's cache (CACHES). The pages say `Cache-Control: public, max-age=…`, so a proxy may
serve them for that long, and `Vary: Cookie`, since the language is chosen by a cookie.

A public page is rendered without the request's context processors (see render_public): it
cannot show anything about who is looking, so one rendering serves everyone.
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, QueryDict
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import parse_etags, quote_etag
from django.views.decorators.http import condition

from areas.decorators import read_only

from .fragments import kept, request_data_version, request_edits

# (etag, body) under the ETag. The release before kept the body alone under "insyn:": a new
# prefix, so that neither release reads the other's entries in a shared cache (Redis outlives
# a deploy, and both releases share it during a rolling one).
CACHE_PREFIX = "insyn-page:"
# A page's latest rendering, whatever the data version (fragments.kept).
LATEST_PREFIX = "insyn-latest:"
# How long a rendering is kept. Its key names the data version, so it is never stale, only
# unused once the data changes; the time just lets unused ones go.
CACHE_SECONDS = 10 * 60


# django-tables2's parameters (RequestConfig): the sort, the page and the page size.
TABLE_PARAMETERS = ("sort", "page", "per_page")


def only_what_is_read(request, reads):
    """Cut the request's query string to the parameters in `reads`, sorted by name (each
    one's values kept in their order, which can matter: the last ?sort= wins), for the view,
    its links (django-tables2's querystring, the language switch's ?next=) and the ETag."""
    kept = QueryDict(mutable=True)
    for name in sorted(set(reads).intersection(request.GET)):
        kept.setlist(name, request.GET.getlist(name))
    kept._mutable = False
    request.GET = kept
    request.META["QUERY_STRING"] = kept.urlencode()


def public_etag(request, *args, plan_slug="", **kwargs):
    """The page's ETag, computed once per request (condition() and the cache both ask)."""
    if not hasattr(request, "public_etag"):
        # A plan's pages change with its own reports only; the list of plans with all.
        version = request_data_version(request, plan_slug or None)
        request.public_etag = _digest((version, *_page_parts(request, plan_slug)))
    return request.public_etag


def _page_parts(request, plan_slug):
    """What names the page apart from the data version."""
    return (
        # The day: a page says how many days are left, which round is in progress and
        # whether the final follow-up has begun, all of which change at midnight.
        timezone.localdate().isoformat(),
        plan_slug,
        translation.get_language(),
        request.get_full_path(),
    )


def _digest(parts):
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


class _NotKept(Exception):
    """An answer other than 200, which is sent but not kept."""

    def __init__(self, response):
        self.response = response


def _answer(request, view, args, kwargs):
    """The page's 200 answer, kept under its ETag; while another request renders the page
    after a change, the previous rendering with its own ETag (fragments.kept)."""
    plan_slug = kwargs.get("plan_slug", "")
    # The same page under any filings since the last edit (fragments.request_edits).
    edits = request_edits(request, plan_slug or None)
    family = LATEST_PREFIX + _digest((edits, *_page_parts(request, plan_slug)))

    def render():
        # A page that is no more (a plan unpublished or renamed, an activity gone: 404,
        # raised or answered) never has its previous rendering shown in its place again.
        try:
            response = view(request, *args, **kwargs)
        except (Http404, PermissionDenied):
            cache.delete(family)
            raise
        if response.status_code != 200:
            cache.delete(family)
            raise _NotKept(response)
        return request.public_etag, response.content

    try:
        etag, body = kept(
            CACHE_PREFIX + request.public_etag, render, request, family, CACHE_SECONDS
        )
    except _NotKept as not_kept:
        return not_kept.response
    response = HttpResponse(body)
    if etag != request.public_etag:
        # Sent under the ETag it was rendered for: a browser asking again with it after the
        # new rendering is kept gets the new page, not a 304 for the old one. It is already
        # out of date, so nobody keeps it without asking again (public_page).
        response["ETag"] = quote_etag(etag)
        response.is_previous_rendering = True
    return response


def render_public(request, template_name, context, status=200):
    """Render a public page: the shared templates with `public` set (public links, no forms,
    no names) in the public layout, from this context only, and `hide_comments` unless the
    plan shows its comments and motivations. The request is passed for the current path and
    the table's sort and page links, not for context processors."""
    plan = context.get("plan")
    context = {
        **context,
        "public": True,
        "hide_comments": not (plan and plan.public_comments),
        "layout": "public/base.html",
        "request": request,
    }
    return HttpResponse(render_to_string(template_name, context), status=status)


def without_any_etag(view):
    """If-None-Match: * means "if it exists", which only the answer tells (a page that does not
    exist is 404): never a 304 for it."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if "*" in parse_etags(request.META.get("HTTP_IF_NONE_MATCH", "")):
            del request.META["HTTP_IF_NONE_MATCH"]
        return view(request, *args, **kwargs)

    return wrapper


def public_page(view=None, *, reads=()):
    """A public view: no sign-in, GET and HEAD only, conditional on the ETag, its 200 answers
    kept in the cache under the ETag, and cacheable by browsers and proxies. `reads`: the
    query parameters the page reads; it never sees any other (only_what_is_read)."""
    if view is None:
        return lambda view: public_page(view, reads=reads)

    @wraps(view)
    def cached(request, *args, **kwargs):
        return _answer(request, view, args, kwargs)

    conditional = without_any_etag(condition(etag_func=public_etag)(cached))

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        only_what_is_read(request, reads)
        response = conditional(request, *args, **kwargs)
        if getattr(response, "is_previous_rendering", False):
            # Out of date when sent: kept by a browser or proxy only to ask again with its ETag.
            patch_cache_control(response, public=True, no_cache=True, max_age=0)
        elif response.status_code in (200, 304):
            patch_cache_control(response, public=True, max_age=settings.PUBLIC_CACHE_SECONDS)
        # The language comes from a cookie (SwedishFirstLocaleMiddleware), and is in the ETag.
        patch_vary_headers(response, ["Cookie"])
        return response

    return login_not_required(read_only(wrapper))
