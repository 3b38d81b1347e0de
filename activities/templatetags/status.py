from django import template
from django.utils.html import format_html

from activities.models import Status

register = template.Library()


@register.filter
def status_label(key):
    return Status.of(key).label


@register.simple_tag
def status_badge(key):
    """The status as symbol and label; the colour (by CSS class) is only a third cue."""
    status = Status.of(key)
    return format_html(
        '<span class="status status--{}">'
        '<span class="status__symbol" aria-hidden="true">{}</span> {}</span>',
        status.value,
        status.symbol,
        status.label,
    )


@register.simple_tag
def own_status_badge(activity, organisation):
    """The organisation's own status on the activity, where it leads it (else nothing)."""
    key = activity.status_of(organisation)
    return status_badge(key) if key is not None else ""
