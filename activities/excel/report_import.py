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

import re
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext as _

from areas.models import Plan
from organisations.models import Organisation

from ..models import Activity, Assessment, ReportingRound, Status, StatusReport, Target
from ..models.reports import ReportContent
from ..permissions import reports_on_behalf
from ..references import PATTERN as REFERENCE_PATTERN
from ..reporting import AssessmentDraft, ReportDraft, file_final_assessment, file_reports
from ..reporting.rules import content_problems, permission_problems, value_range_problem
from .assessment_rows import (
    check_assessment,
    check_target_assessments,
    header_of,
    is_current,
    stated,
    states_current_targets,
    target_positions,
)
from .cells import ImportRejected, read_number
from .report_template import reporting_activities
from .report_upload import Upload, read_upload
from .sheets import REPORT_SHEET, value_key

__all__ = ["Upload", "import_reports", "read_upload", "round_for", "validate"]

NEW, ALREADY, ERROR = "new", "already", "error"
REFERENCE = re.compile(REFERENCE_PATTERN)


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
    target_assessments: list = field(default_factory=list)  # new TargetAssessmentDrafts
    errors: list = field(default_factory=list)
    state: str = NEW
    letters: dict = field(default_factory=dict, repr=False)  # header → column letter

    def error(self, key, message):
        header = header_of(key)
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
        refused = (header_of("ref"), header_of("organisation"))
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
        """Rows with a new final assessment: of the expected outcome, of a target, or both."""
        return [r for r in self.new_rows if r.assessment_is_new or r.target_assessments]

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


@dataclass
class ImportContext:
    """What validating one file needs to know, read once for all its rows."""

    plan: Plan
    user: AbstractBaseUser
    activities: dict[str, Activity]  # reference → activity
    organisations: dict[str, Organisation]  # casefolded code → organisation
    statuses: dict[str, str]  # Swedish label casefolded, or key → Status value
    assessments: dict[str, str]  # Swedish label casefolded, or key → Assessment value
    seen: dict = field(default_factory=dict)  # (activity pk, organisation pk) → first row
    assessed: dict = field(default_factory=dict)  # target pk → the row that assesses it

    @classmethod
    def read(cls, plan, user, references):
        """Only the activities `references` name are read: each comes with its roles, targets
        and their current state (some 26 model instances), and reading all of a plan's held
        84 MB at 100× (5,520 activities) for a file that names 3,000 of them."""
        return cls(
            plan=plan,
            user=user,
            activities={a.reference: a for a in _named_activities(plan, references)},
            organisations=Organisation.objects.by_code(),
            statuses=_keys_by_label(Status.swedish_labels(reportable_only=True)),
            assessments=_keys_by_label(Assessment.swedish_labels()),
        )


def _named_activities(plan, references):
    """The plan's activities (as reporting_activities reads them) whose reference is one of
    `references`, in one query and its prefetches however many there are."""
    wanted = {ref for ref in references if REFERENCE.fullmatch(ref)}
    if not wanted:
        return []
    area, insats, number = (
        Cast(part, CharField()) for part in ("insats__area__number", "insats__number", "number")
    )
    dotted = Concat(area, Value("."), insats, Value("."), number, output_field=CharField())
    return reporting_activities(plan).alias(reference=dotted).filter(reference__in=wanted)


def _keys_by_label(labels):
    """{Swedish label casefolded, or the key itself: key}, for reading a cell."""
    return {**{label.casefold(): key for key, label in labels.items()}, **{k: k for k in labels}}


def validate(upload, *, plan, user):
    context = ImportContext.read(plan, user, [raw.ref for raw in upload.rows])
    round = round_for(upload, plan)
    results, empty = [], 0
    for raw in upload.rows:
        result = _check_row(raw, context, upload.letters)
        if result is None:
            empty += 1
        else:
            results.append(result)
    _mark_already_imported([r for r in results if r.reporting and not r.errors], round)
    for result in results:
        if result.errors:
            result.state = ERROR
        elif not (
            (result.reporting and result.report_is_new)
            or result.assessment_is_new
            or result.target_assessments
        ):
            result.state = ALREADY
    return Preview(plan=plan, round=round, rows=results, empty_count=empty)


