"""The final assessment on a row of the report template (columns Slutbedömning and Motivering,
there from the plan's last quarter), checked by the rules of the assessment form
(views/assessments.py): only while the plan's assessment is open, only for a lead organisation
the user may assess for (permissions.assessing_organisations), a known value, a motivation.

The template is pre-filled with each lead's current assessment: a row that still states it is
no new assessment, and one changed after someone else assessed since the template was made
(hidden column "Slutbedömning nr") is refused rather than silently replacing theirs."""

from ..reporting import AssessmentDraft, assessment_problems


def stated(raw):
    """(assessment text, motivation) as the row states them; "" in templates without them."""
    return raw.assessment, raw.motivation


def is_current(raw, activity, organisation, keys):
    """Does the row state exactly the organisation's current assessment (or none, when it has
    none)? Such a row adds no assessment."""
    text, motivation = stated(raw)
    current = activity.assessment_of(organisation) if activity and organisation else None
    if current is None:
        return not (text or motivation)
    return keys.get(text.casefold()) == current.assessment and motivation == current.motivation


def check_assessment(result, raw, context):
    """Validate the row's assessment (context: report_import.ImportContext) by the reporting
    core's rules; sets result.assessment, .motivation and, when it is a new one,
    .assessment_is_new. Errors go to the row like every other cell's."""
    text, motivation = stated(raw)
    activity, organisation = result.activity, result.organisation
    errors_before = len(result.errors)
    result.assessment, result.motivation = context.assessments.get(text.casefold(), ""), motivation
    current = is_current(raw, activity, organisation, context.assessments)
    draft = AssessmentDraft(
        activity=activity,
        organisation=organisation,
        author=context.user,
        assessment=result.assessment or text,  # as typed when unknown: the rules say so
        motivation=motivation,
        based_on=None if current else raw.assessment_id,
    )
    refused = result.identity_refused
    problems = assessment_problems(draft, plan=context.plan, check_identity=not refused)
    for problem in problems:
        result.error(problem.field, problem.message)
    if not (refused or current):
        result.assessment_is_new = len(result.errors) == errors_before
