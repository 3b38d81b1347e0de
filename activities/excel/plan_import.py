"""Reading a plan workbook (the layout of plan_workbook.py) into a new plan: areas, insatser,
activities with lead and participating organisations, expected outcomes and targets. Used by
`manage.py import_plan`.

Everything is checked before anything is written; errors name the sheet, row and column.
Organisations are matched by code or alias and never created: an unknown one is an error.
"""

import datetime
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from areas.models import Insats, Plan, PlanState, StrategicArea, plan_slug_problem
from organisations.models import Organisation

from .. import references
from ..models import Activity, ActivityOrganisation, Role, Target
from ..text import shorten
from .cells import cell_text, parse_number
from .reader import open_workbook, read_table, sheet_rows
from .sheets import (
    AREA_COLUMNS,
    AREA_SHEET,
    COVER_DEADLINE,
    COVER_PERIOD,
    COVER_SHEET,
    COVER_SLUG,
    PLAN_COLUMNS,
    PLAN_SHEET,
    TARGET_COLUMNS,
    TARGET_SHEET,
)

PART = f"({references.PART})"
REFERENCE = re.compile(rf"^{PART}\.{PART}\.{PART}$")
PREDECESSOR = re.compile(rf"^([-a-zA-Z0-9_]{{1,50}})\s+{PART}\.{PART}\.{PART}$")
INTEGER = re.compile(r"^-?[0-9]{1,12}$")
# An area's, insats's or activity's number and a target's position: what a reference holds.
MAX_NUMBER = references.MAX_NUMBER
# A target's year: the years a plan's dates may have (views/plan_upload.py).
FIRST_YEAR, LAST_YEAR = 2000, 2100
# "GR / AllAgeHub", "EXF, SBF", "INK; MF": a cell lists organisations with any of these.
SEPARATORS = re.compile(r"\s*[,;/\n]\s*")


@dataclass
class PlanWorkbook:
    areas: dict = field(default_factory=dict)  # number → {"name", "participants_text", "orgs"}
    insatser: dict = field(default_factory=dict)  # (area, insats) → title
    activities: dict = field(default_factory=dict)  # (area, insats, n) → dict
    targets: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    predecessor_cells: list = field(default_factory=list)  # (sheet, row, key, text)
    # From the cover sheet, where it has them (else None): the defaults for the new plan.
    slug: str | None = None
    title: str | None = None
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    outcome_deadline: datetime.date | None = None

    def summary(self):
        roles = sum(len(a["leads"]) + len(a["participants"]) for a in self.activities.values())
        return (
            f"{len(self.areas)} områden, {len(self.insatser)} insatser, "
            f"{len(self.activities)} aktiviteter, {roles} roller, {len(self.targets)} mål"
        )


class _Sheet:
    """Rows of one sheet as {key: value} by the declared headers, with errors by cell."""

    def __init__(self, workbook, name, columns, errors, budget):
        self.errors = errors
        self.table = read_table(workbook[name], name, columns, budget=budget)
        self.rows = self.table.rows
        if self.table.missing:
            errors.append(
                f"Bladet ”{name}” saknar kolumnerna {', '.join(self.table.missing)} i första raden."
            )
            self.rows = []

    def error(self, row, key, message):
        table = self.table
        self.errors.append(
            f"Blad ”{table.name}”, rad {row}, kolumn {table.letter(key)} "
            f"({table.headers[key]}): {message}"
        )


def _organisations(sheet, row, key, text, known):
    """[(organisation, spelling)] for a cell such as "EXF, SBF"; errors for unknown codes."""
    found = []
    for spelling in SEPARATORS.split(cell_text(text)):
        if not spelling:
            continue
        organisation = known.get(spelling.casefold())
        if organisation is None:
            sheet.error(row, key, f"Okänd organisation ”{spelling}” (varken kod eller alias).")
        elif any(o == organisation for o, _s in found):
            sheet.error(row, key, f"{organisation.code} står två gånger.")
        else:
            found.append((organisation, spelling))
    return found


def _strip_prefix(text, prefix):
    text = cell_text(text)
    return text[len(prefix) :].strip() if text.startswith(prefix) else text


