"""The final assessment on a row of the report template (columns Slutbedömning and Motivering,
there from the plan's last quarter), checked by the rules of the assessment form
(views/assessments.py): only while the plan's assessment is open, only for a lead organisation
the user may assess for (permissions.assessing_organisations), a known value, a motivation.

The template is pre-filled with each lead's current assessment: a row that still states it is
no new assessment, and one changed after someone else assessed since the template was made
(hidden column "Slutbedömning nr") is refused rather than silently replacing theirs."""

from django.utils.translation import gettext as _

from ..models import Assessment
from ..models.assessments import MOTIVATION_MAX_LENGTH
from ..permissions import assessing_organisations, is_lead
from ..text import CONTROL_CHARACTERS


def assessment_lookups():
    """({key: Swedish label}, {label casefolded or key: key}) for reading the column."""
    labels = Assessment.swedish_labels()
    keys = {**{label.casefold(): key for key, label in labels.items()}, **{k: k for k in labels}}
    return labels, keys


def stated(raw):
    """(assessment text, motivation) as the row states them; "" in templates without them."""
    return raw.get("assessment", ""), raw.get("motivation", "")


def is_current(raw, activity, organisation, keys):
    """Does the row state exactly the organisation's current assessment (or none, when it has
    none)? Such a row adds no assessment."""
    text, motivation = stated(raw)
    current = activity.assessment_of(organisation) if activity and organisation else None
    if current is None:
        return not (text or motivation)
    return keys.get(text.casefold()) == current.assessment and motivation == current.motivation


def check_assessment(result, raw, lookups):
    """Validate the row's assessment; sets result.assessment, .motivation and, when it is a new
    one, .assessment_is_new. Errors go to the row like every other cell's."""
    text, motivation = stated(raw)
    labels, keys = lookups["assessments"]
    activity, organisation = result.activity, result.organisation
    errors_before = len(result.errors)
    result.assessment, result.motivation = keys.get(text.casefold(), ""), motivation
    if not lookups["plan"].assessment_is_open:
        message = _(
            "Slutbedömningen görs från planens sista kvartal. Lämna Slutbedömning och "
            "Motivering tomma."
        )
        result.error("assessment", message)
        return
    choices = {"choices": ", ".join(labels.values()), "value": _shorten(text)}
    if not text:
        message = _("Slutbedömning saknas. Välj en av: %(choices)s, eller töm Motivering.")
        result.error("assessment", message % choices)
    elif not result.assessment:
        message = _("Okänd slutbedömning ”%(value)s”. Välj en av: %(choices)s.")
        result.error("assessment", message % choices)
    if CONTROL_CHARACTERS.search(motivation):
        message = _("Motiveringen innehåller otillåtna styrtecken. Skriv in texten på nytt.")
        result.error("motivation", message)
    if len(motivation) > MOTIVATION_MAX_LENGTH:
        message = _("Motiveringen är för lång (%(n)s tecken, högst %(max)s).")
        result.error("motivation", message % {"n": len(motivation), "max": MOTIVATION_MAX_LENGTH})
    elif text and not motivation:
        message = _("Motivering saknas: skriv vad som uppnåddes och hur ni vet det.")
        result.error("motivation", message)
    if result.identity_refused:
        return
    names = {"org": organisation.code, "ref": activity.reference}
    if organisation not in assessing_organisations(lookups["user"], activity):
        if not is_lead(organisation, activity):
            message = _(
                "%(org)s leder inte aktivitet %(ref)s och gör ingen slutbedömning: lämna "
                "Slutbedömning och Motivering tomma."
            )
        else:
            message = _("Du får inte göra slutbedömningen för %(org)s på aktivitet %(ref)s.")
        result.error("assessment", message % names)
        return
    if is_current(raw, activity, organisation, keys):
        return
    current = activity.assessment_of(organisation)
    if (str(current.pk) if current else "") != raw.get("assessment_id", ""):
        message = _(
            "Slutbedömningen för %(org)s på aktivitet %(ref)s har ändrats sedan mallen laddades "
            "ned. Ladda ned en ny mall, eller töm Slutbedömning och Motivering på raden för att "
            "behålla den som finns."
        )
        result.error("assessment", message % names)
        return
    result.assessment_is_new = len(result.errors) == errors_before


def _shorten(text, length=40):
    text = CONTROL_CHARACTERS.sub("", text)
    return text if len(text) <= length else text[: length - 1] + "…"
