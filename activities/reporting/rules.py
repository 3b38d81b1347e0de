"""Every rule of a report and of a final assessment, each written once. The rules answer with
Problems; the report form puts them on its fields, the Excel import on its rows and columns.
Reading the input (a decimal in a form field, a number or a status label in a cell) is the
adapters' part; what may be reported, by whom and with which text is decided here.

Who may report what is asked of activities.permissions, the module of yes/no questions."""

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Assessment, Status, StatusReport
from ..models.assessments import MOTIVATION_MAX_LENGTH
from ..models.status import ENDED_PLAN_IN_PROGRESS
from ..permissions import assessing_organisations, can_report, is_lead, targets_reportable_by
from ..text import CONTROL_CHARACTERS, shorten
from .drafts import Problem

COMMENT_MAX_LENGTH = StatusReport.COMMENT_MAX_LENGTH

# A forged form field naming a target the activity does not have.
NO_SUCH_TARGET = gettext_lazy("Aktiviteten har inget sådant mål.")
# A target's value, however it was typed: the form's decimal field and the workbook's cells say
# the same.
NEGATIVE_VALUE = gettext_lazy("Värdet får inte vara negativt.")
VALUE_TOO_LARGE = gettext_lazy("Värdet är för stort.")
MAX_VALUE = Decimal("9999999999.99")  # TargetValue.value: max_digits=12, decimal_places=2


CENT = Decimal("0.01")


def in_cents(value):
    """A target's value as stored: rounded to cents (half up), "-0" as 0. A value out of range
    is returned as it is, for value_range_problem to refuse (rounding could hide it). The form
    and the workbook read numbers their own way and round them here alike."""
    if value_range_problem(value):
        return value
    return value.copy_abs().quantize(CENT, rounding=ROUND_HALF_UP)


def value_range_problem(value):
    """Why a target's value (a Decimal) is out of range, or None: never negative, at most
    MAX_VALUE (the plan import's target values keep the same range)."""
    if value < 0:
        return NEGATIVE_VALUE
    if value > MAX_VALUE:
        return VALUE_TOO_LARGE
    return None


def _names(draft):
    return {"org": draft.organisation.code, "ref": draft.activity.reference}


def _identity_known(draft):
    return draft.activity is not None and draft.organisation is not None


# Reports -------------------------------------------------------------------------------------


def report_problems(draft, *, plan_ended, **options):
    """Every problem of the report: who sends it, then its content (options: content_problems)."""
    problems = permission_problems(draft)
    return problems + content_problems(draft, plan_ended=plan_ended, **options)


def permission_problems(draft):
    """May the author report for this organisation on this activity?"""
    if not _identity_known(draft) or can_report(draft.author, draft.activity, draft.organisation):
        return []
    message = _("Du får inte rapportera för %(org)s på aktivitet %(ref)s.") % _names(draft)
    return [Problem("organisation", message)]


def content_problems(
    draft,
    *,
    plan_ended,
    check_targets=True,
    unreadable=False,
    status_labels=None,
):
    """The status, the comment and the targets of the report.

    - `check_targets` is False when the adapter could not tell which targets the report may
      name (its identity was refused);
    - `unreadable`: the adapter found input it could not read, so an empty-looking draft is
      not an empty report (its own message already says what is wrong);
    - `status_labels` {key: label}: the names the sender chooses a status by (the form's, in
      the page's language; by default the Swedish names of the workbook)."""
    problems = [
        *status_problems(draft, status_labels),
        *comment_problems(draft, plan_ended=plan_ended),
    ]
    if check_targets and _identity_known(draft):
        problems += target_problems(draft)
    if problems or unreadable or not _identity_known(draft) or _has_content(draft):
        return problems
    message = _("Fyll i ett värde eller en kommentar: %(org)s rapporterar målets värde.")
    return [Problem(None, message % {"org": draft.organisation.code})]


def _reports_status(draft):
    """A lead reports the activity's status; a target's responsible organisation does not. An
    unknown activity or organisation is read as a lead's report, to check what it states."""
    return not _identity_known(draft) or is_lead(draft.organisation, draft.activity)


def _has_content(draft):
    """A report from a non-lead holds a value (even one that could not be read) or a comment."""
    return bool(draft.status or draft.values or draft.comment)


def status_problems(draft, labels=None):
    labels = labels or Status.swedish_labels(reportable_only=True)
    choices = {"choices": ", ".join(labels.values()), "status": shorten(draft.status)}
    if not _reports_status(draft):
        if not draft.status:
            return []
        message = _(
            "%(org)s leder inte aktivitet %(ref)s och rapporterar bara målets värde: lämna "
            "Status tom."
        )
        return [Problem("status", message % _names(draft))]
    if not draft.status:
        return [Problem("status", _("Status saknas. Välj en av: %(choices)s.") % choices)]
    if draft.status not in labels:
        message = _("Okänd status ”%(status)s”. Välj en av: %(choices)s.") % choices
        return [Problem("status", message)]
    return []


