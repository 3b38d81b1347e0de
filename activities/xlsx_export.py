"""Workbooks the app hands out: the plan workbook, the activity table and the report template.

Each builder reads everything it writes in a fixed number of queries (see `plan_activities`),
whatever the number of activities.
"""

from django.db.models import Count, Prefetch
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation

from areas.models import StrategicArea
from areas.views import STATUS_ORDER, status_rows
from organisations.models import Organisation

from .models import Activity
from .permissions import reporting_organisations_of, targets_reportable_by
from .xlsx import (
    BOLD,
    COMMENT,
    DATETIME_FORMAT,
    META_SHEET,
    ORGANISATION,
    REF,
    REPORT_SHEET,
    STATUS,
    TARGET_HEADER,
    TARGET_NUMBERS,
    TEMPLATE_FORMAT,
    TEMPLATE_HEADER_ROW,
    TITLE_FONT,
    VALUE_HEADER,
    WRAP,
    Column,
    format_number,
    plain,
    plan_activities,
    reporting_activities,
    status_labels,
    write,
    write_pairs,
    write_table,
)

# Sheet names and headers: the file format (see activities/xlsx.py); areas/xlsx_plan.py reads
# the plan workbook back with these.
COVER_SHEET = "Översikt"
PLAN_SHEET = "Handlingsplan"
TARGET_SHEET = "Mål"
AREA_SHEET = "Områden"
TABLE_SHEET = "Aktiviteter"
FILTER_SHEET = "Urval"

PLAN_COLUMNS = [
    Column("Ref.", 9),
    Column("Strategiskt område", 22, wrap=True),
    Column("Insats", 34, wrap=True),
    Column("Aktivitet", 50, wrap=True),
    Column("Leder arbetet", 14, wrap=True),
    Column("Deltar i arbetet", 22, wrap=True),
    Column("Förväntat utfall", 50, wrap=True),
    Column("Mål", 40, wrap=True),
    Column("Status", 18),
    Column("Senaste värden", 26, wrap=True),
    Column("Framsteg", 16, wrap=True),
    Column("Senast rapporterad", 17, number_format=DATETIME_FORMAT),
    Column("Rapporterad av", 13),
    Column("Senaste kommentar", 50, wrap=True),
]
TARGET_COLUMNS = [
    Column("Ref.", 9),
    Column("Ordning", 9),
    Column("Formulering", 50, wrap=True),
    Column("Målvärde", 11),
    Column("Övre gräns", 11),
    Column("Enhet", 18, wrap=True),
    Column("Utgångsläge", 12),
    Column("År", 8),
    Column("Ansvarig", 11),
    Column("Senaste värde", 13),
    Column("Framsteg (%)", 13),
    Column("Senast rapporterat", 17, number_format=DATETIME_FORMAT),
    Column("Rapporterat av", 13),
]
AREA_COLUMNS = [
    Column("Nummer", 9),
    Column("Namn", 30, wrap=True),
    Column("Deltagande förvaltningar och bolag", 60, wrap=True),
    Column("Deltagande organisationer", 30, wrap=True),
    Column("Insatser", 10),
    Column("Aktiviteter", 12),
]


def _codes(organisations):
    return ", ".join(o.code for o in organisations)


def activity_row(activity, labels):
    targets = list(activity.targets.all())
    insats, area = activity.insats, activity.insats.area
    values = [
        f"Mål {t.position}: {format_number(t.latest_value)} {t.unit}".rstrip()
        for t in targets
        if t.latest_value is not None
    ]
    progress = [
        f"Mål {t.position}: {t.latest_progress:.0f} %"
        for t in targets
        if t.latest_progress is not None
    ]
    return [
        activity.reference,
        f"{area.number}. {area.name}",
        f"{insats.reference} {insats.title}",
        activity.description,
        _codes(activity.leads),
        _codes(activity.participants),
        activity.expected_outcome,
        "\n".join(f"Mål {t.position}: {t.phrase}" for t in targets),
        labels[activity.current_status],
        "\n".join(values),
        "\n".join(progress),
        activity.last_reported_at,
        activity.last_reported_by_org or "",
        activity.latest_comment or "",
    ]


def target_rows(activities):
    for activity in activities:
        for t in activity.targets.all():
            progress = t.latest_progress
            yield [
                activity.reference,
                t.position,
                t.phrase,
                t.value,
                t.value_max,
                t.unit,
                t.baseline,
                t.year,
                t.responsible_organisation.code if t.responsible_organisation else "",
                t.latest_value,
                round(progress, 1) if progress is not None else None,
                t.latest_value_at,
                t.latest_value_org or "",
            ]


