"""E-mail reminders about a reporting round, sent from the round's page or by the
send_reminders command through the same code, and recorded as ReminderSending rows."""

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from .models import ReminderSending


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


def send(reporting_round, reminders, sent_by=None):
    """Mail every reminder that has recipients and record each sending; returns the
    ReminderSending rows. Organisations without members to mail are skipped. The reminders
    must list their activities (ReportingRound.reminders(activities=True))."""
    due = [r for r in reminders if r.recipients]
    if any(r.activities is None for r in due):
        raise ValueError("A reminder to send must list the activities owed.")
    send_mass_mail([message(reporting_round, r) for r in due], fail_silently=False)
    with transaction.atomic():
        return ReminderSending.objects.bulk_create(
            ReminderSending(
                round=reporting_round,
                organisation=r.organisation,
                recipients="\n".join(r.recipients),
                activity_count=r.owed,
                sent_by=sent_by,
            )
            for r in due
        )
