from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from areas.decorators import plan_view
from areas.models import Plan

from ..charts import charts_for
from ..filters import ActivityFilter
from ..forms import OutcomeAssessmentForm, StatusReportForm
from ..fragments import fragment_context
from ..models import Activity, ReportingRound, Role, StatusReport
from ..models.status import OVERALL_RULE
from ..permissions import (
    assessing_organisations,
    organisations_user_may_report_for,
    reports_on_behalf,
)
from ..tables import PAGE_SIZES, ActivityTable


def filtered_activities(request, plan, filter_class=ActivityFilter):
    """The activity table's FilterSet; the Excel export reuses it, so both show the same rows."""
    queryset = Activity.objects.filter(insats__area__plan=plan).with_related().with_last_report()
    return filter_class(request.GET, queryset=queryset, plan=plan)


def activity_table_context(request, plan, filter_class=ActivityFilter, table_class=ActivityTable):
    """The filtered, sorted and paged table; the signed-in and the public table differ only
    in their filters (fewer in public) and their links."""
    filterset = filtered_activities(request, plan, filter_class)
    queryset = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    table = table_class(queryset)
    RequestConfig(request).configure(table)
    return {
        "plan": plan,
        "filter": filterset,
        "table": table,
        "page_sizes": PAGE_SIZES,
        "per_page": table.paginator.per_page,
        "result_count": table.paginator.count,
    }


@plan_view
def activity_list(request, plan):
    other_plan = request.GET.get("plan")
    if other_plan and other_plan != plan.slug:
        # Area, insats and organisation filters mean the same in the other plan; keep them.
        other = get_object_or_404(Plan, slug=other_plan)
        params = request.GET.copy()
        del params["plan"]
        params.pop("page", None)
        url = reverse("activities:list", args=[other.slug])
        return redirect(f"{url}?{params.urlencode()}" if params else url)

    context = {**activity_table_context(request, plan), **fragment_context(request)}
    return render(request, "activities/activity_list.html", context)


def get_activity(plan, reference, authors=True):
    """The activity with reference "area.insats.activity" in this plan, or 404; its reports'
    authors are read only with `authors` (the public page names nobody)."""
    return get_object_or_404(
        Activity.objects.with_related(authors=authors)
        .select_related("predecessor__insats__area__plan")
        .by_reference(plan, reference)
    )


def _chosen(organisations, wanted):
    """The organisation the form is for: the one asked for (a code, or a pk from a posted
    form) if the user may report for it, else the first."""
    for organisation in organisations:
        if wanted in (organisation.code, str(organisation.pk)):
            return organisation
    return organisations[0]


def _report_form(activity, organisations, chosen, data=None, history=()):
    """The report form for `chosen`, starting from its newest report in `history`."""
    last_report = next((r for r in history if r.organisation_id == chosen.pk), None)
    plan = activity.insats.area.plan
    return StatusReportForm(
        data,
        activity=activity,
        organisation=chosen,
        organisations=organisations,
        with_assessment=plan.assessment_is_open,
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


def activity_context(plan, activity, history):
    """What the activity page shows besides its forms; the public page shows the same."""
    return {
        "plan": plan,
        "activity": activity,
        "leads": [r for r in activity.roles.all() if r.role == Role.LEAD],
        "overall_rule": OVERALL_RULE,
        "history": history,
        "round": ReportingRound.objects.current_for(plan),
        "charts": list(charts_for(activity.targets.all()).values()),
        "successors": activity.successors.select_related("insats__area__plan").order_by(
            "insats__area__plan__period_start", "pk"
        ),
    }


def assessment_form(activity, user, wanted=None, data=None):
    """The assessment form for the user on this activity, or None when the user may not
    assess it (not a lead's member, or the plan's assessment period has not begun)."""
    if not activity.insats.area.plan.assessment_is_open:
        return None
    organisations = assessing_organisations(user, activity)
    if not organisations:
        return None
    return OutcomeAssessmentForm(
        data, organisation=_chosen(organisations, wanted), organisations=organisations
    )


def _render_activity(
    request, plan, activity, form, organisations=(), history=None, assessment=None, status=200
):
    if assessment is None:
        assessment = assessment_form(activity, request.user, request.GET.get("for"))
    history = report_history(activity) if history is None else history
    context = activity_context(plan, activity, history)
    context.update(form=form, organisations=organisations, assessment_form=assessment)
    return render(request, "activities/activity_detail.html", context, status=status)


@plan_view
def activity_detail(request, plan, reference):
    activity = get_activity(plan, reference)
    organisations = organisations_user_may_report_for(request.user, activity)
    history = report_history(activity)
    form = None
    if organisations:
        chosen = _chosen(organisations, request.GET.get("for"))
        form = _report_form(activity, organisations, chosen, history=history)
    return _render_activity(request, plan, activity, form, organisations, history)


@require_POST
@plan_view
def report_create(request, plan, reference):
    activity = get_activity(plan, reference)
    organisations = organisations_user_may_report_for(request.user, activity)
    if not organisations:
        raise PermissionDenied(_("Du får inte rapportera på den här aktiviteten."))
    chosen = _chosen(organisations, request.POST.get("organisation"))
    form = _report_form(activity, organisations, chosen, data=request.POST)
    if not form.is_valid():
        return _render_activity(request, plan, activity, form, organisations, status=400)
    organisation = form.cleaned_data["organisation"]
    # Back to the form, where the confirmation is shown, for the same organisation.
    done = redirect(f"{activity.get_absolute_url()}?for={organisation.code}#rapportera")
    token = form.cleaned_data["token"] or None
    try:
        StatusReport.objects.file(
            activity=activity,
            organisation=organisation,
            author=request.user,
            status=form.cleaned_data["status"],
            comment=form.cleaned_data["comment"].strip(),
            round=ReportingRound.objects.current_for(plan),
            values=form.cleaned_data["values"],
            assessments=form.cleaned_data["assessments"],
            on_behalf=reports_on_behalf(request.user, organisation),
            submission_token=token,
        )
    except IntegrityError:
        earlier = StatusReport.objects.filter(submission_token=token).first() if token else None
        if earlier is None:
            raise
        same = (
            earlier.activity_id,
            earlier.organisation_id,
            earlier.author_id,
            earlier.status,
        ) == (
            activity.pk,
            organisation.pk,
            request.user.pk,
            form.cleaned_data["status"],
        ) and earlier.comment == form.cleaned_data["comment"].strip()
        if same:
            return done  # the same form sent twice (a double click): its first sending filed it
        # An old form sent again with other content (the back button): say so, keep nothing.
        form.add_error(
            None,
            _(
                "Formuläret har redan skickats en gång. Dina ändringar sparades inte: ladda om "
                "sidan och rapportera igen."
            ),
        )
        return _render_activity(request, plan, activity, form, organisations, status=400)
    messages.success(
        request,
        _("Rapporten för %(ref)s är sparad för %(org)s.")
        % {"ref": activity.reference, "org": organisation.code},
    )
    return done
