"""`{% fragment "name" part … %}…{% endfragment %}`: a part of a page kept in the cache until
the data changes (activities/fragments.py). The key is built here, once for every page: the
name, the part's own values, the data version of the page's plan (read once per request), the
language and the day; the part keeps for settings.FRAGMENT_CACHE_SECONDS.

A `{% csrf_token %}` inside a part is stored without its value and given the current
request's token on every answer, so a form in a kept part never carries another viewer's (or
an earlier session's) token."""

import re

from django import template
from django.core.cache.utils import make_template_fragment_key
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from ..fragments import kept, request_data_version, request_edits

register = template.Library()

CSRF_INPUT = 'name="csrfmiddlewaretoken" value="{}"'
CSRF_VALUE = re.compile(CSRF_INPUT.format('[^"]*'))
# Stored in place of the token. Text on a page is escaped, so it never holds this quoted.
CSRF_HOLE = CSRF_INPUT.format("fragment-csrf-hole")


class FragmentNode(template.Node):
    def __init__(self, nodelist, name, parts, area=None):
        self.nodelist = nodelist
        self.name = name
        self.parts = parts
        self.area = area

    def keys(self, context):
        """The part's key, and its family's: the same with the edits instead of the data
        version, naming the part's latest rendering whatever the filings since
        (fragments.kept)."""
        request = context.request
        name = self.name.resolve(context)
        parts = [part.resolve(context) for part in self.parts]
        parts += [get_language(), timezone.localdate().isoformat()]
        # The plan the page shows: its version moves with its own reports only; a part about
        # one area (area=…) with that area's only.
        area = self.area.resolve(context) if self.area is not None else None
        plan = context.get("plan")
        version = request_data_version(request, plan, area)
        # The family: the same part under any filings since the plan's last edit.
        family = make_template_fragment_key(name, [request_edits(request, plan), *parts])
        return make_template_fragment_key(name, [version, *parts]), f"{family}:latest"

    def render(self, context):
        if getattr(context, "request", None) is None:
            # A page rendered without a request (the public pages, public_cache.render_public,
            # which keeps the whole answer): the part is rendered as it is.
            return self.nodelist.render(context)
        # Rendered by one request while the others are shown the previous rendering or wait
        # for it (fragments.kept).
        key, family = self.keys(context)
        content = kept(
            key,
            lambda: CSRF_VALUE.sub(CSRF_HOLE, self.nodelist.render(context)),
            context.request,
            family,
        )
        if CSRF_HOLE in content:
            token = CSRF_INPUT.format(escape(get_token(context.request)))
            content = content.replace(CSRF_HOLE, token)
        return mark_safe(content)


@register.tag
def fragment(parser, token):
    """{% fragment "round-completeness" round.pk is_current %}…{% endfragment %}; a part that
    shows one strategic area only: {% fragment "board-area" area.pk area=area %}, kept until
    that area's data changes (activities/versions.py)."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("'fragment' needs a name, e.g. {% fragment \"part\" %}")
    area = None
    if bits[-1].startswith("area="):
        area = parser.compile_filter(bits.pop().removeprefix("area="))
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    return FragmentNode(
        nodelist,
        parser.compile_filter(bits[1]),
        [parser.compile_filter(b) for b in bits[2:]],
        area,
    )
