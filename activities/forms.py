import datetime
import secrets

from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Assessment, ReportingRound, Status, StatusReport
from .models.assessments import MOTIVATION_MAX_LENGTH
from .models.status import ENDED_PLAN_IN_PROGRESS
from .permissions import is_lead, targets_reportable_by
from .text import CONTROL_CHARACTERS, number


def new_form_token():
    return secrets.token_urlsafe(24)


def _comment_help(plan_ended):
    names = {
        "statuses": Status.needing_comment_in_words(plan_ended=plan_ended),
        "max": number(StatusReport.COMMENT_MAX_LENGTH),
    }
    if plan_ended:
        return (
            _(
                "Planperioden är slut: kommentaren krävs för %(statuses)s. Pågår arbetet "
                "fortfarande, förklara varför och vad som återstår. Högst %(max)s tecken."
            )
            % names
        )
    return _("Krävs för %(statuses)s. Högst %(max)s tecken.") % names


# Control characters (other than tab and line breaks) cannot be stored in a Word or Excel file
# and are never typed on purpose: refused like the Excel import refuses them.
no_control_characters = RegexValidator(
    CONTROL_CHARACTERS,
    inverse_match=True,
    message=_("Texten innehåller otillåtna styrtecken. Skriv in den på nytt."),
)


