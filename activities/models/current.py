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
    fields = {f.name: f for f in Target._meta.concrete_fields}
    for target in targets.values():
        target.current_value = None
    values = TargetValue.objects.filter(target_id__in=targets, value__isnull=False).order_by(
        "report__created_at", "report_id"
    )
    for value in values.only("id", "target_id", "value"):
        targets[value.target_id].current_value = value
    updated = ["current_value"]
    # A migration passes the models as they were then: before 0007 targets had no assessment,
    # from 0007 to 0011 it was a report's value (TargetValue.assessment), since then a
    # TargetAssessment of its own.
    if "current_assessment" in fields:
        _recompute_target_assessments(targets, fields["current_assessment"].related_model)
        updated.append("current_assessment")
    Target.objects.bulk_update(targets.values(), updated, batch_size=1000)


def _recompute_target_assessments(targets, model):
    for target in targets.values():
        target.current_assessment = None
    if model._meta.model_name == "targetassessment":
        given = model.objects.filter(target_id__in=targets).order_by("created_at", "id")
    else:  # the assessment was a report's value (migrations 0007 to 0011)
        given = model.objects.filter(target_id__in=targets).exclude(assessment="")
        given = given.order_by("report__created_at", "report_id")
    for assessment in given.only("id", "target_id"):
        targets[assessment.target_id].current_assessment = assessment
