"""The file format: every sheet's name and columns, declared once.

Writers fill each column with `Column.write(row object)`; readers find the `imported` columns
by their headers (cells.read_table). Headers are Swedish and never translated.
"""

from dataclasses import dataclass

from ..text import format_number
from .cells import DATETIME_FORMAT, Column, assessment_label, status_label
from .row_text import (
    codes,
    latest_values,
    lead_comments,
    lead_statuses,
    predecessor_text,
    progress_text,
    spellings,
)

# Words that stand in more than one place of the format, written once.
REF = "Ref."
PLAN = "Handlingsplan"
AREA = "Strategiskt område"
ACTIVITY = "Aktivitet"
ACTIVITIES = "Aktiviteter"
TARGETS = "Mål"
STATUS = "Status"
ORGANISATION = "Organisation"
ROUND = "Uppföljningsomgång"
ASSESSMENT = "Slutbedömning"

CHANGES_SHEET = "Ändringar"
COVER_SHEET = "Översikt"
# The cover sheet's pairs that import_plan reads back: the short name, "2024-01-01 –
# 2025-12-31" and a date.
COVER_SLUG, COVER_PERIOD, COVER_DEADLINE = "Kortnamn", "Period", "Förväntat utfall senast"
PLAN_SHEET = PLAN
TARGET_SHEET = TARGETS
AREA_SHEET = "Områden"
TABLE_SHEET = ACTIVITIES
FILTER_SHEET = "Urval"
REPORT_SHEET = "Rapport"
META_SHEET = "Mall"

# The report template's hidden sheet: which plan and round the file is for.
TEMPLATE_FORMAT = "Handlingsplan rapportmall 1"
META_FORMAT, META_PLAN, META_ROUND = "Format", PLAN, ROUND
TEMPLATE_HEADER_ROW = 6


PREDECESSOR = "Fortsätter"


# One row per activity: the plan sheet of the plan workbook and the activity table export.
# Rows need ActivityQuerySet.with_related().with_last_report().
PLAN_COLUMNS = [
    Column(REF, 9, key="ref", imported=True, write=lambda a: a.reference),
    Column(
        AREA,
        22,
        key="area",
        wrap=True,
        imported=True,
        write=lambda a: f"{a.insats.area.number}. {a.insats.area.name}",
    ),
    Column(
        "Insats",
        34,
        key="insats",
        wrap=True,
        imported=True,
        write=lambda a: f"{a.insats.reference} {a.insats.title}",
    ),
    Column(
        ACTIVITY, 50, key="description", wrap=True, imported=True, write=lambda a: a.description
    ),
    Column(
        "Leder arbetet",
        14,
        key="leads",
        wrap=True,
        imported=True,
        write=lambda a: spellings(a, "lead"),
    ),
    Column(
        "Deltar i arbetet",
        22,
        key="participants",
        wrap=True,
        imported=True,
        write=lambda a: spellings(a, "participant"),
    ),
    Column(
        "Förväntat utfall",
        50,
        key="outcome",
        wrap=True,
        imported=True,
        write=lambda a: a.expected_outcome,
    ),
    # "2024-2025 3.2.3": the activity of an earlier plan this one continues (optional).
    Column(
        PREDECESSOR,
        16,
        key="predecessor",
        imported=True,
        required=False,
        write=lambda a: predecessor_text(a.predecessor),
    ),
    Column(
        TARGETS,
        40,
        key="targets",
        wrap=True,
        write=lambda a: "\n".join(f"Mål {t.position}: {t.phrase}" for t in a.targets.all()),
    ),
    Column(STATUS, 18, key="status", write=lambda a: status_label(a.current_status)),
    Column(
        "Status per ledande organisation", 26, key="lead_statuses", wrap=True, write=lead_statuses
    ),
    Column("Senaste värden", 26, key="latest_values", wrap=True, write=latest_values),
    Column("Framsteg", 16, key="progress", wrap=True, write=progress_text),
    Column(
        ASSESSMENT,
        14,
        key="final_assessment",
        write=lambda a: assessment_label(a.final_assessment),
    ),
    Column(
        "Senast rapporterad",
        17,
        key="last_reported_at",
        number_format=DATETIME_FORMAT,
        write=lambda a: a.last_reported_at,
    ),
    Column("Rapporterad av", 13, key="reported_by", write=lambda a: a.last_reported_by_org or ""),
    Column("Senaste kommentar", 50, key="comment", wrap=True, write=lead_comments),
]


