"""Import costs a fixed number of queries however many rows; export and import time on large
synthetic plans.

The 5,000-row timing takes about 40 seconds on SQLite, so it runs only when asked:
    EXCEL_TIMINGS=1 pytest tests/test_excel_performance.py -s
"""

import io
import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities.excel.cells import to_bytes
from activities.excel.plan_workbook import build_plan_workbook
from activities.excel.report_import import import_reports, read_upload
from activities.excel.report_template import build_report_template
from activities.models import Activity, OutcomeAssessment, StatusReport, TargetAssessment
from activities.reporting import file_report
from organisations.models import Organisation
from tests import factories
from tests.template_filling import every_row, fill
from tests.workbooks import upload

pytestmark = pytest.mark.django_db

# The confirmation, the largest step: session, user, plan, coordinator check, plan lock, round,
# pending import, activities (+ roles, targets), organisations (+ aliases), memberships,
# latest reports and their values, two inserts (StatusReport.objects.file_many), the stored
# current state (activities, lead roles, targets: read and update), deleting the pending
# import, and savepoint statements (the test's transaction and file_many's own atomic block);
# 29 since a filing counts itself in its areas' AreaChange rows (one upsert: the plan's data
# version, activities/models/changes.py).
MAX_IMPORT_QUERIES = 29


def filled_template(plan, organisations):
    return fill(to_bytes(build_report_template(plan, None, organisations)), every_row=every_row)


@pytest.mark.parametrize("scale", [None, 10])
def test_import_takes_the_same_number_of_queries_however_large_the_plan(
    client, plan, coordinator, django_assert_max_num_queries, scale
):
    """The real plan with SBF's template, and a plan ten times larger with the template of its
    busiest organisation (about 70 rows)."""
    if scale:
        plan = factories.make_synthetic_plan("syntetisk", scale=scale, author=coordinator)
    organisation = Organisation.objects.get(code="SBF" if not scale else "BRG")
    content = filled_template(plan, [organisation])
    client.force_login(coordinator)
    with django_assert_max_num_queries(MAX_IMPORT_QUERIES):
        response = upload(client, plan, content)
    assert response.status_code == 302
    with django_assert_max_num_queries(MAX_IMPORT_QUERIES):
        assert client.get(response["Location"]).status_code == 200
    before = StatusReport.objects.count()
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    with django_assert_max_num_queries(MAX_IMPORT_QUERIES):
        url = reverse("activities:import_confirm", args=[plan.slug, token])
        assert client.post(url).status_code == 302
    written = StatusReport.objects.count() - before
    assert written >= (7 if not scale else 30)


def test_the_full_plan_workbook_is_built_in_well_under_a_second(plan):
    started = time.perf_counter()
    to_bytes(build_plan_workbook(plan))
    assert time.perf_counter() - started < 2


@pytest.mark.skipif(not os.environ.get("EXCEL_TIMINGS"), reason="EXCEL_TIMINGS=1 to measure")
def test_full_plan_export_and_a_5000_row_import_are_quick(client, plan, coordinator):
    # The real plan, then a synthetic one of 2,500+ activities: two reporting rows each.
    started = time.perf_counter()
    to_bytes(build_plan_workbook(plan))
    real_export = time.perf_counter() - started

    big = factories.make_synthetic_plan("stor", scale=46, author=coordinator)
    started = time.perf_counter()
    to_bytes(build_plan_workbook(big))
    big_export = time.perf_counter() - started

    organisations = list(Organisation.objects.all())
    started = time.perf_counter()
    template = to_bytes(build_report_template(big, None, organisations))
    template_time = time.perf_counter() - started
    content = fill(template, every_row=every_row)

    before = StatusReport.objects.count()
    started = time.perf_counter()
    rows = read_upload(io.BytesIO(content)).rows
    read_time = time.perf_counter() - started
    assert len(rows) >= 5000
    started = time.perf_counter()
    preview = import_reports(read_upload(io.BytesIO(content)), plan=big, user=coordinator)
    import_time = time.perf_counter() - started + read_time
    assert not preview.errors
    assert StatusReport.objects.count() - before == len(preview.new_rows) == len(rows)

    # And through the pages: upload (read + check + session), preview, confirm.
    client.force_login(coordinator)
    content = fill(template, every_row=lambda *a: {**every_row(*a), "Kommentar": "Igen"})
    started = time.perf_counter()
    response = client.post(
        reverse("activities:import_upload", args=[big.slug]),
        {"file": SimpleUploadedFile("stor.xlsx", content)},
    )
    client.get(response["Location"])
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert (
        client.post(reverse("activities:import_confirm", args=[big.slug, token])).status_code == 302
    )
    pages_time = time.perf_counter() - started

    activities = Activity.objects.filter(insats__area__plan=big).count()
    print(
        f"\nplan workbook, real plan (55 activities): {real_export:.2f} s"
        f"\nplan workbook, synthetic plan ({activities} activities): {big_export:.2f} s"
        f"\nreport template, {len(rows)} rows: {template_time:.2f} s"
        f"\nimport of {len(rows)} rows (read {read_time:.2f} s, check, write): {import_time:.2f} s"
        f"\nthe same through the upload, preview and confirm pages: {pages_time:.2f} s"
    )
    assert real_export < 5
    assert import_time < 60


