"""What the workbooks write in an activity's cells that is more than one field: organisations
as the plan spells them, the predecessor, latest values, progress, and each lead's status and
comment. Rows need ActivityQuerySet.with_related() (and with_last_report() for comments)."""

from ..text import format_number
from .cells import status_label


def predecessor_text(activity):
    """ "2024-2025 3.2.3" for an activity of another plan; "" for none. Rows need
    select_related("predecessor__insats__area__plan")."""
    if activity is None:
        return ""
    return f"{activity.insats.area.plan.slug} {activity.reference}"


def codes(organisations):
    return ", ".join(o.code for o in organisations)


def spellings(activity, role):
    """The organisations in `role` as the plan writes them ("GSF", "Arbvux"), else by code:
    the plan import resolves both, so the source's spellings survive a round trip."""
    return ", ".join(
        r.source_spelling or r.organisation.code for r in activity.roles.all() if r.role == role
    )


def latest_values(activity):
    return "\n".join(
        f"Mål {t.position}: {format_number(t.latest_value)} {t.unit}".rstrip()
        for t in activity.targets.all()
        if t.latest_value is not None
    )


def progress_text(activity):
    return "\n".join(
        f"Mål {t.position}: {t.latest_progress:.0f} %"
        for t in activity.targets.all()
        if t.latest_progress is not None
    )


def lead_statuses(activity):
    """ "MF: Försenad" and so on, a line per lead organisation."""
    return "\n".join(
        f"{role.organisation.code}: {status_label(activity.status_of(role.organisation))}"
        for role in activity.roles.all()
        if role.role == "lead"
    )


def lead_comments(activity):
    """The lead's latest comment; with several leads each one's, "MF: …", a paragraph each."""
    leads = [role for role in activity.roles.all() if role.role == "lead"]
    comments = [(r.organisation.code, r.current_report.comment) for r in leads if r.current_report]
    if len(leads) == 1:
        return comments[0][1] if comments else ""
    return "\n\n".join(f"{code}: {comment}" for code, comment in comments if comment)
