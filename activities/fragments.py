"""Parts of pages kept in the cache until the data changes: one level of caching.

A page whose content grows with the plan (the report to the board, a round's completeness,
changes and reminders, a reporter's work lists, the activity table's rows, an organisation's
lists) wraps what it shows in `{% fragment "name" part … %}…{% endfragment %}`
(activities/templatetags/fragments.py). The tag builds the key itself: the name and the part's
own values, the data version of the page's plan (activities/versions.py: it changes with every
report and assessment in the plan, and any round or edit of a plan; read once per request; the
version of everything on a page without a plan), the language and the day, and it
keeps the rendering for settings.FRAGMENT_CACHE_SECONDS. The view passes what the part shows as
lazy objects (`lazy`), so on a hit neither their queries nor their rendering run. Views keep
no data of their own in the cache: a page has this one level (docs/performance.md).

A part that differs between viewers names what it differs by among its values (the round
page's reminders: whether the viewer manages rounds, is staff, and the members' addresses);
a `{% csrf_token %}` inside a part is always the viewer's own (see the tag).

While reports come in, the data version a plan's pages are keyed by moves at most once per
settings.FRAGMENT_REFRESH_SECONDS (1 s; `_pinned`): until the version the pages were last
keyed by is that old, a reader who has filed nothing since is shown the pages under it,
whole and consistent, as plain hits. The author of a report sees it at once, and an edit (of
a plan, a round, an organisation) shows at once to everyone. At a reporting deadline the
cost of the reports to the readers is bounded by that, not by how many come in. Only with a
shared cache (CACHE_URL; settings.py makes it 0 without): the notes of who wrote when
(ReadOwnWritesMiddleware) must reach every worker.

The cache is Django's default (settings.CACHES): with CACHE_URL one Redis or Valkey server that
every worker of every instance shares, so a part rendered by one is a hit for all; without it,
each worker's memory. Either way a change made through one worker shows in the others (at once
to its author, within FRAGMENT_REFRESH_SECONDS to everyone else): it changes the version every
worker reads from the database.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.utils import timezone
from django.utils.functional import SimpleLazyObject, cached_property

from .versions import (
    all_state,
    edits_of,
    plan_state,
    version_of_all,
    version_of_area,
    version_of_plan,
)


def request_data_version(request, plan=None, area=None):
    """The version of the plan's pages (data_version), or of one of its areas
    (version_of_area: `area` read with versions.with_filings), read once per request; of
    everything on a page without a plan."""
    state = _request_state(request, plan)
    if plan is None:
        return version_of_all(state)
    return version_of_plan(state) if area is None else version_of_area(state, area)


def request_edits(request, plan=None):
    """The edits part of the request's data version (versions.edits_of), read with it: a
    family of renderings (kept) is named with it, so a part's latest rendering is shown
    while newer filings are not in it, never across an edit (a plan unpublished or renamed,
    an activity moved, an organisation renamed)."""
    return edits_of(_request_state(request, plan))


def _request_state(request, plan):
    if not hasattr(request, "_plan_states"):
        request._plan_states = {}
    slug = getattr(plan, "slug", plan)
    if slug not in request._plan_states:
        # When the state is read: taken before it is, so that a write noted before the stamp
        # (ReadOwnWritesMiddleware, after its commit) is always in the state (_pinned).
        read_at = time.time()
        fresh = all_state() if slug is None else plan_state(slug)
        request._plan_states[slug] = _pinned(request, slug, fresh, read_at)
    return request._plan_states[slug]


# The state (versions.plan_state or all_state) a plan's pages were last keyed by, and when it
# was read (_pinned): pinned_key.
PINNED_KEY = "fragments-state:{}"


def pinned_key(slug):
    """The cache key of the state the pages of `slug` were last keyed by."""
    return PINNED_KEY.format(hash_key(slug))


def _pinned(request, slug, fresh, now=None):
    """The state the pages of `slug` are keyed by for this request: the one they were last
    keyed by if it was read less than settings.FRAGMENT_REFRESH_SECONDS ago, holds the same
    edits as `fresh` (the database's now) and this request may be shown pages from before its
    filings (may_show_previous: a read, by someone who has filed nothing since); else
    `fresh`, which becomes the state pages are keyed by when the last one is too old (never
    over one read after it).

    After a report every kept part of the plan's pages misses, and one request renders each
    again; with reports every half second at a deadline, that was most of what the readers
    lost. Keyed by the same state for up to a second, every page is a plain hit and whole (its
    parts, row counts and ETag of the same moment), and each part is rendered again at most
    once a second, however many reports come in.

    `now`: when `fresh` began to be read (time.time() before its query). Stamped after it,
    a report committed and noted (note_write) between the query and the stamp would be
    missing from a state stamped as later than it, and its author shown that state."""
    seconds = settings.FRAGMENT_REFRESH_SECONDS
    if not seconds or request is None:
        return fresh
    if now is None:
        now = time.time()
    key = pinned_key(slug)
    state, read_at = _pinned_state(cache.get(key))
    current = (
        state is not None
        # Not from a clock ahead of this one, nor from another slug under a crafted key.
        and 0 <= now - read_at < seconds
        and state[0] == fresh[0]
        and edits_of(state) == edits_of(fresh)
    )
    if current and may_show_previous(request, read_at):
        return state
    if not current:
        # Two requests that found the state too old at once: the one that read the database
        # first would store its state last, and the pages go back to an older one (the
        # hostile review). Read again just before: a state read after this one stays. (A
        # compare-and-set would close the moment between the two; it is a second at most.)
        _state, stored_at = _pinned_state(cache.get(key))
        if stored_at is None or stored_at <= now:
            cache.set(key, (fresh, now), PREVIOUS_AT_MOST_SECONDS)
    return fresh


def _pinned_state(value):
    """(state, when it was read) as _pinned stores it; (None, None) for anything else."""
    if (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[1], float)
        and isinstance(value[0], tuple)
        and len(value[0]) == 2
        and isinstance(value[0][1], tuple)
    ):
        return value
    return None, None


# How long a request waits, in all, for other workers rendering the parts it needs (after a
# report, every reader of the page misses at once), and how long a worker's claim lasts if it
# dies while rendering.
BUILD_WAIT_SECONDS = 2.0
BUILD_CLAIM_SECONDS = 10
BUILD_POLL_SECONDS = 0.01
# The oldest previous rendering shown while another request renders the new one: the page as
# it was a moment ago, not as it was when someone last looked an hour ago.
PREVIOUS_AT_MOST_SECONDS = 60
# When a signed-in user last changed something (ReadOwnWritesMiddleware), in the cache (the
# session would cost every change two more queries): a rendering begun before it is never
# shown to them as the previous one. Kept as long as a rendering begun before it can be shown.
LAST_WRITE_KEY = "fragments-last-write:{}"


def kept(key, render, request=None, family=None, seconds=None):
    """The value kept under `key`, or `render()`'s, kept for `seconds`
    (settings.FRAGMENT_CACHE_SECONDS unless said).

    When it is missing, one request renders it (its claim in the cache); the others are
    answered at once with the part's previous rendering (`family`: the key with the
    edits instead of the data version, naming the latest rendering and when it began), the
    page as it was a moment before the change, or wait for the new one. After a report every
    worker misses the same parts of a page at the same moment: each rendering them on its
    own doubled the work while reports came in, and waiting took the second worker just as
    long. Who waits: a request that changes something, one from a user whose last change
    came after the previous rendering began (may_show_previous: they see their own change),
    and every request when the previous rendering is older than PREVIOUS_AT_MOST_SECONDS or
    the claim older than BUILD_WAIT_SECONDS (its renderer is stuck). A request waits
    BUILD_WAIT_SECONDS at most in all, whatever the number of its parts (`request` holds its
    deadline), then renders what it still needs itself. With a cache of each process's own
    (no CACHE_URL) nobody else can be rendering it, and when the cache server is down nobody
    can claim it: the request renders it at once."""
    value = cache.get(key)
    if value is not None:
        return value
    claim = f"{key}:building"
    if cache.add(claim, time.time(), BUILD_CLAIM_SECONDS):
        try:
            return _keep(key, render, family, seconds, request)
        finally:
            cache.delete(claim)
    value = _previous(family, claim, request)
    if value is None:
        value = _wait_for(key, claim, _deadline(request))
    return value if value is not None else _keep(key, render, family, seconds, request)


def may_show_previous(request, begun_at):
    """Whether this request may be shown a part's previous rendering, begun at `begun_at`
    (time.time()), while another request renders the new one: a request that reads (GET or
    HEAD), from someone who has changed nothing since that rendering began. Whoever files a
    report sees it on every page after, whichever worker renders the page. (The instances'
    clocks are taken to agree to well under the time between a change and the next page.)"""
    if request is None or request.method not in ("GET", "HEAD"):
        return False
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return True
    last_write = cache.get(LAST_WRITE_KEY.format(user.pk))
    if not isinstance(last_write, (int, float)) or last_write != last_write:  # NaN
        return True
    return begun_at > last_write


def note_write(user):
    """Note that `user` changed something now (ReadOwnWritesMiddleware)."""
    cache.set(
        LAST_WRITE_KEY.format(user.pk),
        time.time(),
        PREVIOUS_AT_MOST_SECONDS + BUILD_CLAIM_SECONDS,
    )


def _previous(family, claim, request):
    """The part's latest rendering under any version (its family's), if this request may be
    shown it while the claim's renderer renders the new one."""
    # Never inside a part this request is rendering to keep: the outer part would keep the
    # inner one's previous rendering under its own newer version, for everyone.
    if family is None or request is None or getattr(request, "_kept_rendering", 0):
        return None
    found = cache.get_many([family, claim])
    previous_key, begun_at = _latest(found.get(family))
    claimed_at = found.get(claim)
    now = time.time()
    if (
        previous_key is None
        or not isinstance(claimed_at, float)
        or now - begun_at > PREVIOUS_AT_MOST_SECONDS
        or now - claimed_at > BUILD_WAIT_SECONDS
        or not may_show_previous(request, begun_at)
    ):
        return None
    return cache.get(previous_key)


