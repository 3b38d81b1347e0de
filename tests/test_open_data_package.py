"""Each published plan's open data is lawful to reuse and machine-readable: a `plan` column and
a stable URI per row, a Frictionless Data Package that `frictionless validate` passes on the
downloaded files, the files as Excel workbooks too, and the column documentation as a public
page written from the same declarations as the Table Schemas."""

import csv
import io
import re
from html import escape
from urllib.parse import unquote

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from frictionless import Package, system
from openpyxl import load_workbook

from activities.models import StatusReport, TargetValue
from activities.opendata import columns
from activities.opendata.datasets import DATASETS
from tests import factories
from tests.actions import choose_english
from tests.open_data import body, csv_rows, file_url, json_items

pytestmark = pytest.mark.django_db

SITE = "https://handlingsplan.example.se"
LICENCE = "https://creativecommons.org/publicdomain/zero/1.0/"


@pytest.fixture
def reported(published_plan, reporter_sbf, settings):
    """The real plan, published with comments, every activity reported with values, a comment a
    spreadsheet would run as a formula, and a final assessment, so every file has rows."""
    settings.SITE_URL = SITE
    factories.report_on_every_activity(published_plan, reporter_sbf, with_values=True)
    factories.file_report("3.2.3", "SBF", reporter_sbf, comment="=1+1 och -2")
    published_plan.public_comments = True
    published_plan.save()
    return published_plan


def package_url(plan):
    return reverse("open_data:package", args=[plan.slug])


