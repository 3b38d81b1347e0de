"""A form field for an organisation named in a URL's query string (?lead=SBF): by its code or by
one of the source plan's own spellings (GSF for GRF, Arbvux for ArbVux), in any case."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Control characters and what no text may carry (lone surrogates, U+FFFE, U+FFFF): shown as
# U+FFFD when a refused value is quoted back.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
QUOTED_LENGTH = 40

UNKNOWN_ORGANISATION = _("Det finns ingen organisation med koden eller förkortningen ”%(value)s”.")


def quoted(value):
    """A refused value as a message quotes it: unprintable characters as U+FFFD, at most
    QUOTED_LENGTH characters."""
    text = _UNPRINTABLE.sub("\ufffd", str(value))
    return text if len(text) <= QUOTED_LENGTH else text[: QUOTED_LENGTH - 1] + "…"


class OrganisationCodeField(forms.ModelChoiceField):
    """A ModelChoiceField over organisations (its queryset an OrganisationQuerySet) whose value
    is a code or an alias, any case (OrganisationQuerySet.resolve: one query, as Django's own
    lookup by code). The choice it renders is the canonical code, so ?lead=gsf shows GRF
    chosen. An unknown value is an error naming it."""

    default_error_messages = {"invalid_choice": UNKNOWN_ORGANISATION}

    def __init__(self, queryset, **kwargs):
        kwargs.setdefault("to_field_name", "code")
        super().__init__(queryset, **kwargs)
        self._resolved = {}

    def __deepcopy__(self, memo):
        copy = super().__deepcopy__(memo)
        copy._resolved = {}
        return copy

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, self.queryset.model):
            return value
        text = str(value)
        organisation = self.queryset.resolve(text)
        if organisation is None:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": quoted(text.strip())},
            )
        self._resolved[text] = organisation
        return organisation

    def prepare_value(self, value):
        """The bound value as the option it chose: the canonical code for an alias."""
        if isinstance(value, str) and value in self._resolved:
            value = self._resolved[value]
        return super().prepare_value(value)
