"""Pages that belong to no single plan: the start page, the plan switcher, and a stable link to
an organisation (used in e-mails), which all send on to the current or chosen plan."""

import math
import sys

from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse, HttpResponseServerError
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader

from areas.models import Plan
from organisations.models import Organisation


def _current_plan():
    """The activated plan shown by default (areas.models.pick_current): never a draft."""
    plan = Plan.objects.current()
    if plan is None:
        raise Http404("Ingen aktiverad handlingsplan finns.")
    return plan


def home(request):
    return redirect("overview", _current_plan().slug)


def switch_plan(request):
    plans = Plan.objects.visible_to(request.user)  # a draft is the coordinators' only
    plan = get_object_or_404(plans, slug=request.GET.get("plan", ""))
    return redirect("overview", plan.slug)


def organisation_in_current_plan(request, code):
    """The organisation (by its code or a spelling of the source, any case) in the current
    plan, with the query string kept."""
    organisation = Organisation.objects.resolve(code)
    if organisation is None:
        raise Http404
    url = organisation.get_plan_url(_current_plan().slug)
    query = request.META.get("QUERY_STRING", "")
    return redirect(f"{url}?{query}" if query else url)


def locked_out(request, original_response=None, credentials=None):
    """What django-axes answers once a username or address has failed to sign in too often:
    the Swedish page saying when to try again (AXES_LOCKOUT_CALLABLE)."""
    from handlingsplan.signin import lockout_seconds_left

    seconds = lockout_seconds_left(request, credentials)
    response = render(
        request, "registration/lockout.html", {"minutes": math.ceil(seconds / 60)}, status=429
    )
    if seconds:
        response["Retry-After"] = str(seconds)
    return response


# An unreachable database shows in the driver's own terms; all mean "try again shortly".
DATABASE_DOWN = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def server_error(request):
    """The 500 handler: an error because the database cannot be reached is a 503 with
    Retry-After (the data is safe, the page will come back); anything else is the 500 page.
    Rendered without the layout's context, which would ask the database again."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_DOWN):
        return database_unavailable()
    return HttpResponseServerError(loader.render_to_string("500.html"))


def database_unavailable():
    """The 503 page with Retry-After, rendered without asking the database anything."""
    response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