class StatusReportForm(forms.Form):
    """A report on one activity for one organisation (`organisation`, one of the user's
    `organisations`): a lead gives its own status; each organisation gives a value for the
    numeric targets it reports (a target's responsible organisation only that target's);
    near the plan's end an assessment per target; a comment. After the plan's outcome
    deadline (`plan_ended`) a status of work still in progress needs a comment too.

    The fields are those of the chosen organisation only, and start from its last report
    (`last_report`: status and values; the comment starts empty). A forged organisation fails
    validation like any unknown choice.
    """

    organisation = forms.TypedChoiceField(
        label=_("Rapporterar för"), coerce=int, widget=forms.HiddenInput
    )
    comment = forms.CharField(
        label=_("Kommentar"),
        required=False,
        max_length=StatusReport.COMMENT_MAX_LENGTH,
        validators=[no_control_characters],
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    # A one-time key per form shown: a double click sends it twice, and the second is not filed.
    token = forms.CharField(
        widget=forms.HiddenInput, required=False, max_length=64, initial=new_form_token
    )

    def __init__(
        self,
        *args,
        activity,
        organisation,
        organisations,
        with_assessment=False,
        plan_ended=False,
        last_report=None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.plan_ended = plan_ended
        # Not `self.organisation`: templates would find the form field of that name first.
        self.activity, self.reporting_for = activity, organisation
        self.organisations = {o.pk: o for o in organisations}
        self.fields["organisation"].choices = [(o.pk, o.code) for o in organisations]
        self.fields["organisation"].initial = organisation.pk
        self.is_lead = is_lead(organisation, activity)
        if self.is_lead:
            self.fields["status"] = forms.ChoiceField(
                label=_("Status"), choices=Status.reportable_choices, widget=forms.RadioSelect
            )
            # Before the other fields, where the template expects it.
            self.order_fields(["organisation", "status"])
        self.fields["comment"].help_text = (
            _comment_help(plan_ended)
            if self.is_lead
            else _("Högst %(max)s tecken.") % {"max": number(StatusReport.COMMENT_MAX_LENGTH)}
        )
        self.targets = targets_reportable_by(organisation, activity)
        last = {v.target_id: v for v in last_report.values.all()} if last_report else {}
        if last_report and last_report.status and self.is_lead:
            self.fields["status"].initial = last_report.status
        for target in self.targets:
            if target.is_numeric:
                # Text, not type=number: a browser's number field may drop the decimal comma
                # ("11,5" became 115); localize reads "11,5" in Swedish and "11.5" too.
                self.fields[self.value_field(target)] = forms.DecimalField(
                    label=target.phrase,
                    required=False,
                    min_value=0,
                    max_digits=12,
                    decimal_places=2,
                    localize=True,
                    initial=getattr(last.get(target.pk), "value", None),
                    help_text=self._target_help(target),
                    widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
                )
            if with_assessment:
                self.fields[self.assessment_field(target)] = forms.ChoiceField(
                    label=_("Bedömning: %(phrase)s") % {"phrase": target.phrase},
                    required=False,
                    choices=[("", _("Ingen bedömning")), *Assessment.choices],
                    initial=getattr(last.get(target.pk), "assessment", ""),
                )

    @property
    def current_assessment(self):
        """The reporting organisation's own final assessment of the activity, if any."""
        return self.activity.assessment_of(self.reporting_for)

    @staticmethod
    def value_field(target):
        return f"value_{target.pk}"

    @staticmethod
    def assessment_field(target):
        return f"assessment_{target.pk}"

    @staticmethod
    def _target_help(target):
        parts = []
        if target.value_max is not None:
            parts.append(
                _("Mål: %(low)s–%(high)s")
                % {"low": number(target.value), "high": number(target.value_max)}
            )
        else:
            parts.append(_("Mål: %(value)s") % {"value": number(target.value)})
        if target.unit:
            parts.append(target.unit)
        if target.baseline is not None:
            parts.append(_("utgångsläge %(baseline)s") % {"baseline": number(target.baseline)})
        if target.year:
            parts.append(_("år %(year)s") % {"year": target.year})
        if target.responsible_organisation:
            parts.append(_("ansvarig %(code)s") % {"code": target.responsible_organisation.code})
        return ", ".join(str(p) for p in parts)

    def target_fields(self):
        """(target, value field or None, assessment field or None) for the template."""
        for target in self.targets:
            value = (
                self[self.value_field(target)] if self.value_field(target) in self.fields else None
            )
            assessment = (
                self[self.assessment_field(target)]
                if self.assessment_field(target) in self.fields
                else None
            )
            yield target, value, assessment

    def _refuse_fields_not_offered(self):
        """A status or a value the chosen organisation does not report is refused, not
        silently dropped: the sender must not be told it was saved."""
        code = self.reporting_for.code
        if self.data.get("status") and "status" not in self.fields:
            self.add_error(
                None,
                _("%(org)s leder inte aktiviteten och rapporterar ingen status.") % {"org": code},
            )
        for key in self.data:
            offered = key in self.fields or not self.data.get(key)
            if key.startswith(("value_", "assessment_")) and not offered:
                self.add_error(
                    None,
                    _("%(org)s rapporterar inte det målet; ansvarig är en annan organisation.")
                    % {"org": code},
                )
                break

    def clean_organisation(self):
        chosen = self.organisations[self.cleaned_data["organisation"]]
        if chosen != self.reporting_for:
            raise forms.ValidationError(_("Formuläret gällde en annan organisation. Försök igen."))
        return chosen

    def clean(self):
        cleaned = super().clean()
        status = cleaned.get("status", "")
        needing = Status.needing_comment(plan_ended=self.plan_ended)
        if status in needing and not cleaned.get("comment", "").strip():
            names = {"status": Status(status).label}
            if Status(status).needs_explanation(plan_ended=self.plan_ended):
                message = ENDED_PLAN_IN_PROGRESS % names
            else:
                message = _("Skriv en kommentar: den krävs när statusen är %(status)s.") % names
            self.add_error("comment", message)
        values, assessments = {}, {}
        for target in self.targets:
            value = cleaned.get(self.value_field(target))
            assessment = cleaned.get(self.assessment_field(target))
            if value is not None:
                values[target] = value
            if assessment:
                assessments[target] = assessment
        cleaned["status"] = status
        cleaned["values"] = values
        cleaned["assessments"] = assessments
        self._refuse_fields_not_offered()
        if self.errors:
            return cleaned
        if not self.is_lead and not (values or assessments or cleaned.get("comment", "").strip()):
            raise forms.ValidationError(
                _("Fyll i ett värde eller en kommentar: %(org)s rapporterar målets värde.")
                % {"org": self.reporting_for.code}
            )
        return cleaned


class ReportingRoundForm(forms.ModelForm):
    class Meta:
        model = ReportingRound
        fields = ["name", "opens_on", "deadline"]
        widgets = {
            "opens_on": forms.DateInput(attrs={"type": "date"}),
            "deadline": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.plan = plan
        today = timezone.localdate()
        self.fields["opens_on"].initial = today
        self.fields["deadline"].initial = today + datetime.timedelta(days=21)

    def clean_name(self):
        # A name used before, in any case, is refused by ReportingRound.clean().
        return ReportingRound.clean_name(self.cleaned_data["name"])

    def clean(self):
        cleaned = super().clean()
        opens_on, deadline = cleaned.get("opens_on"), cleaned.get("deadline")
        if opens_on and deadline and deadline < opens_on:
            self.add_error("deadline", _("Sista dag kan inte vara före dagen omgången öppnar."))
        return cleaned


class OutcomeAssessmentForm(forms.Form):
    """A lead organisation's final assessment of the activity's expected outcome."""

    organisation = forms.TypedChoiceField(coerce=int, widget=forms.HiddenInput)
    assessment = forms.ChoiceField(
        label=_("Bedömning av förväntat utfall"),
        choices=Assessment.choices,
        widget=forms.RadioSelect,
    )
    motivation = forms.CharField(
        label=_("Motivering"),
        max_length=MOTIVATION_MAX_LENGTH,
        validators=[no_control_characters],
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Vad som uppnåddes och hur ni vet det. Krävs."),
        error_messages={"required": _("Skriv en motivering.")},
    )

    def __init__(self, *args, organisation, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.reporting_for = organisation
        self.organisations = {o.pk: o for o in organisations}
        self.fields["organisation"].choices = [(o.pk, o.code) for o in organisations]
        self.fields["organisation"].initial = organisation.pk

    def clean_organisation(self):
        chosen = self.organisations[self.cleaned_data["organisation"]]
        if chosen != self.reporting_for:
            raise forms.ValidationError(_("Formuläret gällde en annan organisation. Försök igen."))
        return chosen

    def clean_motivation(self):
        motivation = self.cleaned_data["motivation"].strip()
        if not motivation:
            raise forms.ValidationError(_("Skriv en motivering."))
        return motivation
