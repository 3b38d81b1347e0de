"""What open data shows of each thing, as plain dicts: the JSON files and the API return these
items, the CSV files flatten them. Written once here so the files and the API agree.

Never a person: no author, user name or e-mail of a report or assessment is read. Report
comments and assessment motivations only when the plan's `public_comments` is on; otherwise
the field is None (JSON null, an empty CSV cell).

Codes are the stored keys (Status, Assessment, Role, Organisation.Kind); each comes with its
Swedish label, whatever the language of the request, so the files read the same for everyone.
"""

from functools import cache

from django.utils import timezone, translation

from organisations.models import Organisation

from ..models import Assessment, Role, Status


@cache
def _labels(choices):
    with translation.override("sv"):
        return {member.value: str(member.label) for member in choices}


def label(choices, key):
    return _labels(choices).get(key) if key else None


def moment(value):
    """ISO 8601 in Swedish local time with its offset: 2025-05-01T10:00:00+02:00. (The
    default time zone, named once: timezone.localtime() looks up the current one through a
    context-local on every call, a fifth of rapporter.json's time at 1000×.)"""
    if not value:
        return None
    return value.astimezone(timezone.get_default_timezone()).isoformat(timespec="seconds")


def number(value):
    """A stored decimal as a JSON number: 12 for 12.00, 12.5 for 12.50."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _public_text(plan, text):
    return text if plan.public_comments else None


def plan_item(plan):
    return {
        "slug": plan.slug,
        "title": plan.title,
        "period_start": plan.period_start.isoformat(),
        "period_end": plan.period_end.isoformat(),
        "outcome_deadline": plan.outcome_deadline.isoformat(),
        "published": plan.published,
        "public_comments": plan.public_comments,
    }


def organisation_item(organisation):
    return {"code": organisation.code, "name": organisation.name}


def reference(record):
    """The reference of a record's activity (queries._activity_of): '3.2.3'."""
    return f"{record['area_number']}.{record['insats_number']}.{record['activity_number']}"


def lead_item(role, plan):
    """A lead organisation's own status (its newest report) and final assessment, from its
    role's record (queries.LEAD_EXPRESSIONS)."""
    reported = role["current_report_id"] is not None
    assessed = role["current_assessment_id"] is not None
    status = role["report_status"] if reported else Status.NOT_REPORTED.value
    given = role["assessment_code"] if assessed else None
    return {
        "code": role["org_code"],
        "name": role["org_name"],
        "status": status,
        "status_label": label(Status, status),
        "reported_at": moment(role["report_at"]) if reported else None,
        "comment": _public_text(plan, role["report_comment"]) if reported else None,
        "assessment": given,
        "assessment_label": label(Assessment, given),
        "motivation": _public_text(plan, role["assessment_motivation"]) if assessed else None,
    }


# What roller.csv repeats of lead_item (empty for a participant).
LEAD_FIELDS = ("status", "status_label", "reported_at", "comment")
LEAD_FIELDS += ("assessment", "assessment_label", "motivation")


def target_item(target, plan):
    """A target with its newest reported value and its final assessment (by the organisation
    that answers for it; the motivation only with `public_comments`, never the assessor),
    from its record (queries.target_records)."""
    valued = target["current_value_id"] is not None
    assessed = target["current_assessment_id"] is not None
    latest = number(target["latest_value"]) if valued else None
    if assessed and target["assessment_value"] is not None:
        final = number(target["assessment_value"])
    else:
        final = latest if assessed else None
    return {
        "activity_reference": reference(target),
        "position": target["position"],
        "phrase": target["phrase"],
        "value": number(target["value"]),
        "value_max": number(target["value_max"]),
        "unit": target["unit"],
        "baseline": number(target["baseline"]),
        "year": target["year"],
        "responsible_organisation": target["responsible_code"],
        "latest_value": latest,
        "latest_value_at": moment(target["latest_value_at"]) if valued else None,
        "latest_value_organisation": target["latest_value_org"] if valued else None,
        "assessment": target["assessment_code"] if assessed else None,
        "assessment_label": label(Assessment, target["assessment_code"]) if assessed else None,
        "assessment_organisation": target["assessment_org"] if assessed else None,
        "assessed_at": moment(target["assessed_at"]) if assessed else None,
        "final_value": final,
        "motivation": _public_text(plan, target["assessment_motivation"]) if assessed else None,
    }


