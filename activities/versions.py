"""The data version: a short string that changes whenever anything a page shows may have
changed: a report, value or final assessment filed, a round created or edited, any part of a
plan edited in admin or imported (areas, insatser, activities, roles, targets, the plan's own
settings), an organisation renamed. Pages keep their renderings under it (the `{% fragment %}`
tag, the public pages' cache and ETag, the open data files).

It is one query, each part answered from an index or a handful of rows, so its cost does not
grow with the data. There are two scopes:

- `data_version(plan)`, for a page of one plan: the filings on that plan's activities (their
  areas' AreaChange counters, raised in the filing's transaction: activities/models/changes.py)
  and every edit of any plan's structure, any round and any organisation. A report in one plan
  leaves every other plan's pages as they are; edits of structure are rare, and a plan's pages
  show other plans' activities (continuations), so they count for all.
- `version_of_area(…)`, for the parts of a page that show one area only (the board report's
  sections): the filings on that area's activities, and the same edits.
- `area_versions(plan)`, the versions of every area of a plan at once, for data kept per
  area (a round's completeness and change counts, per_area.py), and `Scope`, for a part of a
  page that depends on less than the plan's filings (the round page's first changes).
- `data_version()`, for what spans plans (the sitemap, the catalogue): all of it, the filings as
  the newest id of each appended table.
"""

import hashlib
from dataclasses import dataclass
from functools import cache

from django.db import connection
from django.db.models import F
from django.db.models.expressions import RawSQL

from areas.models import Insats, Plan, StrategicArea
from organisations.models import Organisation

from .models import (
    Activity,
    ActivityOrganisation,
    AreaChange,
    OutcomeAssessment,
    ReportingRound,
    StatusReport,
    Target,
    TargetAssessment,
    TargetValue,
)


def _quote(name):
    return connection.ops.quote_name(name)


def _table(model):
    return _quote(model._meta.db_table)


# The SQL is the same for the life of the process (one database); made once, not on every
# request (it cost 0.45 ms of every page).
@cache
def _edits():
    """Rows edited or deleted in place, in every plan."""
    parts = []
    # django-simple-history records every create, change and delete of the plan's parts.
    for model in (Plan, StrategicArea, Insats, Activity, ActivityOrganisation, Target):
        parts.append(f"SELECT MAX({_quote('history_id')}) FROM {_table(model.history.model)}")
    # Small tables edited in place, with the time of their last change; the count notices a
    # deleted row.
    for model in (ReportingRound, Organisation):
        parts.append(f"SELECT MAX({_quote('updated_at')}) FROM {_table(model)}")
        parts.append(f"SELECT COUNT(*) FROM {_table(model)}")
    return tuple(parts)


@cache
def _all_filings():
    """Appended rows, in every plan: a new one has a higher id."""
    return tuple(
        f"SELECT MAX({_quote('id')}) FROM {_table(model)}"
        for model in (StatusReport, TargetValue, OutcomeAssessment, TargetAssessment)
    )


@cache
def _plan_filings():
    """The filings on one plan's activities (the plan's slug is the query's parameter)."""
    return (
        f"SELECT SUM({_quote('filings')}) FROM {_table(AreaChange)} WHERE {_quote('area_id')} IN "
        f"(SELECT {_quote('id')} FROM {_table(StrategicArea)} WHERE {_quote('plan_id')} = "
        f"(SELECT {_quote('id')} FROM {_table(Plan)} WHERE {_quote('slug')} = %s))",
    )


def _row(parts, params=()):
    sql = "SELECT " + ", ".join(f"({part})" for part in parts)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _digest(*parts):
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def plan_state(plan):
    """What one plan's versions are made of, in one query: the edits, then the plan's
    filings (`plan`: a Plan or its slug)."""
    slug = getattr(plan, "slug", plan)
    return slug, _row(_edits() + _plan_filings(), [slug])


def data_version(plan=None):
    """The current data version, e.g. '3f9a0c1d2e4b': of one plan's pages (a Plan or its
    slug), or of everything (None)."""
    if plan is None:
        return version_of_all(all_state())
    return version_of_plan(plan_state(plan))


def all_state():
    """What the version of everything is made of, in one query: the edits, then the newest
    filings of every plan."""
    return "", _row(_edits() + _all_filings())


def version_of_all(state):
    _slug, row = state
    return _digest("all", row)


def edits_of(state):
    """The edits alone of a plan_state or all_state (what a part's latest rendering may be
    shown for while the filings since are not yet in it: fragments.kept), no query."""
    _slug, row = state
    return _digest("edits", row[: len(_edits())])


def structure_version():
    """The version of what spans plans and changes with their structure only, not with reports
    (the sitemap: which plans are published, their areas, activities and organisations): the
    edits of every plan, one query."""
    return _digest("edits", _row(_edits()))


def version_of_plan(state):
    slug, row = state
    return _digest("plan", slug, row)


def version_of_area(state, area):
    """The version of a part of the plan's pages that shows one area only (the board report's
    sections): the edits, and the filings on that area's activities. `area` is read with
    `with_filings`, so this costs no query."""
    _slug, row = state
    return _digest("area", area.pk, row[:-1], area.filings)


def with_filings(areas):
    """StrategicAreas annotated with their filings (version_of_area), in the same query."""
    return areas.annotate(filings=F("change__filings"))


def area_versions(plan_id):
    """{area pk: its version} for every area of the plan, in plan order, in one query (the
    areas with their filings and the edits, which the database evaluates once): made of the
    same as version_of_area, for keys of data kept per area."""
    edits = {f"edit{i}": RawSQL(part, ()) for i, part in enumerate(_edits())}
    areas = with_filings(StrategicArea.objects.filter(plan_id=plan_id)).annotate(**edits)
    rows = areas.order_by("number").values_list("pk", "filings", *edits)
    return {pk: _digest("area", pk, tuple(row), filings) for pk, filings, *row in rows}


@dataclass(frozen=True)
class Scope:
    """What a kept part of a page depends on besides the edits, when that is less than the
    plan's filings, for `{% fragment … area=scope %}` (the tag reads `pk` and `filings` as of a
    StrategicArea read with `with_filings`, version_of_area): `pk` names what the part shows
    (e.g. the activities of a round's first changes), `filings` what changes with their data
    (e.g. how many reports each has). The part is kept until the edits or these change."""

    pk: tuple
    filings: tuple
