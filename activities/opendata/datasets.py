"""The files under /oppna-data/<plan>/: each dataset once as CSV and once as JSON, streamed
in chunks so the report history of a large plan is never built in memory.

CSV: UTF-8 with a byte order mark (so Excel reads å, ä, ö right), comma-separated, RFC 4180
quoting, CRLF line ends, a header row of the columns below. A text cell that starts with
= + - @, a tab or a carriage return gets a leading apostrophe, so a spreadsheet never runs it
as a formula. JSON: {"plan": {...}, "items": [...]}, UTF-8.
docs/open-data.md documents every column."""

import csv
import json
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import filters, items, queries

CHUNK = 500  # rows read per query when streaming
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Dataset:
    name: str  # the file name without its extension
    title: Any
    description: Any
    columns: tuple
    # (plan, where) → the CSV rows (flat dicts) and the JSON items; `where` narrows the
    # dataset's queryset (the query string's filters).
    rows: Any
    items: Any
    # The filters a query string may give (opendata/filters.py, the API's too).
    filterset: Any = None


def everything(queryset):
    return queryset


def _activity_items(plan, where=everything):
    for activity in where(queries.activities(plan)).iterator(chunk_size=CHUNK):
        yield items.activity_item(activity, plan)


def _activity_rows(plan, where=everything):
    return (items.activity_row(item) for item in _activity_items(plan, where))


def _role_rows(plan, where=everything):
    for role in where(queries.roles(plan)).iterator(chunk_size=CHUNK):
        yield items.role_row(role, plan)


def _target_rows(plan, where=everything):
    for target in where(queries.targets(plan)).iterator(chunk_size=CHUNK):
        yield items.target_item(target, target.activity.reference)


def _report_rows(plan, where=everything):
    for report in where(queries.reports(plan, values=False)).iterator(chunk_size=CHUNK):
        yield items.report_row(report, plan)


def _report_items(plan, where=everything):
    for report in where(queries.reports(plan)).iterator(chunk_size=CHUNK):
        yield items.report_item(report, plan)


def _value_rows(plan, where=everything):
    for value in where(queries.values(plan)).iterator(chunk_size=CHUNK):
        yield items.value_row(value)


ACTIVITY_COLUMNS = (
    "reference",
    "area_number",
    "area_name",
    "insats_reference",
    "insats_title",
    "number",
    "description",
    "expected_outcome",
    "leads",
    "participants",
    "status",
    "status_label",
    "lead_statuses",
    "latest_report_at",
    "final_assessment",
    "final_assessment_label",
    "lead_assessments",
    "target_count",
    "latest_values",
)
ROLE_COLUMNS = (
    "activity_reference",
    "organisation",
    "organisation_name",
    "role",
    "role_label",
    "position",
    *items.LEAD_FIELDS,
)
TARGET_COLUMNS = (
    "activity_reference",
    "position",
    "phrase",
    "value",
    "value_max",
    "unit",
    "baseline",
    "year",
    "responsible_organisation",
    "latest_value",
    "latest_value_at",
    "latest_value_organisation",
    "assessment",
    "assessment_label",
)
REPORT_COLUMNS = (
    "id",
    "activity_reference",
    "organisation",
    "organisation_name",
    "round",
    "created_at",
    "status",
    "status_label",
    "comment",
)
VALUE_COLUMNS = (
    "report_id",
    "activity_reference",
    "organisation",
    "created_at",
    "target_position",
    "value",
    "assessment",
    "assessment_label",
)

DATASETS = {
    d.name: d
    for d in [
        Dataset(
            "aktiviteter",
            _("Aktiviteter"),
            _(
                "En rad per aktivitet: område, insats, beskrivning, förväntat utfall, ledande "
                "och deltagande organisationer, status, varje ledande organisations status och "
                "slutbedömning, målens senaste värden. JSON-filen har dessutom målen i sin helhet."
            ),
            ACTIVITY_COLUMNS,
            _activity_rows,
            _activity_items,
            filters.ActivityDataFilter,
        ),
        Dataset(
            "roller",
            _("Organisationernas roller"),
            _(
                "En rad per organisation och aktivitet: leder eller deltar, och för en ledande "
                "organisation dess egen status och slutbedömning."
            ),
            ROLE_COLUMNS,
            _role_rows,
            _role_rows,
            filters.RoleDataFilter,
        ),
        Dataset(
            "mal",
            pgettext_lazy("open data file", "Mål"),
            _("En rad per mål: målvärde, enhet, utgångsläge, senaste rapporterade värde."),
            TARGET_COLUMNS,
            _target_rows,
            _target_rows,
            filters.TargetDataFilter,
        ),
        Dataset(
            "rapporter",
            _("Rapporter"),
            _(
                "Rapporthistoriken, nyaste först: aktivitet, rapporterande organisation, "
                "omgång, tid och status (utan namn på den som rapporterade)."
            ),
            REPORT_COLUMNS,
            _report_rows,
            _report_items,
            filters.ReportDataFilter,
        ),
        Dataset(
            "malvarden",
            _("Rapporterade målvärden"),
            _("Varje värde och bedömning av ett mål som rapporterats, med rapportens id."),
            VALUE_COLUMNS,
            _value_rows,
            _value_rows,
            filters.ValueDataFilter,
        ),
    ]
}


def csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    return str(value)


class _Line:
    """csv.writer's file: writerow() returns the line instead of storing it."""

    def write(self, text):
        return text


def csv_chunks(dataset, plan, where=everything):
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(dataset.columns)
    chunk = []
    for row in dataset.rows(plan, where):
        chunk.append(writer.writerow([csv_cell(row[column]) for column in dataset.columns]))
        if len(chunk) >= CHUNK:
            yield "".join(chunk)
            chunk = []
    yield "".join(chunk)


def json_chunks(dataset, plan, where=everything):
    yield '{"plan": ' + json.dumps(items.plan_item(plan), ensure_ascii=False) + ', "items": ['
    chunk, separator = [], "\n"
    for item in dataset.items(plan, where):
        chunk.append(separator + json.dumps(item, ensure_ascii=False))
        separator = ",\n"
        if len(chunk) >= CHUNK:
            yield "".join(chunk)
            chunk = []
    yield "".join(chunk) + "\n]}\n"
