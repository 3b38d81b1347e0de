"""Parts of pages kept in the cache until the data changes.

A page whose content grows with the plan (the report to the board, a round's completeness and
changes, a reporter's work lists) wraps what is the same for every viewer in Django's
`{% cache %}` tag, varied on `data_version` (activities/versions.py: it changes with every
report, assessment, round or edit of a plan), the language, the day and whatever the part
depends on. The view passes what the part shows as lazy objects, so on a hit neither their
queries nor their rendering run: the page costs the data version's one small query.

The cache is Django's default (settings.CACHES), in each worker's memory. A change made
through one worker shows at once in the others: it changes the version every worker reads
from the database.
"""

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from .versions import data_version


def request_data_version(request):
    """data_version(), read once per request."""
    if not hasattr(request, "_data_version"):
        request._data_version = data_version()
    return request._data_version


def fragment_context(request):
    """What the `{% cache %}` tags of these pages vary on, and for how long they keep."""
    return {
        "data_version": SimpleLazyObject(lambda: request_data_version(request)),
        "fragment_seconds": settings.FRAGMENT_CACHE_SECONDS,
        "today": timezone.localdate(),
    }


def lazy(compute):
    """`compute()`'s result, computed when the template first reads it (never on a hit)."""
    return SimpleLazyObject(compute)


def remembered(request, key, compute):
    """`compute()`'s result kept in the cache under `key` (a tuple) until the data changes:
    for data that parts of a page share with a part that is not cached (a round's
    completeness feeds both its cached tables and its reminders, which show each viewer
    what they may see). It must pickle: lists and model instances, no querysets."""
    name = ":".join(str(part) for part in ("data", *key, request_data_version(request)))
    name += f":{timezone.localdate().isoformat()}"
    value = cache.get(name)
    if value is None:
        value = compute()
        cache.set(name, value, settings.FRAGMENT_CACHE_SECONDS)
    return value
