"""Who may report what. One function per question; views check these on the server for every
write, templates use them to decide what to show.

- A member of a lead organisation of an activity may report for that organisation.
- A member of a target's responsible organisation may report that target's value and a
  comment, even if the organisation does not lead the activity; only leads give a status.
- A coordinator (group Samordnare, or a superuser) may report for any lead or responsible
  organisation; a report where the coordinator is not a member is marked "on behalf".
"""

from django.utils.translation import gettext_lazy

from organisations.roles import is_coordinator

from .models import Role

# Why a signed-in user who is neither a reporter nor a coordinator may not use the Excel import
# or the report templates (their pages and their background exports).
NOT_A_REPORTER = gettext_lazy(
    "Excel-import och rapportmallar är till för rapportörer (medlemmar i en organisation) och "
    "samordnare. Be en administratör om medlemskap i din organisation."
)


def member_organisation_ids(user):
    """Ids of the user's organisations, cached on the user object for the request."""
    if not user.is_authenticated:
        return frozenset()
    if not hasattr(user, "_organisation_ids"):
        user._organisation_ids = frozenset(
            user.memberships.values_list("organisation_id", flat=True)
        )
    return user._organisation_ids


def reporting_organisations_of(activity):
    """Organisations that report on the activity: its leads, then targets' responsible ones.
    Reads the prefetched roles and targets (ActivityQuerySet.with_related)."""
    organisations = {
        r.organisation_id: r.organisation for r in activity.roles.all() if r.role == Role.LEAD
    }
    for target in activity.targets.all():
        if (
            target.responsible_organisation_id
            and target.responsible_organisation_id not in organisations
        ):
            organisations[target.responsible_organisation_id] = target.responsible_organisation
    return list(organisations.values())


def organisations_user_may_report_for(user, activity):
    """The organisations this user may file a report for on this activity (possibly none)."""
    if not user.is_authenticated:
        return []
    candidates = reporting_organisations_of(activity)
    if is_coordinator(user):
        return candidates
    mine = member_organisation_ids(user)
    return [o for o in candidates if o.pk in mine]


def can_report(user, activity, organisation=None):
    """May the user report on the activity (for this organisation, if given)?"""
    allowed = organisations_user_may_report_for(user, activity)
    if organisation is None:
        return bool(allowed)
    return any(o.pk == organisation.pk for o in allowed)


def is_lead(organisation, activity):
    """Does the organisation lead the activity (and so report its own status)?"""
    return any(
        r.organisation_id == organisation.pk and r.role == Role.LEAD for r in activity.roles.all()
    )


def targets_reportable_by(organisation, activity):
    """The targets whose value this organisation reports: a target with a responsible
    organisation is that organisation's alone; the others belong to the lead organisations."""
    lead = is_lead(organisation, activity)
    return [
        t
        for t in activity.targets.all()
        if t.responsible_organisation_id == organisation.pk
        or (lead and t.responsible_organisation_id is None)
    ]


def reports_on_behalf(user, organisation):
    """True when a coordinator files for an organisation they are not a member of."""
    return organisation.pk not in member_organisation_ids(user)


def can_import(user):
    """Coordinators import for anyone; a reporter for the organisations they belong to (each
    row is checked again with can_report)."""
    return is_coordinator(user) or bool(member_organisation_ids(user))


def can_manage_rounds(user):
    return is_coordinator(user)


def assessing_organisations(user, activity):
    """The lead organisations the user may give the final assessment for (its own, or any
    lead for a coordinator)."""
    return [o for o in organisations_user_may_report_for(user, activity) if is_lead(o, activity)]
