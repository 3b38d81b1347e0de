"""E-mail reminders about a reporting round, sent from the round's page or by the
send_reminders command through the same code, and recorded as ReminderSending rows.

A reminder asks for what an organisation owes of one kind (ReminderSending.Kind): the reports
missing in the round (ReportingRound.completeness: lead roles neither reported in the round's
window nor finished before it), the final assessments missing once the plan's assessment is
open (work_list.owed_assessments), or both. An organisation that owes nothing of the kind
gets no reminder."""

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from organisations.models import Organisation

from .models import ReminderSending
from .models.rounds import Reminder
from .work_list import owed_assessment_counts, owed_assessments

Kind = ReminderSending.Kind


def kinds_offered(plan):
    """The kinds of reminder that can be sent for the plan today: missing reports, and once
    its final assessment is open (Plan.assessment_is_open) missing assessments or both."""
    if plan.assessment_is_open:
        return [Kind.REPORTS, Kind.ASSESSMENTS, Kind.BOTH]
    return [Kind.REPORTS]


def owed_reminders(reporting_round, kind, *, listed=False, completeness=None, addresses=None):
    """A Reminder per organisation that owes something of `kind` (a Kind) in the round, by
    organisation code, with its members' addresses. With `listed`, for sending, each lists
    what it owes (the activities to report, the OwedAssessments); otherwise only the counts,
    from the round's `completeness` when given. A fixed number of queries."""
    kind = Kind(kind)
    by_id = {}
    if kind.asks_reports:
        found = reporting_round.reminders(completeness, activities=listed, addresses={})
        by_id = {r.organisation.pk: r for r in found}
    if kind.asks_assessments:
        _add_assessments(by_id, reporting_round.plan, listed)
    owing = sorted(by_id.values(), key=lambda r: r.organisation.code)
    if addresses is None:
        addresses = reporting_round.reminder_addresses([r.organisation.pk for r in owing])
    return [
        Reminder(
            r.organisation,
            r.owed,
            addresses.get(r.organisation.pk, []),
            r.activities,
            r.assessments_owed,
            r.assessments,
        )
        for r in owing
    ]


def _add_assessments(by_id, plan, listed):
    """Put each organisation's owed assessments (listed, or counted) on its reminder in
    `by_id`, adding a reminder for an organisation that owes only those."""
    if listed:
        lists = owed_assessments(plan)
        counts = {pk: len(items) for pk, items in lists.items()}
        organisations = {pk: items[0].organisation for pk, items in lists.items()}
    else:
        lists = {}
        counts = owed_assessment_counts(plan)
        organisations = {o.pk: o for o in Organisation.objects.filter(pk__in=counts)}
    for pk, n in counts.items():
        before = by_id.get(pk)
        by_id[pk] = Reminder(
            before.organisation if before else organisations[pk],
            before.owed if before else 0,
            [],
            (before.activities if before else []) if listed else None,
            n,
            lists.get(pk),
        )


def message(reporting_round, reminder):
    """(subject, body, from, recipients) for one organisation's reminder, in Swedish; links
    are absolute, from SITE_URL."""
    context = {"round": reporting_round, "reminder": reminder, "site_url": settings.SITE_URL}
    with translation.override("sv"):
        subject = render_to_string("activities/email/reminder_subject.txt", context)
        body = render_to_string("activities/email/reminder_body.txt", context)
    return (
        " ".join(subject.split()),
        body.strip() + "\n",
        settings.DEFAULT_FROM_EMAIL,
        list(reminder.recipients),
    )


def send(reporting_round, reminders, kind=Kind.REPORTS, sent_by=None):
    """Mail every reminder that has recipients and record each sending with its `kind`;
    returns the ReminderSending rows. Organisations without members to mail are skipped.
    The reminders must list what they ask for (owed_reminders(listed=True))."""
    kind = Kind(kind)
    due = [r for r in reminders if r.recipients]
    if any(_unlisted(r, kind) for r in due):
        raise ValueError("A reminder to send must list what is owed.")
    send_mass_mail([message(reporting_round, r) for r in due], fail_silently=False)
    with transaction.atomic():
        return ReminderSending.objects.bulk_create(
            ReminderSending(
                round=reporting_round,
                organisation=r.organisation,
                recipients="\n".join(r.recipients),
                kind=kind,
                activity_count=r.owed,
                assessment_count=r.assessments_owed,
                sent_by=sent_by,
            )
            for r in due
        )


def _unlisted(reminder, kind):
    return (kind.asks_reports and reminder.activities is None) or (
        kind.asks_assessments and reminder.assessments_owed and reminder.assessments is None
    )
