"""Which plans open data and the API show: published plans to anyone, every plan to a
coordinator signed in with the app's session. Any other plan answers 404, the same answer as a
plan that does not exist, so the response does not tell that an unpublished plan is there."""

from django.http import Http404

from areas.models import Plan
from organisations.roles import is_coordinator


def visible_plans(user):
    plans = Plan.objects.all()
    return plans if is_coordinator(user) else plans.filter(published=True)


def visible_plan_or_404(user, slug):
    try:
        return visible_plans(user).get(slug=slug)
    except Plan.DoesNotExist:
        raise Http404 from None
