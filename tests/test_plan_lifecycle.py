"""A plan's life cycle: a draft (uploaded, seen by coordinators only, never anyone's start
page, not publishable, nothing reported on it) until a coordinator activates it from its
overview page; existing plans and the fixtures are active."""

import datetime
import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from activities.models import OutcomeAssessment, PendingImport, ReportingRound, StatusReport
from areas.models import Plan, PlanState, pick_current
from tests import factories
from tests.actions import count_queries, post_report
from tests.factories import REAL_PLAN
from tests.workbooks import XLSX, make_draft, workbook_bytes

pytestmark = pytest.mark.django_db

DRAFT = "2026-2027"
CSRF = re.compile(rb'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]*">')


@pytest.fixture
def draft(plan):
    return make_draft(plan, DRAFT)


def page_urls(slug, round_pk=None):
    """Every signed-in page and download of a plan."""
    names = [
        ("overview", []),
        ("areas:list", []),
        ("areas:detail", [3]),
        ("activities:list", []),
        ("activities:detail", ["3.2.4"]),
        ("activities:export_plan", []),
        ("activities:export_table", []),
        ("activities:report_template", []),
        ("activities:import_upload", []),
        ("organisations:list", []),
        ("organisations:detail", ["SBF"]),
        ("rounds:list", []),
        ("rounds:my_organisation", []),
        ("report:page", []),
        ("report:docx", []),
        ("handover_workbook", []),
    ]
    urls = [reverse(name, args=[slug, *args]) for name, args in names]
    if round_pk:
        urls.append(reverse("rounds:detail", args=[slug, round_pk]))
    return urls


def public_urls(slug):
    return [
        reverse("insyn:overview", args=[slug]),
        reverse("insyn:activities", args=[slug]),
        reverse("insyn:activity", args=[slug, "3.2.4"]),
        reverse("open_data:plan", args=[slug]),
        reverse("api:plan", args=[slug]),
        reverse("api:activities", args=[slug]),
        reverse("api:activity", args=[slug, "3.2.4"]),
    ]


def without_csrf(content):
    return CSRF.sub(b"", content)


# --- Who sees a draft


@pytest.mark.parametrize("persona", ["viewer", "reporter_sbf"])
def test_a_draft_answers_everyone_but_coordinators_as_a_plan_that_does_not_exist(
    client, request, draft, persona
):
    """SBF leads 3.2.3 in the draft too: the 404 is the draft's, not a missing membership."""
    rounds = factories.make_open_round(plan=draft)  # only possible behind the app's back
    client.force_login(request.getfixturevalue(persona))
    for url in page_urls(DRAFT, rounds.pk):
        response = client.get(url)
        assert response.status_code == 404, url
        missing = client.get(url.replace(DRAFT, "finns-inte"))
        # The same page, the address it was asked for aside (the language form returns there).
        expected = without_csrf(missing.content).replace(b"finns-inte", DRAFT.encode())
        assert without_csrf(response.content) == expected, url
    for url in public_urls(DRAFT):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("activate_plan", args=[DRAFT])).status_code == 404
    assert Plan.objects.get(slug=DRAFT).is_draft


def test_a_draft_is_nothing_to_an_anonymous_visitor(client, draft):
    for url in public_urls(DRAFT):
        assert client.get(url).status_code == 404, url
    assert DRAFT not in client.get(reverse("api:plans")).content.decode()
    assert draft.title not in client.get(reverse("open_data:index")).content.decode()
    assert draft.title not in client.get(reverse("insyn:index")).content.decode()


def test_a_coordinator_sees_every_page_of_a_draft(client, coordinator, draft):
    client.force_login(coordinator)
    # Reporting starts once it is activated (and a draft continues nothing: test_handover).
    refused = {
        reverse("activities:report_template", args=[DRAFT]),
        reverse("activities:import_upload", args=[DRAFT]),
        reverse("handover_workbook", args=[DRAFT]),
    }
    for url in page_urls(DRAFT):
        assert client.get(url).status_code == (403 if url in refused else 200), url
    page = client.get(reverse("overview", args=[DRAFT])).content.decode()
    assert "Utkast." in page and "Planen syns bara för samordnare" in page


