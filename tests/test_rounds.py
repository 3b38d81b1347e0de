"""Reporting rounds: creation by coordinators, the completeness matrix, Min organisation,
and e-mail reminders."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from activities.models import Activity, ReportingRound, StatusReport
from organisations.models import Organisation
from tests import factories
from tests.actions import post_report

pytestmark = pytest.mark.django_db

SLUG = "2024-2025"


@pytest.fixture
def round_t2(plan, coordinator):
    return factories.make_round(
        plan=plan,
        name="Uppföljning T2 2025",
        opens_on=datetime.date(2025, 9, 1),
        deadline=datetime.date(2025, 10, 15),
        created_by=coordinator,
    )


def activity(ref):
    return Activity.objects.get_by_natural_key(SLUG, *(int(p) for p in ref.split(".")))


def test_coordinator_creates_a_round(client, coordinator, plan):
    client.force_login(coordinator)
    response = client.post(
        reverse("rounds:create", args=[SLUG]),
        {"name": "Uppföljning T1 2025", "opens_on": "2025-03-01", "deadline": "2025-04-15"},
    )
    created = ReportingRound.objects.get()
    assert response.status_code == 302 and response["Location"] == created.get_absolute_url()
    assert created.created_by == coordinator and created.plan == plan


@pytest.mark.parametrize("persona", ["viewer", "reporter_sbf"])
def test_only_coordinators_create_rounds(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(
        reverse("rounds:create", args=[SLUG]),
        {"name": "X", "opens_on": "2025-03-01", "deadline": "2025-04-15"},
    )
    assert response.status_code == 403
    assert ReportingRound.objects.count() == 0


def test_round_creation_is_post_only_and_needs_sign_in(client, plan):
    url = reverse("rounds:create", args=[SLUG])
    assert client.get(url).status_code == 302
    client.force_login(factories.make_coordinator())
    assert client.get(url).status_code == 405


def test_round_with_deadline_before_opening_or_duplicate_name_is_refused(client, round_t2):
    client.force_login(factories.make_coordinator("samordnare2"))
    url = reverse("rounds:create", args=[SLUG])
    response = client.post(url, {"name": "Ny", "opens_on": "2025-05-01", "deadline": "2025-04-01"})
    assert response.status_code == 400
    assert "Sista dag kan inte vara före" in response.content.decode()
    response = client.post(
        url, {"name": "uppföljning t2 2025", "opens_on": "2025-05-01", "deadline": "2025-06-01"}
    )
    assert "Det finns redan en omgång med det namnet" in response.content.decode()
    assert ReportingRound.objects.count() == 1


def test_reports_filed_through_the_form_belong_to_the_current_round(client, round_t2, reporter_sbf):
    client.force_login(reporter_sbf)
    # The plan has ended: work going on is explained.
    post_report(client, "3.2.4", "SBF", comment="Går vidare efter planperioden.", expect=302)
    assert StatusReport.objects.get().round == round_t2


def test_round_matrix_counts_each_lead_of_a_co_led_activity(viewer_client, round_t2, coordinator):
    factories.file_report("5.2.1", "MF", coordinator, round=round_t2)
    response = viewer_client.get(round_t2.get_absolute_url())
    completeness = response.context["completeness"]
    rows = {row.organisation.code: (row.reported, row.due) for row in completeness.rows}
    for code in ["INK", "MF", "RSG", "SBF", "SMF"]:
        assert code in rows
    assert rows["MF"][0] == 1
    # Every lead role in the plan is one report due.
    assert completeness.due == 63
    assert completeness.reported == 1
    missing = {(m.activity.reference, m.organisation.code) for m in completeness.missing}
    assert ("5.2.1", "MF") not in missing and ("5.2.1", "SBF") in missing
    assert "1 av 63 klara (2 %)" in response.content.decode()


def test_a_report_filed_before_the_first_round_existed_counts_for_it(
    viewer_client, plan, coordinator
):
    """SMF reported 5.2.1 before the coordinator created the plan's first round (found item
    4): the report belongs to no round, and still counts for the first."""
    report = factories.file_report("5.2.1", "SMF", coordinator, round=None)
    first = factories.make_open_round(plan=plan)
    assert report.round is None
    completeness = viewer_client.get(first.get_absolute_url()).context["completeness"]
    assert {r.organisation.code: r.reported for r in completeness.rows}["SMF"] == 1
    missing = {(m.activity.reference, m.organisation.code) for m in completeness.missing}
    assert ("5.2.1", "SMF") not in missing and ("5.2.1", "SBF") in missing


def test_my_organisation_splits_activities_to_report_reported_and_taking_part(
    client, round_t2, reporter_sbf
):
    factories.file_report("3.2.4", "SBF", reporter_sbf, round=round_t2)
    client.force_login(reporter_sbf)
    response = client.get(reverse("rounds:my_organisation", args=[SLUG]))
    (section,) = response.context["sections"]
    to_report = [a.reference for a in section.to_report.activities]
    assert [a.reference for a in section.reported.activities] == ["3.2.4"]
    assert "3.2.4" not in to_report
    assert to_report == ["3.1.1", "3.2.2", "4.2.1", "4.3.1", "5.1.1", "5.2.1"]
    assert "3.1.3" in [a.reference for a in section.participating.activities]


def test_my_organisation_tells_a_user_without_organisation_what_to_do(viewer_client, plan):
    response = viewer_client.get(reverse("rounds:my_organisation", args=[SLUG]))
    assert "Du är inte medlem i någon organisation" in response.content.decode()


def test_send_reminders_dry_run_names_exactly_the_organisations_with_unreported_activities(
    round_t2, coordinator, capsys
):
    # BRG leads many activities; SSP leads 6.2.3, 6.3.1 and 6.3.2. Report all of SSP's.
    for ref in ["6.2.3", "6.3.1", "6.3.2"]:
        factories.file_report(ref, "SSP", coordinator, round=round_t2)
    factories.make_reporter("sbf-person", "SBF", email="sbf@example.invalid")
    call_command("send_reminders", "Uppföljning T2 2025", "--dry-run")
    out = capsys.readouterr().out
    named = {line.split(":")[0].strip() for line in out.splitlines() if line.startswith("  ")}
    leads = set(
        Organisation.objects.filter(activity_roles__role="lead").values_list("code", flat=True)
    )
    assert named == leads - {"SSP"}
    assert "sbf@example.invalid" in out
    assert len(mail.outbox) == 0


def test_send_reminders_mails_members_with_links(round_t2, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    factories.make_reporter("sbf-person", "SBF", email="sbf@example.invalid")
    call_command("send_reminders", str(round_t2.pk), stdout=io.StringIO())
    (message,) = mail.outbox
    assert message.to == ["sbf@example.invalid"]
    assert "SBF har 7 aktiviteter kvar" in message.subject
    assert "/plan/2024-2025/aktiviteter/3.2.4/#rapportera" in message.body


def test_send_reminders_refuses_a_round_that_is_not_in_progress(round_t2, coordinator):
    from django.core.management.base import CommandError

    later = factories.make_round(
        plan=round_t2.plan,
        name="Uppföljning T3 2025",
        opens_on=datetime.date(2025, 11, 1),
        deadline=datetime.date(2025, 12, 15),
    )
    with pytest.raises(CommandError, match="pågår inte"):
        call_command("send_reminders", str(round_t2.pk), "--dry-run", stdout=io.StringIO())
    call_command("send_reminders", str(round_t2.pk), "--dry-run", "--force", stdout=io.StringIO())
    call_command("send_reminders", str(later.pk), "--dry-run", stdout=io.StringIO())


def test_round_names_differing_only_in_case_are_one_name_on_every_database(client, plan):
    client.force_login(factories.make_coordinator("samordnare2"))
    url = reverse("rounds:create", args=[SLUG])
    dates = {"opens_on": "2025-05-01", "deadline": "2025-06-01"}
    assert client.post(url, {"name": "Aktuell omgång", **dates}).status_code == 302
    response = client.post(url, {"name": "  aktuell   OMGÅNG ", **dates})
    assert response.status_code == 400
    assert "Det finns redan en omgång med det namnet" in response.content.decode()
    assert ReportingRound.objects.count() == 1


def test_a_round_created_meanwhile_under_the_same_name_is_a_form_error(client, plan, monkeypatch):
    """Two coordinators create the same round at once: the loser's check passed, its insert
    meets the unique constraint, and it gets the form error, not a server error."""
    client.force_login(factories.make_coordinator("samordnare2"))
    factories.make_round(
        plan=plan, name="Extra avstämning", opens_on="2025-05-01", deadline="2025-06-01"
    )
    monkeypatch.setattr(ReportingRound, "clean", lambda self: None)
    response = client.post(
        reverse("rounds:create", args=[SLUG]),
        {"name": "EXTRA AVSTÄMNING", "opens_on": "2025-05-01", "deadline": "2025-06-01"},
    )
    assert response.status_code == 400
    assert "Det finns redan en omgång med det namnet" in response.content.decode()
    assert ReportingRound.objects.count() == 1


def test_the_admin_refuses_a_round_name_used_in_another_case(admin_client, round_t2):
    response = admin_client.post(
        reverse("admin:activities_reportinground_add"),
        {
            "plan": round_t2.plan_id,
            "name": "UPPFÖLJNING T2 2025",
            "opens_on": "2025-05-01",
            "deadline": "2025-06-01",
        },
    )
    assert response.status_code == 200
    assert "Det finns redan en omgång med det namnet" in response.content.decode()
    assert ReportingRound.objects.count() == 1


def test_round_names_that_look_the_same_are_the_same_name(client, plan):
    client.force_login(factories.make_coordinator("samordnare2"))
    url = reverse("rounds:create", args=[SLUG])
    assert (
        client.post(
            url, {"name": "Omgång Å", "opens_on": "2025-05-01", "deadline": "2025-06-01"}
        ).status_code
        == 302
    )
    for lookalike in ["Omga\u030ang A\u030a", "Omgång\u200b Å"]:
        response = client.post(
            url, {"name": lookalike, "opens_on": "2025-07-01", "deadline": "2025-08-01"}
        )
        assert response.status_code == 400
        assert "Det finns redan en omgång med det namnet" in response.content.decode()
    assert ReportingRound.objects.count() == 1


def test_a_round_far_outside_the_plan_is_refused(client, plan):
    client.force_login(factories.make_coordinator("samordnare2"))
    for opens, deadline in [("0001-01-01", "0001-02-01"), ("9999-01-01", "9999-12-31")]:
        response = client.post(
            reverse("rounds:create", args=[SLUG]),
            {"name": f"Fel {opens}", "opens_on": opens, "deadline": deadline},
        )
        assert response.status_code == 400
        assert "Välj ett datum mellan" in response.content.decode()
    assert ReportingRound.objects.count() == 0


def test_reminders_are_sent_once_and_only_for_the_round_in_progress(client, round_t2, mailoutbox):
    coordinator = factories.make_coordinator("samordnare2")
    factories.make_reporter("smf", "SMF", email="smf@example.invalid")
    client.force_login(coordinator)
    url = reverse("rounds:send_reminders", args=[SLUG, round_t2.pk])
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302  # a second click
    assert len(mailoutbox) == 1 and round_t2.reminder_sendings.count() == 1
    later = factories.make_round(
        plan=round_t2.plan, name="Framtida", opens_on="2027-01-01", deadline="2027-02-01"
    )
    client.post(reverse("rounds:send_reminders", args=[SLUG, later.pk]))
    assert len(mailoutbox) == 1 and not later.reminder_sendings.exists()
    viewer = factories.make_user("läsare2")
    client.force_login(viewer)
    page = client.get(round_t2.get_absolute_url()).content.decode()
    assert "smf@example.invalid" not in page  # addresses are for coordinators
    assert client.post(url).status_code == 403
