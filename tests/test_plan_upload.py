"""Hand-over to the next plan in the browser: a coordinator uploads the plan workbook, sees
every error by sheet, row and column or a preview, and confirms; all or nothing."""

import datetime
import io
import re
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from activities.excel.sheets import AREA_SHEET, PLAN_SHEET, PREDECESSOR, TARGET_SHEET
from activities.models import Activity, ActivityOrganisation, PendingPlanImport
from areas.models import RESERVED_SLUGS, Plan
from tests import factories, hostile_files
from tests.workbooks import NEW_PLAN, structure, workbook_bytes
from tests.workbooks import upload_plan as upload

pytestmark = pytest.mark.django_db


def roles(plan):
    """Every role with its source spelling, in plan order."""
    return [
        (r.activity.reference, r.organisation.code, r.role, r.position, r.source_spelling)
        for r in ActivityOrganisation.objects.filter(activity__insats__area__plan=plan)
        .select_related("activity__insats__area", "organisation")
        .order_by(
            "activity__insats__area__number",
            "activity__insats__number",
            "activity__number",
            "role",
            "position",
        )
    ]


def test_the_exported_plan_uploads_as_the_next_plan_with_everything_kept(client, plan, coordinator):
    client.force_login(coordinator)
    response = upload(client, workbook_bytes(plan))
    assert response.status_code == 302
    pending = PendingPlanImport.objects.get()
    assert response["Location"] == reverse("plan_upload_preview", args=[pending.token])
    assert Plan.objects.count() == 1  # nothing written before the confirmation

    preview = client.get(response["Location"])
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "6 områden, 24 insatser, 55 aktiviteter, 242 roller, 69 mål" in html
    assert html.count('<th scope="row">') == 55
    # The cover sheet's title, period and deadline are the form's defaults.
    assert 'name="period_start" value="2024-01-01"' in html
    assert 'name="outcome_deadline" value="2025-12-31"' in html
    assert f'name="title" value="{plan.title}"' in html
    # The source's own spellings are shown with the organisation they resolve to.
    assert "GSF <span" in html and "Arbvux <span" in html

    # Confirmed with the cover sheet's dates as the form offers them.
    confirm = {**NEW_PLAN, "period_start": "2024-01-01", "period_end": "2025-12-31"}
    response = client.post(response["Location"], {**confirm, "outcome_deadline": "2025-12-31"})
    new = Plan.objects.get(slug="2026-2027")
    assert response.status_code == 302 and response["Location"] == new.get_absolute_url()
    assert structure(new) == structure(plan)
    assert roles(new) == roles(plan)
    assert {r[4] for r in roles(new)} >= {"GSF", "FSF", "Arbvux", "Charlmers"}
    assert (new.period_start, new.period_end, new.outcome_deadline) == (
        plan.period_start,
        plan.period_end,
        plan.outcome_deadline,
    )
    assert not PendingPlanImport.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "Handlingsplanen ”Handlingsplan 2026–2027” är inläst" in page


