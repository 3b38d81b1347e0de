"""The one write of reports and final assessments: one from the report form, thousands from the
Excel import, through the same code, in a fixed number of queries, all or nothing, together
with the stored current state the pages read (each lead's newest report, each activity's newest
status and overall status, each target's newest value, each lead's final assessment and the
activity's overall one, each target's newest final assessment).

A report carries status, comment and values only; a final assessment (of the expected outcome
and of the targets) is its own act, file_final_assessment.

Each filing also counts itself in its areas' AreaChange rows (activities/models/changes.py), in
the same transaction: the plan's data version that pages are kept by.

Permission and content checks are the rules' (rules.py): the adapters ask them first."""

from collections import defaultdict
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..db import update_rows
from ..models import (
    Activity,
    ActivityOrganisation,
    AreaChange,
    Assessment,
    OutcomeAssessment,
    Role,
    StatusReport,
    Target,
    TargetAssessment,
    TargetValue,
)
from ..models.current import set_overall_status
from .drafts import AssessmentDraft, ReportDraft


class FormAlreadySent(Exception):
    """A report form's one-time token came back with other content (the back button): nothing
    was written."""

    message = _(
        "Formuläret har redan skickats en gång. Dina ändringar sparades inte: ladda om "
        "sidan och rapportera igen."
    )


def _count_filing(activity_ids):
    """Count the filing in its areas (AreaChange, the plan's data version) before anything
    else of it is written or locked: every filing takes the areas' rows first and in order, so
    a filing that holds them never waits for rows that another filing, waiting for them, holds
    (an import's reports and then its final assessments, beside a report through the form)."""
    AreaChange.objects.count_filing(activity_ids)


def _newest(row):
    return (row.created_at, row.pk)


# Reports -------------------------------------------------------------------------------------


def file_reports(drafts):
    """File the drafts (already checked by the rules) and return their reports, in order.

    Idempotent on the form token: a draft whose token was filed before with the same content
    returns that report (marked `filed_before`) and writes nothing; with other content
    FormAlreadySent is raised and nothing is written."""
    drafts = list(drafts)
    try:
        with transaction.atomic():
            return _insert(drafts)
    except IntegrityError:
        tokens = [d.token for d in drafts if d.token]
        earlier = StatusReport.objects.in_bulk(tokens, field_name="submission_token")
        if not earlier:
            raise
    if any(not d.same_content_as(earlier[d.token]) for d in drafts if d.token in earlier):
        raise FormAlreadySent
    for report in earlier.values():
        report.filed_before = True
    rest = [d for d in drafts if d.token not in earlier]
    with transaction.atomic():
        new = iter(_insert(rest))
    return [earlier[d.token] if d.token in earlier else next(new) for d in drafts]


def file_report(draft=None, /, *, submission_token=None, **fields):
    """File one report: a ReportDraft, or the draft's fields as keywords (the commands' and the
    tests' way; `submission_token` is the draft's token)."""
    if draft is None:
        draft = ReportDraft(token=submission_token, **fields)
    return file_reports([draft])[0]


def _insert(drafts):
    if not drafts:
        return []
    _count_filing(d.activity.pk for d in drafts)
    now = timezone.now()
    reports = StatusReport.objects.bulk_create(
        StatusReport(
            activity=d.activity,
            organisation=d.organisation,
            author=d.author,
            status=d.status,
            comment=d.comment,
            round=d.round,
            on_behalf=d.on_behalf,
            created_at=d.created_at or now,
            submission_token=d.token,
        )
        for d in drafts
    )
    values = [
        value
        for report, draft in zip(reports, drafts, strict=True)
        for value in _target_values(report, draft)
    ]
    TargetValue.objects.bulk_create(values)
    record_current(reports, values)
    return reports


def _target_values(report, draft):
    for target, value in draft.values.items():
        if value is not None:
            yield TargetValue(report=report, target=target, value=value)


def record_current(reports, values):
    """Bring the stored current state up to date with `reports` just filed and their `values`
    (TargetValues), in the filing transaction; a report filed late for an earlier round never
    replaces a newer one. Rows are locked while they are compared."""
    _record_statuses(reports)
    _record_values([v for v in values if v.value is not None])


def _record_statuses(reports):
    activity_ids = {r.activity_id for r in reports}
    activities = Activity.objects.select_for_update(of=("self",)).filter(pk__in=activity_ids)
    activities = {a.pk: a for a in activities.select_related("latest_report")}
    roles = ActivityOrganisation.objects.select_for_update(of=("self",)).filter(
        activity_id__in=activity_ids, role=Role.LEAD
    )
    roles = {(r.activity_id, r.organisation_id): r for r in roles.select_related("current_report")}
    changed_roles = {}
    for report in sorted(reports, key=_newest):
        if not report.status:
            continue  # a target's responsible organisation reports values, not the status
        activity = activities[report.activity_id]
        if activity.latest_report is None or _newest(report) > _newest(activity.latest_report):
            activity.latest_report = report
        role = roles.get((report.activity_id, report.organisation_id))
        if role and (role.current_report is None or _newest(report) > _newest(role.current_report)):
            role.current_report = report
            changed_roles[role.pk] = role
    update_rows(ActivityOrganisation, changed_roles.values(), ["current_report"])
    set_overall_status(activities.values(), roles.values())
    update_rows(Activity, activities.values(), ["latest_report", "current_status"])


