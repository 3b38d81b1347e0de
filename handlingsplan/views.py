"""Pages that belong to no single plan: the start page, the plan switcher, and a stable link to
an organisation (used in e-mails), which all send on to the current or chosen plan."""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect

from areas.models import Plan
from organisations.models import Organisation


def _current_plan():
    plan = Plan.objects.current()
    if plan is None:
        raise Http404("Ingen handlingsplan är inläst.")
    return plan


def home(request):
    return redirect("overview", _current_plan().slug)


def switch_plan(request):
    plan = get_object_or_404(Plan, slug=request.GET.get("plan", ""))
    return redirect("overview", plan.slug)


def organisation_in_current_plan(request, code):
    organisation = get_object_or_404(Organisation, code=code)
    return redirect("organisations:detail", _current_plan().slug, organisation.code)
