"""Importing a filled-in report template (built by report_template.py), in three steps so a
user sees every problem before anything is saved:
1. `read_upload(file)` → `Upload` (report_upload.py): the rows as the file states them.
2. `validate(upload, plan=, user=)` → `Preview`: per row the activity, organisation, status,
   comment, values and final assessment (assessment_rows.py), with Swedish errors by sheet,
   row and column, permissions checked per row, and rows identical to the latest report in
   the round (and the current assessment) marked "already imported".
3. `import_reports(upload, plan=, user=)`: validates again and writes all new reports and
   assessments in one transaction, or nothing.
Validation and writing take a fixed number of queries however many rows the file has.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from areas.models import Plan
from organisations.models import Organisation

from ..models import (
    Activity,
    Assessment,
    OutcomeAssessment,
    ReportingRound,
    Status,
    StatusReport,
)
from ..models.status import ENDED_PLAN_IN_PROGRESS
from ..permissions import can_report, is_lead, reports_on_behalf, targets_reportable_by
from .assessment_rows import assessment_lookups, check_assessment, is_current, stated
from .cells import ImportRejected, parse_number
from .report_template import reporting_activities
from .report_upload import HEADERS, Upload, read_upload
from .sheets import REPORT_SHEET, VALUE_HEADER, value_key

__all__ = ["Upload", "import_reports", "read_upload", "round_for", "validate"]

MAX_COMMENT = StatusReport.COMMENT_MAX_LENGTH

NEW, ALREADY, ERROR = "new", "already", "error"


@dataclass
class CellError:
    row: int
    column: str  # the header
    letter: str
    message: str
    sheet: str = REPORT_SHEET

    def __str__(self):
        return (
            _("Blad ”%(sheet)s”, rad %(row)s, kolumn %(letter)s (%(column)s): %(message)s")
            % self.__dict__
        )


@dataclass
class RowResult:
    row: int
    ref: str
    organisation_code: str
    activity: Activity | None = None
    organisation: Organisation | None = None
    status: str = ""
    comment: str = ""
    values: dict = field(default_factory=dict)  # Target → Decimal
    reporting: bool = True  # the row has a status, a comment or a value: a report
    report_is_new: bool = True  # not identical to the latest report in the round
    assessment: str = ""  # an Assessment value
    motivation: str = ""
    assessment_is_new: bool = False
    errors: list = field(default_factory=list)
    state: str = NEW
    letters: dict = field(default_factory=dict, repr=False)  # header → column letter

    def error(self, key, message):
        header = HEADERS.get(key) or VALUE_HEADER.format(key.removeprefix(value_key("")))
        self.errors.append(CellError(self.row, header, self.letters.get(key, "?"), message))

    @property
    def status_label(self):
        return Status(self.status).label if self.status else ""

    @property
    def assessment_label(self):
        return Assessment(self.assessment).label if self.assessment else ""

    @property
    def identity_refused(self):
        """The activity or organisation is unknown, or the user may not report on it."""
        refused = (HEADERS["ref"], HEADERS["organisation"])
        return self.activity is None or any(e.column in refused for e in self.errors)


@dataclass
class Preview:
    plan: Plan
    round: ReportingRound | None
    rows: list  # RowResult for every row with something filled in
    empty_count: int = 0

    @property
    def errors(self):
        return [error for row in self.rows for error in row.errors]

    @property
    def new_rows(self):
        return [r for r in self.rows if r.state == NEW]

    @property
    def already_rows(self):
        return [r for r in self.rows if r.state == ALREADY]

    @property
    def new_reports(self):
        return [r for r in self.new_rows if r.reporting and r.report_is_new]

    @property
    def new_assessments(self):
        return [r for r in self.new_rows if r.assessment_is_new]

    @property
    def can_confirm(self):
        return not self.errors and bool(self.new_rows)


def round_for(upload, plan):
    """The round the reports go to; ImportRejected if the file is for another plan or a round
    that no longer exists."""
    if upload.plan_slug and upload.plan_slug != plan.slug:
        raise ImportRejected(
            _(
                "Filen är en mall för handlingsplanen ”%(other)s”, inte för ”%(plan)s”. Läs in "
                "den under rätt handlingsplan."
            )
            % {"other": upload.plan_slug, "plan": plan.slug}
        )
    current = ReportingRound.objects.current_for(plan)
    if upload.round_id is None:
        return current
    if current is None or current.pk != upload.round_id:
        # Reports go to the round in progress, as from the report form: a template for a closed
        # or a future round must not fill in (or falsify) that round's completeness.
        raise ImportRejected(
            _(
                "Mallen gäller en uppföljningsomgång som inte pågår nu. Ladda ned en ny mall "
                "för den pågående omgången."
            )
        )
    return current


def validate(upload, *, plan, user):
    labels = Status.swedish_labels(reportable_only=True)
    lookups = {
        "activities": {a.reference: a for a in reporting_activities(plan)},
        "organisations": Organisation.objects.by_code(),
        "labels": labels,
        "statuses": {
            **{label.casefold(): key for key, label in labels.items()},
            **{key: key for key in labels},
        },
        "user": user,
        "plan": plan,
        "plan_ended": plan.has_ended,
        "assessments": assessment_lookups(),
        "seen": {},  # (activity, organisation) → first row
    }
    round = round_for(upload, plan)
    results, empty = [], 0
    for raw in upload.rows:
        filled = {k: v for k, v in raw["values"].items() if v not in (None, "")}
        reporting = bool(raw["status"] or raw["comment"] or filled)
        activity = lookups["activities"].get(raw["ref"])
        organisation = lookups["organisations"].get(raw["organisation"].casefold())
        keys = lookups["assessments"][1]
        if not reporting and is_current(raw, activity, organisation, keys):
            empty += 1  # a template row nobody filled in (its pre-filled assessment as it was)
            continue
        result = RowResult(raw["row"], raw["ref"], raw["organisation"], letters=upload.letters)
        result.reporting = reporting
        _check_identity(result, lookups)
        if reporting:
            _check_status(result, raw, lookups)
            _check_values(result, raw, filled)
        if any(stated(raw)):
            check_assessment(result, raw, lookups)
        results.append(result)
    _mark_already_imported([r for r in results if r.reporting and not r.errors], round)
    for result in results:
        if result.errors:
            result.state = ERROR
        elif not ((result.reporting and result.report_is_new) or result.assessment_is_new):
            result.state = ALREADY
    return Preview(plan=plan, round=round, rows=results, empty_count=empty)


def _check_identity(result, lookups):
    """The activity and organisation the row is about, and whether the user may report it."""
    ref, code = result.ref, result.organisation_code
    activity = result.activity = lookups["activities"].get(ref)
    organisation = result.organisation = lookups["organisations"].get(code.casefold())
    if not ref:
        result.error("ref", _("Ref. saknas, så raden kan inte kopplas till en aktivitet."))
    elif activity is None:
        result.error("ref", _("Okänd aktivitet ”%(ref)s” i handlingsplanen.") % {"ref": ref})
    if not code:
        result.error("organisation", _("Organisation saknas."))
    elif organisation is None:
        result.error("organisation", _("Okänd organisation ”%(code)s”.") % {"code": code})
    if not (activity and organisation):
        return
    names = {"org": organisation.code, "ref": activity.reference}
    key = (activity.pk, organisation.pk)
    if not can_report(lookups["user"], activity, organisation):
        message = _("Du får inte rapportera för %(org)s på aktivitet %(ref)s.") % names
        result.error("organisation", message)
    elif key in lookups["seen"]:
        names["row"] = lookups["seen"][key]
        message = _("Aktivitet %(ref)s för %(org)s finns redan på rad %(row)s.") % names
        result.error("ref", message)
    else:
        lookups["seen"][key] = result.row


def _check_status(result, raw, lookups):
    labels = lookups["labels"]
    choices = {"choices": ", ".join(labels.values()), "status": raw["status"]}
    status = result.status = lookups["statuses"].get(raw["status"].casefold(), "")
    activity, organisation = result.activity, result.organisation
    if activity and organisation and not is_lead(organisation, activity):
        # A target's responsible organisation reports the target's value, not a status.
        if raw["status"]:
            names = {"org": organisation.code, "ref": activity.reference}
            message = _(
                "%(org)s leder inte aktivitet %(ref)s och rapporterar bara målets värde: lämna "
                "Status tom."
            )
            result.error("status", message % names)
        result.status = status = ""
    elif not raw["status"]:
        result.error("status", _("Status saknas. Välj en av: %(choices)s.") % choices)
    elif not status:
        message = _("Okänd status ”%(status)s”. Välj en av: %(choices)s.") % choices
        result.error("status", message)
    comment = result.comment = raw["comment"]
    plan_ended = lookups["plan_ended"]
    if status in Status.needing_comment(plan_ended=plan_ended) and not comment:
        names = {"status": labels[status]}
        if Status(status).needs_explanation(plan_ended=plan_ended):
            message = ENDED_PLAN_IN_PROGRESS % names
        else:
            message = _("Kommentar krävs när status är %(status)s.") % names
        result.error("comment", message)
    if len(comment) > MAX_COMMENT:
        message = _("Kommentaren är för lång (%(n)s tecken, högst %(max)s).")
        result.error("comment", message % {"n": len(comment), "max": MAX_COMMENT})


def _check_values(result, raw, filled):
    positions = [p.strip() for p in raw["targets"].replace(",", ";").split(";") if p.strip()]
    activity, organisation = result.activity, result.organisation
    refused = result.identity_refused
    targets = {} if refused else {str(t.position): t for t in activity.targets.all()}
    for k, raw_value in filled.items():
        column = value_key(k)
        number, problem = parse_number(raw_value)
        if problem:
            result.error(column, problem)
        if refused:
            continue  # which targets the row may report is unknown
        index = int(k) - 1
        position = positions[index] if index < len(positions) else ""
        target = targets.get(position)
        names = {"n": position, "org": organisation.code, "ref": activity.reference}
        if target is None:
            message = _("Aktiviteten har inget mål för den här kolumnen. Lämna den tom.")
        elif not target.is_numeric:
            message = _("Mål %(n)s har inget målvärde. Lämna cellen tom.") % names
        elif target not in targets_reportable_by(organisation, activity):
            message = _("%(org)s rapporterar inte värdet för mål %(n)s på aktivitet %(ref)s.")
            message %= names
        else:
            message = None
            if number is not None:
                result.values[target] = number
        if message:
            result.error(column, message)


def _mark_already_imported(results, round):
    """A row is already imported when the organisation's latest report on the activity in the
    same round has the same status, comment and values (two queries for all rows)."""
    if not results:
        return
    latest = StatusReport.objects.filter(
        activity__insats__area__plan=results[0].activity.insats.area.plan_id,
        organisation_id__in={r.organisation.pk for r in results},
        round=round,
    ).latest_per_activity_and_organisation()
    for result in results:
        values = {t.pk: v for t, v in result.values.items()}
        if latest.get((result.activity.pk, result.organisation.pk)) == (
            result.status,
            result.comment,
            values,
        ):
            result.report_is_new = False


# 3. Writing ------------------------------------------------------------------------------


def import_reports(upload, *, plan, user):
    """Validate the upload again and write every new report, all or nothing.

    Returns the Preview; nothing is written when it has errors. The plan row is locked so two
    confirmations of the same file (two tabs, two app processes) cannot both write."""
    with transaction.atomic():
        Plan.objects.select_for_update().filter(pk=plan.pk).first()
        preview = validate(upload, plan=plan, user=user)
        if preview.errors:
            return preview
        if preview.new_reports:
            StatusReport.objects.file_many(
                {
                    "activity": r.activity,
                    "organisation": r.organisation,
                    "author": user,
                    "status": r.status,
                    "comment": r.comment,
                    "round": preview.round,
                    "on_behalf": reports_on_behalf(user, r.organisation),
                    "values": r.values,
                }
                for r in preview.new_reports
            )
        if preview.new_assessments:
            OutcomeAssessment.objects.assess_many(
                {
                    "activity": r.activity,
                    "organisation": r.organisation,
                    "author": user,
                    "assessment": r.assessment,
                    "motivation": r.motivation,
                    "on_behalf": reports_on_behalf(user, r.organisation),
                }
                for r in preview.new_assessments
            )
    return preview
