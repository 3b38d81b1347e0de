"""The files under /oppna-data/<plan>/: each dataset once as CSV and once as JSON, streamed
in chunks so the report history of a large plan is never built in memory.

Every row ends with the plan's slug and its URI (uris.py). The columns are declared once, in
columns.py, with their Table Schema (package.py) and the public column page.

CSV: UTF-8 with a byte order mark (so Excel reads å, ä, ö right), comma-separated, RFC 4180
quoting, CRLF line ends, a header row of the columns below. A text cell that starts with
= + - @, a tab or a carriage return gets a leading apostrophe, so a spreadsheet never runs it
as a formula. JSON: {"plan": {...}, "items": [...]}, UTF-8.
Excel: the same rows as a workbook (workbook.py). docs/open-data.md documents every column."""

import csv
import json
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..excel.chunks import in_chunks, in_pages
from . import columns, filters, items, queries
from .uris import PlanUris

CHUNK = 500  # rows read per query when streaming
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Dataset:
    name: str  # the file name without its extension
    title: Any
    description: Any
    columns: tuple  # of columns.Column, in the files' order
    # (plan, where) → the CSV rows (flat dicts) and the JSON items; `where` narrows the
    # dataset's queryset (the query string's filters).
    rows: Any
    items: Any
    # The filters a query string may give (opendata/filters.py, the API's too).
    filterset: Any = None
    # The Table Schema's keys (datapackage.json): the primary key's columns and, per column
    # list, the dataset and columns it refers to.
    primary_key: tuple = ()
    foreign_keys: tuple = ()

    @property
    def names(self):
        return [column.name for column in self.columns]


def everything(queryset):
    return queryset


def _located(row, uris, uri):
    """The row with its plan and URI, the last columns of every file."""
    row["plan"] = uris.slug
    row["uri"] = uri
    return row


def _activity_items(plan, where=everything):
    uris = PlanUris(plan)
    for activity in in_chunks(where(queries.activities(plan)), CHUNK):
        item = items.activity_item(activity, plan)
        # Its roles and targets refer back to it (a cycle): let go of them now, not when the
        # cycle collector comes by (it is paused while a workbook is sent, excel/cells.sent()).
        activity._prefetched_objects_cache = {}
        yield _located(item, uris, uris.activity(item["reference"]))


def _activity_rows(plan, where=everything):
    return (items.activity_row(item) for item in _activity_items(plan, where))


def _role_rows(plan, where=everything):
    uris = PlanUris(plan)
    for role in in_pages(where(queries.roles(plan)), CHUNK):
        row = items.role_row(role, plan)
        uri = uris.role(row["activity_reference"], row["organisation"])
        yield _located(row, uris, uri)


def _target_rows(plan, where=everything):
    uris = PlanUris(plan)
    for target in where(queries.targets(plan)).iterator(chunk_size=CHUNK):
        reference = target.activity.reference
        row = items.target_item(target, reference, plan)
        yield _located(row, uris, uris.target(reference, target.position))


def _report_rows(plan, where=everything):
    uris = PlanUris(plan)
    for report in in_pages(where(queries.reports(plan, values=False)), CHUNK):
        row = items.report_row(report, plan)
        yield _located(row, uris, uris.report(row["activity_reference"], report.pk))


def _report_items(plan, where=everything):
    uris = PlanUris(plan)
    for report in in_pages(where(queries.reports(plan)), CHUNK):
        item = items.report_item(report, plan)
        report._prefetched_objects_cache = {}
        yield _located(item, uris, uris.report(item["activity_reference"], report.pk))


def _value_rows(plan, where=everything):
    uris = PlanUris(plan)
    for value in in_pages(where(queries.values(plan)), CHUNK):
        row = items.value_row(value)
        uri = uris.value(row["activity_reference"], value.report_id, row["target_position"])
        yield _located(row, uris, uri)


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
            columns.ACTIVITY_COLUMNS,
            _activity_rows,
            _activity_items,
            filters.ActivityDataFilter,
            primary_key=("reference",),
        ),
        Dataset(
            "roller",
            _("Organisationernas roller"),
            _(
                "En rad per organisation och aktivitet: leder eller deltar, och för en ledande "
                "organisation dess egen status och slutbedömning."
            ),
            columns.ROLE_COLUMNS,
            _role_rows,
            _role_rows,
            filters.RoleDataFilter,
            primary_key=("activity_reference", "organisation"),
            foreign_keys=((("activity_reference",), "aktiviteter", ("reference",)),),
        ),
        Dataset(
            "mal",
            pgettext_lazy("open data file", "Mål"),
            _(
                "En rad per mål: målvärde, enhet, utgångsläge, senaste rapporterade värde, "
                "slutbedömning och slutvärde."
            ),
            columns.TARGET_COLUMNS,
            _target_rows,
            _target_rows,
            filters.TargetDataFilter,
            primary_key=("activity_reference", "position"),
            foreign_keys=((("activity_reference",), "aktiviteter", ("reference",)),),
        ),
        Dataset(
            "rapporter",
            _("Rapporter"),
            _(
                "Rapporthistoriken, nyaste först: aktivitet, rapporterande organisation, "
                "omgång, tid och status (utan namn på den som rapporterade)."
            ),
            columns.REPORT_COLUMNS,
            _report_rows,
            _report_items,
            filters.ReportDataFilter,
            primary_key=("id",),
            foreign_keys=((("activity_reference",), "aktiviteter", ("reference",)),),
        ),
        Dataset(
            "malvarden",
            _("Rapporterade målvärden"),
            _("Varje värde av ett mål som rapporterats, med rapportens id."),
            columns.VALUE_COLUMNS,
            _value_rows,
            _value_rows,
            filters.ValueDataFilter,
            primary_key=("report_id", "target_position"),
            foreign_keys=(
                (("report_id",), "rapporter", ("id",)),
                (
                    ("activity_reference", "target_position"),
                    "mal",
                    ("activity_reference", "position"),
                ),
            ),
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
    names = dataset.names
    yield "\ufeff" + writer.writerow(names)
    chunk = []
    for row in dataset.rows(plan, where):
        chunk.append(writer.writerow([csv_cell(row[name]) for name in names]))
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