def test_errors_are_listed_by_sheet_row_and_column_and_nothing_is_written(
    client, plan, coordinator
):
    def break_it(wb):
        ws = wb[PLAN_SHEET]
        headers = [c.value for c in ws[1]]
        ws.cell(row=3, column=headers.index("Leder arbetet") + 1, value="Okändförvaltningen")
        ws.cell(row=5, column=1, value="x.y")

    client.force_login(coordinator)
    activities = Activity.objects.count()
    response = upload(client, workbook_bytes(plan, break_it))
    html = response.content.decode()
    assert response.status_code == 400
    assert "Arbetsboken lästes inte in. Inget har sparats." in html
    assert f"Blad ”{PLAN_SHEET}”, rad 3, kolumn" in html and "Okändförvaltningen" in html
    assert f"Blad ”{PLAN_SHEET}”, rad 5, kolumn A" in html
    assert Plan.objects.count() == 1 and Activity.objects.count() == activities
    assert not PendingPlanImport.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("plan.csv", b"a;b\n1;2\n", "Filen måste vara en Excel-arbetsbok (.xlsx)."),
        ("plan.xlsx", b"PK\x03\x04 not really a zip", "Excel"),
        ("plan.xlsx", b"", "Filen är tom."),
    ],
)
def test_a_wrong_file_gets_a_swedish_message(client, plan, coordinator, name, content, message):
    client.force_login(coordinator)
    response = upload(client, content, name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Plan.objects.count() == 1 and not PendingPlanImport.objects.exists()


def test_only_coordinators_may_upload_a_plan(client, plan, reporter_sbf, viewer):
    for user in (reporter_sbf, viewer):
        client.force_login(user)
        assert client.get(reverse("plan_upload")).status_code == 403
        assert upload(client, workbook_bytes(plan)).status_code == 403
    assert not PendingPlanImport.objects.exists()


def test_a_preview_is_its_uploaders_only_and_expires(client, plan, coordinator):
    client.force_login(coordinator)
    upload(client, workbook_bytes(plan))
    pending = PendingPlanImport.objects.get()
    url = reverse("plan_upload_preview", args=[pending.token])
    other = factories.make_coordinator("annan-samordnare")
    client.force_login(other)
    assert client.get(url).status_code == 404
    assert client.post(url, NEW_PLAN).status_code == 404
    client.force_login(coordinator)
    PendingPlanImport.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert client.post(url, NEW_PLAN).status_code == 404
    assert Plan.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field_error"),
    [
        ({"slug": "2024-2025"}, "finns redan"),
        ({"slug": "ny plan!"}, "Kortnamn"),
        ({"period_end": "2025-01-01"}, "Periodens slut ligger före dess början."),
        ({"outcome_deadline": "2020-01-01"}, "Datumet ligger före periodens början."),
        ({"title": ""}, "Titel"),
        ({"period_start": "inte ett datum"}, "Periodens början"),
    ],
)
def test_the_confirmation_checks_the_new_plans_fields(
    client, plan, coordinator, change, field_error
):
    client.force_login(coordinator)
    upload(client, workbook_bytes(plan))
    url = reverse("plan_upload_preview", args=[PendingPlanImport.objects.get().token])
    response = client.post(url, {**NEW_PLAN, **change})
    assert response.status_code == 400
    assert field_error in response.content.decode()
    assert Plan.objects.count() == 1
    assert PendingPlanImport.objects.exists()  # the coordinator can correct and confirm


def test_an_activity_that_continues_names_its_predecessor_and_both_pages_link(
    client, plan, coordinator
):
    def continues(wb):
        ws = wb[PLAN_SHEET]
        headers = [c.value for c in ws[1]]
        column = headers.index(PREDECESSOR) + 1
        refs = [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)]
        ws.cell(row=refs.index("3.2.3") + 2, column=column, value="2024-2025 3.2.3")

    client.force_login(coordinator)
    response = upload(client, workbook_bytes(plan, continues))
    preview = client.get(response["Location"]).content.decode()
    assert '3.2.3 <span class="muted">(2024-2025)</span>' in preview
    client.post(response["Location"], NEW_PLAN)
    new = Activity.objects.by_reference(Plan.objects.get(slug="2026-2027"), "3.2.3").get()
    old = Activity.objects.by_reference(plan, "3.2.3").get()
    assert new.predecessor == old
    new_page = client.get(new.get_absolute_url()).content.decode()
    assert f'Fortsätter <a href="{old.get_absolute_url()}">3.2.3</a> i {plan.title}' in new_page
    # The new plan is a draft: the old activity's page names its successor once it is activated.
    assert "Fortsätter som" not in client.get(old.get_absolute_url()).content.decode()
    client.post(reverse("activate_plan", args=["2026-2027"]))
    old_page = client.get(old.get_absolute_url()).content.decode()
    assert (
        f'Fortsätter som <a href="{new.get_absolute_url()}">3.2.3</a> i Handlingsplan 2026–2027'
        in old_page
    )
    # The next plan's workbook names the predecessor, so the link survives its own round trip.
    exported = load_workbook(io.BytesIO(workbook_bytes(new.insats.area.plan)))[PLAN_SHEET]
    headers = [c.value for c in exported[1]]
    values = [
        row[headers.index(PREDECESSOR)] for row in exported.iter_rows(min_row=2, values_only=True)
    ]
    assert values.count("2024-2025 3.2.3") == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3.2.3", "ska vara planens kortnamn och aktivitetens referens"),
        ("2024-2025 9.9.9", "Aktivitet 9.9.9 finns inte i planen ”2024-2025”."),
        ("finns-inte 3.2.3", "Det finns ingen plan med kortnamnet ”finns-inte”."),
        ("'; DROP TABLE x; -- 1.1.1", "ska vara planens kortnamn"),
    ],
)
def test_an_unknown_predecessor_is_an_error_at_its_cell(client, plan, coordinator, text, message):
    def continues(wb):
        ws = wb[PLAN_SHEET]
        headers = [c.value for c in ws[1]]
        ws.cell(row=2, column=headers.index(PREDECESSOR) + 1, value=text)

    client.force_login(coordinator)
    response = upload(client, workbook_bytes(plan, continues))
    assert response.status_code == 400
    html = response.content.decode()
    assert f"Blad ”{PLAN_SHEET}”, rad 2, kolumn" in html and message in html
    assert Plan.objects.count() == 1


