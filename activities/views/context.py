"""The context builders the view modules share: the activity table, the activity page (with
its report and assessment forms), the overview and an area's page. Signed-in and public pages,
exports and the round page build on these; no view module imports another view module."""

from functools import partial

from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from areas.models import Insats, PlanState, StrategicArea
from organisations.models import Organisation

from ..changes import since_previous
from ..charts import charts_for
from ..filters import ActivityFilter, chosen_filters
from ..forms import FinalAssessmentForm, StatusReportForm
from ..fragments import lazy, shown_filters, table_paginator
from ..models import (
    Activity,
    OutcomeAssessment,
    ReportingRound,
    Role,
    Status,
    StatusReport,
    TargetAssessment,
)
from ..models.status import OVERALL_RULE
from ..permissions import organisations_user_may_report_for
from ..summaries import (
    areas_with_counts,
    assessment_rollup,
    status_bars,
    status_totals,
    unassessed_by_organisation,
)
from ..tables import PAGE_SIZES, ActivityTable
from ..versions import with_filings

OVERVIEW_LIST_LIMIT = 10
# A page lists at most this many activities per section (per insats, per role…), read in SQL;
# a link leads to all of them in the activity table, which pages and filters them.
SECTION_LIMIT = 30
# The area page shows each insats's first few (the real plan has at most six in an insats).
INSATS_LIMIT = 8


OVERVIEW_KEYS = (
    "areas",
    "insats_count",
    "activity_count",
    "status_bars",
    "statuses",
    "attention",
    "attention_count",
    "attention_query",
    "never_reported",
    "never_reported_count",
    "round",
    "changes",
    "rollup",
    "unassessed",
)


def overview_context(plan):
    """The overview's content; the signed-in and the public overview show the same. Read
    only when the template shows it: on a hit of the page's kept parts (`{% fragment %}`),
    nothing of it is read (activities/fragments.py)."""
    content = lazy(lambda: _overview_content(plan))
    return {"plan": plan} | {key: lazy(partial(_item, content, key)) for key in OVERVIEW_KEYS}


def _item(content, key):
    return content[key]


def _overview_content(plan):
    areas = list(areas_with_counts(plan))
    activities = Activity.objects.filter(insats__area__plan=plan).for_rows().in_plan_order()
    attention = activities.filter(current_status__in=Status.needing_attention())
    current_round = ReportingRound.objects.current_for(plan)
    never_reported = activities.filter(current_status=Status.NOT_REPORTED)
    bars = status_bars(plan, areas)
    # The counts come from the bars' grouped query, not a COUNT each.
    per_status = status_totals(bars)
    return {
        "areas": areas,
        "insats_count": sum(len(a.insatser.all()) for a in areas),
        "activity_count": sum(a.activity_count for a in areas),
        "status_bars": bars,
        "statuses": list(Status),
        "attention": attention[:OVERVIEW_LIST_LIMIT],
        "attention_count": sum(per_status[s] for s in Status.needing_attention()),
        "attention_query": Status.needing_attention_query(),
        "never_reported": never_reported[:OVERVIEW_LIST_LIMIT],
        "never_reported_count": per_status[Status.NOT_REPORTED],
        "round": current_round,
        "changes": since_previous(current_round) if current_round else None,
        "rollup": assessment_rollup(plan) if plan.assessment_is_open else None,
        "unassessed": unassessed_by_organisation(plan) if plan.assessment_is_open else None,
    }


def area_context(plan, number):
    """An area's page content (404 for a number not in the plan); signed-in and public."""
    # Read with its filings: the page's content is a part kept by the area's own version
    # (fragments.py), so on a hit nothing below is read.
    area = get_object_or_404(
        with_filings(StrategicArea.objects.select_related("plan")), plan=plan, number=number
    )
    # Each insats's first activities, limited in SQL (a window per insats), and its count.
    insatser = (
        Insats.objects.filter(area=area)
        .select_related("area")
        .annotate(activity_count=Count("activities"))
        .prefetch_related(
            Prefetch(
                "activities",
                queryset=Activity.objects.for_rows().in_plan_order()[:INSATS_LIMIT],
                to_attr="first_activities",
            )
        )
        .order_by("number")
    )
    rollup = lazy(lambda: assessment_rollup(plan, area=area)) if plan.assessment_is_open else None
    return {"plan": plan, "area": area, "insatser": insatser, "rollup": rollup}


def filtered_activities(request, plan, filter_class=ActivityFilter):
    """The activity table's FilterSet; the Excel export reuses it, so both show the same rows."""
    queryset = Activity.objects.filter(insats__area__plan=plan).with_related().with_last_report()
    return filter_class(request.GET, queryset=queryset, plan=plan)


