"""The round page and send_reminders can ask for missing reports, missing final assessments
(once the plan's assessment is open) or both; each e-mail lists what its organisation owes of
that kind, an organisation that owes nothing of it gets none, and the log records the kind."""

import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from activities.models import Assessment, ReminderSending
from activities.reporting import assess
from organisations.models import Organisation
from tests import factories

pytestmark = pytest.mark.django_db

SLUG = factories.REAL_PLAN
SSP_LEADS = ["6.2.3", "6.3.1", "6.3.2"]


@pytest.fixture
def current(plan):
    return factories.make_open_round(plan=plan)


@pytest.fixture
def members(plan):
    """Members with e-mail of MF (leads 5.1.1, 5.2.1, 6.2.6), BRG (a target of 3.1.1 beside
    what it leads) and SSP (leads 6.2.3, 6.3.1, 6.3.2)."""
    return {
        code: factories.make_reporter(code.lower(), code, email=f"{code.lower()}@example.invalid")
        for code in ["MF", "BRG", "SSP"]
    }


def send(client, current, **data):
    url = reverse("rounds:send_reminders", args=[SLUG, current.pk])
    return client.post(url, data, follow=True)


def mails(outbox):
    return {m.to[0].split("@")[0].upper(): m for m in outbox}


def test_reports_are_the_default_and_say_nothing_of_assessments(
    coordinator_client, current, members, mailoutbox
):
    send(coordinator_client, current)
    mf = mails(mailoutbox)["MF"]
    assert "MF har 3 aktiviteter kvar att rapportera" in mf.subject
    assert "/aktiviteter/6.2.6/#rapportera" in mf.body and "slutbedömning" not in mf.body
    assert "Tack för din rapport!" in mf.body
    (sending,) = current.reminder_sendings.filter(organisation__code="MF")
    assert (sending.kind, sending.activity_count, sending.assessment_count) == ("reports", 3, 0)


def test_assessment_reminders_list_each_owed_assessment_with_its_form(
    coordinator_client, current, members, mailoutbox, coordinator
):
    assess(
        activity=factories.activity("6.2.6"),
        organisation=Organisation.objects.get(code="MF"),
        author=coordinator,
        assessment=Assessment.ACHIEVED,
        motivation="Klart.",
        on_behalf=True,
    )
    response = send(coordinator_client, current, kind="assessments")
    assert "Påminnelser skickade till 3 organisationer." in response.content.decode()
    sent = mails(mailoutbox)
    mf, brg = sent["MF"], sent["BRG"]
    assert mf.subject == "Påminnelse: MF har 2 slutbedömningar kvar att göra"
    assert "/aktiviteter/5.1.1/?for=MF#slutbedomning" in mf.body
    assert "/aktiviteter/5.2.1/?for=MF#slutbedomning" in mf.body
    assert "6.2.6" not in mf.body and "#rapportera" not in mf.body
    assert "Tack för din slutbedömning!" in mf.body and "Tack för din rapport" not in mf.body
    assert "/aktiviteter/3.1.1/?for=BRG#slutbedomning" in brg.body
    assert "Mål: Godsplanen synliggjord" in brg.body
    log = {s.organisation.code: s for s in current.reminder_sendings.all()}
    assert (log["MF"].kind, log["MF"].assessment_count, log["MF"].activity_count) == (
        "assessments",
        2,
        0,
    )
    assert log["BRG"].assessment_count == 23
    page = coordinator_client.get(current.get_absolute_url()).content.decode()
    assert "Slutbedömningar som saknas" in page  # the log says what was asked


def test_both_in_one_mail_and_nothing_to_an_organisation_that_owes_nothing_of_the_kind(
    coordinator_client, current, members, mailoutbox, coordinator
):
    ssp = Organisation.objects.get(code="SSP")
    for ref in SSP_LEADS:
        factories.file_report(ref, "SSP", coordinator, "on_track")
    send(coordinator_client, current, kind="reports")
    assert "SSP" not in mails(mailoutbox)  # it has reported everything
    mailoutbox.clear()
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    ReminderSending.objects.update(sent_at=an_hour_ago)  # no longer "just sent"
    send(coordinator_client, current, kind="both")
    sent = mails(mailoutbox)
    assert "MF har 3 rapporter och 3 slutbedömningar kvar" in sent["MF"].subject
    assert "#rapportera" in sent["MF"].body and "#slutbedomning" in sent["MF"].body
    assert "#rapportera" not in sent["SSP"].body and "#slutbedomning" in sent["SSP"].body
    for ref in SSP_LEADS:
        assess(
            activity=factories.activity(ref),
            organisation=ssp,
            author=coordinator,
            assessment=Assessment.PARTLY_ACHIEVED,
            motivation="Delvis.",
            on_behalf=True,
        )
    ReminderSending.objects.update(sent_at=an_hour_ago)
    mailoutbox.clear()
    send(coordinator_client, current, kind="both")
    assert "SSP" not in mails(mailoutbox) and "MF" in mails(mailoutbox)