def test_the_preview_costs_the_same_for_the_plan_and_a_plan_ten_times_its_size(
    client, plan, coordinator
):
    big = factories.make_synthetic_plan("stor", scale=10)
    client.force_login(coordinator)
    counts = []
    for source in (plan, big):
        PendingPlanImport.objects.all().delete()
        location = upload(client, workbook_bytes(source))["Location"]
        client.get(location)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(location).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12, counts


@pytest.mark.parametrize("year", ["0001", "1999", "2101", "9999"])
def test_dates_outside_sane_years_are_refused(client, plan, coordinator, year):
    client.force_login(coordinator)
    upload(client, workbook_bytes(plan))
    url = reverse("plan_upload_preview", args=[PendingPlanImport.objects.get().token])
    response = client.post(url, {**NEW_PLAN, "period_start": f"{year}-01-01"})
    assert response.status_code == 400
    assert "Ange ett datum mellan år 2000 och 2100." in response.content.decode()
    assert Plan.objects.count() == 1


def test_a_slug_differing_only_in_case_is_refused(client, plan, coordinator):
    factories.make_synthetic_plan("annan", scale=1)
    client.force_login(coordinator)
    upload(client, workbook_bytes(plan))
    url = reverse("plan_upload_preview", args=[PendingPlanImport.objects.get().token])
    response = client.post(url, {**NEW_PLAN, "slug": "ANNAN"})
    assert response.status_code == 400
    assert "Det finns redan en handlingsplan med det kortnamnet." in response.content.decode()
    assert not Plan.objects.filter(slug="ANNAN").exists()


def test_a_cover_row_with_more_cells_than_excel_has_columns_is_refused_at_once(
    client, plan, coordinator
):
    def widen(wb):
        ws = wb["Översikt"]
        for column in range(1, 16_400):
            ws.cell(row=2, column=column, value=1)

    client.force_login(coordinator)
    content = workbook_bytes(plan, widen)
    started = time.monotonic()
    response = upload(client, content)
    assert time.monotonic() - started < 5
    assert response.status_code == 400
    assert "för många celler" in response.content.decode()
    assert not PendingPlanImport.objects.exists()


# --- Crafted numbers, formulas, short names and sizes (a hostile review of the upload)


def set_cell(sheet, header, row, value):
    """An edit for workbook_bytes: `value` in the column headed `header` on `row`."""

    def edit(wb):
        ws = wb[sheet]
        headers = [c.value for c in ws[1]]
        ws.cell(row=row, column=headers.index(header) + 1, value=value)

    return edit