def comment_problems(draft, *, plan_ended):
    """A comment is required for some statuses (and, once the plan has ended, for work still
    going on), and is plain text of a limited length."""
    problems = []
    comment, status = draft.comment, draft.status
    needing = Status.needing_comment(plan_ended=plan_ended)
    if not comment and status in needing and _reports_status(draft):
        names = {"status": Status(status).label}
        if Status(status).needs_explanation(plan_ended=plan_ended):
            message = ENDED_PLAN_IN_PROGRESS % names
        else:
            message = _("Skriv en kommentar: den krävs när statusen är %(status)s.") % names
        problems.append(Problem("comment", message))
    if CONTROL_CHARACTERS.search(comment):
        message = _("Kommentaren innehåller otillåtna styrtecken. Skriv in texten på nytt.")
        problems.append(Problem("comment", message))
    if len(comment) > COMMENT_MAX_LENGTH:
        message = _("Kommentaren är för lång (%(n)s tecken, högst %(max)s).")
        problems.append(
            Problem("comment", message % {"n": len(comment), "max": COMMENT_MAX_LENGTH})
        )
    return problems


def target_problems(draft):
    """A value only for a numeric target, never negative nor too large, and only for a target
    the organisation reports (a target with a responsible organisation is that organisation's
    alone). Targets are assessed in the final assessment, never in a report."""
    reportable = targets_reportable_by(draft.organisation, draft.activity)
    problems = []
    for target, value in draft.values.items():
        names = {**_names(draft), "n": target.position}
        if not target.is_numeric:
            message = _("Mål %(n)s har inget målvärde. Lämna cellen tom.") % names
            problems.append(Problem(target, message))
            continue
        out_of_range = value is not None and value_range_problem(value)
        if out_of_range:
            problems.append(Problem(target, str(out_of_range)))
        if target not in reportable:
            message = _("%(org)s rapporterar inte värdet för mål %(n)s på aktivitet %(ref)s.")
            problems.append(Problem(target, message % names))
    return problems


# Final assessments ---------------------------------------------------------------------------


def assessment_problems(draft, *, plan, check_identity=True, labels=None):
    """Every problem of a final assessment: only while the plan's assessment is open, one of
    the known assessments (`labels` {key: label}: the names the sender chooses by, by default
    the Swedish ones of the workbook), a motivation of plain text, a lead organisation the
    author may assess for, and (from a workbook) no other assessment given since the template
    was made."""
    if not plan.assessment_is_open:
        message = _(
            "Slutbedömningen görs från planens sista kvartal. Lämna Slutbedömning och "
            "Motivering tomma."
        )
        return [Problem("assessment", message)]
    problems = choice_problems(draft.assessment, labels or Assessment.swedish_labels())
    problems += motivation_problems(draft.motivation)
    if check_identity and _identity_known(draft):
        problems += assessor_problems(draft) or changed_since_problems(draft)
    return problems


def choice_problems(assessment, labels):
    choices = {"choices": ", ".join(labels.values()), "value": shorten(assessment)}
    if not assessment:
        message = _("Slutbedömning saknas. Välj en av: %(choices)s.")
        return [Problem("assessment", message % choices)]
    if assessment not in Assessment.values:
        message = _("Okänd slutbedömning ”%(value)s”. Välj en av: %(choices)s.")
        return [Problem("assessment", message % choices)]
    return []


def motivation_problems(motivation):
    problems = []
    if CONTROL_CHARACTERS.search(motivation):
        message = _("Motiveringen innehåller otillåtna styrtecken. Skriv in texten på nytt.")
        problems.append(Problem("motivation", message))
    if len(motivation) > MOTIVATION_MAX_LENGTH:
        message = _("Motiveringen är för lång (%(n)s tecken, högst %(max)s).")
        names = {"n": len(motivation), "max": MOTIVATION_MAX_LENGTH}
        problems.append(Problem("motivation", message % names))
    elif not motivation:
        message = _("Motivering saknas: skriv vad som uppnåddes och hur ni vet det.")
        problems.append(Problem("motivation", message))
    return problems


def assessor_problems(draft):
    """Only a lead organisation gives a final assessment, by its members or a coordinator."""
    if draft.organisation in assessing_organisations(draft.author, draft.activity):
        return []
    if not is_lead(draft.organisation, draft.activity):
        message = _(
            "%(org)s leder inte aktivitet %(ref)s och gör ingen slutbedömning: lämna "
            "Slutbedömning och Motivering tomma."
        )
    else:
        message = _("Du får inte göra slutbedömningen för %(org)s på aktivitet %(ref)s.")
    return [Problem("assessment", message % _names(draft))]


