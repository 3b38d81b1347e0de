import datetime
import secrets

from django import forms
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from .models import Assessment, ReportingRound, Status, StatusReport
from .models.assessments import MOTIVATION_MAX_LENGTH
from .permissions import is_lead, reports_on_behalf, targets_reportable_by
from .reporting import (
    AssessmentDraft,
    ReportDraft,
    TargetAssessmentDraft,
    final_assessment_problems,
    report_problems,
)
from .reporting.rules import NO_SUCH_TARGET, in_cents
from .templatetags.plan_language import sv_text
from .text import number
from .widgets import PlanTextarea

# A forged target assessment in a status report post (the report form has none).
ASSESSED_ELSEWHERE = _(
    "Statusrapporten bedömer inga mål: målen bedöms i slutbedömningen. Inget sparades."
)


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


def _add_problems(form, problems, field_for):
    """Put the reporting core's problems on the form's fields (None: the whole form); a field
    the form could not read already says so."""
    unreadable = set(form.errors)
    for problem in problems:
        name = field_for(problem.field)
        if name is None or name not in unreadable:
            form.add_error(name, problem.message)


class CheckedByTheRules(forms.ChoiceField):
    """Radio buttons whose answer the reporting core checks (missing or unknown), so the form
    and the workbook say the same."""

    def valid_value(self, value):
        return True