def assert_refused_at(client, content, where, message):
    plans, activities = Plan.objects.count(), Activity.objects.count()
    response = upload(client, content)
    assert response.status_code == 400
    html = response.content.decode()
    assert f"{where}: {message}" in html, re.sub(r"\s+", " ", html[html.find("<main") :])[:3000]
    assert (Plan.objects.count(), Activity.objects.count()) == (plans, activities)
    assert not PendingPlanImport.objects.exists()


TO_999 = "Skriv ett heltal från 1 till 32767."


@pytest.mark.parametrize(
    ("sheet", "header", "column", "value", "message"),
    [
        (TARGET_SHEET, "Ordning", "B", "²", f"”²” är inget heltal. {TO_999}"),
        (TARGET_SHEET, "Ordning", "B", "١", f"”١” är inget heltal. {TO_999}"),
        (TARGET_SHEET, "Ordning", "B", "3.5", f"”3.5” är inget heltal. {TO_999}"),
        (TARGET_SHEET, "Ordning", "B", 2.5, f"”2.5” är inget heltal. {TO_999}"),
        (TARGET_SHEET, "Ordning", "B", "-3", f"-3 ligger utanför det tillåtna. {TO_999}"),
        (TARGET_SHEET, "Ordning", "B", 0, f"0 ligger utanför det tillåtna. {TO_999}"),
        (TARGET_SHEET, "Ordning", "B", 32768, f"32768 ligger utanför det tillåtna. {TO_999}"),
        (TARGET_SHEET, "Ordning", "B", 99999, f"99999 ligger utanför det tillåtna. {TO_999}"),
        (TARGET_SHEET, "Ordning", "B", 10**12, "1000000000000 ligger utanför det tillåtna."),
        (TARGET_SHEET, "Ordning", "B", "9" * 5000, f"{'9' * 39}… ligger utanför det tillåtna."),
        (AREA_SHEET, "Nummer", "A", "²", f"”²” är inget heltal. {TO_999}"),
        (AREA_SHEET, "Nummer", "A", 99999, f"99999 ligger utanför det tillåtna. {TO_999}"),
        (TARGET_SHEET, "År", "H", "²⁰²⁵", "”²⁰²⁵” är inget heltal. Skriv ett årtal från 2000"),
        (TARGET_SHEET, "År", "H", 32768, "32768 ligger utanför det tillåtna. Skriv ett årtal"),
        (TARGET_SHEET, "År", "H", "1999", "1999 ligger utanför det tillåtna. Skriv ett årtal"),
    ],
)
def test_a_crafted_or_out_of_range_integer_is_refused_at_its_cell(
    client, plan, coordinator, sheet, header, column, value, message
):
    client.force_login(coordinator)
    content = workbook_bytes(plan, set_cell(sheet, header, 4, value))
    assert_refused_at(
        client, content, f"Blad ”{sheet}”, rad 4, kolumn {column} ({header})", message
    )


def test_whole_numbers_in_numeric_or_text_cells_are_read(client, plan, coordinator):
    def numbers(wb):
        set_cell(AREA_SHEET, "Nummer", 2, "1")(wb)  # text of ASCII digits
        set_cell(TARGET_SHEET, "År", 2, 2025.0)(wb)  # a whole number in a numeric cell

    client.force_login(coordinator)
    response = upload(client, workbook_bytes(plan, numbers))
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("sheet", "header", "column", "formula"),
    [
        (TARGET_SHEET, "Målvärde", "D", "=40+10"),
        (PLAN_SHEET, PREDECESSOR, None, '=HYPERLINK("https://x.example/","2024-2025 1.1.1")'),
        (PLAN_SHEET, "Aktivitet", None, '=CONCATENATE("Ny ","aktivitet")'),
    ],
)
def test_a_formula_without_a_stored_value_is_refused_at_its_cell(
    client, plan, coordinator, sheet, header, column, formula
):
    """openpyxl (and other generators) write a formula without its result; read as empty it
    would save a target without its value or drop a predecessor."""
    content = workbook_bytes(plan, set_cell(sheet, header, 3, formula))
    if column is None:
        ws = load_workbook(io.BytesIO(content))[sheet]
        column = get_column_letter([c.value for c in ws[1]].index(header) + 1)
    client.force_login(coordinator)
    assert_refused_at(
        client,
        content,
        f"Bladet ”{sheet}”, rad 3, kolumn {column}",
        "Cellen innehåller en formel utan sparat värde. Skriv in värdet.",
    )


