"""The activity table and an activity's page, where a report is filed."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from areas.decorators import not_on_draft, plan_view
from areas.models import Plan

from ..models import ReportingRound
from ..permissions import organisations_user_may_report_for
from ..reporting import FormAlreadySent, file_report
from .context import (
    activity_table_context,
    chosen_organisation,
    get_activity,
    render_activity,
    report_form,
    report_history,
)


@plan_view
def activity_list(request, plan):
    other_plan = request.GET.get("plan")
    if other_plan and other_plan != plan.slug:
        # Area, insats and organisation filters mean the same in the other plan; keep them.
        other = get_object_or_404(Plan.objects.visible_to(request.user), slug=other_plan)
        params = request.GET.copy()
        del params["plan"]
        params.pop("page", None)
        url = reverse("activities:list", args=[other.slug])
        return redirect(f"{url}?{params.urlencode()}" if params else url)

    context = activity_table_context(request, plan)
    return render(request, "activities/activity_list.html", context)


@plan_view
def activity_detail(request, plan, reference):
    activity = get_activity(plan, reference)
    # Nothing is reported on a draft plan (report_create refuses it): no form.
    organisations = (
        [] if plan.is_draft else organisations_user_may_report_for(request.user, activity)
    )
    history = report_history(activity)
    form = None
    if organisations:
        chosen = chosen_organisation(organisations, request.GET.get("for"))
        form = report_form(activity, organisations, chosen, request.user, history=history)
    return render_activity(request, plan, activity, form, organisations, history)


@require_POST
@plan_view
@not_on_draft
def report_create(request, plan, reference):
    activity = get_activity(plan, reference)
    organisations = organisations_user_may_report_for(request.user, activity)
    if not organisations:
        raise PermissionDenied(_("Du får inte rapportera på den här aktiviteten."))
    chosen = chosen_organisation(organisations, request.POST.get("organisation"))
    form = report_form(activity, organisations, chosen, request.user, data=request.POST)
    if not form.is_valid():
        return render_activity(request, plan, activity, form, organisations, status=400)
    draft = form.draft
    draft.round = ReportingRound.objects.current_for(plan)
    try:
        report = file_report(draft)
    except FormAlreadySent as refused:
        # An old form sent again with other content (the back button): say so, keep nothing.
        form.add_error(None, refused.message)
        return render_activity(request, plan, activity, form, organisations, status=400)
    # A form sent twice (a double click): its first sending filed it and said so.
    if not getattr(report, "filed_before", False):
        messages.success(
            request,
            _("Rapporten för %(ref)s är sparad för %(org)s.")
            % {"ref": activity.reference, "org": draft.organisation.code},
        )
    # Back to the form, where the confirmation is shown, for the same organisation.
    return redirect(f"{activity.get_absolute_url()}?for={draft.organisation.code}#rapportera")