def activity_item(activity, plan):
    """An activity as the API and aktiviteter.json show it, from its record with its roles
    and targets (queries.activity_records, queries.with_relations): leads with their own
    status and assessment, participants, targets."""
    roles = activity["roles"]
    status = activity["current_status"]
    return {
        "reference": reference(activity),
        "area_number": activity["area_number"],
        "area_name": activity["area_name"],
        "insats_reference": f"{activity['area_number']}.{activity['insats_number']}",
        "insats_title": activity["insats_title"],
        "number": activity["activity_number"],
        "description": activity["description"],
        "expected_outcome": activity["expected_outcome"],
        "status": status,
        "status_label": label(Status, status),
        "latest_report_at": moment(activity["last_reported_at"]),
        "final_assessment": activity["final_assessment"] or None,
        "final_assessment_label": label(Assessment, activity["final_assessment"]),
        "leads": [lead_item(r, plan) for r in roles if r["role"] == Role.LEAD],
        "participants": [
            {"code": r["org_code"], "name": r["org_name"]} for r in roles if r["role"] != Role.LEAD
        ],
        "targets": [target_item(t, plan) for t in activity["targets"]],
    }


def activity_row(item):
    """aktiviteter.csv: the item's own fields, organisations as codes joined by "; "."""
    row = {key: value for key, value in item.items() if not isinstance(value, list)}
    leads = item["leads"]
    row["leads"] = "; ".join(lead["code"] for lead in leads)
    row["participants"] = "; ".join(org["code"] for org in item["participants"])
    row["lead_statuses"] = "; ".join(f"{lead['code']}={lead['status']}" for lead in leads)
    row["lead_assessments"] = "; ".join(
        f"{lead['code']}={lead['assessment']}" for lead in leads if lead["assessment"]
    )
    row["target_count"] = len(item["targets"])
    row["latest_values"] = "; ".join(
        f"{target['position']}={target['latest_value']}"
        for target in item["targets"]
        if target["latest_value"] is not None
    )
    return row


_NO_LEAD = dict.fromkeys(LEAD_FIELDS)


def role_row(role, plan):
    """roller.csv/.json: one organisation's role in an activity, a lead's own status with it
    (queries.role_records)."""
    lead = lead_item(role, plan) if role["role"] == Role.LEAD else _NO_LEAD
    return {
        "activity_reference": reference(role),
        "organisation": role["org_code"],
        "organisation_name": role["org_name"],
        "role": role["role"],
        "role_label": label(Role, role["role"]),
        "position": role["position"],
        **{key: lead[key] for key in LEAD_FIELDS},
    }


def report_row(report, plan):
    """rapporter.csv: one status report, without its author (queries.report_records)."""
    status = report["status"]
    return {
        "id": report["id"],
        "activity_reference": reference(report),
        "organisation": report["org_code"],
        "organisation_name": report["org_name"],
        "round": report["round_name"] if report["round_id"] is not None else None,
        "created_at": moment(report["created_at"]),
        "status": status or None,
        "status_label": label(Status, status),
        "comment": _public_text(plan, report["comment"]),
    }


def value_row(value):
    """malvarden.csv: one reported target value (a target's final assessment is in mal.csv),
    from its record (queries.value_records)."""
    return {
        "report_id": value["report_id"],
        "activity_reference": reference(value),
        "organisation": value["org_code"],
        "created_at": moment(value["created_at"]),
        "target_position": value["target_position"],
        "value": number(value["value"]),
    }


def report_item(report, plan):
    """A report as the API and rapporter.json show it: the row with its target values
    (queries.with_values)."""
    return {
        **report_row(report, plan),
        "values": [
            {"target_position": v["target_position"], "value": number(v["value"])}
            for v in report["values"]
        ],
    }


def plan_organisation_item(organisation):
    """An organisation with a role in the plan, with how many activities it leads and takes
    part in (queries.organisations() counts them)."""
    return {
        **organisation_item(organisation),
        "kind": organisation.kind,
        "kind_label": label(Organisation.Kind, organisation.kind),
        "leads": organisation.lead_count,
        "participates": organisation.participant_count,
    }
