"""Each lead organisation has its own status; the activity's status follows from theirs by one
rule; a target's responsible organisation reports values, not the status; rounds do not
overlap; and each round shows what changed since the one before."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from activities import db
from activities.changes import since_previous
from activities.models import (
    Activity,
    ActivityOrganisation,
    ReportingRound,
    Status,
    StatusReport,
    Target,
    TargetValue,
)
from activities.reporting import ReportDraft, file_report, file_reports
from organisations.models import Organisation
from tests import factories
from tests.actions import post_report

pytestmark = pytest.mark.django_db

SLUG = "2024-2025"


def activity(reference):
    return (
        Activity.objects.with_related()
        .by_reference(Activity.objects.first().insats.area.plan, reference)
        .get()
    )


def org(code):
    return Organisation.objects.get(code=code)


def test_co_led_activity_shows_each_leads_status_and_the_worst_overall(client, plan, coordinator):
    smf = factories.make_reporter("rapportor-smf", "SMF")
    client.force_login(smf)
    post_report(
        client, "5.2.1", "SMF", status="on_track", comment="Kommentar", values={1: "76"}, expect=302
    )
    assert activity("5.2.1").current_status == Status.PARTLY_REPORTED  # MF, INK… not yet
    page = client.get(reverse("activities:detail", args=[SLUG, "5.2.1"])).content.decode()
    assert "Delvis rapporterad" in page

    client.force_login(coordinator)
    post_report(client, "5.2.1", "MF", status="delayed", comment="Kommentar", expect=302)
    fresh = activity("5.2.1")
    assert fresh.current_status == Status.DELAYED
    assert fresh.status_of(org("SMF")) == Status.ON_TRACK
    assert fresh.status_of(org("MF")) == Status.DELAYED
    assert fresh.status_of(org("INK")) == Status.NOT_REPORTED
    page = client.get(reverse("activities:detail", args=[SLUG, "5.2.1"]))
    leads = page.content.decode().split('class="lead-statuses"')[1].split("</ul>")[0]
    assert "<strong>SMF</strong>" in leads and "Pågår enligt plan" in leads
    assert "<strong>MF</strong>" in leads and "Försenad" in leads
    assert leads.count("Ej rapporterad") == 3  # INK, RSG, SBF
    assert "aldrig bättre än den sämsta" in page.content.decode()

    # SMF's own page shows SMF's own status, beside the activity's.
    client.force_login(smf)
    mine = client.get(reverse("rounds:my_organisation", args=[SLUG])).content.decode()
    row = mine[mine.index(">5.2.1<") :].split("</tr>")[0]
    assert "Pågår enligt plan" in row and "Försenad" in row
    assert row.index("Pågår enligt plan") < row.index("Försenad")  # own first

    # The plan workbook's row: each lead's status and the overall one.
    content = client.get(reverse("activities:export_plan", args=[SLUG])).getvalue()
    ws = load_workbook(io.BytesIO(content), read_only=True)["Handlingsplan"]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    row = next(r for r in rows if r[0] == "5.2.1")
    assert row[header.index("Status")] == "Försenad"
    assert row[header.index("Status per ledande organisation")].splitlines() == [
        "INK: Ej rapporterad",
        "MF: Försenad",
        "RSG: Ej rapporterad",
        "SBF: Ej rapporterad",
        "SMF: Pågår enligt plan",
    ]


def test_a_targets_responsible_organisation_reports_its_value_not_the_status(client, plan):
    client.force_login(factories.make_reporter("rapportor-sbf", "SBF"))
    post_report(client, "3.1.1", "SBF", status="on_track", comment="Kommentar", expect=302)
    brg = factories.make_reporter("rapportor-brg", "BRG")
    client.force_login(brg)
    form = client.get(reverse("activities:detail", args=[SLUG, "3.1.1"])).context["form"]
    assert "status" not in form.fields
    assert [t.position for t in form.targets] == [2]  # only BRG's own target
    post_report(client, "3.1.1", "BRG", status=None, comment=None, values={2: "4"}, expect=302)
    fresh = activity("3.1.1")
    assert fresh.current_status == Status.ON_TRACK
    target = fresh.targets.get(position=2)
    assert target.latest_value == 4 and target.latest_value_org == "BRG"
    assert StatusReport.objects.filter(organisation=org("BRG")).get().status == ""


def test_a_report_filed_late_for_an_earlier_round_does_not_replace_a_newer_one(plan, coordinator):
    a = activity("3.2.4")
    file_report(activity=a, organisation=org("SBF"), author=coordinator, status="on_track")
    file_report(
        activity=a,
        organisation=org("SBF"),
        author=coordinator,
        status="delayed",
        comment="Sent",
        created_at=timezone.now() - datetime.timedelta(days=30),
    )
    assert activity("3.2.4").current_status == Status.ON_TRACK


def test_a_value_filed_late_for_an_earlier_round_does_not_replace_a_newer_one(plan, coordinator):
    a = activity("3.2.4")
    target = a.targets.get(position=1)
    for value, days_ago in [(10, 0), (5, 30)]:
        file_report(
            activity=a,
            organisation=org("SBF"),
            author=coordinator,
            status="on_track",
            values={target: Decimal(value)},
            created_at=timezone.now() - datetime.timedelta(days=days_ago),
        )
    target.refresh_from_db()
    assert target.current_value.value == 10


def test_many_reports_filed_at_once_leave_the_state_a_recomputation_gives(
    plan, coordinator, monkeypatch
):
    """The reporting core saves the current state in batches (activities.db.update_rows): with
    batches of three, every lead's report, a value and a role left unchanged come out as
    rebuilding the state from the whole history does."""
    monkeypatch.setattr(db, "UPDATE_BATCH", 3)
    activities = list(Activity.objects.with_related().filter(insats__area__plan=plan))
    entries = [
        {
            "activity": a,
            "organisation": role.organisation,
            "author": coordinator,
            "status": Status.reportable_values()[i % 3],
            "comment": "Samtidigt",
            "values": {t: Decimal(i) for t in a.targets.all() if t.is_numeric},
        }
        for i, a in enumerate(activities)
        for role in a.roles.all()[:1]
        if role.role == "lead"
    ]
    assert len(entries) > 10
    # First in the batch, a value-only report from a target's responsible organisation (no
    # status): the lead's reports after it count all the same.
    brg_target = activity("3.1.1").targets.get(responsible_organisation__code="BRG")
    entries.insert(
        0,
        {
            "activity": activity("3.1.1"),
            "organisation": org("BRG"),
            "author": coordinator,
            "status": "",
            "values": {brg_target: Decimal(4)},
        },
    )
    file_reports(ReportDraft(**e) for e in entries)

    def state():
        ids = [a.pk for a in activities]
        return (
            list(
                Activity.objects.filter(pk__in=ids)
                .values_list("pk", "latest_report", "current_status")
                .order_by("pk")
            ),
            list(
                ActivityOrganisation.objects.filter(activity__in=ids)
                .values_list("pk", "current_report")
                .order_by("pk")
            ),
            list(
                Target.objects.filter(activity__in=ids)
                .values_list("pk", "current_value", "current_assessment")
                .order_by("pk")
            ),
        )

    filed = state()
    assert any(value for _pk, value, _assessment in filed[2])
    reported = {e["activity"].pk for e in entries if e["status"]}
    assert all(status != "not_reported" for pk, _report, status in filed[0] if pk in reported)
    Activity.objects.filter(insats__area__plan=plan).recompute_current()
    assert filed == state()


def test_the_form_starts_from_the_organisations_last_report(client, plan, reporter_sbf):
    client.force_login(reporter_sbf)
    post_report(
        client,
        "3.2.4",
        "SBF",
        status="at_risk",
        comment="Kommentar",
        values={1: "12,5"},
        expect=302,
    )
    form = client.get(reverse("activities:detail", args=[SLUG, "3.2.4"])).context["form"]
    assert form["status"].value() == "at_risk"
    assert form["comment"].value() in (None, "")
    target = activity("3.2.4").targets.get(position=1)
    assert form[f"value_{target.pk}"].value() == Decimal("12.5")


def test_the_coordinators_form_follows_the_chosen_organisation(coordinator_client, plan):
    url = reverse("activities:detail", args=[SLUG, "5.2.1"])
    for code, position in [("SMF", 1), ("INK", 4)]:
        form = coordinator_client.get(f"{url}?for={code}").context["form"]
        assert form.reporting_for.code == code
        numeric = [t.position for t in form.targets if t.is_numeric]
        assert numeric == [position]


def test_an_overlapping_round_is_refused_with_a_form_error(coordinator_client, plan):
    factories.make_round(
        plan=plan, name="Slutuppföljning 2025", opens_on="2025-11-01", deadline="2025-12-15"
    )
    response = coordinator_client.post(
        reverse("rounds:create", args=[SLUG]),
        {"name": "Extra avstämning", "opens_on": "2025-11-20", "deadline": "2025-12-20"},
    )
    assert response.status_code == 400
    assert "överlappar Slutuppföljning 2025" in response.content.decode()
    assert ReportingRound.objects.count() == 1


def test_a_round_shows_what_changed_since_the_previous_one(coordinator_client, plan, coordinator):
    first = factories.make_round(
        plan=plan, name="T1 2025", opens_on="2025-01-01", deadline="2025-03-31"
    )
    second = factories.make_round(
        plan=plan, name="T2 2025", opens_on="2025-06-01", deadline="2025-09-30"
    )
    a = activity("3.2.3")
    target = a.targets.get()
    # Rounds are compared by when the reports were filed (each round's window).
    during = {
        first: timezone.make_aware(datetime.datetime(2025, 2, 1, 12)),
        second: timezone.make_aware(datetime.datetime(2025, 7, 1, 12)),
    }
    for round_, status, value in [(first, "on_track", "60"), (second, "delayed", "73")]:
        file_report(
            activity=a,
            organisation=org("SMF"),
            author=coordinator,
            status=status,
            comment="Text",
            round=round_,
            values={target: Decimal(value)},
            created_at=during[round_],
        )
    file_report(
        activity=activity("3.2.4"),
        organisation=org("SBF"),
        author=coordinator,
        status="on_track",
        round=first,
        created_at=during[first],
    )
    changes = since_previous(second)
    assert changes.previous == first
    change = next(c for c in changes.changes if c.activity.reference == "3.2.3")
    assert (change.before, change.after, change.kind) == ("on_track", "delayed", "worse")
    (value,) = change.values
    assert (value.before, value.after, value.difference) == (60, 73, 13)
    assert [o.code for o in changes.silent] == ["SBF"]

    page = coordinator_client.get(second.get_absolute_url()).content.decode()
    section = page[page.index('id="andringar"') :]
    assert "3.2.3" in section and "Sämre" in section and "60 → 73 (+13)" in section
    assert "Rapporterade förra omgången men inte i den här:" in section

    # The activity table can show just those.
    with_rounds = reverse("activities:list", args=[SLUG])
    ReportingRound.objects.filter(pk=second.pk).update(opens_on=datetime.date(2025, 6, 1))
    worse = coordinator_client.get(with_rounds + "?change=worse").context["table"]
    assert [r.record.reference for r in worse.page.object_list] == ["3.2.3"]
    sheet = load_workbook(
        io.BytesIO(
            coordinator_client.get(reverse("activities:export_plan", args=[SLUG])).getvalue()
        ),
        read_only=True,
    )["Ändringar"]
    rows = [r for r in sheet.iter_rows(values_only=True) if r and r[0] == "3.2.3"]
    assert rows == [
        (
            "3.2.3",
            "SMF",
            "Pågår enligt plan",
            "Försenad",
            "Sämre",
            "100 deltagande arbetsplatser i Göteborg: 60 → 73 (+13)",
        )
    ]
    assert TargetValue.objects.count() == 2


def test_the_overall_rule():
    overall = Status.overall
    assert overall([]) == Status.NOT_REPORTED
    assert overall(["", ""]) == Status.NOT_REPORTED
    assert overall(["on_track", ""]) == Status.PARTLY_REPORTED
    assert overall(["delayed", ""]) == Status.DELAYED
    assert overall(["at_risk", ""]) == Status.AT_RISK
    assert overall(["not_started", ""]) == Status.PARTLY_REPORTED
    assert overall(["on_track", "not_started"]) == Status.NOT_STARTED
    assert overall(["at_risk", "delayed", "on_track"]) == Status.DELAYED
    assert overall(["completed", "on_track"]) == Status.ON_TRACK
    assert overall(["completed", "cancelled"]) == Status.COMPLETED
    assert overall(["cancelled", "cancelled"]) == Status.CANCELLED