def _check_row(raw, context, letters):
    """The row's RowResult, or None for a template row nobody filled in (its pre-filled
    assessment as it was)."""
    filled = {k: v for k, v in raw.values.items() if v not in (None, "")}
    reporting = bool(raw.status or raw.comment or filled)
    activity = context.activities.get(raw.ref)
    organisation = context.organisations.get(raw.organisation.casefold())
    if (
        not reporting
        and is_current(raw, activity, organisation, context.assessments)
        and states_current_targets(raw, activity, context.assessments)
    ):
        return None
    result = RowResult(raw.row, raw.ref, raw.organisation, letters=letters)
    result.reporting = reporting
    _check_identity(result, context)
    if reporting:
        _check_report(result, raw, filled, context)
    if any(stated(raw)):
        check_assessment(result, raw, context)
    if raw.target_assessments and not result.identity_refused:
        check_target_assessments(result, raw, context)
    return result


def _check_identity(result, context):
    """The activity and organisation the row is about, and whether the user may report it."""
    ref, code = result.ref, result.organisation_code
    activity = result.activity = context.activities.get(ref)
    organisation = result.organisation = context.organisations.get(code.casefold())
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
    key = (activity.pk, organisation.pk)
    draft = ReportDraft(activity=activity, organisation=organisation, author=context.user)
    refused = permission_problems(draft)
    for problem in refused:
        result.error(problem.field, problem.message)
    if not refused and key in context.seen:
        names = {"org": organisation.code, "ref": activity.reference, "row": context.seen[key]}
        message = _("Aktivitet %(ref)s för %(org)s finns redan på rad %(row)s.") % names
        result.error("ref", message)
    elif not refused:
        context.seen[key] = result.row


def _check_report(result, raw, filled, context):
    """The row's status, comment and values, by the reporting core's rules. A status label the
    core does not know is passed on as written, so the rule says which are known."""
    draft = ReportDraft(
        activity=result.activity,
        organisation=result.organisation,
        author=context.user,
        status=context.statuses.get(raw.status.casefold(), raw.status),
        comment=raw.comment,
    )
    columns, unread = _read_values(result, raw, filled, draft)
    refused = result.identity_refused
    problems = content_problems(
        draft,
        plan_ended=context.plan.has_ended,
        check_targets=not refused,
        unreadable=bool(result.errors or unread),
    )
    on_targets = {}
    for problem in problems:
        if isinstance(problem.field, Target):
            on_targets.setdefault(columns[problem.field], []).append(problem.message)
    for problem in problems:
        if not isinstance(problem.field, Target):
            result.error(problem.field or "comment", problem.message)
    for column in sorted({*unread, *on_targets}, key=lambda c: int(c.removeprefix(value_key("")))):
        for message in [*unread.get(column, []), *on_targets.get(column, [])]:
            result.error(column, message)
    statuses_refused = any(p.field == "status" for p in problems)
    result.status = "" if statuses_refused or not draft.status else draft.status
    result.comment = draft.comment
    result.values = {
        t: v for t, v in draft.values.items() if v is not None and not value_range_problem(v)
    }


def _read_values(result, raw, filled, draft):
    """Read the row's value cells into the draft: each column's number and the target it
    stands for. Returns ({target: column}, {column: [why it could not be read]})."""
    positions = target_positions(raw)
    refused = result.identity_refused
    targets = {} if refused else {str(t.position): t for t in result.activity.targets.all()}
    columns, unread = {}, {}
    for k, raw_value in filled.items():
        column = value_key(k)
        number, problem = read_number(raw_value)
        index = int(k) - 1
        target = targets.get(positions[index] if index < len(positions) else "")
        if problem:
            unread.setdefault(column, []).append(problem)
        if not refused and target is None:
            message = _("Aktiviteten har inget mål för den här kolumnen. Lämna den tom.")
            unread.setdefault(column, []).append(message)
        if target is not None:
            draft.values[target], columns[target] = number, column
    return columns, unread


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
        content = ReportContent(result.status, result.comment, values)
        if latest.get((result.activity.pk, result.organisation.pk)) == content:
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
        file_reports(_report_draft(r, user, preview.round) for r in preview.new_reports)
        file_final_assessment(
            [_assessment_draft(r, user) for r in preview.new_rows if r.assessment_is_new],
            [draft for r in preview.new_rows for draft in r.target_assessments],
        )
    return preview


def _report_draft(row, user, round):
    return ReportDraft(
        activity=row.activity,
        organisation=row.organisation,
        author=user,
        status=row.status,
        comment=row.comment,
        values=row.values,
        round=round,
        on_behalf=reports_on_behalf(user, row.organisation),
    )


def _assessment_draft(row, user):
    return AssessmentDraft(
        activity=row.activity,
        organisation=row.organisation,
        author=user,
        assessment=row.assessment,
        motivation=row.motivation,
        on_behalf=reports_on_behalf(user, row.organisation),
    )