def _areas(plan):
    return (
        StrategicArea.objects.filter(plan=plan)
        .annotate(
            activity_count=Count("insatser__activities"),
            insats_count=Count("insatser", distinct=True),
        )
        .prefetch_related(
            Prefetch("participating_organisations", queryset=Organisation.objects.order_by("code"))
        )
        .order_by("number")
    )


def _cover(ws, plan, areas, labels, exported_at):
    ws.title = COVER_SHEET
    write(ws.cell(row=1, column=1), plan.title).font = TITLE_FONT
    next_row = write_pairs(
        ws,
        3,
        [
            ("Kortnamn", plan.slug),
            ("Period", f"{plan.period_start:%Y-%m-%d} – {plan.period_end:%Y-%m-%d}"),
            ("Förväntat utfall senast", plan.outcome_deadline),
            ("Exporterad", plain(exported_at)),
            ("Aktiviteter", sum(a.activity_count for a in areas)),
        ],
    )
    headers = [labels[s] for s in STATUS_ORDER]
    columns = [Column("Strategiskt område", 34, wrap=True), Column("Aktiviteter", 12)]
    columns += [Column(h, 13, wrap=True) for h in headers]
    rows = [
        [f"{area.number}. {area.name}", area.activity_count, *(n for _s, n, *_ in counts)]
        for area, counts in status_rows(plan, areas)
    ]
    totals = ["Totalt", *(sum(column) for column in zip(*(r[1:] for r in rows), strict=True))]
    last = write_table(ws, columns, [*rows, totals] if rows else [], header_row=next_row + 1)
    for cell in ws[last]:
        cell.font = BOLD
    ws.column_dimensions["A"].width = 34


def build_plan_workbook(plan):
    """The whole plan as the published document reads it (area → insats → activity), with the
    follow-up beside each activity; sheet "Mål" carries the structured targets and "Områden"
    the areas, so import_plan can read the workbook back as a new plan."""
    labels = status_labels(with_not_reported=True)
    activities = list(plan_activities(Activity.objects.filter(insats__area__plan=plan)))
    areas = list(_areas(plan))
    wb = Workbook()
    _cover(wb.active, plan, areas, labels, timezone.now())
    write_table(
        wb.create_sheet(PLAN_SHEET), PLAN_COLUMNS, (activity_row(a, labels) for a in activities)
    )
    write_table(
        wb.create_sheet(TARGET_SHEET), TARGET_COLUMNS, target_rows(activities), freeze_column=2
    )
    area_rows = (
        [
            area.number,
            area.name,
            area.participants_text,
            _codes(area.participating_organisations.all()),
            area.insats_count,
            area.activity_count,
        ]
        for area in areas
    )
    write_table(wb.create_sheet(AREA_SHEET), AREA_COLUMNS, area_rows)
    return wb


def build_table_workbook(plan, queryset, filters):
    """The rows the activity table shows under its filters (all pages), and the filters."""
    labels = status_labels(with_not_reported=True)
    wb = Workbook()
    ws = wb.active
    ws.title = TABLE_SHEET
    # The FilterSet's queryset already has with_related() and with_current_status().
    activities = queryset.with_latest_comment().in_plan_order()
    write_table(ws, PLAN_COLUMNS, (activity_row(a, labels) for a in activities))
    info = wb.create_sheet(FILTER_SHEET)
    write(info.cell(row=1, column=1), plan.title).font = TITLE_FONT
    filters = filters or [("Filter", "Inga (alla aktiviteter)")]
    write_pairs(info, 3, [("Exporterad", plain(timezone.now())), *filters])
    info.column_dimensions["A"].width = 26
    info.column_dimensions["B"].width = 60
    return wb


def template_rows(plan, organisations):
    """(activity, organisation, numeric targets it reports) for every activity each
    organisation reports on (it leads it, or is responsible for one of its targets), in plan
    order. Only numeric targets take a value, as in the report form."""
    chosen = {o.pk for o in organisations}
    activities = reporting_activities(plan).with_current_status()
    rows = [
        (activity, org, [t for t in targets_reportable_by(org, activity) if t.is_numeric])
        for activity in activities
        for org in reporting_organisations_of(activity)
        if org.pk in chosen
    ]
    rows.sort(key=lambda row: row[1].code)  # stable: plan order within each organisation
    return rows