def _plan_too_large():
    # A plan is one workbook: it cannot be split like a report can.
    return _(
        "Filen är för stor när den packas upp. En plan måste rymmas i en arbetsbok: ta bort "
        "bilder, extra blad och formatering (eller kopiera bladen till en ny arbetsbok) och "
        "ladda upp den igen."
    )


def read_plan_workbook(file):
    """Read and check a plan workbook; the result's `errors` lists every problem found."""
    data = PlanWorkbook()
    workbook = open_workbook(file, too_large=_plan_too_large())  # ImportRejected if not an xlsx
    try:
        if PLAN_SHEET not in workbook.sheetnames:
            data.errors.append(f"Arbetsboken saknar bladet ”{PLAN_SHEET}”.")
            return data
        known = Organisation.objects.by_code()
        budget = workbook.budget
        if COVER_SHEET in workbook.sheetnames:
            _read_cover(workbook[COVER_SHEET], data, budget)
        _read_activities(
            _Sheet(workbook, PLAN_SHEET, PLAN_COLUMNS, data.errors, budget), data, known
        )
        if AREA_SHEET in workbook.sheetnames:
            _read_areas(
                _Sheet(workbook, AREA_SHEET, AREA_COLUMNS, data.errors, budget), data, known
            )
        if TARGET_SHEET in workbook.sheetnames:
            _read_targets(
                _Sheet(workbook, TARGET_SHEET, TARGET_COLUMNS, data.errors, budget), data, known
            )
    finally:
        workbook.close()
    if not data.activities and not data.errors:
        data.errors.append(f"Bladet ”{PLAN_SHEET}” har inga aktiviteter.")
    return data


# The cover sheet (plan_workbook._cover): the title in A1, then label/value pairs in A:B.
COVER_ROWS = 12  # the pairs are in the first rows; nothing further down is read
DATES = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*[–—-]\s*(\d{4}-\d{2}-\d{2})$")
SLUG_LENGTH = Plan._meta.get_field("slug").max_length


def _slug_problem(text):
    """Why `text` cannot be a plan's short name, or None."""
    if len(text) > SLUG_LENGTH:
        return f"Kortnamnet har {len(text)} tecken; högst {SLUG_LENGTH} går."
    problem = plan_slug_problem(text)
    if problem:
        return f"”{shorten(text)}” går inte att använda som kortnamn. {problem}"
    return None


def _date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(cell_text(value))
    except ValueError:
        return None


def _read_cover(ws, data, budget):
    """The plan's short name, title, period and outcome deadline from the cover sheet, with
    an error by row and column for a value that is there but unreadable."""
    # The guarded reader (caps, time budget, malformed cells refused), stopped early.
    for number, cells in sheet_rows(ws, budget, max_columns=2):
        if number > COVER_ROWS:
            break
        label, value = (*cells, None, None)[:2]
        if number == 1:
            data.title = cell_text(label)[:300] or None
            continue
        label = cell_text(label)
        read = COVER_READERS.get(label)
        problem = read(value, data) if read and cell_text(value) else None
        if problem:
            data.errors.append(f"Blad ”{ws.title}”, rad {number}, kolumn B ({label}): {problem}")


def _cover_slug(value, data):
    problem = _slug_problem(cell_text(value))
    if not problem:
        data.slug = cell_text(value)
    return problem


def _cover_period(value, data):
    match = DATES.match(cell_text(value))
    start, end = (_date(match[1]), _date(match[2])) if match else (None, None)
    if start is None or end is None:
        return f"”{shorten(cell_text(value))}” ska vara ÅÅÅÅ-MM-DD – ÅÅÅÅ-MM-DD."
    if end < start:
        return "Periodens slut ligger före dess början."
    data.period_start, data.period_end = start, end
    return None


def _cover_deadline(value, data):
    data.outcome_deadline = _date(value)
    if data.outcome_deadline is None:
        return f"”{shorten(cell_text(value))}” är inget datum (ÅÅÅÅ-MM-DD)."
    return None


# What each of the cover's labels sets; each answers with a problem or None.
COVER_READERS = {
    COVER_SLUG: _cover_slug,
    COVER_PERIOD: _cover_period,
    COVER_DEADLINE: _cover_deadline,
}


