"""The final assessment of an activity's expected outcome, by each lead organisation."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from areas.decorators import not_on_draft, plan_view

from ..permissions import assessing_organisations
from ..reporting import file_assessments
from .context import assessment_form, get_activity, render_activity


@require_POST
@plan_view
@not_on_draft
def assessment_create(request, plan, reference):
    activity = get_activity(plan, reference)
    if not plan.assessment_is_open:
        raise PermissionDenied(_("Slutbedömningen görs från planens sista kvartal."))
    if not assessing_organisations(request.user, activity):
        raise PermissionDenied(_("Bara de ledande organisationerna bedömer aktiviteten."))
    form = assessment_form(activity, request.user, request.POST.get("organisation"), request.POST)
    if not form.is_valid():
        return render_activity(request, plan, activity, None, assessment=form, status=400)
    organisation = form.draft.organisation
    file_assessments([form.draft])
    messages.success(
        request,
        _("Slutbedömningen av %(ref)s är sparad för %(org)s.")
        % {"ref": activity.reference, "org": organisation.code},
    )
    return redirect(f"{activity.get_absolute_url()}?for={organisation.code}#slutbedomning")
