"""The data version: a short string that changes whenever anything a page shows may have
changed: a report, value or final assessment filed, a round created or edited, any part of a
plan edited in admin or imported (areas, insatser, activities, roles, targets, the plan's own
settings), an organisation renamed. Public pages use it as their ETag and as the key of their
cached rendering.

It is one query of maxima over primary keys and the history tables (django-simple-history
records every create, change and delete of the plan's parts), each answered from an index, so
its cost does not grow with the data. It covers every plan at once: a report in one plan
changes the version of all, which costs a re-render, never a stale page.
"""

import hashlib

from django.db import connection

from areas.models import Insats, Plan, StrategicArea
from organisations.models import Organisation

from .models import (
    Activity,
    ActivityOrganisation,
    OutcomeAssessment,
    ReportingRound,
    StatusReport,
    Target,
    TargetAssessment,
    TargetValue,
)


def _parts():
    quote = connection.ops.quote_name
    parts = []
    # Appended rows: a new one has a higher id.
    for model in (StatusReport, TargetValue, OutcomeAssessment, TargetAssessment):
        parts.append(f"SELECT MAX({quote('id')}) FROM {quote(model._meta.db_table)}")
    # Rows that are edited or deleted in place.
    for model in (Plan, StrategicArea, Insats, Activity, ActivityOrganisation, Target):
        table = quote(model.history.model._meta.db_table)
        parts.append(f"SELECT MAX({quote('history_id')}) FROM {table}")
    # Small tables edited in place, with the time of their last change; the count notices a
    # deleted row.
    for model in (ReportingRound, Organisation):
        table = quote(model._meta.db_table)
        parts.append(f"SELECT MAX({quote('updated_at')}) FROM {table}")
        parts.append(f"SELECT COUNT(*) FROM {table}")
    return parts


def data_version():
    """The current data version, e.g. '3f9a0c1d2e4b'."""
    sql = "SELECT " + ", ".join(f"({part})" for part in _parts())
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return hashlib.sha256(repr(row).encode()).hexdigest()[:16]