def changed_since_problems(draft):
    """An assessment from a template made before someone else assessed is refused rather than
    silently replacing theirs."""
    if draft.based_on is None:
        return []
    current = draft.activity.assessment_of(draft.organisation)
    if (str(current.pk) if current else "") == draft.based_on:
        return []
    message = _(
        "Slutbedömningen för %(org)s på aktivitet %(ref)s har ändrats sedan mallen laddades "
        "ned. Ladda ned en ny mall, eller töm Slutbedömning och Motivering på raden för att "
        "behålla den som finns."
    )
    return [Problem("assessment", message % _names(draft))]


# A target's final assessment -------------------------------------------------------------------
# Its problems name the part they concern: (target, "assessment"), (target, "motivation") or
# (target, "value").


def target_assessment_problems(draft, *, plan, check_identity=True, labels=None):
    """Every problem of a target's final assessment (a TargetAssessmentDraft): only while the
    plan's assessment is open, by the organisation that answers for the target (its
    responsible organisation, or a lead when it has none) and an author who may act for it,
    one of the known assessments, a motivation of plain text, and a final value only for a
    numeric target, within the range of a reported value."""
    target = draft.target
    names = {"n": target.position, "ref": target.activity.reference}
    if not plan.assessment_is_open:
        message = _("Målen bedöms från planens sista kvartal: mål %(n)s kan inte bedömas nu.")
        return [Problem((target, "assessment"), message % names)]
    if check_identity and draft.organisation is not None:
        refused = target_assessor_problems(draft, names)
        if refused:
            return refused
    labels = labels or Assessment.swedish_labels()
    problems = [
        Problem((target, "assessment"), message)
        for message in _target_choice_problems(draft.assessment, labels, names)
    ]
    problems += [
        Problem((target, "motivation"), p.message) for p in motivation_problems(draft.motivation)
    ]
    problems += [Problem((target, "value"), m) for m in _final_value_problems(draft, names)]
    if check_identity and not problems:
        problems += target_changed_since_problems(draft, names)
    return problems


def _target_choice_problems(assessment, labels, names):
    choices = {**names, "choices": ", ".join(labels.values()), "value": shorten(assessment)}
    if not assessment:
        return [_("Bedömning av mål %(n)s saknas. Välj en av: %(choices)s.") % choices]
    if assessment not in Assessment.values:
        return [_("Okänd bedömning ”%(value)s” av mål %(n)s. Välj en av: %(choices)s.") % choices]
    return []


def _final_value_problems(draft, names):
    if not draft.value_given:
        return []
    if not draft.target.is_numeric:
        return [_("Mål %(n)s har inget målvärde: lämna slutvärdet tomt.") % names]
    if draft.value is None:  # given, but not a number: the adapter has said so
        return []
    out_of_range = value_range_problem(draft.value)
    return [str(out_of_range)] if out_of_range else []


def target_assessor_problems(draft, names):
    """A target is assessed by its responsible organisation, or by the activity's leads when
    it has none; by that organisation's members or a coordinator on its behalf."""
    target, organisation = draft.target, draft.organisation
    activity = target.activity
    names = {**names, "org": organisation.code}
    if target not in targets_reportable_by(organisation, activity):
        if target.responsible_organisation_id:
            names["by"] = target.responsible_organisation.code
            message = _("%(org)s bedömer inte mål %(n)s på aktivitet %(ref)s: det gör %(by)s.")
        else:
            message = _(
                "%(org)s bedömer inte mål %(n)s på aktivitet %(ref)s: det gör de ledande "
                "organisationerna."
            )
        return [Problem((target, "assessment"), message % names)]
    if not can_report(draft.author, activity, organisation):
        message = _("Du får inte bedöma mål %(n)s på aktivitet %(ref)s för %(org)s.")
        return [Problem((target, "assessment"), message % names)]
    return []


def target_changed_since_problems(draft, names):
    """From a workbook: a target assessed by someone else since the template was made is
    refused rather than silently replaced."""
    if draft.based_on is None:
        return []
    current = draft.target.current_assessment_id
    if (str(current) if current else "") == draft.based_on:
        return []
    message = _(
        "Bedömningen av mål %(n)s på aktivitet %(ref)s har ändrats sedan mallen laddades ned. "
        "Ladda ned en ny mall, eller töm målets bedömning för att behålla den som finns."
    )
    return [Problem((draft.target, "assessment"), message % names)]


def final_assessment_problems(outcome, targets, *, plan, labels=None):
    """The final assessment as one act: the expected outcome's part (an AssessmentDraft, None
    when left empty) and the targets' parts (TargetAssessmentDrafts of the parts filled in).
    Each part is optional, but a part begun must be complete, and at least one part must be
    filled in."""
    if not plan.assessment_is_open:
        message = _("Slutbedömningen görs från planens sista kvartal.")
        return [Problem(None, message)]
    if outcome is None and not targets:
        message = _(
            "Fyll i minst en bedömning: det förväntade utfallet eller ett mål, med motivering."
        )
        return [Problem(None, message)]
    problems = assessment_problems(outcome, plan=plan, labels=labels) if outcome else []
    for draft in targets:
        problems += target_assessment_problems(draft, plan=plan, labels=labels)
    return problems
