"""The stored "current" state: each lead organisation's newest report, each activity's newest
status report (from any lead) and overall status, each target's newest value. Pages read these
columns instead of searching the report history.

`record()` brings them up to date with reports just filed, in the filing transaction (a report
filed late for an earlier round never replaces a newer one). `recompute()` rebuilds them from
the whole history (after a change of roles in admin, and in the migration that added them);
it takes the model classes so the migration can pass its historical ones.
"""

from collections import defaultdict

from activities.db import update_rows

from .status import Status


def _newest(report):
    return (report.created_at, report.pk)


def record(models, reports, values):
    """`models` is (Activity, ActivityOrganisation, Target); `reports` the StatusReports just
    created, `values` their TargetValues. Rows are locked while they are compared."""
    Activity, ActivityOrganisation, Target = models
    activity_ids = {r.activity_id for r in reports}
    activities = {
        a.pk: a
        for a in Activity.objects.select_for_update(of=("self",))
        .filter(pk__in=activity_ids)
        .select_related("latest_report")
    }
    roles = {
        (role.activity_id, role.organisation_id): role
        for role in ActivityOrganisation.objects.select_for_update(of=("self",))
        .filter(activity_id__in=activity_ids, role="lead")
        .select_related("current_report")
    }
    changed_roles = {}
    for report in sorted(reports, key=_newest):
        if not report.status:
            continue  # a target's responsible organisation reports values, not the status
        activity = activities[report.activity_id]
        if activity.latest_report is None or _newest(report) > _newest(activity.latest_report):
            activity.latest_report = report
        role = roles.get((report.activity_id, report.organisation_id))
        if role and (role.current_report is None or _newest(report) > _newest(role.current_report)):
            role.current_report = report
            changed_roles[role.pk] = role
    update_rows(ActivityOrganisation, changed_roles.values(), ["current_report"])
    _set_overall(activities.values(), roles.values())
    update_rows(Activity, activities.values(), ["latest_report", "current_status"])

    counted = [v for v in values if v.value is not None or v.assessment]
    targets = {
        t.pk: t
        for t in Target.objects.select_for_update(of=("self",))
        .filter(pk__in={v.target_id for v in counted})
        .select_related("current_value__report", "current_assessment__report")
    }
    for value in sorted(counted, key=lambda v: _newest(v.report)):
        target = targets[value.target_id]
        for field, given in (
            ("current_value", value.value is not None),
            ("current_assessment", value.assessment),
        ):
            current = getattr(target, field)
            if given and (current is None or _newest(value.report) > _newest(current.report)):
                setattr(target, field, value)
    update_rows(Target, targets.values(), ["current_value", "current_assessment"])


def _set_overall(activities, lead_roles):
    statuses = defaultdict(list)
    for role in lead_roles:
        statuses[role.activity_id].append(role.current_report.status if role.current_report else "")
    for activity in activities:
        activity.current_status = Status.overall(statuses[activity.pk]).value


def recompute(models, activity_ids=None):
    """Rebuild the current state of these activities (all when None) from their history."""
    Activity, ActivityOrganisation, Target, StatusReport, TargetValue = models
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
    _set_overall(activities.values(), roles)
    Activity.objects.bulk_update(
        activities.values(), ["latest_report", "current_status"], batch_size=1000
    )
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
