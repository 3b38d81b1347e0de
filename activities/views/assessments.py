"""The final assessment as one act: a lead organisation assesses the activity's expected
outcome and the targets it answers for, a target's responsible organisation its targets."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from areas.decorators import not_on_draft, plan_view

from ..permissions import organisations_user_may_report_for
from ..reporting import file_final_assessment
from .context import assessment_form, get_activity, render_activity


@require_POST
@plan_view
@not_on_draft
def assessment_create(request, plan, reference):
    activity = get_activity(plan, reference)
    # Outside the assessment period the form is refused by the reporting core's rules (400).
    if not organisations_user_may_report_for(request.user, activity):
        raise PermissionDenied(
            _("Bara de ledande organisationerna och målens ansvariga bedömer aktiviteten.")
        )
    form = assessment_form(activity, request.user, request.POST.get("organisation"), request.POST)
    if not form.is_valid():
        return render_activity(request, plan, activity, None, assessment=form, status=400)
    organisation = form.reporting_for
    outcomes = [form.outcome_draft] if form.outcome_draft else []
    filed = file_final_assessment(outcomes, form.target_drafts)
    names = {"ref": activity.reference, "org": organisation.code}
    if filed:
        messages.success(request, _("Slutbedömningen av %(ref)s är sparad för %(org)s.") % names)
    else:
        messages.info(
            request,
            _("Inget nytt att spara: bedömningarna av %(ref)s för %(org)s är oförändrade.") % names,
        )
    return redirect(f"{activity.get_absolute_url()}?for={organisation.code}#slutbedomning")