def _target_label(target):
    text = target.phrase
    if target.value is not None:
        goal = format_number(target.value)
        if target.value_max is not None:
            goal += f"–{format_number(target.value_max)}"
        text += f" (målvärde {goal} {target.unit})".replace(" )", ")")
    return text


def build_report_template(plan, round, organisations):
    """A workbook to fill in offline: one row per (activity, organisation) with the status
    drop-down, a comment and a value per target; identifiers are locked so the import can
    match rows, and sheet "Mall" (hidden) says which plan and round the file is for."""
    labels = status_labels(with_not_reported=True)
    rows = template_rows(plan, organisations)
    most_targets = max((len(targets) for _a, _o, targets in rows), default=0)
    columns = [
        Column(REF, 9),
        Column(ORGANISATION, 14),
        Column("Aktivitet", 50, wrap=True),
        Column("Nuvarande status", 18),
        Column(STATUS, 20, input=True),
        Column(COMMENT, 50, wrap=True, input=True),
    ]
    for k in range(1, most_targets + 1):
        columns += [
            Column(TARGET_HEADER.format(k), 36, wrap=True),
            Column(VALUE_HEADER.format(k), 12, input=True),
        ]
    columns.append(Column(TARGET_NUMBERS, 10))

    wb = Workbook()
    ws = wb.active
    ws.title = REPORT_SHEET
    write(ws.cell(row=1, column=1), f"Rapportmall – {plan.title}").font = TITLE_FONT
    write_pairs(
        ws,
        2,
        [
            (
                "Organisation",
                f"{organisations[0].code} – {organisations[0].name}"
                if len(organisations) == 1
                else "Flera (se kolumnen Organisation)",
            ),
            ("Uppföljningsomgång", round.name if round else "Aktuell omgång när filen läses in"),
            (
                "Så fyller du i",
                "Välj status i listan och skriv en kommentar (krävs för Pågår med risk, "
                "Försenad och Avbruten). Skriv värden för målen som tal. Ändra inte de grå "
                "kolumnerna: de talar om vilken aktivitet raden gäller.",
            ),
        ],
    )
    ws.cell(row=4, column=2).alignment = WRAP
    table_rows = []
    for activity, org, targets in rows:
        values = [
            activity.reference,
            org.code,
            activity.description,
            labels[activity.current_status],
            "",
            "",
        ]
        for k in range(most_targets):
            values += [_target_label(targets[k]), None] if k < len(targets) else ["", None]
        values.append(";".join(str(t.position) for t in targets))
        table_rows.append(values)
    last = write_table(
        ws, columns, table_rows, header_row=TEMPLATE_HEADER_ROW, freeze_column=2, shade=True
    )
    _validations(ws, columns, last)
    ws.column_dimensions[get_column_letter(len(columns))].hidden = True
    ws.protection.sheet = True
    # Allowed while protected (False means "not protected" in openpyxl).
    ws.protection.autoFilter = False
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    _meta_sheet(wb, plan, round, organisations)
    wb.security = WorkbookProtection(lockStructure=True)
    return wb


def _validations(ws, columns, last):
    if last <= TEMPLATE_HEADER_ROW:
        return
    first = TEMPLATE_HEADER_ROW + 1
    letters = {c.header: get_column_letter(i) for i, c in enumerate(columns, start=1)}
    status = DataValidation(
        type="list",
        formula1='"{}"'.format(",".join(status_labels().values())),
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Okänd status",
        error="Välj en av statusarna i listan.",
    )
    status.add(f"{letters[STATUS]}{first}:{letters[STATUS]}{last}")
    ws.add_data_validation(status)
    value_columns = [letter for header, letter in letters.items() if header.startswith("Värde mål")]
    if value_columns:
        number = DataValidation(
            type="decimal",
            operator="greaterThanOrEqual",
            formula1="0",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Ogiltigt värde",
            error="Skriv ett tal som är 0 eller större.",
        )
        for letter in value_columns:
            number.add(f"{letter}{first}:{letter}{last}")
        ws.add_data_validation(number)


def _meta_sheet(wb, plan, round, organisations):
    meta = wb.create_sheet(META_SHEET)
    write_pairs(
        meta,
        1,
        [
            ("Format", TEMPLATE_FORMAT),
            ("Handlingsplan", plan.slug),
            ("Uppföljningsomgång", round.pk if round else ""),
            ("Organisationer", ", ".join(o.code for o in organisations)),
            ("Skapad", plain(timezone.now())),
        ],
    )
    meta.protection.sheet = True
    meta.sheet_state = "veryHidden"
