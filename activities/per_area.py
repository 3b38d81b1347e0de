"""A round's counts kept per strategic area, so that a report recomputes its own area's part of
them and not the whole plan's; and what the round page's two lists depend on.

The round page shows the whole plan's reporting: the completeness per organisation and the
changes since the previous round, counted over every lead role and every report. Every report
changes the plan's data version, so its kept parts (`{% fragment %}`) are rendered again after
each one; counting the whole plan again each time made the page lose more than half its
throughput while reports came in (100×, a report every 0.5 s). Both counts add up over areas
(every lead role and every report lies on one activity, in one area), and each area has a
version of its own (versions.area_versions: its filings and every edit of structure). So each
area's counts are kept under that version (kept_per_area), and a page adds them up: after a
report, one area (a sixth of the plan) is counted again.

The lists of the first owed reports and the first changes are parts of their own, kept by
what they depend on (versions.Scope): missing_scope here, RoundChanges.first_scope. A report
by an organisation they do not list, or on an activity they do not concern, leaves them as
they are.

This is data in the cache beside the pages' rendered parts (docs/performance.md, "One level
of caching"), and only these counts: small dictionaries of numbers, whose sums the kept parts
render. The board report asks the model directly (ReportingRound.completeness) and gets the
same numbers (tests/test_round_per_area.py).
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from .models import StatusReport
from .models.rounds import Completeness
from .versions import Scope, area_versions


def versions_of(reporting_round):
    """{area pk: its version} of the round's plan, in plan order: read once per round object
    (one query), before anything kept under them is computed, so nothing is ever kept under a
    version newer than itself."""
    if not hasattr(reporting_round, "_area_versions"):
        reporting_round._area_versions = area_versions(reporting_round.plan_id)
    return reporting_round._area_versions


def kept_per_area(name, key, versions, compute):
    """{area pk: data} for every area in `versions` ({area pk: version}, in plan order), each
    area's data kept in the cache under `name`, `key`, the day and the area's version. The
    kept ones are read at once (one get_many); the missing ones (after a report: its area) are
    computed together by `compute(area pks)`, which gives {area pk: data} for each, and kept
    (one set_many)."""
    # The day too, like the kept parts of pages: nothing kept is older than today.
    key = (key, timezone.localdate().isoformat())
    keys = {
        pk: f"{name}:" + hashlib.sha256(repr((key, pk, version)).encode()).hexdigest()[:24]
        for pk, version in versions.items()
    }
    found = cache.get_many(keys.values())
    data = {pk: found[k] for pk, k in keys.items() if k in found}
    missing = [pk for pk in keys if pk not in data]
    if missing:
        computed = compute(missing)
        cache.set_many({keys[pk]: computed[pk] for pk in missing}, settings.FRAGMENT_CACHE_SECONDS)
        data.update(computed)
    return {pk: data[pk] for pk in keys}


def completeness(reporting_round, missing_limit=None):
    """reporting_round.completeness(missing_limit), its counts kept per area: the same
    Completeness, with the areas changed since counted in one aggregate query. Its owed pairs
    are read when first asked for (never when their kept part is found: missing_scope)."""
    per_area = kept_per_area(
        "round-completeness",
        (reporting_round.pk, reporting_round.window),
        versions_of(reporting_round),
        reporting_round.completeness_of_areas,
    )
    rows = reporting_round.completeness_rows(per_area)
    missing = SimpleLazyObject(lambda: reporting_round.first_missing(rows, missing_limit))
    return Completeness(rows=rows, missing=missing)


def missing_scope(reporting_round, rows, limit):
    """What the round's first `limit` owed pairs depend on besides the plan's structure, for
    a kept part (versions.Scope): how much each organisation owes, up to the last one they
    belong to (rows: completeness_rows, by code), and how many reports on the plan those that
    owe have filed (one query). Whether a lead role is owed depends only on its own
    organisation's reports on the activity, so a list kept under it holds until one of those
    organisations files a report (a count, unlike the newest id, also moves for a filing that
    commits after a later one), not at every report in the plan."""
    owing, _owed = reporting_round.owing_first(rows, limit)
    up_to = [(row.organisation.pk, row.owed) for row in rows]
    if owing:
        up_to = up_to[: [pk for pk, _n in up_to].index(owing[-1]) + 1]
    filed = (
        StatusReport.objects.filter(
            organisation_id__in=owing, activity__insats_id__in=reporting_round.insats_ids
        ).count()
        if owing
        else 0
    )
    return Scope(("first-missing", limit, tuple(up_to)), (filed,))
