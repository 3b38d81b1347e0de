"""The final assessment on a row of the report template (columns Slutbedömning and Motivering,
there from the plan's last quarter), checked by the rules of the assessment form
(views/assessments.py): only while the plan's assessment is open, only for a lead organisation
the user may assess for (permissions.assessing_organisations), a known value, a motivation.

The template is pre-filled with each lead's current assessment: a row that still states it is
no new assessment, and one changed after someone else assessed since the template was made
(hidden column "Slutbedömning nr") is refused rather than silently replacing theirs.

A target's final assessment (columns Bedömning, Motivering and Slutvärde mål k, for each target
k of the row the organisation answers for) goes the same way: the rules of the assessment form
(rules.target_assessment_problems), pre-filled with the target's current assessment, a target
stated as it is adds nothing, one assessed by someone else since the template was made (hidden
column "Målbedömningar nr") is refused."""

from django.utils.translation import gettext as _

from ..permissions import reports_on_behalf
from ..reporting import AssessmentDraft, TargetAssessmentDraft, assessment_problems
from ..reporting.rules import target_assessment_problems
from .cells import read_number
from .report_upload import HEADERS
from .sheets import (
    FINAL_VALUE_HEADER,
    FINAL_VALUE_KEY,
    TARGET_ASSESSMENT_HEADER,
    TARGET_ASSESSMENT_KEY,
    TARGET_MOTIVATION_HEADER,
    TARGET_MOTIVATION_KEY,
    VALUE_HEADER,
    value_key,
)

# The column of each part of a target's assessment: a Problem's (target, part) → key prefix.
PART_KEYS = {
    "assessment": TARGET_ASSESSMENT_KEY,
    "motivation": TARGET_MOTIVATION_KEY,
    "value": FINAL_VALUE_KEY,
}
PER_TARGET_HEADERS = {
    value_key(""): VALUE_HEADER,
    TARGET_ASSESSMENT_KEY: TARGET_ASSESSMENT_HEADER,
    TARGET_MOTIVATION_KEY: TARGET_MOTIVATION_HEADER,
    FINAL_VALUE_KEY: FINAL_VALUE_HEADER,
}


def header_of(key):
    """The header of a column key: the template's, or a per-target one ("value_2" → "Värde
    mål 2", "assessment_2" → "Bedömning mål 2")."""
    if key in HEADERS:
        return HEADERS[key]
    for prefix, header in PER_TARGET_HEADERS.items():
        if key and key.startswith(prefix):
            return header.format(key.removeprefix(prefix))
    return key


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


def target_positions(raw):
    """The target numbers the row's per-target columns stand for (hidden column Målnummer). A
    number named again stands for no target ("" : the column's cells are refused), so one row
    never gives one target two values or two assessments."""
    seen, positions = set(), []
    for position in (p.strip() for p in raw.targets.replace(",", ";").split(";")):
        if position:
            positions.append("" if position in seen else position)
            seen.add(position)
    return positions


def _row_targets(raw, activity):
    """{k: (target or None, the id of its assessment the template was made with)}."""
    positions, ids = target_positions(raw), raw.target_assessment_ids.split(";")
    targets = {str(t.position): t for t in activity.targets.all()} if activity else {}
    found = {}
    for k in raw.target_assessments:
        index = int(k) - 1
        position = positions[index] if index < len(positions) else ""
        found[k] = (targets.get(position), ids[index].strip() if index < len(ids) else "")
    return found


def _states_current(given, target, keys):
    text, motivation, cell = given
    current = target.current_assessment if target.current_assessment_id else None
    number, problem = read_number(cell) if cell not in (None, "") else (None, None)
    if current is None or problem:
        return False
    return (keys.get(text.casefold()), motivation, number) == (
        current.assessment,
        current.motivation,
        current.value,
    )


def states_current_targets(raw, activity, keys):
    """Does every target assessment the row states state exactly the target's current one?"""
    return all(
        target is not None and _states_current(raw.target_assessments[k], target, keys)
        for k, (target, _id) in _row_targets(raw, activity).items()
    )


def check_target_assessments(result, raw, context):
    """Validate the row's targets' assessments by the reporting core's rules; the new ones
    (not as stated in the template) are added to result.target_assessments."""
    for k, (target, based_on) in _row_targets(raw, result.activity).items():
        if target is None:
            message = _("Aktiviteten har inget mål för den här kolumnen. Lämna den tom.")
            result.error(f"{TARGET_ASSESSMENT_KEY}{k}", message)
            continue
        given = raw.target_assessments[k]
        if _states_current(given, target, context.assessments):
            continue
        draft = _target_draft(result, context, target, given, based_on)
        unreadable = draft.value_given and draft.value is None
        if unreadable:
            result.error(f"{FINAL_VALUE_KEY}{k}", read_number(given[2])[1])
        problems = target_assessment_problems(draft, plan=context.plan)
        for problem in problems:
            result.error(f"{PART_KEYS[problem.field[1]]}{k}", problem.message)
        if not (problems or unreadable or _assessed_before(result, context, target, k)):
            result.target_assessments.append(draft)


def _assessed_before(result, context, target, k):
    """Is the target assessed on an earlier row of the file too (two leads of an activity
    whose target names no responsible organisation)? One file gives a target one assessment:
    the later row is refused, rather than silently becoming the current one."""
    earlier = context.assessed.setdefault(target.pk, result.row)
    if earlier == result.row:
        return False
    message = _(
        "Mål %(n)s på aktivitet %(ref)s bedöms redan på rad %(row)s. Bedöm varje mål på en rad."
    )
    names = {"n": target.position, "ref": result.activity.reference, "row": earlier}
    result.error(f"{TARGET_ASSESSMENT_KEY}{k}", message % names)
    return True


def _target_draft(result, context, target, given, based_on):
    text, motivation, cell = given
    value_given = cell not in (None, "")
    number = read_number(cell)[0] if value_given else None
    return TargetAssessmentDraft(
        target=target,
        organisation=result.organisation,
        author=context.user,
        assessment=context.assessments.get(text.casefold(), text),  # unknown: as typed
        motivation=motivation,
        value=number,
        value_given=value_given,
        on_behalf=reports_on_behalf(context.user, result.organisation),
        based_on=based_on,
    )