def test_the_plan_switcher_lists_a_draft_for_coordinators_only(client, plan, coordinator, draft):
    client.force_login(factories.make_reporter("sbf", "SBF"))
    page = client.get(reverse("overview", args=[REAL_PLAN])).content.decode()
    assert draft.title not in page and f'value="{DRAFT}"' not in page
    assert client.get(reverse("switch_plan") + f"?plan={DRAFT}").status_code == 404
    # The activity table's plan filter offers no draft either, and does not follow one.
    table = client.get(reverse("activities:list", args=[REAL_PLAN]))
    assert draft.title not in table.content.decode()
    assert client.get(table.request["PATH_INFO"] + f"?plan={DRAFT}").status_code == 404

    client.force_login(coordinator)
    page = client.get(reverse("overview", args=[REAL_PLAN])).content.decode()
    assert f'<option value="{DRAFT}">{draft.title} (utkast)</option>' in page
    response = client.get(reverse("switch_plan") + f"?plan={DRAFT}")
    assert response.status_code == 302 and response["Location"] == draft.get_absolute_url()


def test_a_draft_is_never_anyones_start_page(client, plan, coordinator, draft):
    """The draft's period has begun and is later than the real plan's: as an active plan it
    would be the start page."""
    assert draft.period_start <= datetime.date.today() and draft.period_start > plan.period_start
    assert pick_current([plan, draft]) == plan
    for user in (factories.make_reporter("sbf", "SBF"), coordinator):
        client.force_login(user)
        assert client.get(reverse("home"))["Location"] == plan.get_absolute_url()
        link = client.get(reverse("organisation_in_current_plan", args=["SBF"]))
        assert link["Location"] == reverse("organisations:detail", args=[REAL_PLAN, "SBF"])
    Plan.objects.filter(pk=draft.pk).update(state=PlanState.ACTIVE)
    assert client.get(reverse("home"))["Location"] == draft.get_absolute_url()


def test_with_only_drafts_there_is_no_start_page(client, plan, coordinator):
    Plan.objects.filter(pk=plan.pk).update(state=PlanState.DRAFT)
    assert Plan.objects.current() is None
    client.force_login(coordinator)
    response = client.get(reverse("home"))
    assert response.status_code == 404
    # The coordinator still reaches the draft through the plan switcher.
    assert f'<option value="{REAL_PLAN}">' in response.content.decode()


def test_an_old_activity_names_its_successor_in_a_draft_to_nobody(client, plan, coordinator, draft):
    old = factories.activity("3.2.4")
    for user in (coordinator, factories.make_reporter("sbf", "SBF")):
        client.force_login(user)
        assert "Fortsätter som" not in client.get(old.get_absolute_url()).content.decode()


# --- Not publishable


