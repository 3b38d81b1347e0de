from django import template
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from ..text import number

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
    unit = f" {target.unit}" if target.unit else ""
    goal = number(target.value)
    if target.value_max is not None:
        goal += f"–{number(target.value_max)}"
    text = _("%(value)s%(unit)s av %(target)s") % {
        "value": number(value),
        "unit": unit,
        "target": goal,
    }
    if target.baseline is not None:
        text += " " + _("(utgångsläge %(baseline)s)") % {"baseline": number(target.baseline)}
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
