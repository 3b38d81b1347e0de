"""The stored "current" state: each lead organisation's newest report, each activity's newest
status report (from any lead) and overall status, each target's newest value. Pages read these
columns instead of searching the report history.

The reporting core (activities.reporting.record_current) brings them up to date with reports
just filed, in the filing transaction. `recompute()` rebuilds them from the whole history (after
a change of roles in admin, and in the migrations that added them, which pass their historical
app registry).
"""

from collections import defaultdict

from django.apps import apps as global_apps

from .status import Status


def set_overall_status(activities, lead_roles):
    """Each activity's current_status from its lead roles' current reports (Status.overall)."""
    statuses = defaultdict(list)
    for role in lead_roles:
        statuses[role.activity_id].append(role.current_report.status if role.current_report else "")
    for activity in activities:
        activity.current_status = Status.overall(statuses[activity.pk]).value


def recompute(activity_ids=None, *, apps=global_apps):
    """Rebuild the current state of these activities (all when None) from their history.
    `apps` is the registry to take the models from: a migration passes its historical one."""
    Activity, ActivityOrganisation, Target, StatusReport, TargetValue = (
        apps.get_model("activities", name)
        for name in ("Activity", "ActivityOrganisation", "Target", "StatusReport", "TargetValue")
    )
    activities = Activity.objects.all()
    if activity_ids is not None:
        activities = activities.filter(pk__in=activity_ids)
    activities = {a.pk: a for a in activities}
    reports = StatusReport.objects.filter(activity_id__in=activities).order_by("created_at", "id")
    newest_by_activity, newest_by_pair = {}, {}
    reports = reports.exclude(status="")  # values only: not the activity's status
    for report in reports.only("id", "activity_id", "organisation_id", "status", "created_at"):
        newest_by_activity[report.activity_id] = report
        newest_by_pair[(report.activity_id, report.organisation_id)] = report
    roles = list(ActivityOrganisation.objects.filter(activity_id__in=activities, role="lead"))
    for role in roles:
        role.current_report = newest_by_pair.get((role.activity_id, role.organisation_id))
    ActivityOrganisation.objects.bulk_update(roles, ["current_report"], batch_size=1000)
    for activity in activities.values():
        activity.latest_report = newest_by_activity.get(activity.pk)
    set_overall_status(activities.values(), roles)
    Activity.objects.bulk_update(
        activities.values(), ["latest_report", "current_status"], batch_size=1000
    )
    _recompute_targets(Target, TargetValue, activities)


def _recompute_targets(Target, TargetValue, activities):
    targets = {t.pk: t for t in Target.objects.filter(activity_id__in=activities)}
    for target in targets.values():
        target.current_value = target.current_assessment = None
    values = TargetValue.objects.filter(target_id__in=targets).order_by(
        "report__created_at", "report_id"
    )
    for value in values.only("id", "target_id", "value", "assessment"):
        if value.value is not None:
            targets[value.target_id].current_value = value
        if value.assessment:
            targets[value.target_id].current_assessment = value
    # A migration passes the models as they were then; an earlier one had no assessments.
    fields = [
        name
        for name in ("current_value", "current_assessment")
        if any(f.name == name for f in Target._meta.concrete_fields)
    ]
    Target.objects.bulk_update(targets.values(), fields, batch_size=1000)
