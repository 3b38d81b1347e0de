"""A plan's Frictionless Data Package, /oppna-data/<plan>/datapackage.json: one resource per
CSV file, with paths relative to the package (it works downloaded next to the files too), each
with its Table Schema written from columns.py (the same declarations the files and the column
page use), its primary key and its foreign keys to the other files, and the licence.

The CSV files start with a byte order mark, which Frictionless and other UTF-8 readers skip. A
text cell a spreadsheet would run as a formula starts with an apostrophe (datasets.csv_cell);
only text columns can, so the apostrophe is part of a string and never breaks a typed column
(numbers are written as numbers, a negative one without the apostrophe)."""

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from .datasets import DATASETS
from .uris import absolute

DIALECT = {
    "delimiter": ",",
    "lineTerminator": "\r\n",
    "quoteChar": '"',
    "doubleQuote": True,
    "header": True,
}


def licence():
    return {"path": settings.OPEN_DATA_LICENCE_URL, "title": settings.OPEN_DATA_LICENCE_NAME}


def table_schema(dataset):
    schema = {
        "fields": [column.field() for column in dataset.columns],
        "missingValues": [""],
        "primaryKey": list(dataset.primary_key),
    }
    if dataset.foreign_keys:
        schema["foreignKeys"] = [
            {"fields": list(fields), "reference": {"resource": resource, "fields": list(keys)}}
            for fields, resource, keys in dataset.foreign_keys
        ]
    return schema


def resource(dataset):
    return {
        "name": dataset.name,
        "path": f"{dataset.name}.csv",
        "profile": "tabular-data-resource",
        "title": str(dataset.title),
        "description": str(dataset.description),
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "dialect": DIALECT,
        "schema": table_schema(dataset),
        "licenses": [licence()],
    }


def datapackage(plan):
    """The package as a dict, in Swedish whatever the request's language."""
    with translation.override("sv"):
        return {
            "profile": "tabular-data-package",
            "name": f"handlingsplan-{plan.slug}".lower(),
            "id": absolute(reverse("open_data:package", args=[plan.slug])),
            "title": plan.title,
            "description": _(
                "Handlingsplanens aktiviteter, organisationernas roller, mål, rapporter och "
                "rapporterade målvärden under perioden %(start)s–%(end)s: uppföljningens "
                "status och slutbedömningar. Inga personuppgifter."
            )
            % {"start": plan.period_start.isoformat(), "end": plan.period_end.isoformat()},
            "homepage": absolute(reverse("open_data:plan", args=[plan.slug])),
            "language": "sv",
            "keywords": ["handlingsplan", "uppföljning", "näringsliv"],
            "licenses": [licence()],
            "contributors": [
                {
                    "title": settings.PUBLISHER_NAME,
                    "path": settings.PUBLISHER_URL,
                    "role": "publisher",
                }
            ],
            "resources": [resource(dataset) for dataset in DATASETS.values()],
        }