@pytest.mark.parametrize("slug", ["sprak", "SPRAK", "Sprak"])
def test_a_short_name_the_addresses_use_is_refused_in_the_form(client, plan, coordinator, slug):
    client.force_login(coordinator)
    upload(client, workbook_bytes(plan))
    url = reverse("plan_upload_preview", args=[PendingPlanImport.objects.get().token])
    response = client.post(url, {**NEW_PLAN, "slug": slug})
    assert response.status_code == 400
    assert f"”{slug}” används redan i webbplatsens adresser" in response.content.decode()
    assert Plan.objects.count() == 1 and PendingPlanImport.objects.exists()


@pytest.mark.parametrize("slug", ["plan-åäö", "2026 2027", "ny/plan", "<b>x</b>"])
def test_a_short_name_with_other_characters_gets_our_own_message(client, plan, coordinator, slug):
    client.force_login(coordinator)
    upload(client, workbook_bytes(plan))
    url = reverse("plan_upload_preview", args=[PendingPlanImport.objects.get().token])
    response = client.post(url, {**NEW_PLAN, "slug": slug})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Kortnamnet får bara innehålla bokstäverna a–z och A–Z (inte å, ä eller ö)" in html
    assert "giltig" not in html  # Django's "Fyll i en giltig 'slug'…"
    assert Plan.objects.count() == 1


def test_the_model_refuses_a_short_name_the_addresses_use(plan):
    """Plan.clean: the admin's form and anything else that validates a plan."""
    plan.slug = "sprak"
    with pytest.raises(ValidationError) as refused:
        plan.full_clean()
    assert "används redan i webbplatsens adresser" in str(refused.value.message_dict["slug"])


def _pattern_lists(patterns):
    lists = [patterns]
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            lists += _pattern_lists(pattern.url_patterns)
    return lists


def test_every_fixed_address_word_where_a_short_name_sits_is_reserved():
    """A fixed path segment beside a plan's short name (/insyn/sprak/… beside /insyn/<slug>/)
    would hide a plan of that name: each one is in RESERVED_SLUGS. (/oppna-data/katalog.rdf
    beside /oppna-data/<slug>/ hides none: a short name has no dot.)"""
    fixed = set()
    for patterns in _pattern_lists(get_resolver().url_patterns):
        routes = [str(p.pattern).lstrip("^").split("/") for p in patterns]
        for route in routes:
            for i, segment in enumerate(route):
                if "plan_slug" not in segment:
                    continue
                fixed |= {
                    other[i].casefold()
                    for other in routes
                    if len(other) > i and other[:i] == route[:i]
                    # A segment no short name can be (katalog.rdf has a dot) hides nothing.
                    if re.fullmatch(r"[-a-zA-Z0-9_]+", other[i])
                }
    assert fixed == RESERVED_SLUGS == {"sprak"}


def test_a_plan_too_large_unpacked_is_told_what_to_remove_not_to_split_it(
    client, plan, coordinator
):
    _name, content, _message = hostile_files.whitespace_rows(workbook_bytes(plan))
    client.force_login(coordinator)
    response = upload(client, content)
    html = response.content.decode()
    assert response.status_code == 400
    assert "Filen är för stor när den packas upp. En plan måste rymmas i en arbetsbok" in html
    assert "ta bort bilder, extra blad och formatering" in html
    assert "Dela upp den i flera" not in html
    assert Plan.objects.count() == 1 and not PendingPlanImport.objects.exists()
