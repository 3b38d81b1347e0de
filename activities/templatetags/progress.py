from django import template
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ..text import number
from .plan_language import sv_text

register = template.Library()


register.filter("number", number)


@register.simple_tag
def progress(target):
    """The newest reported value against the target, in words and as a bar that states the
    numbers too (WCAG 1.4.1). Needs targets annotated by Target.objects.with_latest_value()."""
    value = getattr(target, "latest_value", None)
    if value is None:
        return format_html('<span class="muted">{}</span>', _("Inget värde rapporterat"))
    percent = target.progress(value)
    # The unit is the plan's own word: Swedish text in an English sentence (plan_language).
    unit = format_html(" {}", sv_text(target.unit)) if target.unit else ""
    goal = number(target.value)
    if target.value_max is not None:
        goal += f"–{number(target.value_max)}"
    text = escape(_("%(value)s%(unit)s av %(target)s")) % {
        "value": escape(number(value)),
        "unit": unit,
        "target": escape(goal),
    }
    if target.baseline is not None:
        baseline = _("(utgångsläge %(baseline)s)") % {"baseline": number(target.baseline)}
        text += " " + escape(baseline)
    text = mark_safe(text)  # every part escaped above
    return format_html(
        '<span class="progress"><span class="progress__text">{} – <strong>{} %</strong></span>'
        '<svg class="progress-bar" viewBox="0 0 100 4" preserveAspectRatio="none" '
        'aria-hidden="true" focusable="false"><rect class="progress-bar__fill" x="0" y="0" '
        'width="{}" height="4"></rect></svg>'
        '<span class="muted progress__meta">{} {}</span></span>',
        text,
        floatformat(percent, 0),
        floatformat(min(percent, 100), "2u"),
        getattr(target, "latest_value_org", "") or "",
        timezone.localdate(target.latest_value_at).isoformat() if target.latest_value_at else "",
    )
