from functools import wraps

from django.shortcuts import get_object_or_404

from .models import Plan


def plan_view(view):
    """Resolve the URL's plan slug to `request.plan` (404 if unknown) and pass the plan on;
    the layout's plan switcher reads `request.plan`."""

    @wraps(view)
    def wrapper(request, plan_slug, *args, **kwargs):
        request.plan = get_object_or_404(Plan, slug=plan_slug)
        return view(request, request.plan, *args, **kwargs)

    return wrapper
