"""ETags and Cache-Control for open data and the API.

The ETag is a digest of everything an answer depends on: the data version
(activities.versions.data_version(plan), the plan's own: it changes with every report, value,
assessment and edit of a plan), the scheme and host (the API's answers carry absolute links
built from them: `next`, `previous`, the plan's `downloads`), the path and query string, the
plan, the language and who asks (the public or a coordinator, who also sees unpublished plans),
and the settings the files name (SITE_URL in every row's uri, the licence, publisher and
contact): a restart with a new licence or address is a new answer, never a 304 for the old one.
A request whose If-None-Match holds it is answered 304 before anything else is read.

A published plan's answers are the same for everyone and may be cached by anyone for
MAX_AGE seconds; what only a coordinator sees is `private`."""

import hashlib

from django.conf import settings
from django.utils import translation
from django.utils.http import parse_etags

from organisations.roles import is_coordinator

from ..excel.cells import CONTENT_TYPE as XLSX
from ..fragments import request_data_version

MAX_AGE = 60
# Each open data file's Content-Type, by its extension (the download and a background job's file).
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8; header=present",
    "json": "application/json; charset=utf-8",
    "xlsx": XLSX,
}


def audience(user):
    return "coordinator" if is_coordinator(user) else "public"


# The settings an answer's body names.
ETAG_SETTINGS = (
    "SITE_URL",
    "OPEN_DATA_LICENCE_URL",
    "OPEN_DATA_LICENCE_NAME",
    "OPEN_DATA_CONTACT_EMAIL",
    "PUBLISHER_NAME",
    "PUBLISHER_URL",
)


def etag_for(request, plan=None):
    parts = [
        # A plan's answers change with its own data; the list of plans with everything.
        request_data_version(request, plan),
        *(str(getattr(settings, name)) for name in ETAG_SETTINGS),
        request.scheme,
        request.get_host(),
        request.path,
        request.META.get("QUERY_STRING", ""),
        plan.slug if plan else "",
        translation.get_language() or "",
        audience(request.user),
    ]
    return '"' + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32] + '"'


def is_not_modified(request, etag):
    """If-None-Match names this ETag (weak or strong)."""
    header = request.META.get("HTTP_IF_NONE_MATCH", "")
    if not header:
        return False
    given = {tag.removeprefix("W/") for tag in parse_etags(header)}
    # "*" means "if it exists", which is not known here (an unknown activity, a page past
    # the last): the full answer, or its 404, is always right.
    return etag in given


def set_cache_headers(response, etag, *, public):
    response["ETag"] = etag
    response["Cache-Control"] = (
        f"public, max-age={MAX_AGE}" if public else "private, max-age=0, must-revalidate"
    )
    return response
