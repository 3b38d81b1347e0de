"""Form widgets for the plan's own text, which is Swedish whatever the interface's language
(WCAG 2.1 SC 3.1.2; activities/templatetags/plan_language.py): with English chosen they say
lang="sv", so a screen reader reads the choices and the text in Swedish (and a browser checks
the spelling of a comment as Swedish)."""

from django import forms

from .templatetags.plan_language import PLAN_LANGUAGE, needs_lang


class PlanTextSelect(forms.Select):
    """A choice of the plan's own things (areas, insatser, organisations, plans): each option
    but the empty one ("All") is Swedish."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if value not in (None, "") and needs_lang():
            option["attrs"]["lang"] = PLAN_LANGUAGE
        return option


class PlanTextarea(forms.Textarea):
    """A report's comment or an assessment's motivation: Swedish text, typed or shown again."""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if needs_lang():
            context["widget"]["attrs"]["lang"] = PLAN_LANGUAGE
        return context
