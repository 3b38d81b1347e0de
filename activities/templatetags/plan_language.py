"""The language of the plan's own text (WCAG 2.1 SC 3.1.2, Language of Parts).

The plan, its reports and assessments, and the organisations' names are Swedish whatever the
interface's language. With English chosen, `<html lang="en">` would have a screen reader read
them with English rules, so every element holding such text says `lang="sv"`; in Swedish it
says nothing (the page's own language is right).

- `{% sv %}` inside an element's start tag: `<h1{% sv %}>{{ activity.description }}</h1>`.
- `{{ text|sv }}` for text among other words: `<span lang="sv">…</span>` around the escaped
  text when needed, the text (escaped) otherwise, "" for no text (so `|default:"–"` after it
  still works).
- `sv_attr()` and `sv_text()` are the same for Python that builds HTML (the tables' columns).
"""

from django import template
from django.conf import settings
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

PLAN_LANGUAGE = "sv"


def needs_lang():
    """Whether plan text needs its own lang: the active language is not Swedish."""
    language = get_language() or settings.LANGUAGE_CODE
    return language.split("-")[0].lower() != PLAN_LANGUAGE


def sv_attr():
    """` lang="sv"` for an element's start tag when the interface is not Swedish, else ""."""
    return mark_safe(f' lang="{PLAN_LANGUAGE}"') if needs_lang() else ""


def sv_text(value, autoescape=True):
    """`value` (escaped unless already safe) as Swedish text: in a `<span lang="sv">` when the
    interface is not Swedish. None and "" give ""."""
    if value is None or value == "":
        return ""
    text = conditional_escape(value) if autoescape else mark_safe(value)
    if not needs_lang():
        return text
    return format_html('<span lang="{}">{}</span>', PLAN_LANGUAGE, text)


@register.simple_tag(name="sv")
def sv_tag():
    return sv_attr()


@register.filter(name="sv", needs_autoescape=True)
def sv_filter(value, autoescape=True):
    return sv_text(value, autoescape)
