"""The round page's choice of what the reminders ask for (activities/reminders.py)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .reminders import Kind, kinds_offered


class ReminderForm(forms.Form):
    """Which reminders to send: missing reports (the default, and the only choice before the
    plan's final assessment opens), missing final assessments, or both. A value the page
    does not offer is refused with one message, never quoted back."""

    kind = forms.ChoiceField(
        label=_("Påminn om"),
        widget=forms.RadioSelect,
        required=False,
        error_messages={
            "invalid_choice": _(
                "Välj vad påminnelserna gäller bland alternativen på sidan. Slutbedömningar "
                "kan efterfrågas först när planens slutbedömning har öppnat."
            )
        },
    )

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind.value, kind.label) for kind in kinds_offered(plan)]
        self.fields["kind"].initial = Kind.REPORTS.value

    def clean_kind(self):
        return Kind(self.cleaned_data["kind"] or Kind.REPORTS)
