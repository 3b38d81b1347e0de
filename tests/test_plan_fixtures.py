"""The fixtures hold what the published plan says: "Handlingsplan Göteborgs Stads
näringslivsstrategiska program 2024 – 2025" (text in shared/source/, see fixtures/README.md)."""

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command

from activities.models import Activity, Target
from areas.models import Insats, Plan, StrategicArea
from organisations.models import Organisation, OrganisationAlias

pytestmark = pytest.mark.django_db

SLUG = "2024-2025"
SOURCE = Path(__file__).resolve().parents[2] / "shared/source/handlingsplan-2024-2025.txt"

# Every activity's "Leder arbetet" and "Deltar i arbetet" cells, as codes in the cell's order.
ROLES = {
    "1.1.1": ("GRF", "ArbVux BRG Framtiden Gbg&Co GR"),
    "1.1.2": ("UBF", "ArbVux BRG Framtiden Gbg&Co GR"),
    "1.1.3": ("BRG", "Gbg&Co Chalmers GU Studentkåren"),
    "1.2.1": ("BRG", "ArbVux Gbg&Co GR"),
    "1.3.1": ("SLK", "Gbg&Co GU Chalmers"),
    "1.4.1": ("BRG", "ArbVux Gbg&Co Chalmers GU GR UBF"),
    "1.4.2": ("ArbVux", "BRG GR"),
    "1.5.1": ("ArbVux", "BRG SFC"),
    "1.5.2": ("ArbVux", "BRG Gbg&Co FFF FF GRF INK SFC SLK"),
    "1.5.3": ("ArbVux", "BRG SFC Framtiden"),
    "1.5.4": ("ArbVux", "FF"),
    "1.6.1": ("BRG", "ArbVux"),
    "1.6.2": ("BRG", "ArbVux"),
    "1.6.3": ("BRG", "FF GRF GR UBF"),
    "2.1.1": ("BRG", "EXF Framtiden GHAB GL SBF ÄUAB"),
    "2.2.1": ("BRG", "Gbg&Co"),
    "2.2.2": ("BRG", "Gbg&Co"),
    "2.3.1": ("KF", "BRG Gbg&Co Higab"),
    "2.3.2": ("BRG", "Gbg&Co Higab KF"),
    "2.3.3": ("BRG", "Gbg&Co Higab KF"),
    "3.1.1": ("SBF", "BRG"),
    "3.1.2": ("GHAB", "BRG"),
    "3.1.3": ("BRG", "EXF GE GHAB SBF SMF P-bolaget"),
    "3.2.1": ("BRG", "GE SBF"),
    "3.2.2": ("SBF", "BRG GHAB"),
    "3.2.3": ("SMF", "BRG"),
    "3.2.4": ("SBF", "SMF"),
    "3.3.1": ("SMF", "GE GR"),
    "3.4.1": ("GE", "BRG"),
    "4.1.1": ("BRG", "EXF Framtiden GHAB GL SBF ÄUAB"),
    "4.1.2": ("BRG", "EXF Framtiden GHAB GL SBF ÄUAB"),
    "4.2.1": ("EXF SBF", "BRG Framtiden GHAB ÄUAB"),
    "4.3.1": ("SBF", "BRG EXF"),
    "4.3.2": ("BRG", "EXF SBF"),
    "5.1.1": ("MF SBF", "RSG SMF"),
    "5.1.2": ("BRG", "DM EXF Gbg&Co INK KV MF RSG SBF SMF"),
    "5.2.1": ("INK MF RSG SBF SMF", "BRG"),
    "5.2.2": ("DM", "BRG MF"),
    "5.2.3": ("BRG", "DM EXF Gbg&Co KV MF RSG SBF SMF"),
    "5.2.4": ("DM", "BRG EXF Gbg&Co INK KV MF RSG SBF SMF"),
    "5.2.5": ("INK", "BRG EXF Gbg&Co KV MF RSG SBF SMF"),
    "5.3.1": ("SLK", "BRG EXF Gbg&Co INK KV MF RSG SBF SMF"),
    "5.4.1": ("BRG", "EXF Gbg&Co INK KV MF RSG SBF SMF"),
    "6.1.1": ("INK", "BRG MF SSP"),
    "6.1.2": ("INK", "BRG SSP"),
    "6.1.3": ("BRG", "INK SBF MF"),
    "6.2.1": ("BRG", "LSP SSP"),
    "6.2.2": ("LSP", "SBF"),
    "6.2.3": ("SSP", "BRG GR"),
    "6.2.4": ("GR AllAgeHub", "BRG SSP"),
    "6.2.5": ("GR AllAgeHub", "INK SSP"),
    "6.2.6": ("MF", "BRG"),
    "6.3.1": ("SSP", "BRG"),
    "6.3.2": ("SSP", "BRG"),
    "6.4.1": ("BRG", "MF"),
}