def test_frictionless_validates_the_downloaded_package(client, reported, tmp_path):
    """The package and every CSV, downloaded through the site into a folder, validate with
    Frictionless: types, required and unique values, primary and foreign keys, the BOM and
    the formula guard's apostrophe."""
    response = client.get(package_url(reported))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    (tmp_path / "datapackage.json").write_bytes(response.content)
    for name in DATASETS:
        (tmp_path / f"{name}.csv").write_bytes(body(client.get(file_url(reported, name, "csv"))))
    with system.use_context(trusted=False):
        report = Package(str(tmp_path / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:20]
    reports = StatusReport.objects.filter(activity__insats__area__plan=reported)
    values = TargetValue.objects.filter(report__in=reports)
    expected = [55, 242, 69, reports.count(), values.count()]
    assert [task.stats["rows"] for task in report.tasks] == expected
    assert expected[-1] > 0
    # The keys are checked: without the last activity its roles and targets refer to nothing.
    activities = tmp_path / "aktiviteter.csv"
    activities.write_bytes(activities.read_bytes().rsplit(b"\r\n", 2)[0] + b"\r\n")
    with system.use_context(trusted=False):
        broken = Package(str(tmp_path / "datapackage.json")).validate()
    assert {error for [error] in broken.flatten(["type"])} == {"foreign-key"}


def test_the_package_describes_every_column_with_its_type_and_keys(client, reported):
    package = client.get(package_url(reported)).json()
    assert package["licenses"] == [{"path": LICENCE, "title": "CC0 1.0"}]
    assert package["homepage"] == SITE + reverse("open_data:plan", args=[reported.slug])
    assert package["title"] == reported.title and "2024-01-01" in package["description"]
    resources = {r["name"]: r for r in package["resources"]}
    assert list(resources) == list(DATASETS)
    for name, dataset in DATASETS.items():
        resource = resources[name]
        assert resource["path"] == f"{name}.csv"  # relative: works downloaded
        fields = resource["schema"]["fields"]
        assert [f["name"] for f in fields] == dataset.names
        assert dataset.names[-2:] == ["plan", "uri"]
        assert all(f["title"] and f["description"] and f["type"] for f in fields)
        assert resource["schema"]["primaryKey"] == list(dataset.primary_key)
    types = {f["name"]: f for f in resources["aktiviteter"]["schema"]["fields"]}
    assert types["reference"]["type"] == types["insats_reference"]["type"] == "string"
    assert types["area_number"]["type"] == "integer"
    assert types["latest_report_at"] == {**types["latest_report_at"], "type": "datetime"}
    assert types["latest_report_at"]["format"] == "%Y-%m-%dT%H:%M:%S%z"
    assert types["status"]["constraints"]["enum"][:2] == ["not_started", "on_track"]
    target_types = {f["name"]: f["type"] for f in resources["mal"]["schema"]["fields"]}
    assert target_types["value"] == target_types["baseline"] == "number"
    references = {
        name: [
            (k["fields"], k["reference"]["resource"]) for k in r["schema"].get("foreignKeys", [])
        ]
        for name, r in resources.items()
    }
    assert references == {
        "aktiviteter": [],
        "roller": [(["activity_reference"], "aktiviteter")],
        "mal": [(["activity_reference"], "aktiviteter")],
        "rapporter": [(["activity_reference"], "aktiviteter")],
        "malvarden": [
            (["report_id"], "rapporter"),
            (["activity_reference", "target_position"], "mal"),
        ],
    }


def test_a_boolean_column_is_described_as_the_csv_writes_it():
    """No file has a boolean column yet; one added would be typed as csv_cell writes it."""
    from activities.opendata.datasets import csv_cell

    field = columns.Column("flag", "boolean", "Flagga", "En flagga.").field()
    assert field["trueValues"] == [csv_cell(True)] and field["falseValues"] == [csv_cell(False)]


def test_the_package_is_swedish_in_english_too(client, reported):
    swedish = client.get(package_url(reported)).content
    choose_english(client)
    assert client.get(package_url(reported)).content == swedish


def test_every_row_ends_with_its_plan_and_a_stable_uri_from_the_site_url(
    client, reported, settings
):
    """Absolute from SITE_URL whatever host the request names, unique in each file, the same
    in CSV and JSON; rows of two plans no longer collide."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "elsewhere.example"]
    activity_page = SITE + reverse("insyn:activity", args=[reported.slug, "3.2.3"])
    for name in DATASETS:
        response = client.get(file_url(reported, name, "csv"), HTTP_HOST="elsewhere.example")
        text = body(response).decode("utf-8")
        assert text.splitlines()[0].endswith(",plan,uri"), name
        assert "elsewhere" not in text and SITE in text
        rows = csv_rows(client, reported, name)
        assert {row["plan"] for row in rows} == {reported.slug}
        uris = [row["uri"] for row in rows]
        assert len(set(uris)) == len(uris) and all(u.startswith(SITE + "/insyn/") for u in uris)
        items = json_items(client, reported, name)
        assert [item["uri"] for item in items] == uris, name
        assert all(list(item)[-2:] == ["plan", "uri"] for item in items)
    by_reference = {
        row["reference"]: row["uri"] for row in csv_rows(client, reported, "aktiviteter")
    }
    assert by_reference["3.2.3"] == activity_page
    targets = [
        r["uri"] for r in csv_rows(client, reported, "mal") if r["activity_reference"] == "3.2.3"
    ]
    assert targets[0] == activity_page + "#mal-1"
    roles = [r for r in csv_rows(client, reported, "roller") if r["activity_reference"] == "3.2.3"]
    assert roles[0]["uri"] == f"{activity_page}#organisation-{roles[0]['organisation']}"
    report = StatusReport.objects.filter(activity__insats__area__plan=reported).latest("pk")
    [row] = [r for r in csv_rows(client, reported, "rapporter") if r["id"] == str(report.pk)]
    assert row["uri"] == f"{activity_page}#rapport-{report.pk}"
    values = [
        r for r in csv_rows(client, reported, "malvarden") if r["report_id"] == str(report.pk)
    ]
    assert all(v["uri"] == f"{row['uri']}-mal-{v['target_position']}" for v in values)


def test_every_uri_lands_on_its_row_on_the_public_page(client, reported):
    """A URI is an address, not just a name: its page answers, and the element its fragment
    names is there (the organisation in the lists, the target's row, the report and its value
    in the history)."""
    pages = {}
    for name in DATASETS:
        for row in csv_rows(client, reported, name):
            address, _hash, fragment = row["uri"].removeprefix(SITE).partition("#")
            if address not in pages:
                response = client.get(address)
                assert response.status_code == 200, address
                pages[address] = response.content.decode()
            if fragment:
                assert f'id="{escape(unquote(fragment))}"' in pages[address], row["uri"]
    assert len(pages) == 55


def test_rows_of_two_plans_do_not_collide(client, reported, reporter_sbf):
    other = factories.make_synthetic_plan("annan", scale=1, author=reporter_sbf)
    other.published = True
    other.save()
    for name in ("aktiviteter", "mal"):
        rows = csv_rows(client, reported, name) + csv_rows(client, other, name)
        assert {row["plan"] for row in rows} == {reported.slug, "annan"}
        assert len({row["uri"] for row in rows}) == len(rows)
        keys = [row.get("reference") or row["activity_reference"] for row in rows]
        assert len(set(keys)) < len(keys)  # the references alone would collide


def workbook_rows(client, plan, name, **params):
    response = client.get(file_url(plan, name, "xlsx"), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"handlingsplan-{plan.slug}-{name}.xlsx" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(body(response)))
    assert book.sheetnames == [name, "Om filen"]
    return book, list(book[name].iter_rows(values_only=True))


def test_each_workbook_has_the_csv_rows_with_text_never_a_formula(client, reported):
    for name, dataset in DATASETS.items():
        book, rows = workbook_rows(client, reported, name)
        text = body(client.get(file_url(reported, name, "csv"))).decode("utf-8-sig")
        csv_table = list(csv.reader(io.StringIO(text, newline="")))
        assert list(rows[0]) == csv_table[0] == dataset.names
        assert len(rows) == len(csv_table), name
        for row, csv_row in zip(rows[1:], csv_table[1:], strict=True):
            assert csv_row == [_as_csv(v) for v in row], name
    book, rows = workbook_rows(client, reported, "rapporter")
    comments = [cell for cell in book["rapporter"]["I"] if cell.value == "=1+1 och -2"]
    assert comments and all(c.data_type == "s" and c.quotePrefix for c in comments)
    about = dict(book["Om filen"].iter_rows(values_only=True))
    assert about["Licens"] == f"CC0 1.0, {LICENCE}" and about["Urval"] == "hela filen"


def _as_csv(value):
    """A workbook cell as the CSV writes it (times in ISO 8601 with the Swedish offset)."""
    from django.utils import timezone

    from activities.opendata.datasets import csv_cell
    from activities.opendata.items import moment

    if hasattr(value, "hour"):
        return moment(timezone.make_aware(value))
    if isinstance(value, str) and value.startswith(("=", "-")):
        return "'" + value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return csv_cell(value)


def test_a_workbook_takes_the_files_filters(client, reported):
    book, rows = workbook_rows(
        client, reported, "roller", organisation="sbf", x="=cmd|' /C calc'!A0"
    )
    assert len(rows) > 1 and {row[1] for row in rows[1:]} == {"SBF"}
    assert dict(book["Om filen"].iter_rows(values_only=True))["Urval"] == "organisation=sbf"
    refused = client.get(file_url(reported, "roller", "xlsx"), {"organisation": "XYZ"})
    assert refused.status_code == 400
    assert "XYZ" in refused.content.decode()


HOSTILE = [
    "/oppna-data/2024-2025/okand.xlsx",
    "/oppna-data/2024-2025/aktiviteter.xls",
    "/oppna-data/2024-2025/aktiviteter.XLSX",
    "/oppna-data/2024-2025/aktiviteter.rdf",
    "/oppna-data/2024-2025/datapackage.xml",
    "/oppna-data/2024-2025/datapackage.json/",
    "/oppna-data/2024-2025/kolumner/x/",
    "/oppna-data/katalog.xml",
    "/oppna-data/katalog.rdf/",
    "/oppna-data/katalog.RDF",
    "/oppna-data/finns-inte/datapackage.json",
    "/oppna-data/finns-inte/kolumner/",
    "/oppna-data/finns-inte/aktiviteter.xlsx",
    "/oppna-data/" + "a" * 5000 + "/datapackage.json",
]


@pytest.mark.parametrize("path", HOSTILE)
def test_unknown_names_and_extensions_are_404(client, published_plan, path):
    assert client.get(path).status_code == 404


def test_a_control_character_in_the_catalogue_address_is_refused(client):
    assert client.get("/oppna-data/katalog.rdf%00").status_code == 400


def test_unpublished_plans_new_answers_are_404_to_the_public(client, plan, coordinator):
    for url in [
        package_url(plan),
        reverse("open_data:columns", args=[plan.slug]),
        file_url(plan, "aktiviteter", "xlsx"),
    ]:
        assert client.get(url).status_code == 404, url
    client.force_login(coordinator)
    assert client.get(package_url(plan)).status_code == 200


def test_query_strings_and_methods_write_nothing(client, reported):
    before = StatusReport.objects.count()
    crafted = {"lead": "SBF", "x": "<script>", "page_size": "-1", "format": "xml"}
    package = client.get(package_url(reported)).content
    assert client.get(package_url(reported), crafted).content == package
    assert (
        client.get(reverse("open_data:columns", args=[reported.slug]), crafted).status_code == 200
    )
    oversized = client.get(file_url(reported, "aktiviteter", "xlsx"), {"lead": "X" * 10_000})
    assert oversized.status_code == 400
    for url in [package_url(reported), file_url(reported, "mal", "xlsx")]:
        assert client.post(url, {"a": "b"}).status_code == 405
        head = client.head(url)
        assert head.status_code == 200 and not head.content and head["ETag"]
        assert client.get(url, HTTP_IF_NONE_MATCH=head["ETag"]).status_code == 304
    assert StatusReport.objects.count() == before


def test_the_plan_page_states_the_licence_and_which_file_is_for_excel(client, reported, settings):
    page = client.get(reverse("open_data:plan", args=[reported.slug])).content.decode()
    assert f'href="{LICENCE}" rel="license">CC0 1.0</a>' in page
    assert "i källkoden" not in page
    assert f'href="{reverse("open_data:columns", args=[reported.slug])}"' in page
    assert f'href="{package_url(reported)}"' in page
    assert "Excel (.xlsx)" in page and "CSV (.csv)" in page
    for name in DATASETS:
        assert f'href="{file_url(reported, name, "xlsx")}"' in page
    index = client.get(reverse("open_data:index")).content.decode()
    assert f'href="{LICENCE}" rel="license">' in index
    assert f'href="{reverse("open_data:catalogue", args=["rdf"])}"' in index
    assert f'href="mailto:{settings.OPEN_DATA_CONTACT_EMAIL}"' in index
    for html in (page, index):
        assert re.search(r"<title>[^<]*</title>", html)  # nothing but text in the title
    choose_english(client)
    english = client.get(reverse("open_data:plan", args=[reported.slug])).content.decode()
    assert "Which file should I choose?" in english and "Vilken fil" not in english
    assert "may be reused freely under the licence" in english
    english_index = client.get(reverse("open_data:index")).content.decode()
    assert "Catalogue for Sweden’s data portal" in english_index


def test_the_column_page_shows_the_table_schema_definitions_in_both_languages(client, reported):
    url = reverse("open_data:columns", args=[reported.slug])
    swedish = client.get(url).content.decode()
    for dataset in DATASETS.values():
        for column in dataset.columns:
            assert f"<code>{column.name}</code>" in swedish
    assert str(columns.PLAN.description) in swedish
    assert "<code>not_started</code></th><td>Ej påbörjad</td>" in swedish
    choose_english(client)
    english = client.get(url).content.decode()
    assert "Columns and codes" in english
    assert "The activity’s reference" in english
    assert "<code>not_started</code></th><td>Not started</td>" in english


def test_the_new_answers_cost_the_same_queries_for_a_ten_times_larger_plan(
    client, reported, reporter_sbf
):
    big = factories.make_synthetic_plan("syntetisk", scale=10, author=reporter_sbf)
    big.published = True
    big.save()
    counts = {}
    for plan in (reported, big):
        for name, url in {
            "package": package_url(plan),
            "columns": reverse("open_data:columns", args=[plan.slug]),
            "xlsx": file_url(plan, "rapporter", "xlsx"),
            "plan": reverse("open_data:plan", args=[plan.slug]),
        }.items():
            client.get(url).getvalue()  # warm the session and content-type caches
            counts.setdefault(name, []).append(count_queries_read(client, url))
    # The file's fourth: its rows counted, to send it or build it in the background
    # (activities/export_jobs.py).
    assert counts == {"package": [2, 2], "columns": [1, 1], "xlsx": [4, 4], "plan": [1, 1]}


def count_queries_read(client, url):
    """The queries of one request with its body read: a streamed file (the workbooks) reads
    the database while it is sent."""
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        response.getvalue()
    assert response.status_code == 200, url
    return len(queries)


def test_a_whole_workbook_is_written_once_per_data_version(client, reported, reporter_sbf):
    """The whole file is kept (a large plan's history takes seconds to write, and anyone may
    ask again and again); a new report makes a new one, and a filtered file is never kept."""
    url = file_url(reported, "rapporter", "xlsx")
    written = count_queries_read(client, url)
    first = client.get(url).getvalue()
    kept = count_queries_read(client, url)
    assert kept < written
    choose_english(client)
    assert client.get(url).getvalue() == first  # the sheets are Swedish whatever the UI
    factories.file_report("3.2.3", "SBF", reporter_sbf, status="delayed", comment="Nytt läge.")
    newer = client.get(url).getvalue()
    assert newer != first
    rows = list(load_workbook(io.BytesIO(newer), read_only=True)["rapporter"].values)
    assert any("Nytt läge." in row for row in rows)
    filtered = file_url(reported, "rapporter", "xlsx") + "?organisation=SBF"
    assert count_queries_read(client, filtered) == count_queries_read(client, filtered) > kept
