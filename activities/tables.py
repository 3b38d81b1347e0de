from urllib.parse import urlencode

import django_tables2 as tables
from django.core.paginator import Paginator
from django.db.models import Case, F, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from organisations.tables import OrganisationTable

from .models import Activity, ActivityOrganisation, Assessment, Role
from .templatetags.insyn import public_url_of
from .templatetags.plan_language import sv_attr, sv_text
from .templatetags.status import status_badge
from .text import number

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
        return sv_text(value)

    def organisation_url(self, organisation, plan_slug, role):
        return organisation.get_plan_url(plan_slug)

    def organisation_links(self, organisations, plan_slug, role):
        return format_html_join(
            ", ",
            '<a href="{}" title="{}"{}>{}</a>',
            (
                (self.organisation_url(o, plan_slug, role), o.name, sv_attr(), o.code)
                for o in organisations
            ),
        )

    def render_leads(self, record):
        leads = record.leads
        slug = record.insats.area.plan.slug
        if len(leads) < 2:
            return self.organisation_links(leads, slug, "lead")
        # Co-led: each lead with its own status, since the activity's is derived from them.
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}" title="{}"{}>{}</a> {}',
            (
                (
                    self.organisation_url(o, slug, "lead"),
                    o.name,
                    sv_attr(),
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


def with_unit(amount, unit):
    """An amount (a number, or its text) and its unit; the unit, words from the plan, marked
    Swedish (plan_language)."""
    amount = amount if isinstance(amount, str) else number(amount)
    return format_html("{} {}", amount, sv_text(unit)) if unit else amount


def target_goal(target):
    """The target value as the plan states it: "100", a range "15 – 20", with its unit; ""
    for a target without a value."""
    if target.value is None:
        return ""
    goal = number(target.value)
    if target.value_max is not None:
        goal += f" – {number(target.value_max)}"
    return with_unit(goal, target.unit)


def shown_value(target):
    """(value, kind) the targets page shows: the final value when the final assessment gives
    one, else the newest reported value; kind is "final", "latest" or "" (no value)."""
    if target.has_final_value:
        return target.final_value, "final"
    if target.latest_value is not None:
        return target.latest_value, "latest"
    return None, ""


# The targets in the plan's order: by activity, then as the activity lists them.
TARGET_ORDER = (
    "activity__insats__area__number",
    "activity__insats__number",
    "activity__number",
    "position",
)


class TargetTable(tables.Table):
    """Every target of a plan: rows from Target.objects.with_latest_value() with the activity
    (its area and plan) and the responsible organisation selected and the activity's lead
    roles prefetched (views/targets.target_rows). The motivation of an assessment is shown
    unless `show_motivation` is off (a public page of a plan that keeps them private)."""

    reference = tables.Column(
        verbose_name=_("Ref."),
        accessor="pk",
        linkify=lambda record: record.activity.get_absolute_url(),
        order_by=TARGET_ORDER,
        attrs={"td": {"class": "nowrap"}},
    )
    assessment = tables.Column(verbose_name=_("Bedömning"), accessor="pk", empty_values=())
    phrase = tables.Column(verbose_name=_("Mål"))
    baseline = tables.Column(
        verbose_name=_("Utgångsläge"), empty_values=(), attrs={"td": {"class": "numeric"}}
    )
    reached = tables.Column(
        verbose_name=_("Värde"),
        accessor="pk",
        empty_values=(),
        attrs={"td": {"class": "numeric"}},
    )
    goal = tables.Column(
        verbose_name=_("Målvärde"),
        accessor="pk",
        empty_values=(),
        order_by=("value", "value_max"),
        attrs={"td": {"class": "numeric"}},
    )
    progress = tables.Column(
        verbose_name=_("Framsteg"), accessor="pk", empty_values=(), orderable=False
    )
    responsible = tables.Column(verbose_name=_("Ansvarig"), accessor="pk", empty_values=())
    # The activity's title as its lists show it (80 characters): the reference links to all of it.
    activity = tables.Column(verbose_name=_("Aktivitet"), accessor="activity__description")
    motivation = tables.Column(
        verbose_name=_("Motivering"), accessor="pk", empty_values=(), orderable=False
    )

    caption = pgettext_lazy("page", "Mål")

    class Meta:
        attrs = {"class": "data-table"}
        order_by = ("reference",)
        empty_text = _("Inga mål matchar filtret.")

    def __init__(self, *args, show_motivation=True, **kwargs):
        # The assessment right after the reference: on a phone it is in view without scrolling.
        # The motivation, free text of any length, comes last.
        super().__init__(*args, exclude=() if show_motivation else ("motivation",), **kwargs)

    def paginate(self, paginator_class=Paginator, per_page=None, page=1, *args, **kwargs):
        per_page = per_page if per_page in PAGE_SIZES else DEFAULT_PAGE_SIZE
        return super().paginate(paginator_class, per_page, page, *args, **kwargs)

    def render_reference(self, record):
        return record.activity.reference

    def value_reference(self, record):
        return record.activity.reference

    def organisation_url(self, organisation, plan_slug):
        return organisation.get_plan_url(plan_slug)

    def render_responsible(self, record):
        slug = record.activity.insats.area.plan.slug
        link = '<a href="{}" title="{}"{}>{}</a>'
        if record.responsible_organisation_id:
            o = record.responsible_organisation
            return format_html(link, self.organisation_url(o, slug), o.name, sv_attr(), o.code)
        leads = record.activity.leads
        if not leads:
            return "–"
        lang = sv_attr()
        return format_html(
            "{} {}",
            format_html_join(
                ", ", link, ((self.organisation_url(o, slug), o.name, lang, o.code) for o in leads)
            ),
            format_html('<span class="muted">{}</span>', _("(leder aktiviteten)")),
        )

    def order_responsible(self, queryset, is_descending):
        first_lead = ActivityOrganisation.objects.filter(
            activity=OuterRef("activity"), role=Role.LEAD
        ).order_by("position")
        code = Coalesce(
            "responsible_organisation__code", Subquery(first_lead.values("organisation__code")[:1])
        )
        return self._ordered(queryset, code, is_descending)

    def _ordered(self, queryset, expression, is_descending):
        """By `expression` (empty ones last either way), then in plan order."""
        key = expression.desc(nulls_last=True) if is_descending else expression.asc(nulls_last=True)
        return queryset.order_by(key, *TARGET_ORDER), True

    def render_baseline(self, record):
        if record.baseline is None:
            return "–"
        return with_unit(record.baseline, record.unit)

    def order_baseline(self, queryset, is_descending):
        return self._ordered(queryset, F("baseline"), is_descending)

    def render_reached(self, record):
        value, kind = shown_value(record)
        if not kind:
            return format_html('<span class="muted">{}</span>', _("Inget värde rapporterat"))
        if kind == "final":
            note = _("slutvärde enligt bedömningen")
        else:
            note = _("senast rapporterat %(date)s av %(org)s") % {
                "date": timezone.localdate(record.latest_value_at).isoformat(),
                "org": record.latest_value_org,
            }
        shown = with_unit(value, record.unit)
        return format_html('{}<br><span class="muted">{}</span>', shown, note)

    def order_reached(self, queryset, is_descending):
        value = Coalesce("current_assessment__value", "current_value__value")
        return self._ordered(queryset, value, is_descending)

    def render_goal(self, record):
        goal = target_goal(record)
        if not goal:
            return format_html('<span class="muted">{}</span>', _("Ej numeriskt"))
        return goal

    def render_progress(self, record):
        percent = record.progress(shown_value(record)[0])
        if percent is None:
            return "–"
        return format_html(
            '<span class="progress"><strong>{} %</strong>'
            '<svg class="progress-bar" viewBox="0 0 100 4" preserveAspectRatio="none" '
            'aria-hidden="true" focusable="false"><rect class="progress-bar__fill" x="0" y="0" '
            'width="{}" height="4"></rect></svg></span>',
            floatformat(percent, 0),
            floatformat(min(percent, 100), "2u"),
        )

    def render_phrase(self, value):
        return sv_text(value)

    def render_activity(self, record):
        return sv_text(record.activity.short_description)

    def render_assessment(self, record):
        if not record.current_assessment_id:
            return format_html('<span class="muted">{}</span>', _("Ej bedömt"))
        given = record.current_assessment
        return format_html("<strong>{}</strong>", given.get_assessment_display())

    def render_motivation(self, record):
        if not record.current_assessment_id:
            return "–"
        given = record.current_assessment
        return format_html(
            '{} <span class="muted">({})</span>', sv_text(given.motivation), given.organisation.code
        )

    def order_assessment(self, queryset, is_descending):
        order = Case(
            *(
                When(current_assessment__assessment=key, then=Value(i))
                for i, key in enumerate(Assessment.values)
            ),
            default=Value(len(Assessment.values)),
            output_field=IntegerField(),
        )
        return self._ordered(queryset, order, is_descending)


class PublicTargetTable(TargetTable):
    """The targets table on the public pages: links stay under /insyn/ (an organisation leads
    to the public targets page filtered on it)."""

    reference = tables.Column(
        verbose_name=_("Ref."),
        accessor="pk",
        linkify=lambda record: public_url_of(record.activity),
        order_by=TARGET_ORDER,
        attrs={"td": {"class": "nowrap"}},
    )

    class Meta(TargetTable.Meta):
        pass

    def organisation_url(self, organisation, plan_slug):
        query = urlencode({"responsible": organisation.code})
        return f"{reverse('insyn:targets', args=[plan_slug])}?{query}"


class PlanOrganisationTable(OrganisationTable):
    """The organisations page's table, with the names and the plan's spellings of them marked
    Swedish (plan_language; the organisations app cannot ask the activities app's helper)."""

    class Meta(OrganisationTable.Meta):
        pass

    def render_name(self, value):
        return sv_text(value)

    def render_aliases(self, record):
        return sv_text(", ".join(a.alias for a in record.aliases.all())) or "–"