@pytest.fixture(autouse=True)
def plan():
    # tests/conftest.py may already have loaded the fixtures for the session; loading them
    # resolves every natural key (a few seconds), so only load when the plan is missing.
    if not Plan.objects.filter(slug=SLUG).exists():
        call_command("loaddata", "organisations", "plan_2024_2025", verbosity=0)
    return Plan.objects.get(slug=SLUG)


def activity(ref):
    area, insats, number = map(int, ref.split("."))
    return Activity.objects.get_by_natural_key(SLUG, area, insats, number)


def codes(act, role):
    return [r.organisation.code for r in act.roles.filter(role=role).order_by("position")]


def target(ref, phrase_start):
    return activity(ref).targets.get(phrase__startswith=phrase_start)


def squash(text):
    """Whitespace runs to one space: the PDF text breaks lines inside cells."""
    return " ".join(text.split())


@pytest.fixture
def source_text():
    if not SOURCE.exists():
        pytest.skip(f"The plan's source text is not at {SOURCE}.")
    return squash(SOURCE.read_text(encoding="utf-8"))


def test_the_plan_has_6_areas_24_insatser_and_55_activities(plan):
    assert plan.title == "Handlingsplan Göteborgs Stads näringslivsstrategiska program 2024–2025"
    assert str(plan.outcome_deadline) == "2025-12-31"
    assert StrategicArea.objects.filter(plan=plan).count() == 6
    assert Insats.objects.filter(area__plan=plan).count() == 24
    assert Activity.objects.filter(insats__area__plan=plan).count() == 55


def test_each_area_has_as_many_insatser_and_activities_as_the_plan(plan):
    areas = plan.areas.order_by("number")
    assert [a.insatser.count() for a in areas] == [6, 3, 4, 3, 4, 4]
    assert [Activity.objects.filter(insats__area=a).count() for a in areas] == [
        14,
        6,
        9,
        5,
        9,
        12,
    ]


def test_the_areas_are_named_as_in_the_headings_with_normal_capitalisation(plan):
    assert list(plan.areas.order_by("number").values_list("name", flat=True)) == [
        "Kompetensförsörjning",
        "Attraktionskraft",
        "Infrastruktur och tillgänglighet",
        "Markberedskap och fysisk planering",
        "Företagsklimat",
        "Innovationskraft",
    ]


def test_area_6_counts_goteborgsregionen_and_allagehub_among_its_participants(plan):
    area = plan.areas.get(number=6)
    assert {"GR", "AllAgeHub", "LSP", "SSP"} <= {
        o.code for o in area.participating_organisations.all()
    }
    assert area.participants_text.startswith("Deltagande förvaltningar och bolag: ")


def test_every_activity_has_exactly_the_leads_and_participants_of_its_table_row():
    found = {a.reference: a for a in Activity.objects.select_related("insats__area")}
    assert set(found) == set(ROLES)
    for ref, (leads, participants) in ROLES.items():
        assert codes(found[ref], "lead") == leads.split(), ref
        assert codes(found[ref], "participant") == participants.split(), ref


def test_activity_1_1_1_is_led_by_grundskoleforvaltningen_spelled_gsf():
    role = activity("1.1.1").roles.get(role="lead")
    assert role.organisation.code == "GRF"
    assert role.source_spelling == "GSF"
    assert target("1.1.1", "Ytterligare 50").value == Decimal("50")
    assert target("1.1.1", "Ytterligare 50").unit == "företag"


def test_activity_3_2_3_is_led_by_smf_with_brg_and_aims_at_100_workplaces_from_46():
    act = activity("3.2.3")
    assert codes(act, "lead") == ["SMF"]
    assert "BRG" in codes(act, "participant")
    goal = act.targets.get(value=100)
    assert (goal.unit, goal.baseline) == ("arbetsplatser", Decimal("46"))


def test_activity_4_2_1_is_led_by_both_exf_and_sbf():
    assert codes(activity("4.2.1"), "lead") == ["EXF", "SBF"]


def test_activity_5_2_1_is_led_by_five_organisations_and_names_who_owns_each_index():
    act = activity("5.2.1")
    assert codes(act, "lead") == ["INK", "MF", "RSG", "SBF", "SMF"]
    smf, ink = target("5.2.1", "SMF: 79"), target("5.2.1", "INK:65")
    assert (smf.value, smf.responsible_organisation.code) == (Decimal("79"), "SMF")
    assert (ink.value, ink.responsible_organisation.code) == (Decimal("65"), "INK")
    assert target("5.2.1", "MF: Livs").responsible_organisation.code == "MF"


