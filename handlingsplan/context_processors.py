from activities.permissions import can_import, member_organisation_ids
from areas.models import Plan, pick_current
from organisations.roles import is_coordinator


def plans(request):
    """The plan the page is about and the plans to switch between, for the layout.

    Views that concern one plan set `request.plan` (see areas.decorators.plan_view); other
    pages fall back to the current plan so the navigation always has somewhere to point (none
    while no plan is activated).
    """
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    plan = getattr(request, "plan", None)
    # Drafts are listed for coordinators only (marked as drafts), never the fallback plan.
    all_plans = list(
        Plan.objects.visible_to(request.user).only("slug", "title", "period_start", "state")
    )
    if plan is None and all_plans:
        plan = pick_current(all_plans)
    return {
        "has_organisation": bool(member_organisation_ids(request.user)),
        "can_import": can_import(request.user),
        "is_coordinator": is_coordinator(request.user),
        "current_plan": plan,
        "all_plans": all_plans,
        "default_plan_slug": plan.slug if plan else "",
    }
