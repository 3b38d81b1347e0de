"""The report template: a workbook an organisation fills in offline and uploads again
(report_import.py reads it). One row per activity and reporting organisation, with the status
drop-down, a comment, a value per numeric target and, from the plan's last quarter, the final
assessment drop-down (pre-filled with the organisation's current one) and its motivation; the
identifying columns are locked."""

from django.db.models import Prefetch
from django.utils import timezone, translation
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation

from ..models import Activity, ActivityOrganisation, Assessment, Role, Status, Target
from ..permissions import reporting_organisations_of, targets_reportable_by
from .cells import TITLE_FONT, WRAP, Sheet, built, plain
from .chunks import in_chunks
from .sheets import (
    FINAL_VALUE_KEY,
    HIDDEN_TEMPLATE_KEYS,
    META_FORMAT,
    META_PLAN,
    META_ROUND,
    META_SHEET,
    ORGANISATION,
    REPORT_SHEET,
    ROUND,
    TARGET_ASSESSMENT_KEY,
    TEMPLATE_FORMAT,
    TEMPLATE_HEADER_ROW,
    TemplateRow,
    template_columns,
    value_key,
)


def reporting_activities(plan):
    """The plan's activities with what the template and the import read: the lead roles (with
    their organisation, current report and current assessment) and the targets (with their
    responsible organisation). Lighter than with_related(), which a list row needs: no
    participants, authors or latest values. Both handle thousands of rows with these: at 100×
    (5,520 activities) this builds 72,000 model instances instead of 116,000, in about a fifth
    less time."""
    leads = (
        ActivityOrganisation.objects.filter(role=Role.LEAD)
        .select_related("organisation", "current_report", "current_assessment")
        .order_by("position")
    )
    targets = Target.objects.select_related(
        "responsible_organisation", "current_assessment"
    ).order_by("position")
    return (
        Activity.objects.filter(insats__area__plan=plan)
        .select_related("insats__area__plan")
        .prefetch_related(Prefetch("roles", queryset=leads), Prefetch("targets", queryset=targets))
        .in_plan_order()
    )


# Activities are read this many at a time (two queries a chunk for their leads and targets).
CHUNK = 2000


def template_rows(plan, organisations):
    """A row for every activity each organisation reports on (it leads it, or is responsible
    for one of its targets), by organisation code and in plan order within each. Only numeric
    targets take a value, as in the report form; while the plan's assessment is open every
    target the organisation answers for has its columns, to be assessed (the numeric ones
    first; the value cell of a target without a value is left empty).

    A generator: one organisation at a time, its activities CHUNK at a time, so a template of
    every organisation at 1000× the plan (100,000 rows) never holds more than a chunk (held
    whole, its activities took 800 MB)."""
    every_target = plan.assessment_is_open
    for organisation in sorted(organisations, key=lambda o: o.code):
        activities = reporting_activities(plan).reported_on_by([organisation])
        yield from _rows(in_chunks(activities, CHUNK), [organisation], every_target)


def _rows(activities, organisations, every_target):
    chosen = {o.pk for o in organisations}
    for activity in activities:
        for org in reporting_organisations_of(activity):
            if org.pk in chosen:
                targets = targets_reportable_by(org, activity)
                yield TemplateRow(activity, org, _template_targets(targets, every_target))
        # Its roles and targets refer back to it: let go of them once its rows are written
        # (the cycle collector is paused while a workbook is sent, cells.sent()).
        activity._prefetched_objects_cache = {}


def template_size(plan, organisations):
    """(rows, most targets in a row) of template_rows(plan, organisations), which go before
    the first row (the sheet's size and its columns): the same rules over a lighter read
    (the leads' organisations and the targets, nothing the cells show)."""
    leads = (
        ActivityOrganisation.objects.filter(role=Role.LEAD)
        .select_related("organisation")
        .only("activity", "organisation", "organisation__code", "role", "position")
        .order_by("position")
    )
    targets = Target.objects.only(
        "activity_id", "position", "value", "responsible_organisation_id"
    ).order_by("position")
    activities = (
        Activity.objects.filter(insats__area__plan=plan)
        .reported_on_by(organisations)
        .only("id")
        .order_by("id")
        .prefetch_related(Prefetch("roles", queryset=leads), Prefetch("targets", queryset=targets))
    )
    count = most = 0
    for row in _rows(in_chunks(activities, CHUNK), organisations, plan.assessment_is_open):
        count += 1
        most = max(most, len(row.targets))
    return count, most


def _template_targets(targets, every_target):
    """The numeric targets (a value each), then, with `every_target`, the others (assessed
    only): "Värde mål k" stands for the same target whether the assessment is open or not."""
    numeric = [t for t in targets if t.is_numeric]
    return numeric + [t for t in targets if not t.is_numeric] if every_target else numeric


def build_report_template(plan, round, organisations):
    return built(write_report_template, plan, round, organisations)