def _rounded_progress(target):
    progress = target.latest_progress
    return round(progress, 1) if progress is not None else None


def cover_columns(statuses):
    """The cover sheet's table: one row per area and a total, [name, activity count, count
    per status…], with a column per status (headed by its Swedish label)."""
    columns = [
        Column(AREA, 34, key="area", wrap=True, write=lambda row: row[0]),
        Column(ACTIVITIES, 12, key="activity_count", write=lambda row: row[1]),
    ]
    columns += [
        Column(status_label(s), 13, key=s.value, wrap=True, write=lambda row, i=i: row[2 + i])
        for i, s in enumerate(statuses)
    ]
    return columns


COVER_TOTAL = "Totalt"


# One row per target (Target with with_latest_value() and its activity).
TARGET_COLUMNS = [
    Column(REF, 9, key="ref", imported=True, write=lambda t: t.activity.reference),
    Column("Ordning", 9, key="position", imported=True, write=lambda t: t.position),
    Column("Formulering", 50, key="phrase", wrap=True, imported=True, write=lambda t: t.phrase),
    Column("Målvärde", 11, key="value", imported=True, write=lambda t: t.value),
    Column("Övre gräns", 11, key="value_max", imported=True, write=lambda t: t.value_max),
    Column("Enhet", 18, key="unit", wrap=True, imported=True, write=lambda t: t.unit),
    Column("Utgångsläge", 12, key="baseline", imported=True, write=lambda t: t.baseline),
    Column("År", 8, key="year", imported=True, write=lambda t: t.year),
    Column(
        "Ansvarig",
        11,
        key="responsible",
        imported=True,
        write=lambda t: t.responsible_organisation.code if t.responsible_organisation else "",
    ),
    Column("Senaste värde", 13, key="latest_value", write=lambda t: t.latest_value),
    Column("Framsteg (%)", 13, key="progress", write=_rounded_progress),
    Column(
        "Senast rapporterat",
        17,
        key="latest_value_at",
        number_format=DATETIME_FORMAT,
        write=lambda t: t.latest_value_at,
    ),
    Column("Rapporterat av", 13, key="latest_value_org", write=lambda t: t.latest_value_org or ""),
]

# One row per strategic area (annotated with insats_count and activity_count).
AREA_COLUMNS = [
    Column("Nummer", 9, key="number", imported=True, write=lambda a: a.number),
    Column("Namn", 30, key="name", wrap=True, imported=True, write=lambda a: a.name),
    Column(
        "Deltagande förvaltningar och bolag",
        60,
        key="participants_text",
        wrap=True,
        imported=True,
        write=lambda a: a.participants_text,
    ),
    Column(
        "Deltagande organisationer",
        30,
        key="organisations",
        wrap=True,
        imported=True,
        write=lambda a: codes(a.participating_organisations.all()),
    ),
    Column("Insatser", 10, key="insats_count", write=lambda a: a.insats_count),
    Column(ACTIVITIES, 12, key="activity_count", write=lambda a: a.activity_count),
]


def _value_changes(change):
    return "\n".join(
        f"{v.target.phrase[:40].rstrip()}: {format_number(v.before) or '–'} → "
        f"{format_number(v.after) or '–'}"
        + (
            f" ({'+' if v.difference > 0 else ''}{format_number(v.difference)})"
            if v.difference is not None
            else ""
        )
        for v in change.values
    )


def _status_or_none(key):
    if key is None:
        return "Ingen rapport"
    return status_label(key) if key else "–"


# One row per activity and reporting organisation (a changes.Change).
CHANGE_COLUMNS = [
    Column(REF, 9, key="ref", write=lambda c: c.activity.reference),
    Column(ORGANISATION, 14, key="organisation", write=lambda c: c.organisation.code),
    Column("Förra omgången", 18, key="before", write=lambda c: _status_or_none(c.before)),
    Column("Nu", 18, key="after", write=lambda c: _status_or_none(c.after)),
    Column("Förändring", 14, key="kind", write=lambda c: str(c.kind_label)),
    Column("Målvärden (förra → nu)", 40, key="values", wrap=True, write=_value_changes),
]