def assessing_every_lead_row(ref, org, headers, ws, row):
    """every_row, and a final assessment on each row of a lead organisation."""
    values = every_row(ref, org, headers, ws, row)
    if ws.cell(row=row, column=headers["Nuvarande status"]).value != "Rapporterar målvärden":
        values |= {"Slutbedömning": "Delvis uppnått", "Motivering": "Det mesta är gjort."}
        if ws.cell(row=row, column=headers["Mål 1"]).value:  # and its first target
            values |= {"Bedömning mål 1": "Uppnått", "Motivering mål 1": "Nått."}
    return values


def test_import_with_final_assessments_takes_the_same_number_of_queries_at_10x(
    client, plan, coordinator
):
    """Reports and assessments of SBF in the real plan and of BRG in a plan ten times larger,
    in its final follow-up too: upload, preview and confirm each cost the same."""
    big = factories.make_synthetic_plan("syntetisk", scale=10, author=coordinator)
    for name in ("period_start", "period_end", "outcome_deadline"):
        setattr(big, name, getattr(plan, name))
    big.save()
    # Like the synthetic plan, the real one has reports, so both previews read earlier values.
    sbf = Organisation.objects.get(code="SBF")
    file_report(
        activity=Activity.objects.led_by(sbf).filter(insats__area__plan=plan).first(),
        organisation=sbf,
        author=coordinator,
        status="completed",
    )
    client.force_login(coordinator)
    costs = []
    for p, code in ((plan, "SBF"), (big, "BRG")):
        template = to_bytes(build_report_template(p, None, [Organisation.objects.get(code=code)]))
        content = fill(template, every_row=assessing_every_lead_row)
        with CaptureQueriesContext(connection) as uploading:
            response = upload(client, p, content)
        assert response.status_code == 302
        with CaptureQueriesContext(connection) as previewing:
            preview = client.get(response["Location"])
        assessments = len(preview.context["preview"].new_assessments)
        assert assessments >= (5 if p == plan else 30)
        token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
        with CaptureQueriesContext(connection) as confirming:
            url = reverse("activities:import_confirm", args=[p.slug, token])
            assert client.post(url).status_code == 302
        assert OutcomeAssessment.objects.filter(activity__insats__area__plan=p).count() == (
            assessments
        )
        assert TargetAssessment.objects.filter(target__activity__insats__area__plan=p).exists()
        costs.append((len(uploading), len(previewing), len(confirming)))
    assert costs[0] == costs[1], costs
    # reporting.file_final_assessment: the outcome's (one insert, the lead roles read and
    # updated, the activities updated, a savepoint and its release: 6) and the targets' (one
    # insert, the targets locked and updated: 3), the current ones read under lock to skip
    # unchanged parts (2), and the act's own savepoint and release (2); each of the two counted
    # in its areas' AreaChange rows (2).
    assert max(costs[0]) <= MAX_IMPORT_QUERIES + 15