def write_report_template(wb, plan, round, organisations):
    """A workbook to fill in offline: one row per (activity, organisation) with the status
    drop-down, a comment and a value per target; identifiers are locked so the import can
    match rows, and sheet "Mall" (hidden) says which plan and round the file is for. A
    generator of steps (cells.sent()), the report sheet sent as it is written."""
    with translation.override("sv"):
        needing_comment = Status.needing_comment_in_words(plan_ended=plan.has_ended)
    count, most_targets = template_size(plan, organisations)
    columns = template_columns(most_targets, with_assessment=plan.assessment_is_open)

    sheet = Sheet(
        wb,
        REPORT_SHEET,
        columns,
        header_row=TEMPLATE_HEADER_ROW,
        freeze_column=2,
        rows=TEMPLATE_HEADER_ROW + count,
        streamed=True,
    )  # widths, frozen panes and size go before the first row, and so do hidden columns:
    for index, column in enumerate(columns, start=1):
        if column.key in HIDDEN_TEMPLATE_KEYS:
            sheet.ws.column_dimensions[get_column_letter(index)].hidden = True
    sheet.append([sheet.cell(f"Rapportmall – {plan.title}", sheet.style("title", font=TITLE_FONT))])
    sheet.pairs(
        [
            (
                ORGANISATION,
                f"{organisations[0].code} – {organisations[0].name}"
                if len(organisations) == 1
                else "Flera (se kolumnen Organisation)",
            ),
            (ROUND, round.name if round else "Aktuell omgång när filen läses in"),
        ]
    )
    sheet.pairs([("Så fyller du i", _instructions(plan, needing_comment))], value_alignment=WRAP)
    sheet.skip(TEMPLATE_HEADER_ROW - 1 - sheet.row)
    last = yield from sheet.write_table(columns, template_rows(plan, organisations), shade=True)
    ws = sheet.ws
    _validations(ws, columns, last)
    ws.protection.sheet = True
    # Allowed while protected (False means "not protected" in openpyxl).
    ws.protection.autoFilter = False
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    _meta_sheet(wb, plan, round, organisations)
    wb.security = WorkbookProtection(lockStructure=True)


def _instructions(plan, needing_comment):
    text = (
        f"Välj status i listan och skriv en kommentar (krävs för {needing_comment}). "
        "Skriv värden för målen som tal. Ändra inte de grå kolumnerna: de talar om vilken "
        "aktivitet raden gäller."
    )
    if plan.has_ended:
        text = (
            "Planperioden är slut: pågår en aktivitet fortfarande, förklara varför i "
            "kommentaren. " + text
        )
    if plan.assessment_is_open:
        text += (
            " Slutbedömning (en ledande organisation) och Bedömning mål k (organisationen som "
            "svarar för målet): välj Uppnått, Delvis uppnått eller Ej uppnått och skriv en "
            "motivering; Slutvärde mål k är värdet målet nådde (tomt: det senast rapporterade "
            "gäller). Står där redan en bedömning är det den senaste; ändra den bara om den ska "
            "ersättas."
        )
    return text


def _validations(ws, columns, last):
    if last <= TEMPLATE_HEADER_ROW:
        return
    first = TEMPLATE_HEADER_ROW + 1
    letters = {c.key: get_column_letter(i) for i, c in enumerate(columns, start=1)}
    status = DataValidation(
        type="list",
        formula1='"{}"'.format(",".join(Status.swedish_labels(reportable_only=True).values())),
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Okänd status",
        error="Välj en av statusarna i listan.",
    )
    status.add(f"{letters['status']}{first}:{letters['status']}{last}")
    ws.data_validations.append(status)
    assessed = [
        letter
        for key, letter in letters.items()
        if key == "assessment" or key.startswith(TARGET_ASSESSMENT_KEY)
    ]
    if assessed:
        assessment = DataValidation(
            type="list",
            formula1='"{}"'.format(",".join(Assessment.swedish_labels().values())),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Okänd bedömning",
            error="Välj Uppnått, Delvis uppnått eller Ej uppnått i listan.",
        )
        for column in assessed:
            assessment.add(f"{column}{first}:{column}{last}")
        ws.data_validations.append(assessment)
    value_columns = [
        letter
        for key, letter in letters.items()
        if key.startswith((value_key(""), FINAL_VALUE_KEY))
    ]
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
        ws.data_validations.append(number)


def _meta_sheet(wb, plan, round, organisations):
    meta = Sheet(wb, META_SHEET, rows=5)
    meta.pairs(
        [
            (META_FORMAT, TEMPLATE_FORMAT),
            (META_PLAN, plan.slug),
            (META_ROUND, round.pk if round else ""),
            ("Organisationer", ", ".join(o.code for o in organisations)),
            ("Skapad", plain(timezone.now())),
        ]
    )
    meta.ws.protection.sheet = True
    meta.ws.sheet_state = "veryHidden"