def _read_activities(sheet, data, known):
    for row, cells in sheet.rows:
        key = _activity_key(sheet, row, cells, data)
        if key is None:
            continue
        _check_area_and_insats(sheet, row, cells, data, key)
        activity = _activity(sheet, row, cells, known)
        predecessor = _predecessor(sheet, row, cells)
        if predecessor:
            activity["predecessor_key"], text = predecessor
            data.predecessor_cells.append((sheet, row, key, text))
        data.activities[key] = activity
    _resolve_predecessors(data)


def _activity_key(sheet, row, cells, data):
    """(area, insats, activity) numbers of the row's reference, or None (with an error) for a
    malformed or repeated one."""
    ref = cell_text(cells["ref"])
    match = REFERENCE.match(ref)
    if not match:
        sheet.error(row, "ref", f"”{ref}” är ingen referens av formen 1.2.3.")
        return None
    key = tuple(int(part) for part in match.groups())
    if min(key) < 1:
        sheet.error(row, "ref", "Numren i referensen börjar på 1.")
        return None
    if key in data.activities:
        sheet.error(row, "ref", f"Aktivitet {ref} står på två rader.")
        return None
    return key


def _check_area_and_insats(sheet, row, cells, data, key):
    """The row's area and insats are named, and named as on the rows before; the first row of
    each names it for the plan."""
    a, i, _n = key
    area_name = _strip_prefix(cells["area"], f"{a}. ")
    title = _strip_prefix(cells["insats"], f"{a}.{i} ")
    for column, value, seen, label in (
        ("area", area_name, data.areas.get(a, {}).get("name"), f"Område {a}"),
        ("insats", title, data.insatser.get((a, i)), f"Insats {a}.{i}"),
    ):
        if not value:
            sheet.error(row, column, "Saknas.")
        elif seen is not None and seen != value:
            sheet.error(row, column, f"{label} heter olika på olika rader.")
    data.areas.setdefault(a, {"name": area_name, "participants_text": "", "orgs": []})
    data.insatser.setdefault((a, i), title)


def _activity(sheet, row, cells, known):
    """The row's activity: texts and organisations, each checked."""
    activity = {
        "description": cell_text(cells["description"]),
        "outcome": cell_text(cells["outcome"]),
        "leads": _organisations(sheet, row, "leads", cells["leads"], known),
        "participants": _organisations(sheet, row, "participants", cells["participants"], known),
    }
    for key in ("description", "outcome"):
        if not activity[key]:
            sheet.error(row, key, "Saknas.")
    if not activity["leads"] and cell_text(cells["leads"]) == "":
        sheet.error(row, "leads", "Minst en organisation måste leda arbetet.")
    leads = {o for o, _s in activity["leads"]}
    for organisation, _spelling in activity["participants"]:
        if organisation in leads:
            sheet.error(
                row, "participants", f"{organisation.code} både leder och deltar i arbetet."
            )
    return activity


def _predecessor(sheet, row, cells):
    """((plan slug, area, insats, activity), the cell's text) for a named predecessor; None for
    none, or (with an error) for one not written as "2024-2025 3.2.3"."""
    predecessor = cell_text(cells.get("predecessor"))
    if not predecessor:
        return None
    match = PREDECESSOR.match(predecessor)
    if not match:
        sheet.error(
            row,
            "predecessor",
            f"”{predecessor}” ska vara planens kortnamn och aktivitetens referens, "
            "t.ex. ”2024-2025 3.2.3”.",
        )
        return None
    return (match[1], *(int(p) for p in match.groups()[1:])), predecessor


def _resolve_predecessors(data):
    """Find each named predecessor in the existing plans (two queries for all of them): an
    activity of an activated plan; a draft plan is nobody's predecessor."""
    wanted = {data.activities[key]["predecessor_key"] for _s, _r, key, _t in data.predecessor_cells}
    if not wanted:
        return
    slugs = {slug for slug, *_rest in wanted}
    plans = {plan.slug: plan for plan in Plan.objects.filter(slug__in=slugs)}
    found = {
        (a.insats.area.plan.slug, a.insats.area.number, a.insats.number, a.number): a
        for a in Activity.objects.filter(
            insats__area__plan__in=[p for p in plans.values() if not p.is_draft]
        ).select_related("insats__area__plan")
    }
    for sheet, row, key, _text in data.predecessor_cells:
        activity = data.activities[key]
        wanted_key = activity.pop("predecessor_key")
        activity["predecessor"] = found.get(wanted_key)
        problem = _predecessor_problem(plans.get(wanted_key[0]), wanted_key, activity)
        if problem:
            sheet.error(row, "predecessor", problem)