def test_a_draft_cannot_be_published(draft):
    draft.published = True
    with pytest.raises(ValidationError) as refused:
        draft.full_clean()
    assert refused.value.message_dict == {
        "published": [
            "Ett utkast kan inte publiceras för insyn. Aktivera planen först (läge ”Aktiv”)."
        ]
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.filter(pk=draft.pk).update(published=True)
    assert not Plan.objects.get(pk=draft.pk).published


def admin_form(plan, **changes):
    fields = {
        "slug": plan.slug,
        "title": plan.title,
        "period_start": plan.period_start.isoformat(),
        "period_end": plan.period_end.isoformat(),
        "outcome_deadline": plan.outcome_deadline.isoformat(),
        "state": plan.state,
        "areas-TOTAL_FORMS": "0",
        "areas-INITIAL_FORMS": "0",
    }
    return {**fields, **changes}


def test_the_admin_shows_why_a_draft_cannot_be_published(admin_client, draft):
    url = reverse("admin:areas_plan_change", args=[draft.pk])
    page = admin_client.get(url).content.decode()
    assert "Aktiv" in page and "Utkast" in page
    response = admin_client.post(url, admin_form(draft, published="on"))
    assert response.status_code == 200
    assert "Ett utkast kan inte publiceras för insyn." in response.content.decode()
    assert not Plan.objects.get(pk=draft.pk).published
    # Active and published in one go is fine.
    response = admin_client.post(url, admin_form(draft, published="on", state="active"))
    assert response.status_code == 302
    saved = Plan.objects.get(pk=draft.pk)
    assert saved.published and not saved.is_draft


def test_a_plan_with_follow_up_cannot_become_a_draft_again(admin_client, plan, draft):
    url = reverse("admin:areas_plan_change", args=[plan.pk])
    factories.make_open_round(plan=plan)
    response = admin_client.post(url, admin_form(plan, state="draft"))
    assert response.status_code == 200
    assert "kan inte bli ett utkast igen" in response.content.decode()
    assert not Plan.objects.get(pk=plan.pk).is_draft
    # A plan activated by mistake, with nothing in it yet, can.
    Plan.objects.filter(pk=draft.pk).update(state=PlanState.ACTIVE)
    url = reverse("admin:areas_plan_change", args=[draft.pk])
    response = admin_client.post(url, admin_form(draft, state="draft"))
    assert response.status_code == 302
    assert Plan.objects.get(pk=draft.pk).is_draft
    # Once a report is filed in it (no round needed), it cannot.
    Plan.objects.filter(pk=draft.pk).update(state=PlanState.ACTIVE)
    reporter = Client()
    reporter.force_login(factories.make_reporter("sbf", "SBF"))
    post_report(reporter, "3.2.4", "SBF", plan=DRAFT, comment="Igång", expect=302)
    response = admin_client.post(url, admin_form(draft, state="draft"))
    assert "kan inte bli ett utkast igen" in response.content.decode()
    assert not Plan.objects.get(pk=draft.pk).is_draft


@pytest.mark.parametrize("state", ["draft", "active"])
def test_a_plan_added_in_admin_is_a_draft_unless_set_active(admin_client, state):
    form = admin_client.get(reverse("admin:areas_plan_add")).content.decode()
    assert '<option value="draft" selected>Utkast</option>' in form
    new = Plan(
        slug="ny",
        title="Ny plan",
        period_start=datetime.date(2028, 1, 1),
        period_end=datetime.date(2029, 12, 31),
        outcome_deadline=datetime.date(2029, 12, 31),
        state=state,
    )
    response = admin_client.post(reverse("admin:areas_plan_add"), admin_form(new))
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert Plan.objects.get(slug="ny").state == state


def test_the_fixtures_load_as_active(plan):
    assert plan.state == PlanState.ACTIVE and not plan.is_draft


@pytest.mark.django_db(transaction=True)
def test_plans_that_exist_before_the_life_cycle_migrate_as_active():
    executor = MigrationExecutor(connection)
    before = [("areas", "0002_plan_published")]
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    old_apps.get_model("areas", "Plan").objects.create(
        slug="gammal",
        title="Gammal plan",
        period_start=datetime.date(2020, 1, 1),
        period_end=datetime.date(2021, 12, 31),
        outcome_deadline=datetime.date(2021, 12, 31),
        published=True,
    )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert Plan.objects.get(slug="gammal").state == PlanState.ACTIVE
    assert Plan.objects.get(slug=REAL_PLAN).state == PlanState.ACTIVE
    assert Plan.history.filter(slug="gammal").count() == 0  # no history row was invented


def test_a_published_plan_in_a_backup_from_before_the_life_cycle_loads_as_active(tmp_path):
    """A backup (or fixture) made before has no state: its plans were in use."""
    row = {
        "model": "areas.plan",
        "fields": {
            "slug": "gammal",
            "title": "Gammal plan",
            "period_start": "2020-01-01",
            "period_end": "2021-12-31",
            "outcome_deadline": "2021-12-31",
            "published": True,
        },
    }
    path = tmp_path / "gammal.json"
    path.write_text(json.dumps([row]))
    call_command("loaddata", str(path), verbosity=0)
    loaded = Plan.objects.get(slug="gammal")
    assert loaded.state == PlanState.ACTIVE and loaded.published


# --- Nothing is reported on a draft


def test_the_activity_page_of_a_draft_offers_no_report_or_assessment_form(
    client, coordinator, draft
):
    client.force_login(coordinator)
    overview = client.get(draft.get_absolute_url()).content.decode()
    assert reverse("activities:import_upload", args=[DRAFT]) not in overview
    page = client.get(reverse("activities:detail", args=[DRAFT, "3.2.4"])).content.decode()
    assert reverse("activities:report", args=[DRAFT, "3.2.4"]) not in page
    assert reverse("activities:assess", args=[DRAFT, "3.2.4"]) not in page
    assert not draft.assessment_is_open


def test_reports_assessments_rounds_and_imports_on_a_draft_are_refused(client, coordinator, draft):
    client.force_login(coordinator)
    message = "Planen är ett utkast. Aktivera den på planens översiktssida"
    response = post_report(client, "3.2.4", "SBF", plan=DRAFT, comment="Går bra")
    assert response.status_code == 403 and message in response.content.decode()
    assessed = client.post(
        reverse("activities:assess", args=[DRAFT, "3.2.4"]),
        {"organisation": "1", "assessment": "achieved", "motivation": "Klart."},
    )
    assert assessed.status_code == 403
    created = client.post(
        reverse("rounds:create", args=[DRAFT]),
        {"name": "Uppföljning 1", "opens_on": "2026-03-01", "deadline": "2026-04-15"},
    )
    assert created.status_code == 403 and message in created.content.decode()
    rounds = factories.make_open_round(plan=draft)  # only possible behind the app's back
    reminded = client.post(reverse("rounds:send_reminders", args=[DRAFT, rounds.pk]))
    assert reminded.status_code == 403
    uploaded = client.post(
        reverse("activities:import_upload", args=[DRAFT]),
        {"file": SimpleUploadedFile("rapport.xlsx", workbook_bytes(draft), content_type=XLSX)},
    )
    assert uploaded.status_code == 403
    assert client.get(reverse("activities:report_template", args=[DRAFT])).status_code == 403
    plan_reports = StatusReport.objects.filter(activity__insats__area__plan=draft)
    assert not plan_reports.exists()
    assert not OutcomeAssessment.objects.filter(activity__insats__area__plan=draft).exists()
    assert list(ReportingRound.objects.filter(plan=draft)) == [rounds]
    assert not PendingImport.objects.exists()


# --- Activation


def test_a_coordinator_activates_a_draft_from_its_overview(client, coordinator, draft):
    client.force_login(coordinator)
    page = client.get(reverse("overview", args=[DRAFT])).content.decode()
    assert "Planen är ett utkast" in page
    assert "När planen aktiveras ser alla inloggade den" in page
    assert f'action="{reverse("activate_plan", args=[DRAFT])}"' in page
    assert "csrfmiddlewaretoken" in page

    response = client.post(reverse("activate_plan", args=[DRAFT]), follow=True)
    assert response.redirect_chain == [(draft.get_absolute_url(), 302)]
    html = response.content.decode()
    assert f"Planen ”{draft.title}” är aktiverad. Alla inloggade ser den nu" in html
    assert "Planen är ett utkast" not in html and "Utkast." not in html
    activated = Plan.objects.get(pk=draft.pk)
    assert activated.state == PlanState.ACTIVE
    record = activated.history.first()
    assert record.state == "active" and record.history_change_reason == "Aktiverad"
    assert record.history_user == coordinator
    assert record.prev_record.state == "draft"

    # Everyone sees it now, and reports are taken.
    client.force_login(factories.make_reporter("sbf", "SBF"))
    assert client.get(draft.get_absolute_url()).status_code == 200
    post_report(client, "3.2.4", "SBF", plan=DRAFT, comment="Igång", expect=302)


def test_activating_twice_changes_nothing_the_second_time(client, coordinator, draft):
    client.force_login(coordinator)
    client.post(reverse("activate_plan", args=[DRAFT]))
    records = draft.history.count()
    response = client.post(reverse("activate_plan", args=[DRAFT]), follow=True)
    assert "Planen är redan aktiverad." in response.content.decode()
    assert draft.history.count() == records


def test_a_reporter_never_sees_the_button_and_a_forged_activation_changes_nothing(
    client, plan, draft
):
    reporter = factories.make_reporter("sbf", "SBF")
    client.force_login(reporter)
    assert "Aktivera planen" not in client.get(plan.get_absolute_url()).content.decode()
    assert client.post(reverse("activate_plan", args=[DRAFT])).status_code == 404
    assert client.post(reverse("activate_plan", args=[REAL_PLAN])).status_code == 403
    assert Plan.objects.get(pk=draft.pk).is_draft
    assert draft.history.count() == 1


def test_activation_is_a_post_with_a_csrf_token(coordinator, draft):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(coordinator)
    url = reverse("activate_plan", args=[DRAFT])
    assert browser.get(url).status_code == 405
    assert browser.post(url).status_code == 403
    assert Plan.objects.get(pk=draft.pk).is_draft
    anonymous = Client()
    assert anonymous.post(url)["Location"].startswith(reverse("login"))
    assert Plan.objects.get(pk=draft.pk).is_draft


# --- What it costs


def test_a_draft_beside_the_plan_costs_no_query_on_its_pages(client, plan, coordinator):
    """The plan switcher and the draft check read nothing more with a draft there."""
    reporter = factories.make_reporter("sbf", "SBF")
    counts = {}
    for label in ("without", "with"):
        if label == "with":
            make_draft(plan, DRAFT)
        for user in (reporter, coordinator):
            client.force_login(user)
            for url in (plan.get_absolute_url(), reverse("activities:list", args=[REAL_PLAN])):
                counts[label, user.username, url] = count_queries(client, url)
    for (label, username, url), count in counts.items():
        assert count == counts["without", username, url], (label, username, url)


def test_the_draft_overview_costs_what_an_active_one_does(client, plan, coordinator, draft):
    client.force_login(coordinator)
    as_draft = count_queries(client, draft.get_absolute_url())
    Plan.objects.filter(pk=draft.pk).update(state=PlanState.ACTIVE)
    assert count_queries(client, draft.get_absolute_url()) == as_draft


def test_the_activity_tables_plan_filter_keeps_its_own_plan_chosen(viewer_client, plan):
    """With a later plan active, filtering the earlier plan's table stays on it: the table's
    plan is the chosen one in the form (the browser would otherwise send the first, newest)."""
    Plan.objects.create(
        slug="2026-2027",
        title="Nästa plan",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2027, 12, 31),
        outcome_deadline=datetime.date(2027, 12, 31),
        state=PlanState.ACTIVE,
    )
    for query in ("", "?area=3"):
        page = viewer_client.get(f"/plan/{plan.slug}/aktiviteter/{query}")
        assert page.status_code == 200
        form = page.context["filter"].form
        assert form["plan"].value() == plan.slug, query
        html = page.content.decode()
        assert f'<option value="{plan.slug}" selected>' in html, query
        assert '<option value="2026-2027">' in html  # still offered, not chosen