def test_a_second_click_sends_nothing_twice_but_another_kind_goes(
    coordinator_client, current, members, mailoutbox
):
    send(coordinator_client, current, kind="reports")
    sent = len(mailoutbox)
    response = send(coordinator_client, current, kind="reports")
    assert "inga nya skickades" in response.content.decode() and len(mailoutbox) == sent
    assert "Påminnelser om rapporter som saknas skickades nyss" in response.content.decode()
    send(coordinator_client, current, kind="assessments")
    assert len(mailoutbox) == 2 * sent
    response = send(coordinator_client, current, kind="both")
    assert "inga nya skickades" in response.content.decode() and len(mailoutbox) == 2 * sent


@pytest.mark.parametrize("forged", ["allt", "REPORTS", "x" * 100_000, "reports\x00", "both "])
def test_a_forged_kind_is_refused_with_a_message_and_nothing_is_sent(
    coordinator_client, current, members, mailoutbox, forged
):
    response = send(coordinator_client, current, kind=forged)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Välj vad påminnelserna gäller bland alternativen på sidan." in page
    assert "x" * 1000 not in page
    assert not mailoutbox and not ReminderSending.objects.exists()


def test_assessments_cannot_be_asked_for_before_the_assessment_opens(
    coordinator_client, plan, current, members, mailoutbox
):
    plan.period_end = plan.outcome_deadline = timezone.localdate() + datetime.timedelta(days=365)
    plan.save()
    page = coordinator_client.get(current.get_absolute_url()).content.decode()
    assert 'name="kind" value="reports"' in page and 'value="assessments"' not in page
    for kind in ["assessments", "both"]:
        response = send(coordinator_client, current, kind=kind)
        assert "först när planens slutbedömning har öppnat" in response.content.decode()
    assert not mailoutbox and not ReminderSending.objects.exists()


@pytest.mark.parametrize("persona", ["reporter_sbf", "viewer"])
def test_only_coordinators_send_reminders(client, request, current, members, mailoutbox, persona):
    client.force_login(request.getfixturevalue(persona))
    url = reverse("rounds:send_reminders", args=[SLUG, current.pk])
    for kind in ["reports", "assessments", "both"]:
        assert client.post(url, {"kind": kind}).status_code == 403
    assert client.get(url).status_code == 405
    assert not mailoutbox and not ReminderSending.objects.exists()


def test_sending_needs_sign_in(client, current, members, mailoutbox):
    url = reverse("rounds:send_reminders", args=[SLUG, current.pk])
    assert client.post(url, {"kind": "both"}).status_code == 302
    assert not mailoutbox and not ReminderSending.objects.exists()


def test_the_round_page_offers_the_kinds_and_counts_both(coordinator_client, current, members):
    page = coordinator_client.get(current.get_absolute_url()).content.decode()
    for kind in ["reports", "assessments", "both"]:
        assert f'value="{kind}"' in page
    assert re.search(r'<input type="radio" name="kind" value="reports"[^>]* checked', page)
    assert "Slutbedömningar kvar" in page


def test_the_command_takes_the_same_choice(current, members, mailoutbox, plan):
    out = io.StringIO()
    call_command("send_reminders", str(current.pk), "--kind", "assessments", stdout=out)
    sent = mails(mailoutbox)
    assert sent["MF"].subject == "Påminnelse: MF har 3 slutbedömningar kvar att göra"
    assert "  MF: slutbedömning 5.1.1, 5.2.1, 6.2.6 → mf@example.invalid" in out.getvalue()
    assert set(ReminderSending.objects.values_list("kind", flat=True)) == {"assessments"}
    with pytest.raises(CommandError):
        call_command("send_reminders", str(current.pk), "--kind", "allt", stdout=out)
    plan.period_end = plan.outcome_deadline = timezone.localdate() + datetime.timedelta(days=365)
    plan.save()
    with pytest.raises(CommandError, match="först när planens slutbedömning har öppnat"):
        call_command("send_reminders", str(current.pk), "--kind", "both", "--dry-run")
    assert len(mailoutbox) == len(sent)