def _deadline(request):
    """The moment this request stops waiting for others (the first wait sets it)."""
    now = time.monotonic()
    if request is None:
        return now + BUILD_WAIT_SECONDS
    if not hasattr(request, "_fragment_wait_until"):
        request._fragment_wait_until = now + BUILD_WAIT_SECONDS
    return request._fragment_wait_until


def _wait_for(key, claim, deadline):
    """The value once another request has kept it, or None when its claim ends without one
    or the deadline passes: one read of both per poll."""
    while True:
        found = cache.get_many([key, claim])
        if key in found:
            return found[key]
        if claim not in found or time.monotonic() >= deadline:
            return None
        time.sleep(BUILD_POLL_SECONDS)


def _keep(key, render, family=None, seconds=None, request=None):
    """Render and keep the value. Its family names it as the part's latest rendering, with
    when it began, unless a rendering begun later is named already (a slow rendering of an
    older version never replaces a newer one). While it renders, the parts inside it are never
    their previous renderings (_previous)."""
    begun_at = time.time()
    if request is not None:
        request._kept_rendering = getattr(request, "_kept_rendering", 0) + 1
    try:
        value = render()
    finally:
        if request is not None:
            request._kept_rendering -= 1
    seconds = seconds or settings.FRAGMENT_CACHE_SECONDS
    cache.set(key, value, seconds)
    if family is not None:
        _newer, latest_begun_at = _latest(cache.get(family))
        if latest_begun_at is None or latest_begun_at <= begun_at:
            cache.set(family, (key, begun_at), seconds)
    return value


