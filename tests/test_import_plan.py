"""`manage.py import_plan`: a plan workbook in, a new plan out."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from activities.excel.cells import to_bytes
from activities.excel.plan_workbook import build_plan_workbook
from activities.models import Activity, ActivityOrganisation
from areas.models import Insats, Plan
from tests.workbooks import structure

pytestmark = pytest.mark.django_db


@pytest.fixture
def workbook_path(plan, tmp_path):
    path = tmp_path / "plan.xlsx"
    path.write_bytes(to_bytes(build_plan_workbook(plan)))
    return path


def edited(path, edit):
    wb = load_workbook(path)
    edit(wb)
    wb.save(path)
    return path


def run(path, *args, **options):
    out = io.StringIO()
    call_command("import_plan", str(path), *args, stdout=out, **options)
    return out.getvalue()


def test_exported_plan_imports_as_a_new_plan_with_the_same_structure(plan, workbook_path):
    output = run(workbook_path, slug="kopia", title="Kopia av planen")
    assert "6 områden, 24 insatser, 55 aktiviteter, 242 roller, 69 mål" in output
    copy = Plan.objects.get(slug="kopia")
    assert copy.title == "Kopia av planen"
    areas, insatser, activities, targets = structure(copy)
    assert (len(areas), len(insatser), len(activities), len(targets)) == (6, 24, 55, 69)
    assert structure(copy) == structure(plan)
    assert ActivityOrganisation.objects.filter(activity__insats__area__plan=copy).count() == 242
    # history records exist, so the first edit in admin has something to compare with
    assert (
        Activity.history.filter(insats_id__in=Insats.objects.filter(area__plan=copy)).count() == 55
    )


def test_dry_run_checks_the_workbook_and_writes_nothing(plan, workbook_path):
    plans, activities = Plan.objects.count(), Activity.objects.count()
    output = run(workbook_path, "--dry-run", slug="kopia", title="Kopia")
    assert "Inget sparades (--dry-run)" in output
    assert (Plan.objects.count(), Activity.objects.count()) == (plans, activities)


def test_an_existing_slug_is_refused(plan, workbook_path):
    with pytest.raises(
        CommandError, match="Det finns redan en handlingsplan med kortnamnet ”2024-2025”"
    ):
        run(workbook_path, slug="2024-2025", title="Dubblett")
    assert Plan.objects.count() == 1


def without_cover_dates(wb):
    ws = wb["Översikt"]
    for row in ws.iter_rows(min_row=2, max_row=12, max_col=2):
        if row[0].value in ("Period", "Förväntat utfall senast"):
            row[1].value = None


def test_the_period_and_deadline_come_from_the_cover_sheet(plan, workbook_path):
    output = run(workbook_path, slug="kopia")
    new = Plan.objects.get(slug="kopia")
    assert (new.title, new.period_start, new.period_end, new.outcome_deadline) == (
        plan.title,
        plan.period_start,
        plan.period_end,
        plan.outcome_deadline,
    )
    assert "är inläst" in output


def test_the_cover_sheets_dates_can_be_changed_in_the_workbook(plan, workbook_path):
    def next_period(wb):
        ws = wb["Översikt"]
        for row in ws.iter_rows(min_row=2, max_row=12, max_col=2):
            if row[0].value == "Period":
                row[1].value = "2026-01-01 – 2027-12-31"
            elif row[0].value == "Förväntat utfall senast":
                row[1].value = datetime.datetime(2027, 12, 15)

    run(edited(workbook_path, next_period), slug="nasta", title="Nästa")
    new = Plan.objects.get(slug="nasta")
    assert (new.period_start, new.period_end, new.outcome_deadline) == (
        datetime.date(2026, 1, 1),
        datetime.date(2027, 12, 31),
        datetime.date(2027, 12, 15),
    )


@pytest.mark.parametrize(
    ("period", "deadline", "message"),
    [
        ("2026-01-01 till 2027", None, "ska vara ÅÅÅÅ-MM-DD – ÅÅÅÅ-MM-DD"),
        ("2027-01-01 – 2026-01-01", None, "Periodens slut ligger före dess början."),
        ("2026-02-30 – 2027-01-01", None, "ska vara ÅÅÅÅ-MM-DD – ÅÅÅÅ-MM-DD"),
        (None, "snart", "”snart” är inget datum"),
    ],
)
def test_an_unreadable_cover_date_is_an_error_at_its_cell(
    plan, workbook_path, period, deadline, message
):
    def spoil(wb):
        ws = wb["Översikt"]
        for row in ws.iter_rows(min_row=2, max_row=12, max_col=2):
            if row[0].value == "Period" and period:
                row[1].value = period
            elif row[0].value == "Förväntat utfall senast" and deadline:
                row[1].value = deadline

    with pytest.raises(CommandError) as error:
        run(edited(workbook_path, spoil), slug="kopia", title="Kopia")
    assert "Blad ”Översikt”, rad" in str(error.value) and message in str(error.value)
    assert not Plan.objects.filter(slug="kopia").exists()


def test_period_defaults_to_the_years_in_the_slug(plan, workbook_path):
    run(
        edited(workbook_path, without_cover_dates),
        slug="2026-2027",
        title="Handlingsplan 2026–2027",
    )
    new = Plan.objects.get(slug="2026-2027")
    assert (new.period_start, new.period_end, new.outcome_deadline) == (
        datetime.date(2026, 1, 1),
        datetime.date(2027, 12, 31),
        datetime.date(2027, 12, 31),
    )


def test_period_can_be_given(plan, workbook_path):
    run(
        workbook_path,
        slug="program",
        title="Program",
        period_start=datetime.date(2026, 3, 1),
        period_end=datetime.date(2028, 2, 28),
    )
    new = Plan.objects.get(slug="program")
    assert (new.period_start, new.outcome_deadline) == (
        datetime.date(2026, 3, 1),
        datetime.date(2028, 2, 28),
    )


def test_organisations_are_matched_by_alias_and_keep_the_spelling(plan, workbook_path):
    def use_alias(wb):
        wb["Handlingsplan"]["E2"] = "gsf"  # 1.1.1 led by GRF; GSF is the plan's spelling

    run(edited(workbook_path, use_alias), slug="kopia", title="Kopia")
    role = ActivityOrganisation.objects.get(
        activity__insats__area__plan__slug="kopia",
        activity__insats__number=1,
        activity__insats__area__number=1,
        activity__number=1,
        role="lead",
    )
    assert (role.organisation.code, role.source_spelling) == ("GRF", "gsf")


def test_errors_name_sheet_row_and_column_and_nothing_is_written(plan, workbook_path):
    def spoil(wb):
        wb["Handlingsplan"]["E4"] = "GRF, Okänd AB"
        wb["Handlingsplan"]["A3"] = "1.1"  # 1.1.2, which has no targets
        wb["Mål"]["D2"] = "många"
        wb["Mål"]["I3"] = "XYZ"

    plans = Plan.objects.count()
    with pytest.raises(CommandError) as error:
        run(edited(workbook_path, spoil), slug="kopia", title="Kopia")
    message = str(error.value)
    assert "inget sparades" in message
    assert (
        "Blad ”Handlingsplan”, rad 4, kolumn E (Leder arbetet): Okänd organisation ”Okänd AB”"
        in message
    )
    assert "Blad ”Handlingsplan”, rad 3, kolumn A (Ref.): ”1.1” är ingen referens" in message
    assert "Blad ”Mål”, rad 2, kolumn D (Målvärde): ”många” är inte ett tal." in message
    assert "Blad ”Mål”, rad 3, kolumn I (Ansvarig): Okänd organisation ”XYZ”" in message
    assert Plan.objects.count() == plans


def test_a_workbook_without_the_plan_sheet_is_refused(plan, workbook_path):
    def remove(wb):
        del wb["Handlingsplan"]

    with pytest.raises(CommandError, match="saknar bladet ”Handlingsplan”"):
        run(edited(workbook_path, remove), slug="kopia", title="Kopia")


def test_a_file_that_is_not_a_workbook_is_refused(plan, tmp_path):
    path = tmp_path / "plan.xlsx"
    path.write_text("Ref.;Aktivitet\n1.1.1;Något\n")
    with pytest.raises(CommandError, match="Filen är inte en Excel-arbetsbok"):
        run(path, slug="kopia", title="Kopia")
    assert not Plan.objects.filter(slug="kopia").exists()


def test_a_bad_slug_is_refused(plan, workbook_path):
    with pytest.raises(CommandError, match="Kortnamnet ”två ord” går inte att använda"):
        run(workbook_path, slug="två ord", title="Kopia")
