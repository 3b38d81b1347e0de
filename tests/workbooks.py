"""Workbooks as the tests use them: report templates downloaded, filled in, uploaded,
previewed and confirmed through the test client, and plan workbooks built and uploaded. Shared by
many test modules (a test module never imports another one)."""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from activities.excel.cells import to_bytes
from activities.excel.plan_import import create_plan, read_plan_workbook
from activities.excel.plan_workbook import build_handover_workbook, build_plan_workbook
from activities.models import Activity, Target
from areas.models import Insats, StrategicArea
from tests.template_filling import fill  # noqa: F401 (imported from here by the tests)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# --- Report templates


def download_template(client, plan, query="?organisation=SBF"):
    response = client.get(reverse("activities:report_template", args=[plan.slug]) + query)
    assert response.status_code == 200
    return response.getvalue()


def upload(client, plan, content, name="rapport.xlsx"):
    return client.post(
        reverse("activities:import_upload", args=[plan.slug]),
        {"file": SimpleUploadedFile(name, content, content_type=XLSX)},
    )


def preview_and_confirm(client, plan, response):
    """Follow an accepted upload to its preview and confirm it; returns (preview, confirm)."""
    assert response.status_code == 302, response.content.decode()[:2000]
    preview = client.get(response["Location"])
    assert preview.status_code == 200
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    confirm = client.post(reverse("activities:import_confirm", args=[plan.slug, token]))
    return preview, confirm


SBF_ROWS = {
    # The plan has ended: work still in progress is explained in the comment.
    "3.2.2": {
        "Status": "Pågår enligt plan",
        "Kommentar": "Sista etappen återstår",
        "Värde mål 1": 3,
    },
    "3.2.4": {"Status": "Försenad", "Kommentar": "Väntar på Trafikverket", "Värde mål 1": "12,5"},
    "4.2.1": {"Status": "Genomförd"},
}

# --- Plan workbooks

NEW_PLAN = {
    "title": "Handlingsplan 2026–2027",
    "slug": "2026-2027",
    "period_start": "2026-01-01",
    "period_end": "2027-12-31",
    "outcome_deadline": "2027-12-31",
}


def workbook_bytes(plan, edit=None):
    content = to_bytes(build_plan_workbook(plan))
    if edit is None:
        return content
    wb = load_workbook(io.BytesIO(content))
    edit(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload_plan(client, content, name="nasta-plan.xlsx"):
    return client.post(reverse("plan_upload"), {"file": SimpleUploadedFile(name, content, XLSX)})


def structure(plan):
    """Everything import_plan must carry over, in a comparable form."""
    areas = [
        (
            a.number,
            a.name,
            a.participants_text,
            [o.code for o in a.participating_organisations.order_by("code")],
        )
        for a in StrategicArea.objects.filter(plan=plan).order_by("number")
    ]
    insatser = [
        (i.reference, i.title)
        for i in Insats.objects.filter(area__plan=plan)
        .select_related("area")
        .order_by("area__number", "number")
    ]
    activities = [
        (
            a.reference,
            a.description,
            a.expected_outcome,
            [o.code for o in a.leads],
            [o.code for o in a.participants],
        )
        for a in Activity.objects.filter(insats__area__plan=plan).with_related().in_plan_order()
    ]
    targets = [
        (
            t.activity.reference,
            t.position,
            t.phrase,
            t.value,
            t.value_max,
            t.unit,
            t.baseline,
            t.year,
            t.responsible_organisation_id,
        )
        for t in Target.objects.filter(activity__insats__area__plan=plan)
        .select_related("activity__insats__area")
        .order_by(
            "activity__insats__area__number",
            "activity__insats__number",
            "activity__number",
            "position",
        )
    ]
    return areas, insatser, activities, targets


def handover_bytes(plan, edit=None):
    """The hand-over workbook of `plan` (the next plan's, started from it), edited by `edit`."""
    content = to_bytes(build_handover_workbook(plan))
    if edit is None:
        return content
    wb = load_workbook(io.BytesIO(content))
    edit(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def make_draft(plan, slug="2026-2027"):
    """The next plan as a coordinator's upload makes it, a draft: `plan`'s structure with every
    activity continuing its own, its period 2026–2027 (begun, and later than the real plan's)."""
    data = read_plan_workbook(io.BytesIO(handover_bytes(plan)))
    assert not data.errors, data.errors
    return create_plan(
        data,
        slug=slug,
        title=f"Handlingsplan {slug}",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2027, 12, 31),
        outcome_deadline=datetime.date(2027, 12, 31),
    )