class StatusReportForm(forms.Form):
    """A report on one activity for one organisation (`organisation`, one of the user's
    `organisations`): a lead gives its own status; each organisation gives a value for the
    numeric targets it reports (a target's responsible organisation only that target's); a
    comment. After the plan's outcome deadline (`plan_ended`) a status of work still in
    progress needs a comment too. Targets are assessed in the final assessment
    (FinalAssessmentForm), never here.

    The fields are those of the chosen organisation only, and start from its last report
    (`last_report`: status and values; the comment starts empty). A forged organisation fails
    validation like any unknown choice.
    """

    organisation = forms.TypedChoiceField(
        label=_("Rapporterar för"), coerce=int, widget=forms.HiddenInput
    )
    # Its length and characters are the reporting core's rules; the core strips it.
    comment = forms.CharField(
        label=_("Kommentar"),
        required=False,
        strip=False,
        widget=PlanTextarea(attrs={"rows": 5, "maxlength": StatusReport.COMMENT_MAX_LENGTH}),
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
        author,
        plan_ended=False,
        last_report=None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.plan_ended = plan_ended
        self.author = author
        self.draft = None
        # Not `self.organisation`: templates would find the form field of that name first.
        self.activity, self.reporting_for = activity, organisation
        self.organisations = {o.pk: o for o in organisations}
        self.fields["organisation"].choices = [(o.pk, o.code) for o in organisations]
        self.fields["organisation"].initial = organisation.pk
        self.is_lead = is_lead(organisation, activity)
        if self.is_lead:
            # Not required here: a missing status is the reporting core's rule.
            self.fields["status"] = CheckedByTheRules(
                label=_("Status"),
                choices=Status.reportable_choices,
                required=False,
                widget=forms.RadioSelect,
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
            self._add_value_field(target, last.get(target.pk))

    def _add_value_field(self, target, last):
        """The target's value field (numeric targets), starting from the organisation's `last`
        TargetValue of it."""
        if target.is_numeric:
            # Text, not type=number: a browser's number field may drop the decimal comma
            # ("11,5" became 115); localize reads "11,5" in Swedish and "11.5" too.
            self.fields[self.value_field(target)] = forms.DecimalField(
                label=sv_text(target.phrase),
                required=False,
                # Rounded to cents and kept in range by the reporting core, as from a workbook.
                localize=True,
                initial=_shortest(getattr(last, "value", None)),
                help_text=self._target_help(target),
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            )

    @property
    def current_assessment(self):
        """The reporting organisation's own final assessment of the activity, if any."""
        return self.activity.assessment_of(self.reporting_for)

    @staticmethod
    def value_field(target):
        return f"value_{target.pk}"

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
            parts.append(sv_text(target.unit))
        if target.baseline is not None:
            parts.append(_("utgångsläge %(baseline)s") % {"baseline": number(target.baseline)})
        if target.year:
            parts.append(_("år %(year)s") % {"year": target.year})
        if target.responsible_organisation:
            parts.append(_("ansvarig %(code)s") % {"code": target.responsible_organisation.code})
        # The unit is the plan's word, marked Swedish (plan_language); the rest is escaped.
        return format_html_join(", ", "{}", ((p,) for p in parts))

    def value_fields(self):
        """The numeric targets' value fields, for the template."""
        return [self[name] for name in map(self.value_field, self.targets) if name in self.fields]

    def _not_offered(self, draft):
        """A status or a target the chosen organisation is not offered is passed on to the
        rules, which refuse it: it must not be silently dropped and the sender told it was
        saved."""
        if "status" not in self.fields:
            draft.status = self.data.get("status", "")
        targets = {str(t.pk): t for t in self.activity.targets.all()}
        unknown = assessed = False
        for key in self.data:
            kind, _sep, pk = key.partition("_")
            if kind not in ("value", "assessment") or key in self.fields or not self.data[key]:
                continue
            if kind == "assessment":
                assessed = True
            elif pk not in targets:
                unknown = True
            else:
                draft.values.setdefault(targets[pk], None)
        if unknown:
            self.add_error(None, NO_SUCH_TARGET)
        if assessed:
            self.add_error(None, ASSESSED_ELSEWHERE)

    def _field_for(self, key):
        """The form field of a problem's neutral key (None: the whole form)."""
        if hasattr(key, "pk"):  # a target
            name = self.value_field(key)
            return name if name in self.fields else None
        return key if key in self.fields else None

    def clean_organisation(self):
        chosen = self.organisations[self.cleaned_data["organisation"]]
        if chosen != self.reporting_for:
            raise forms.ValidationError(_("Formuläret gällde en annan organisation. Försök igen."))
        return chosen

    def clean(self):
        cleaned = super().clean()
        draft = ReportDraft(
            activity=self.activity,
            organisation=self.reporting_for,
            author=self.author,
            status=cleaned.get("status", ""),
            comment=cleaned.get("comment", ""),
            on_behalf=reports_on_behalf(self.author, self.reporting_for),
            token=cleaned.get("token"),
        )
        for target in self.targets:
            value = cleaned.get(self.value_field(target))
            if value is not None or self.value_field(target) in self.errors:
                # None: given, but not a number.
                draft.values[target] = None if value is None else in_cents(value)
        self._not_offered(draft)
        problems = report_problems(
            draft,
            plan_ended=self.plan_ended,
            unreadable=bool(self.errors),
            status_labels={key: str(label) for key, label in Status.reportable_choices()},
        )
        _add_problems(self, problems, self._field_for)
        self.draft = None if self.errors else draft
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


def _shortest(value):
    """A stored value (cents) as a field starts from it: 10, not 10,00; 10,5, not 10,50."""
    if value is None:
        return None
    return value.quantize(1) if value == value.to_integral_value() else value.normalize()


def _motivation_field(label, initial=""):
    # Required in a part filled in, plain text of a limited length: the reporting core's rules.
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        initial=initial,
        widget=PlanTextarea(attrs={"rows": 3, "maxlength": MOTIVATION_MAX_LENGTH}),
        help_text=_("Vad som uppnåddes och hur ni vet det. Högst %(max)s tecken.")
        % {"max": number(MOTIVATION_MAX_LENGTH)},
    )


def _assessment_field(label, initial=""):
    # A missing or unknown choice is the reporting core's rule.
    return CheckedByTheRules(
        label=label,
        choices=Assessment.choices,
        required=False,
        initial=initial,
        widget=forms.RadioSelect,
    )


class FinalAssessmentForm(forms.Form):
    """The final assessment as one act, for one organisation (`organisation`, one of the user's
    `organisations`): a lead assesses the activity's expected outcome, and each organisation
    the targets it answers for (a target's responsible organisation that target; the leads the
    targets without one): Uppnått / Delvis uppnått / Ej uppnått with its own motivation, and a
    final value for a numeric target.

    Each part (the outcome, a target) is optional, but a part begun must be complete and at
    least one part must be filled in: the reporting core's rules. The fields start from the
    current assessments; a part left as it was is not appended again (the core compares it
    with the current one when it writes), so the same form sent twice appends once.
    A forged field (another organisation's target, an outcome part for an organisation that
    does not lead) is passed to the rules, which refuse it."""

    organisation = forms.TypedChoiceField(coerce=int, widget=forms.HiddenInput)

    def __init__(self, *args, activity, organisation, organisations, author, **kwargs):
        # Its own ids: the report form on the same page has fields of the same names.
        kwargs.setdefault("auto_id", "id_assess_%s")
        super().__init__(*args, **kwargs)
        self.activity, self.author, self.reporting_for = activity, author, organisation
        self.plan = activity.insats.area.plan
        self.outcome_draft, self.target_drafts = None, []
        self.organisations = {o.pk: o for o in organisations}
        self.fields["organisation"].choices = [(o.pk, o.code) for o in organisations]
        self.fields["organisation"].initial = organisation.pk
        self.is_lead = is_lead(organisation, activity)
        if self.is_lead:
            given = activity.assessment_of(organisation)
            self.fields["assessment"] = _assessment_field(
                _("Bedömning av förväntat utfall"), getattr(given, "assessment", "")
            )
            self.fields["motivation"] = _motivation_field(
                _("Motivering"), getattr(given, "motivation", "")
            )
        self.targets = targets_reportable_by(organisation, activity)
        for target in self.targets:
            self._add_target_fields(target, target.current_assessment)

    def _add_target_fields(self, target, given):
        names = {"n": target.position}
        self.fields[f"assessment_{target.pk}"] = _assessment_field(
            _("Bedömning av mål %(n)s") % names, getattr(given, "assessment", "")
        )
        self.fields[f"motivation_{target.pk}"] = _motivation_field(
            _("Motivering för mål %(n)s") % names, getattr(given, "motivation", "")
        )
        if target.is_numeric:
            # Text, not type=number, as in the report form (the decimal comma).
            self.fields[f"value_{target.pk}"] = forms.DecimalField(
                label=_("Slutvärde för mål %(n)s") % names,
                required=False,
                localize=True,
                initial=_shortest(getattr(given, "value", None)),
                help_text=_(
                    "Värdet målet nådde. Lämnas det tomt gäller det senast rapporterade (%(v)s)."
                )
                % {"v": number(target.latest_value) if target.current_value_id else "–"},
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            )

    def target_parts(self):
        """(target, assessment field, motivation field, final value field or None)."""
        for target in self.targets:
            value = self.fields.get(f"value_{target.pk}") and self[f"value_{target.pk}"]
            yield (
                target,
                self[f"assessment_{target.pk}"],
                self[f"motivation_{target.pk}"],
                value,
            )

    def clean_organisation(self):
        chosen = self.organisations[self.cleaned_data["organisation"]]
        if chosen != self.reporting_for:
            raise forms.ValidationError(_("Formuläret gällde en annan organisation. Försök igen."))
        return chosen

    def _given(self, name):
        """A field's answer as sent ("" when left empty); for a field the form does not offer,
        the raw text."""
        if name in self.fields:
            value = self.cleaned_data.get(name)
            return "" if value is None else value
        return self.data.get(name, "")

    def _outcome_draft(self):
        assessment, motivation = self._given("assessment"), self._given("motivation")
        if not (assessment or motivation.strip()):
            return None
        return AssessmentDraft(
            activity=self.activity,
            organisation=self.reporting_for,
            author=self.author,
            assessment=assessment,
            motivation=motivation,
            on_behalf=reports_on_behalf(self.author, self.reporting_for),
        )

    def _target_draft(self, target):
        """The target's part, or None when left empty. A value the form could not read, or
        one sent for a target without a value, is `value_given` for the rules to refuse."""
        name = f"value_{target.pk}"
        value = self._given(name) if name in self.fields else None
        given = name in self.errors or (name not in self.fields and bool(self.data.get(name)))
        assessment, motivation = self._given(f"assessment_{target.pk}"), ""
        motivation = self._given(f"motivation_{target.pk}")
        if not (assessment or motivation.strip() or value not in (None, "") or given):
            return None
        return TargetAssessmentDraft(
            target=target,
            organisation=self.reporting_for,
            author=self.author,
            assessment=assessment,
            motivation=motivation,
            value=in_cents(value) if value not in (None, "") else None,
            value_given=given,
            on_behalf=reports_on_behalf(self.author, self.reporting_for),
        )

    def _forged_targets(self):
        """Targets of the activity named by fields the form does not offer (another
        organisation's): passed to the rules, which refuse them. A target the activity does
        not have is the form's own message."""
        targets = {str(t.pk): t for t in self.activity.targets.all()}
        offered = {t.pk for t in self.targets}
        named, unknown = {}, False
        for key in self.data:
            kind, _sep, pk = key.partition("_")
            if kind not in ("assessment", "motivation", "value") or not pk or not self.data[key]:
                continue
            if pk not in targets:
                unknown = True
            elif targets[pk].pk not in offered:
                named[pk] = targets[pk]
        if unknown:
            self.add_error(None, NO_SUCH_TARGET)
        return [d for d in map(self._target_draft, named.values()) if d]

    def _field_for(self, key):
        if isinstance(key, tuple):  # (target, part)
            target, part = key
            name = f"{part}_{target.pk}"
        else:
            name = key
        return name if name in self.fields else None

    def clean(self):
        cleaned = super().clean()
        outcome = self._outcome_draft()
        targets = [d for d in map(self._target_draft, self.targets) if d]
        targets += self._forged_targets()
        labels = {key: str(label) for key, label in Assessment.choices}
        problems = final_assessment_problems(outcome, targets, plan=self.plan, labels=labels)
        _add_problems(self, problems, self._field_for)
        if not self.errors:
            self.outcome_draft, self.target_drafts = outcome, targets
        return cleaned