def activity_table_context(
    request, plan, filter_class=ActivityFilter, table_class=ActivityTable, public=False
):
    """The filtered, sorted and paged table; the signed-in and the public table differ only
    in their filters (fewer in public) and their links."""
    filterset = filtered_activities(request, plan, filter_class)
    queryset = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    table = table_class(queryset)
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


def get_activity(plan, reference, authors=True):
    """The activity with reference "area.insats.activity" in this plan, or 404; its reports'
    authors are read only with `authors` (the public page names nobody)."""
    return get_object_or_404(
        Activity.objects.with_related(authors=authors)
        .select_related("predecessor__insats__area__plan")
        .by_reference(plan, reference)
    )


def chosen_organisation(organisations, wanted):
    """The organisation the form is for: the one asked for (a code in any case or a spelling
    the source plan uses, as in ?for=GSF, or a pk from a posted form) if the user may report
    for it, else the first. An alias costs one query, and only when nothing else matched."""
    wanted = (wanted or "").strip()
    for organisation in organisations:
        if wanted.casefold() in (organisation.code.casefold(), str(organisation.pk)):
            return organisation
    aliased = Organisation.objects.resolve(wanted) if wanted else None
    return next((o for o in organisations if aliased and o.pk == aliased.pk), organisations[0])


def report_form(activity, organisations, chosen, user, data=None, history=()):
    """The report form for `chosen`, starting from its newest report in `history`."""
    last_report = next((r for r in history if r.organisation_id == chosen.pk), None)
    plan = activity.insats.area.plan
    return StatusReportForm(
        data,
        activity=activity,
        organisation=chosen,
        organisations=organisations,
        author=user,
        plan_ended=plan.has_ended,
        last_report=last_report,
    )


def report_history(activity, authors=True):
    related = ["organisation", "round", *(["author"] if authors else [])]
    return list(
        StatusReport.objects.filter(activity=activity)
        .select_related(*related)
        .prefetch_related("values__target")
        .newest_first()
    )


def assessment_history(activity, authors=False):
    """Every final assessment given on the activity, of its expected outcome and of its
    targets, newest first (two queries); the assessor's name only with `authors` (the public
    page names nobody). A reassessment appends: the earlier ones stay here."""
    people = ["author"] if authors else []
    outcomes = OutcomeAssessment.objects.filter(activity=activity).select_related(
        "organisation", *people
    )
    targets = TargetAssessment.objects.filter(target__activity=activity).select_related(
        "target", "organisation", *people
    )
    return sorted([*outcomes, *targets], key=lambda a: (a.created_at, a.pk), reverse=True)


def activity_context(plan, activity, history, authors=False):
    """What the activity page shows besides its forms; the public page shows the same, without
    the assessors' names (`authors`: the signed-in page names them)."""
    return {
        "assessment_history": assessment_history(activity, authors=authors),
        "plan": plan,
        "activity": activity,
        "leads": [r for r in activity.roles.all() if r.role == Role.LEAD],
        "overall_rule": OVERALL_RULE,
        "history": history,
        "round": ReportingRound.objects.current_for(plan),
        "charts": list(charts_for(activity.targets.all()).values()),
        # A draft plan is not shown outside itself until a coordinator activates it.
        "successors": activity.successors.exclude(insats__area__plan__state=PlanState.DRAFT)
        .select_related("insats__area__plan")
        .order_by("insats__area__plan__period_start", "pk"),
    }


def assessment_form(activity, user, wanted=None, data=None):
    """The final assessment form for the user on this activity, or None when the user may not
    assess anything on it (neither a lead's nor a target's responsible organisation's member
    nor a coordinator), or when the plan's assessment period has not begun and nothing was
    sent (a form sent then is the rules' to refuse, with their message)."""
    if data is None and not activity.insats.area.plan.assessment_is_open:
        return None
    organisations = organisations_user_may_report_for(user, activity)
    if not organisations:
        return None
    return FinalAssessmentForm(
        data,
        activity=activity,
        organisation=chosen_organisation(organisations, wanted),
        organisations=organisations,
        author=user,
    )


def render_activity(
    request, plan, activity, form, organisations=(), history=None, assessment=None, status=200
):
    if assessment is None:
        assessment = assessment_form(activity, request.user, request.GET.get("for"))
    history = report_history(activity) if history is None else history
    context = activity_context(plan, activity, history, authors=True)
    context.update(form=form, organisations=organisations, assessment_form=assessment)
    return render(request, "activities/activity_detail.html", context, status=status)


def filter_summary(filterset):
    """[(label, chosen values)] for the filters in use, for the export's "Urval" sheet (the
    table export, streamed or built in the background)."""
    return chosen_filters(filterset, _("Ogiltigt filter: inga aktiviteter"))