def test_activities_6_2_4_and_6_2_5_are_led_by_gr_and_its_allagehub():
    for ref in ("6.2.4", "6.2.5"):
        roles = activity(ref).roles.filter(role="lead").order_by("position")
        assert [(r.organisation.code, r.source_spelling) for r in roles] == [
            ("GR", "GR"),
            ("AllAgeHub", "AllAgeHub"),
        ]


def test_the_quoted_targets_have_their_values_ranges_years_and_owners():
    assert target("1.4.2", "1400").value == Decimal("1400")
    per_time = target("1.6.1", "15 – 20")
    assert (per_time.value, per_time.value_max) == (Decimal("15"), Decimal("20"))
    events = target("1.6.1", "2 evenemang")
    assert (events.value, events.unit) == (Decimal("2"), "evenemang/år")
    assert target("1.1.3", "2024:").year == 2024
    assert target("1.1.3", "2024:").value is None
    assert (target("1.5.3", "2025:").year, target("1.5.3", "2025:").value) == (2025, 300)
    assert target("3.1.1", "Kommunikationsplan").responsible_organisation.code == "SBF"
    assert target("3.1.1", "Godsplanen").responsible_organisation.code == "BRG"
    assert target("3.2.1", "Cirka 2-3").value_max == Decimal("3")
    assert target("6.4.1", "8 innovationslabb").value == Decimal("8")
    assert target("6.4.1", "25 antal LoI").value == Decimal("25")
    assert target("2.1.1", "Målgruppsstrategi framtagen").value is None


def test_loading_the_fixtures_a_second_time_changes_no_row_counts():
    def counts():
        return {m._meta.label: m._base_manager.count() for m in apps.get_models()}

    before = counts()
    call_command("loaddata", "organisations", "plan_2024_2025", verbosity=0)
    assert counts() == before


def test_the_fixture_files_use_natural_keys_and_no_primary_keys():
    for name in ("organisations.json", "plan_2024_2025.json"):
        objects = json.loads((Path(settings.BASE_DIR) / "fixtures" / name).read_text("utf-8"))
        assert objects
        assert all("pk" not in obj for obj in objects), name


def test_the_abbreviation_list_has_25_organisations():
    assert Organisation.objects.filter(in_abbreviation_list=True).count() == 25
    assert Organisation.objects.get(code="GR").kind == "kommunalforbund"
    assert Organisation.objects.get(code="RSG").kind == "kommunalforbund"


@pytest.mark.parametrize(
    ("spelling", "code"),
    [
        ("GSF", "GRF"),
        ("FSF", "FF"),
        ("Arbvux", "ArbVux"),
        ("Charlmers", "Chalmers"),
        ("Gbg& Co", "Gbg&Co"),
    ],
)
def test_a_spelling_the_tables_use_resolves_to_its_organisation(spelling, code):
    assert Organisation.objects.lookup(spelling).code == code
    assert OrganisationAlias.objects.get(alias=spelling).note


def test_gsf_is_grundskoleforvaltningen():
    assert Organisation.objects.lookup("GSF").name == "Grundskoleförvaltningen"


def test_every_source_spelling_is_the_code_or_an_alias_of_it():
    for act in Activity.objects.prefetch_related("roles__organisation__aliases"):
        for role in act.roles.all():
            org = role.organisation
            spellings = {org.code} | {a.alias for a in org.aliases.all()}
            assert role.source_spelling in spellings, (act.pk, role.source_spelling)


def test_every_expected_outcome_is_found_in_the_source_text(source_text):
    for act in Activity.objects.select_related("insats__area"):
        assert squash(act.expected_outcome) in source_text, act.reference


def test_every_description_and_insats_title_is_found_in_the_source_text(source_text):
    # A hyphen that ends a PDF line is kept ("SME-företag"), so compare with it joined.
    def join_hyphens(text):
        return re.sub(r"- (?=\w)", "-", text)

    source = join_hyphens(source_text)
    for act in Activity.objects.select_related("insats__area"):
        assert join_hyphens(squash(act.description)) in source, act.reference
    for insats in Insats.objects.select_related("area"):
        assert join_hyphens(squash(insats.title)) in source, insats.reference


def test_every_target_phrase_occurs_in_its_activitys_expected_outcome():
    targets = Target.objects.select_related("activity")
    assert targets.count() > 55
    for goal in targets:
        assert goal.phrase in goal.activity.expected_outcome, goal.phrase


def test_no_text_keeps_line_break_artefacts():
    for act in Activity.objects.all():
        assert "  " not in act.description and act.description == act.description.strip()
        for line in act.expected_outcome.split("\n"):
            assert line == line.strip() and "  " not in line
