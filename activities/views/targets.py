"""The targets page: every target of a plan with its baseline, latest or final value, target
value and assessment, filtered, sorted and paged like the activity table; its Excel export; and
the same page in public (insyn) for a published plan, without names, and with the assessments'
motivations only where the plan shows comments publicly."""

from django.db.models import Prefetch
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_tables2 import RequestConfig

from areas.decorators import plan_view, read_only
from areas.models import Plan

from ..excel.cells import CONTENT_TYPE, sent
from ..excel.target_export import started, write_target_workbook
from ..filters import TargetFilter, chosen_filters
from ..fragments import shown_filters, table_paginator
from ..models import ActivityOrganisation, Role, Target
from ..public_cache import TABLE_PARAMETERS, public_page, render_public
from ..tables import PAGE_SIZES, PublicTargetTable, TargetTable


def target_rows(plan):
    """The plan's targets with what a row shows, in a fixed number of queries: the newest
    value and assessment with their organisations, the activity with its area and plan, the
    responsible organisation, and the activity's leads (for a target that names none)."""
    leads = ActivityOrganisation.objects.filter(role=Role.LEAD).select_related("organisation")
    return (
        Target.objects.filter(activity__insats__area__plan=plan)
        .with_latest_value()
        .select_related("activity__insats__area__plan", "responsible_organisation")
        .prefetch_related(Prefetch("activity__roles", queryset=leads.order_by("position")))
    )


def filtered_targets(request, plan):
    """The page's FilterSet and the rows it lets through (none when a filter is invalid: its
    error is shown, never every target)."""
    filterset = TargetFilter(request.GET, queryset=target_rows(plan), plan=plan)
    queryset = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    return filterset, queryset


def target_table_context(
    request, plan, table_class=TargetTable, show_motivation=True, public=False
):
    filterset, queryset = filtered_targets(request, plan)
    table = table_class(queryset, show_motivation=show_motivation)
    paginate = {"paginator_class": table_paginator(request, plan, public)}
    RequestConfig(request, paginate=paginate).configure(table)
    return {
        "plan": plan,
        "filter_key": shown_filters(request, filterset),
        "filter": filterset,
        "table": table,
        "page_sizes": PAGE_SIZES,
        "per_page": table.paginator.per_page,
        "result_count": table.paginator.count,
    }


@plan_view
@read_only
def target_list(request, plan):
    return render(request, "activities/target_list.html", target_table_context(request, plan))


@plan_view
@require_GET
def export_targets(request, plan):
    """Exactly the rows the targets page shows under the same query string (every page),
    sent as they are written (cells.sent()): at 1000× the plan the first bytes leave at once
    instead of after the whole file is built."""
    filterset, queryset = filtered_targets(request, plan)
    summary = chosen_filters(filterset, _("Ogiltigt filter: inga mål"))
    chunks = sent(write_target_workbook, plan, started(queryset), summary)
    response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, f"mal-{plan.slug}.xlsx")
    return response


@public_page(reads=(*TargetFilter.base_filters, *TABLE_PARAMETERS))
def public_target_list(request, plan_slug):
    plan = get_object_or_404(Plan, slug=plan_slug, published=True)
    context = target_table_context(
        request, plan, PublicTargetTable, show_motivation=plan.public_comments, public=True
    )
    return render_public(request, "activities/target_list.html", context)
