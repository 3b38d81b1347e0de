"""Uploads waiting for confirmation are PendingImport rows, not session data: the session stays
small however large the files, only the uploader can use one, and old ones are removed."""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from activities.models import PendingImport, StatusReport
from tests import factories
from tests.workbooks import SBF_ROWS, download_template, fill, upload

pytestmark = pytest.mark.django_db


def _token(response):
    assert response.status_code == 302, response.content.decode()[:1000]
    return response["Location"].rstrip("/").rsplit("/", 1)[-1]


def test_three_pending_imports_of_a_thousand_rows_keep_the_session_under_4_kb(client, db):
    coordinator = factories.make_coordinator("samordnare")
    big = factories.make_synthetic_plan(slug="stor", scale=10, reports_per_activity=0)
    client.force_login(coordinator)
    content = download_template(client, big, query="")
    tokens = [_token(upload(client, big, content, name=f"fil-{n}.xlsx")) for n in range(3)]

    pending = PendingImport.objects.filter(user=coordinator)
    assert sorted(p.token for p in pending) == sorted(tokens)
    assert all(len(p.upload["rows"]) >= 1000 for p in pending)
    session = Session.objects.get(session_key=client.session.session_key)
    assert len(session.session_data) < 4096
    # Each is still there to preview.
    for token in tokens:
        preview = client.get(reverse("activities:import_preview", args=[big.slug, token]))
        assert preview.status_code == 200


def test_a_pending_import_is_its_uploaders_alone(sbf_client, client, plan):
    token = _token(upload(sbf_client, plan, fill(download_template(sbf_client, plan), SBF_ROWS)))
    other = factories.make_reporter("annan-sbf", "SBF")
    client.force_login(other)
    confirm = client.post(reverse("activities:import_confirm", args=[plan.slug, token]))
    assert confirm.status_code == 302
    assert confirm["Location"] == reverse("activities:import_upload", args=[plan.slug])
    preview = client.get(reverse("activities:import_preview", args=[plan.slug, token]))
    assert preview.status_code == 302
    assert StatusReport.objects.count() == 0
    assert PendingImport.objects.filter(token=token).exists()


def test_a_pending_import_belongs_to_its_plan(sbf_client, plan):
    token = _token(upload(sbf_client, plan, fill(download_template(sbf_client, plan), SBF_ROWS)))
    other = factories.make_synthetic_plan(slug="annan", scale=1, reports_per_activity=0)
    confirm = sbf_client.post(reverse("activities:import_confirm", args=[other.slug, token]))
    assert confirm.status_code == 302
    assert StatusReport.objects.count() == 0


def test_confirming_removes_the_pending_import(sbf_client, plan):
    token = _token(upload(sbf_client, plan, fill(download_template(sbf_client, plan), SBF_ROWS)))
    sbf_client.post(reverse("activities:import_confirm", args=[plan.slug, token]))
    assert StatusReport.objects.count() == 3
    assert not PendingImport.objects.exists()


def test_a_fourth_upload_drops_the_oldest(sbf_client, plan):
    content = fill(download_template(sbf_client, plan), SBF_ROWS)
    tokens = [_token(upload(sbf_client, plan, content)) for _ in range(4)]
    assert set(PendingImport.objects.values_list("token", flat=True)) == set(tokens[1:])


def test_an_expired_import_cannot_be_confirmed_and_is_pruned(sbf_client, plan):
    token = _token(upload(sbf_client, plan, fill(download_template(sbf_client, plan), SBF_ROWS)))
    PendingImport.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    confirm = sbf_client.post(reverse("activities:import_confirm", args=[plan.slug, token]))
    assert confirm.status_code == 302
    assert StatusReport.objects.count() == 0
    call_command("prune_pending_imports", verbosity=0)
    assert not PendingImport.objects.exists()