def _record_values(values):
    targets = Target.objects.select_for_update(of=("self",)).filter(
        pk__in={v.target_id for v in values}
    )
    targets = {t.pk: t for t in targets.select_related("current_value__report")}
    for value in sorted(values, key=lambda v: _newest(v.report)):
        target = targets[value.target_id]
        current = target.current_value
        if current is None or _newest(value.report) > _newest(current.report):
            target.current_value = value
    update_rows(Target, targets.values(), ["current_value"])


# Final assessments ---------------------------------------------------------------------------


def file_assessments(drafts):
    """Append the final assessments (AssessmentDrafts, checked by the rules) and update each
    lead's current one and the activities' overall assessment, all or nothing, in a fixed
    number of queries however many."""
    drafts = list(drafts)
    if not drafts:
        return []
    now = timezone.now()
    with transaction.atomic():
        _count_filing(d.activity.pk for d in drafts)
        new = OutcomeAssessment.objects.bulk_create(
            OutcomeAssessment(
                activity=d.activity,
                organisation=d.organisation,
                author=d.author,
                assessment=d.assessment,
                motivation=d.motivation,
                on_behalf=d.on_behalf,
                created_at=now,
            )
            for d in drafts
        )
        _record_assessments(new)
    return new


def assess(**fields):
    """File one final assessment from the draft's fields as keywords."""
    return file_assessments([AssessmentDraft(**fields)])[0]


def _record_assessments(new):
    newest = {}
    for given in new:
        key = (given.activity_id, given.organisation_id)
        if key not in newest or _newest(given) > _newest(newest[key]):
            newest[key] = given
    roles = (
        ActivityOrganisation.objects.select_for_update(of=("self",))
        .filter(activity_id__in={a.activity_id for a in new}, role=Role.LEAD)
        .select_related("current_assessment")
    )
    changed, by_activity = [], defaultdict(list)
    for role in roles:
        given, current = (
            newest.get((role.activity_id, role.organisation_id)),
            role.current_assessment,
        )
        if given and (current is None or _newest(given) > _newest(current)):
            role.current_assessment = current = given
            changed.append(role)
        by_activity[role.activity_id].append(current.assessment if current else "")
    ActivityOrganisation.objects.bulk_update(changed, ["current_assessment"])
    Activity.objects.bulk_update(
        [
            Activity(pk=pk, final_assessment=Assessment.overall(assessments))
            for pk, assessments in by_activity.items()
        ],
        ["final_assessment"],
    )


def file_target_assessments(drafts):
    """Append the final assessments of targets (TargetAssessmentDrafts, checked by the rules)
    and make each target's newest its current one, all or nothing, in a fixed number of
    queries however many."""
    with transaction.atomic():
        return _insert_target_assessments(drafts)


@dataclass
class FiledAssessments:
    """What one final assessment act appended: OutcomeAssessments and TargetAssessments."""

    outcomes: list
    targets: list

    def __bool__(self):
        return bool(self.outcomes or self.targets)


def file_final_assessment(outcomes=(), targets=()):
    """The final assessment as one act: the expected outcome's parts (AssessmentDrafts) and the
    targets' (TargetAssessmentDrafts), all checked by the rules, appended in one transaction,
    all or nothing. A part stating exactly the current assessment is not appended again; it is
    compared with the current one while that is locked, so the same form sent twice (a double
    click) appends once."""
    outcomes, targets = list(outcomes), list(targets)
    if not (outcomes or targets):
        return FiledAssessments([], [])
    with transaction.atomic():
        outcomes = _changed_outcomes(outcomes)
        targets = _changed_targets(targets)
        return FiledAssessments(file_assessments(outcomes), _insert_target_assessments(targets))


def _changed_outcomes(drafts):
    if not drafts:
        return []
    roles = ActivityOrganisation.objects.select_for_update(of=("self",)).filter(
        activity_id__in={d.activity.pk for d in drafts}, role=Role.LEAD
    )
    current = {
        (r.activity_id, r.organisation_id): r.current_assessment
        for r in roles.select_related("current_assessment")
    }
    return [d for d in drafts if not d.same_as(current.get((d.activity.pk, d.organisation.pk)))]


def _changed_targets(drafts):
    if not drafts:
        return []
    targets = Target.objects.select_for_update(of=("self",)).filter(
        pk__in={d.target.pk for d in drafts}
    )
    current = {t.pk: t.current_assessment for t in targets.select_related("current_assessment")}
    return [d for d in drafts if not d.same_as(current.get(d.target.pk))]


def _insert_target_assessments(drafts):
    drafts = list(drafts)
    if not drafts:
        return []
    _count_filing(d.target.activity_id for d in drafts)
    now = timezone.now()
    new = TargetAssessment.objects.bulk_create(
        TargetAssessment(
            target=d.target,
            organisation=d.organisation,
            author=d.author,
            assessment=d.assessment,
            motivation=d.motivation,
            value=d.value,
            on_behalf=d.on_behalf,
            created_at=now,
        )
        for d in drafts
    )
    targets = Target.objects.select_for_update(of=("self",)).filter(
        pk__in={a.target_id for a in new}
    )
    targets = {t.pk: t for t in targets.select_related("current_assessment")}
    for given in sorted(new, key=_newest):
        target = targets[given.target_id]
        current = target.current_assessment
        if current is None or _newest(given) > _newest(current):
            target.current_assessment = given
    update_rows(Target, targets.values(), ["current_assessment"])
    return new
