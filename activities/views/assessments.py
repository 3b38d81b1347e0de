"""The final assessment of an activity's expected outcome, by each lead organisation."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from areas.decorators import plan_view

from ..models import OutcomeAssessment
from ..permissions import assessing_organisations, reports_on_behalf
from .activities import _render_activity, assessment_form, get_activity


@require_POST
@plan_view
def assessment_create(request, plan, reference):
    activity = get_activity(plan, reference)
    if not plan.assessment_is_open:
        raise PermissionDenied(_("Slutbedömningen görs från planens sista kvartal."))
    if not assessing_organisations(request.user, activity):
        raise PermissionDenied(_("Bara de ledande organisationerna bedömer aktiviteten."))
    form = assessment_form(activity, request.user, request.POST.get("organisation"), request.POST)
    if not form.is_valid():
        return _render_activity(request, plan, activity, None, assessment=form, status=400)
    organisation = form.cleaned_data["organisation"]
    OutcomeAssessment.objects.assess(
        activity=activity,
        organisation=organisation,
        author=request.user,
        assessment=form.cleaned_data["assessment"],
        motivation=form.cleaned_data["motivation"],
        on_behalf=reports_on_behalf(request.user, organisation),
    )
    messages.success(
        request,
        _("Slutbedömningen av %(ref)s är sparad för %(org)s.")
        % {"ref": activity.reference, "org": organisation.code},
    )
    return redirect(f"{activity.get_absolute_url()}?for={organisation.code}#slutbedomning")