@dataclass(frozen=True)
class TemplateRow:
    """One row of the report template: what `organisation` reports on `activity`, with the
    numeric targets it gives a value for."""

    activity: object
    organisation: object
    targets: list


TARGET_HEADER = "Mål {}"
VALUE_HEADER = "Värde mål {}"
MOTIVATION = "Motivering"
# Hidden: which assessment the template was pre-filled with, so the import can tell a
# pre-filled one left as it was from one changed since the template was made.
ASSESSMENT_ID = "Slutbedömning nr"
HIDDEN_TEMPLATE_KEYS = ("assessment_id", "target_numbers")


def _assessment_cell(attribute):
    def cell(row):
        given = row.activity.assessment_of(row.organisation)
        if given is None:
            return ""
        if attribute == "assessment":
            return assessment_label(given.assessment)
        return given.pk if attribute == "pk" else given.motivation

    return cell


def _own_status(row):
    """The row's organisation's own status; a target's responsible organisation that does not
    lead the activity reports values only."""
    own = row.activity.status_of(row.organisation)
    return status_label(own) if own is not None else "Rapporterar målvärden"


def _target_label(target):
    text = target.phrase
    if target.value is not None:
        goal = format_number(target.value)
        if target.value_max is not None:
            goal += f"–{format_number(target.value_max)}"
        text += f" (målvärde {goal} {target.unit})".replace(" )", ")")
    return text


def _nth_target(k):
    return lambda row: _target_label(row.targets[k - 1]) if k <= len(row.targets) else ""


def value_key(k):
    return f"value_{k}"


def template_columns(most_targets, with_assessment=True):
    """The report template's columns for rows with at most `most_targets` targets each; the
    import reads the identifying columns, the status, the comment, every "Värde mål k" and,
    from the plan's last quarter (`with_assessment`), the final assessment and motivation
    (optional: a template made earlier has none)."""
    columns = _report_columns()
    if with_assessment:
        columns += _assessment_columns()
    columns += _target_value_columns(most_targets)
    columns.append(
        Column(
            "Målnummer",
            10,
            key="target_numbers",
            imported=True,
            required=False,
            write=lambda r: ";".join(str(t.position) for t in r.targets),
        )
    )
    if with_assessment:
        columns.append(
            Column(
                ASSESSMENT_ID,
                10,
                key="assessment_id",
                imported=True,
                required=False,
                write=_assessment_cell("pk"),
            )
        )
    return columns


def _report_columns():
    """The row's activity and organisation, its current status, and the new status and
    comment to fill in."""
    return [
        Column(REF, 9, key="ref", imported=True, write=lambda r: r.activity.reference),
        Column(
            ORGANISATION,
            14,
            key="organisation",
            imported=True,
            write=lambda r: r.organisation.code,
        ),
        Column(ACTIVITY, 50, key="description", wrap=True, write=lambda r: r.activity.description),
        Column(
            "Nuvarande status",
            18,
            key="current_status",
            write=_own_status,
        ),
        Column(STATUS, 20, key="status", input=True, imported=True, write=lambda r: ""),
        Column(
            "Kommentar", 50, key="comment", wrap=True, input=True, imported=True, write=lambda r: ""
        ),
    ]


def _assessment_columns():
    """The final assessment and its motivation, pre-filled with the lead's current ones."""
    return [
        Column(
            ASSESSMENT,
            18,
            key="assessment",
            input=True,
            imported=True,
            required=False,
            write=_assessment_cell("assessment"),
        ),
        Column(
            MOTIVATION,
            50,
            key="motivation",
            wrap=True,
            input=True,
            imported=True,
            required=False,
            write=_assessment_cell("motivation"),
        ),
    ]


def _target_value_columns(most_targets):
    """A target's text and its value to fill in, for each of at most `most_targets` targets."""
    columns = []
    for k in range(1, most_targets + 1):
        columns += [
            Column(TARGET_HEADER.format(k), 36, key=f"target_{k}", wrap=True, write=_nth_target(k)),
            Column(VALUE_HEADER.format(k), 12, key=value_key(k), input=True),
        ]
    return columns
