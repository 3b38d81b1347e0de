"""The report to the board's own tags: an assessment as symbol and label, so it never depends
on colour (the Word document writes the same symbol before the same label)."""

from django import template
from django.utils.html import format_html

from activities.board_report import assessment_symbol

register = template.Library()


@register.simple_tag
def assessment_badge(key, label):
    """`key`: an Assessment value, "" for none; `label`: what to call it ("Ej bedömd" or
    "Ej bedömt": an activity and a target differ in Swedish)."""
    return format_html(
        '<span class="assessment assessment--{}">'
        '<span class="assessment__symbol" aria-hidden="true">{}</span> {}</span>',
        key or "none",
        assessment_symbol(key),
        label,
    )
