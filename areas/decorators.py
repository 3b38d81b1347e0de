from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from .models import Plan


def read_only(view):
    """GET and HEAD only: any other method is 405 with Allow, before the CSRF check (which
    would answer a POST with 403 "the form has expired" on a page that has no form). Safe to
    exempt: the view never runs for a method that could write."""
    return csrf_exempt(require_safe(view))


def plan_view(view):
    """Resolve the URL's plan slug to `request.plan` (404 if unknown) and pass the plan on;
    the layout's plan switcher reads `request.plan`. A draft plan is the coordinators' only:
    for anyone else it answers 404, exactly as a plan that does not exist."""

    @wraps(view)
    def wrapper(request, plan_slug, *args, **kwargs):
        plan = get_object_or_404(Plan, slug=plan_slug)
        if not plan.is_visible_to(request.user):
            raise Http404("Ingen handlingsplan med det kortnamnet.")
        request.plan = plan
        return view(request, plan, *args, **kwargs)

    return wrapper


def refuse_draft(plan):
    """Nothing is reported on a draft plan and no round is opened in it: 403 with the reason
    (only a coordinator sees a draft at all)."""
    if plan.is_draft:
        raise PermissionDenied(
            _(
                "Planen är ett utkast. Aktivera den på planens översiktssida innan rapporter, "
                "bedömningar och uppföljningsomgångar."
            )
        )


def not_on_draft(view):
    """For a plan_view that writes reports, assessments or rounds: refused on a draft."""

    @wraps(view)
    def wrapper(request, plan, *args, **kwargs):
        refuse_draft(plan)
        return view(request, plan, *args, **kwargs)

    return wrapper