def _predecessor_problem(plan, key, activity):
    """Why the named predecessor cannot be linked, or None."""
    slug, *numbers = key
    if plan is None:
        return f"Det finns ingen plan med kortnamnet ”{slug}”."
    if plan.is_draft:
        return (
            f"Planen ”{slug}” är ett utkast; en aktivitet kan bara fortsätta en aktivitet i en "
            "aktiverad plan."
        )
    if activity["predecessor"] is None:
        return f"Aktivitet {'.'.join(map(str, numbers))} finns inte i planen ”{slug}”."
    return None


def _read_areas(sheet, data, known):
    """The areas' participants from their sheet: each area of the plan sheet once, named as
    there (a row naming another area, or one twice, would rename or add an area)."""
    seen = set()
    for row, cells in sheet.rows:
        number, problem = _whole_number(cells["number"])
        if problem:
            sheet.error(row, "number", problem)
            continue
        area = _area_row(sheet, row, cells, data, number, seen)
        if area is None:
            continue
        area["participants_text"] = cell_text(cells["participants_text"])
        area["orgs"] = [
            o
            for o, _s in _organisations(sheet, row, "organisations", cells["organisations"], known)
        ]


def _area_row(sheet, row, cells, data, number, seen):
    """The plan sheet's area this row of the area sheet is about, or None (with an error)."""
    if number in seen:
        sheet.error(row, "number", f"Område {number} står på två rader.")
        return None
    seen.add(number)
    area = data.areas.get(number)
    if area is None:
        sheet.error(
            row, "number", f"Område {number} har inga aktiviteter på bladet ”{PLAN_SHEET}”."
        )
        return None
    name = cell_text(cells["name"])
    if not name:
        sheet.error(row, "name", "Saknas.")
    elif area["name"] and name != area["name"]:
        sheet.error(
            row, "name", f"Område {number} heter ”{area['name']}” på bladet ”{PLAN_SHEET}”."
        )
    return area


def _read_targets(sheet, data, known):
    positions = set()
    for row, cells in sheet.rows:
        key = _target_activity(sheet, row, cells, data)
        if key is None:
            continue
        position, problem = _whole_number(cells["position"])
        if problem:
            sheet.error(row, "position", problem)
            continue
        if (key, position) in positions:
            ref = cell_text(cells["ref"])
            sheet.error(row, "position", f"Aktivitet {ref} har två mål med ordning {position}.")
        positions.add((key, position))
        target = {"activity": key, "position": position, "phrase": cell_text(cells["phrase"])}
        if not target["phrase"]:
            sheet.error(row, "phrase", "Saknas.")
        target.update(_target_numbers(sheet, row, cells))
        target["year"] = _target_year(sheet, row, cells)
        target["unit"] = cell_text(cells["unit"])
        target["responsible"] = _responsible(sheet, row, cells, known)
        data.targets.append(target)


def _target_activity(sheet, row, cells, data):
    """The key of the activity on the plan sheet the row refers to; None (with an error) if
    there is none."""
    ref = cell_text(cells["ref"])
    match = REFERENCE.match(ref)
    key = tuple(int(p) for p in match.groups()) if match else None
    if key not in data.activities:
        sheet.error(row, "ref", f"Aktivitet ”{ref}” finns inte på bladet ”{PLAN_SHEET}”.")
        return None
    return key


def _target_numbers(sheet, row, cells):
    """{"value", "value_max", "baseline"}: each a Decimal or None, an upper bound no lower than
    the value."""
    numbers = {}
    for name in ("value", "value_max", "baseline"):
        numbers[name] = None
        if cell_text(cells[name]):
            numbers[name], problem = parse_number(cells[name])
            if problem:
                sheet.error(row, name, problem)
    if numbers["value_max"] is not None and (
        numbers["value"] is None or numbers["value_max"] < numbers["value"]
    ):
        sheet.error(row, "value_max", "Övre gränsen måste vara minst lika stor som målvärdet.")
    return numbers


