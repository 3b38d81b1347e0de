from urllib.parse import urlencode

import django_tables2 as tables
from django.core.paginator import Paginator
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from .models import Activity
from .templatetags.insyn import public_url_of
from .templatetags.status import status_badge

PAGE_SIZES = [10, 25, 50, 100]
DEFAULT_PAGE_SIZE = 25


class ActivityTable(tables.Table):
    reference = tables.Column(
        verbose_name=_("Ref."),
        accessor="pk",
        linkify=lambda record: record.get_absolute_url(),
        order_by=("insats__area__number", "insats__number", "number"),
        attrs={"td": {"class": "nowrap"}},
    )
    description = tables.Column(verbose_name=_("Aktivitet"))
    leads = tables.Column(verbose_name=_("Leder arbetet"), empty_values=(), orderable=False)
    participants = tables.Column(
        verbose_name=_("Deltar i arbetet"), empty_values=(), orderable=False
    )
    current_status = tables.Column(verbose_name=_("Status"), empty_values=())
    last_reported_at = tables.DateTimeColumn(
        verbose_name=_("Senast rapporterad"), format="Y-m-d", default="–"
    )

    caption = _("Aktiviteter")

    class Meta:
        model = Activity
        # Status right after the reference: on a phone it is in view without scrolling.
        fields = [
            "reference",
            "current_status",
            "description",
            "leads",
            "participants",
            "last_reported_at",
        ]
        sequence = fields
        order_by = ("reference",)
        attrs = {"class": "data-table"}
        empty_text = _("Inga aktiviteter matchar filtret.")

    def paginate(self, paginator_class=Paginator, per_page=None, page=1, *args, **kwargs):
        # RequestConfig takes ?per_page= as it comes; only the sizes the page offers are used.
        per_page = per_page if per_page in PAGE_SIZES else DEFAULT_PAGE_SIZE
        return super().paginate(paginator_class, per_page, page, *args, **kwargs)

    def render_reference(self, record):
        return record.reference

    def value_reference(self, record):
        return record.reference

    def render_description(self, value):
        return value

    def organisation_url(self, organisation, plan_slug, role):
        return organisation.get_plan_url(plan_slug)

    def organisation_links(self, organisations, plan_slug, role):
        return format_html_join(
            ", ",
            '<a href="{}" title="{}">{}</a>',
            ((self.organisation_url(o, plan_slug, role), o.name, o.code) for o in organisations),
        )

    def render_leads(self, record):
        leads = record.leads
        slug = record.insats.area.plan.slug
        if len(leads) < 2:
            return self.organisation_links(leads, slug, "lead")
        # Co-led: each lead with its own status, since the activity's is derived from them.
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}" title="{}">{}</a> {}',
            (
                (
                    self.organisation_url(o, slug, "lead"),
                    o.name,
                    o.code,
                    status_badge(record.status_of(o)),
                )
                for o in leads
            ),
        )

    def render_participants(self, record):
        slug = record.insats.area.plan.slug
        return self.organisation_links(record.participants, slug, "participant")

    def render_current_status(self, record):
        # The stored key, not the choice label django-tables2 would hand over as `value`.
        return status_badge(record.current_status)

    def order_current_status(self, queryset, is_descending):
        return queryset.order_by_status(descending=is_descending), True


class PublicActivityTable(ActivityTable):
    """The table on the public pages: every link stays under /insyn/; an organisation leads to
    the table filtered on it in the same role."""

    reference = tables.Column(
        verbose_name=_("Ref."),
        accessor="pk",
        linkify=lambda record: public_url_of(record),
        order_by=("insats__area__number", "insats__number", "number"),
        attrs={"td": {"class": "nowrap"}},
    )

    class Meta(ActivityTable.Meta):
        pass  # django-tables2 does not inherit Meta by itself

    def organisation_url(self, organisation, plan_slug, role):
        query = urlencode({role: organisation.code})
        return f"{reverse('insyn:activities', args=[plan_slug])}?{query}"