def _latest(value):
    """(key, when its rendering began) of a family's latest rendering, as _keep stores it;
    (None, None) for anything else (nothing kept, or a value the app did not write)."""
    if (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], float)
    ):
        return value
    return None, None


def lazy(compute):
    """`compute()`'s result, computed when the template first reads it (never on a hit)."""
    return SimpleLazyObject(compute)


def shown_filters(request, filterset):
    """A digest of what a table's filter form shows of the address, for its kept part's key:
    the filter's own fields, rows per page and the sort, not the page number or parameters
    that are no filter (each would keep another copy of the same form)."""
    names = {*filterset.form.fields, "per_page", "sort"}
    shown = [(name, request.GET.getlist(name)) for name in request.GET if name in names]
    return hash_key(sorted(shown))


def hash_key(value):
    """A short digest of `value` (its repr) for a fragment's key, e.g. a list of addresses."""
    return hashlib.sha256(repr(value).encode()).hexdigest()[:16]


def table_paginator(request, plan, public):
    """The paginator class of a signed-in table (kept_count_paginator); a public page keeps its
    whole answer already (public_cache), so it counts as django-tables2 does."""
    return Paginator if public else kept_count_paginator(request, plan)


def kept_count_paginator(request, plan):
    """A Paginator class whose count of rows is kept like the page's parts: until the plan's
    data changes, per address (its filters). A table's rows are a kept part, but django-tables2
    counts them while the view configures the table, before the template can skip anything:
    at 1000× the plan the targets page's count (110,000 targets) cost more than the rest of a
    warm request."""

    class KeptCount(Paginator):
        @cached_property
        def count(self):
            # The day too, like the rows: ?to_report= and ?change= follow the round in
            # progress, which a round opening at midnight changes without any write.
            key = "count:" + hash_key(
                (
                    request_data_version(request, plan),
                    request.get_full_path(),
                    timezone.localdate().isoformat(),
                )
            )
            count = cache.get(key)
            if count is None:
                count = Paginator.count.func(self)
                cache.set(key, count, settings.FRAGMENT_CACHE_SECONDS)
            return count

    return KeptCount


class ReadOwnWritesMiddleware:
    """Notes (in the cache) when a signed-in user last changed something (a POST, PUT, PATCH or
    DELETE answered below 400): from then on their pages are never shown a previous rendering
    of a kept part begun before it, but wait for the new one (may_show_previous). Nobody
    else's pages are held back by it, and it says nothing about what anyone may do."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            request.method not in ("GET", "HEAD", "OPTIONS", "TRACE")
            and response.status_code < 400
            and user is not None
            and user.is_authenticated
        ):
            note_write(user)
        return response
