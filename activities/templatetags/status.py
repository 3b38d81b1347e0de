from django import template
from django.utils.html import format_html

from activities.models import Status
from activities.models.reports import NOT_REPORTED, NOT_REPORTED_LABEL

register = template.Library()

# A distinct symbol per status, so status never depends on colour alone (WCAG 1.4.1);
# the text label always comes with it.
SYMBOLS = {
    Status.NOT_STARTED: "○",
    Status.ON_TRACK: "●",
    Status.AT_RISK: "▲",
    Status.DELAYED: "■",
    Status.COMPLETED: "✓",
    Status.CANCELLED: "✕",
    NOT_REPORTED: "–",
}


def status_label(key):
    if key == NOT_REPORTED or not key:
        return NOT_REPORTED_LABEL
    return Status(key).label


@register.simple_tag
def status_badge(key):
    key = key or NOT_REPORTED
    return format_html(
        '<span class="status status--{}">'
        '<span class="status__symbol" aria-hidden="true">{}</span> {}</span>',
        key,
        SYMBOLS.get(key, "?"),
        status_label(key),
    )


register.filter("status_label", status_label)