def _target_year(sheet, row, cells):
    if not cell_text(cells["year"]):
        return None
    year, problem = _whole_number(cells["year"], FIRST_YEAR, LAST_YEAR, "ett årtal")
    if problem:
        sheet.error(row, "year", problem)
    return year


def _whole_number(value, low=1, high=MAX_NUMBER, kind="ett heltal"):
    """(int, None) for a whole number from `low` to `high`, written in ASCII digits or a numeric
    cell holding a whole number (12.0); else (None, a problem saying what is allowed)."""
    allowed = f"Skriv {kind} från {low} till {high}."
    text = cell_text(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and value == int(value):
        number = int(value)
    elif INTEGER.match(text):
        number = int(text)
    elif re.match(r"^-?[0-9]+$", text):
        number = None  # more digits than any number here has
    else:
        return None, f"”{shorten(text)}” är inget heltal. {allowed}"
    if number is None or not low <= number <= high:
        return None, f"{shorten(text)} ligger utanför det tillåtna. {allowed}"
    return number, None


def _responsible(sheet, row, cells, known):
    """The target's one responsible organisation, or None."""
    if not cell_text(cells["responsible"]):
        return None
    found = _organisations(sheet, row, "responsible", cells["responsible"], known)
    if len(found) > 1:
        sheet.error(row, "responsible", "Ett mål har högst en ansvarig organisation.")
    return found[0][0] if len(found) == 1 else None


@transaction.atomic
def create_plan(data, **plan_fields):
    """Write the checked workbook as a new plan, in one transaction (with history records).
    The plan is a draft until a coordinator activates it."""
    plan = Plan.objects.create(**{"state": PlanState.DRAFT, **plan_fields})
    insatser = _create_areas_and_insatser(plan, data)
    activities = _create_activities(data, insatser)
    _create_roles(data, activities)
    _create_targets(data, activities)
    return plan


def _create_areas_and_insatser(plan, data):
    """{(area, insats): Insats}."""
    areas = {}
    for number, area in sorted(data.areas.items()):
        areas[number] = StrategicArea.objects.create(
            plan=plan,
            number=number,
            name=area["name"],
            participants_text=area.get("participants_text", ""),
        )
        areas[number].participating_organisations.set(area.get("orgs", []))
    return {
        (a, i): Insats.objects.create(area=areas[a], number=i, title=title)
        for (a, i), title in sorted(data.insatser.items())
    }


def _create_activities(data, insatser):
    """{(area, insats, activity): Activity}, created in one bulk insert."""
    keys = sorted(data.activities)
    activities = bulk_create_with_history(
        [
            Activity(
                insats=insatser[(a, i)],
                number=n,
                description=data.activities[(a, i, n)]["description"],
                expected_outcome=data.activities[(a, i, n)]["outcome"],
                predecessor=data.activities[(a, i, n)].get("predecessor"),
            )
            for a, i, n in keys
        ],
        Activity,
    )
    return dict(zip(keys, activities, strict=True))


def _create_roles(data, activities):
    roles = [
        ActivityOrganisation(
            activity=activity,
            organisation=organisation,
            role=role,
            position=position,
            source_spelling=spelling,
        )
        for key, activity in activities.items()
        for role, column in ((Role.LEAD, "leads"), (Role.PARTICIPANT, "participants"))
        for position, (organisation, spelling) in enumerate(data.activities[key][column])
    ]
    bulk_create_with_history(roles, ActivityOrganisation)


def _create_targets(data, activities):
    targets = [
        Target(
            activity=activities[t["activity"]],
            position=t["position"],
            phrase=t["phrase"],
            value=t["value"],
            value_max=t["value_max"],
            unit=t["unit"],
            baseline=t["baseline"],
            year=t["year"],
            responsible_organisation=t["responsible"],
        )
        for t in data.targets
    ]
    bulk_create_with_history(targets, Target)
