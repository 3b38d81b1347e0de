"""Excel export and import.

An export too large to send within a request (the plan workbook, the table or a report
template at 1000× the plan) is built in the background instead and fetched from a progress
page (activities/export_jobs.py, views/export_jobs.py).

Import is upload → preview → confirm. The rows read from the file wait as a PendingImport (in
the database, so any app process can take the confirmation) under a random token that only
its own user can use; the confirmation validates them again, checks every permission per row,
and writes all reports in one transaction or none.
"""

import dataclasses
import json
import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from areas.decorators import not_on_draft, plan_view

from .. import export_jobs
from ..excel.cells import CONTENT_TYPE, ImportRejected, sent
from ..excel.plan_workbook import write_plan_workbook, write_table_workbook
from ..excel.report_import import Upload, import_reports, round_for, validate
from ..excel.report_template import write_report_template
from ..forms_excel import TemplateForm, UploadForm
from ..models import ExportJob, PendingImport
from ..permissions import NOT_A_REPORTER, can_import
from .context import filter_summary, filtered_activities

KEEP_PENDING = 3  # uploads waiting for confirmation per user; older ones are dropped
MAX_PENDING_CHARS = 5_000_000
PREVIEW_ROWS = 500
PREVIEW_ERRORS = 200

log = logging.getLogger(__name__)


def _xlsx(write, *args, filename):
    """The workbook `write(wb, *args)` fills in, sent as it is written (cells.sent()): the
    first bytes leave with the first rows, however large the plan."""
    response = StreamingHttpResponse(sent(write, *args), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _in_background(request, plan, kind, rows, filename, **job):
    """The 303 to a background job's progress page when the export is too large to send
    within a request (activities/export_jobs.py), else None. HEAD is answered as before."""
    if request.method != "GET" or not export_jobs.in_background(rows, export_jobs.WEIGHTS[kind]):
        return None
    job = export_jobs.job_for(request, plan, kind, filename=filename, rows=rows, **job)
    return export_jobs.see_other(job)


@plan_view
@require_GET
def export_plan(request, plan):
    filename = f"handlingsplan-{plan.slug}.xlsx"
    rows = export_jobs.plan_rows(plan)
    kind = ExportJob.Kind.PLAN
    if later := _in_background(request, plan, kind, rows, filename, audience="signed_in"):
        return later
    return _xlsx(write_plan_workbook, plan, filename=filename)


@plan_view
@require_GET
def export_table(request, plan):
    """Exactly the rows the activity table shows under the same query string (every page)."""
    filterset = filtered_activities(request, plan)
    queryset = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    filename = f"aktiviteter-{plan.slug}.xlsx"
    kind = ExportJob.Kind.TABLE
    if later := _in_background(
        request, plan, kind, queryset.count(), filename, audience="signed_in"
    ):
        return later
    summary = filter_summary(filterset)
    return _xlsx(write_table_workbook, plan, queryset, summary, filename=filename)


@plan_view
@not_on_draft
@require_GET
def report_template(request, plan):
    if not can_import(request.user):
        raise PermissionDenied(NOT_A_REPORTER)
    form = TemplateForm(request.GET, plan=plan, user=request.user)
    if not form.is_valid():
        if form.has_error("organisation", "invalid_choice"):
            raise PermissionDenied(
                _("Du kan bara hämta mallar för organisationer du rapporterar för.")
            )
        return _upload_page(request, plan, UploadForm(), form, status=400)
    organisations = form.organisations()
    round = form.cleaned_data["round"]
    who = organisations[0].code if len(organisations) == 1 else "alla"
    when = slugify(round.name) if round else "aktuell"
    filename = f"rapportmall-{plan.slug}-{slugify(who)}-{when}.xlsx"
    rows = export_jobs.template_rows(plan, organisations)
    if later := _in_background(
        request,
        plan,
        ExportJob.Kind.TEMPLATE,
        rows,
        filename,
        audience=export_jobs.template_audience(request.user),
        organisations=[o.code for o in organisations],
    ):
        return later
    return _xlsx(write_report_template, plan, round, organisations, filename=filename)


def _upload_page(request, plan, form, template_form=None, status=200):
    template_form = template_form or TemplateForm(plan=plan, user=request.user)
    return render(
        request,
        "activities/excel/import_upload.html",
        {"plan": plan, "form": form, "template_form": template_form},
        status=status,
    )


def _store(request, plan, upload):
    """Keep the read upload until it is confirmed; a user's older pending uploads beyond
    KEEP_PENDING, and everyone's expired ones, are dropped."""
    PendingImport.objects.expired().delete()
    data = {k: v for k, v in dataclasses.asdict(upload).items() if k != "filename"}
    pending = PendingImport.objects.create(
        user=request.user, plan=plan, filename=upload.filename[:255], upload=data
    )
    stale = PendingImport.objects.filter(user=request.user).values_list("pk", flat=True)
    PendingImport.objects.filter(pk__in=list(stale[KEEP_PENDING:])).delete()
    return pending.token


@plan_view
@not_on_draft
@require_http_methods(["GET", "POST"])
def import_upload(request, plan):
    if not can_import(request.user):
        raise PermissionDenied(NOT_A_REPORTER)
    if request.method != "POST":
        return _upload_page(request, plan, UploadForm())
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            round_for(form.upload, plan)  # a file for another plan is refused right here
        except ImportRejected as rejected:
            form.add_error("file", rejected.message)
        else:
            data = dataclasses.asdict(form.upload)
            # The text's own length first: json.dumps would copy a string once for every row
            # that holds it (and write "ö" as six characters) before the size could be checked.
            if _text_length(data) > MAX_PENDING_CHARS or len(json.dumps(data)) > MAX_PENDING_CHARS:
                form.add_error(
                    "file",
                    _(
                        "Filen innehåller för mycket text för att förhandsgranskas. Dela upp "
                        "den i flera filer eller korta kommentarerna."
                    ),
                )
            else:
                token = _store(request, plan, form.upload)
                return redirect("activities:import_preview", plan.slug, token)
    return _upload_page(request, plan, form, status=400)


def _text_length(value):
    """Characters of text in an upload's rows (dicts, lists and strings, as asdict gives)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(_text_length(v) for v in value.values())
    if isinstance(value, list | tuple):
        return sum(_text_length(v) for v in value)
    return 0


def _preview_page(request, plan, token, upload, preview, status=200):
    errors = preview.errors
    # The first rows with errors (the error list links to them), then the first of the rest:
    # a page of a few hundred rows, however long the file.
    with_errors = [r for r in preview.rows if r.errors][:PREVIEW_ERRORS]
    rest = [r for r in preview.rows if not r.errors][: max(0, PREVIEW_ROWS - len(with_errors))]
    shown = sorted([*with_errors, *rest], key=lambda r: r.row)
    return render(
        request,
        "activities/excel/import_preview.html",
        {
            "plan": plan,
            "token": token,
            "filename": upload.filename,
            "preview": preview,
            "rows": shown,
            "hidden_rows": len(preview.rows) - len(shown),
            "errors": errors[:PREVIEW_ERRORS],
            "error_count": len(errors),
            "hidden_errors": max(0, len(errors) - PREVIEW_ERRORS),
        },
        status=status,
    )


class _BackToUpload(Exception):
    """The pending import cannot go on: the user goes back to the upload page, told why."""


@dataclasses.dataclass(frozen=True)
class _Checked:
    pending: PendingImport
    upload: Upload
    preview: object  # report_import.Preview


def _check_pending(request, plan, token, check):
    """The user's own pending import on this plan, run through `check(upload, plan=, user=)`
    (validate or import_reports). Another user's token, an expired or an already confirmed
    one are all "gone"; a file refused as a whole is forgotten. Both raise _BackToUpload."""
    if not can_import(request.user):
        raise PermissionDenied(NOT_A_REPORTER)
    pending = PendingImport.objects.live().filter(token=token, user=request.user, plan=plan).first()
    if pending is None:
        raise _BackToUpload(
            _(
                "Importen finns inte längre: den är redan sparad eller har ersatts. "
                "Ladda upp filen igen."
            )
        )
    upload = Upload(filename=pending.filename, **pending.upload)
    try:
        return _Checked(pending, upload, check(upload, plan=plan, user=request.user))
    except ImportRejected as rejected:
        pending.delete()
        raise _BackToUpload(rejected.message) from None


def _back_to_upload(request, plan, reason):
    messages.error(request, str(reason))
    return redirect("activities:import_upload", plan.slug)


@plan_view
@not_on_draft
@require_GET
def import_preview(request, plan, token):
    try:
        checked = _check_pending(request, plan, token, validate)
    except _BackToUpload as reason:
        return _back_to_upload(request, plan, reason)
    return _preview_page(request, plan, token, checked.upload, checked.preview)


@plan_view
@not_on_draft
@require_POST
def import_confirm(request, plan, token):
    try:
        checked = _check_pending(request, plan, token, import_reports)
    except _BackToUpload as reason:
        return _back_to_upload(request, plan, reason)
    except (OperationalError, InterfaceError):
        raise  # the database cannot be reached: the 503 page (handlingsplan.views.server_error)
    except DatabaseError:
        # import_reports writes in one transaction, so a refused row leaves nothing behind:
        # the upload waits on its preview to be confirmed again.
        log.exception("A report import on %s could not be saved; nothing was written", plan.slug)
        messages.error(
            request,
            _("Inget sparades: databasen kunde inte spara importen. Försök igen om en stund."),
        )
        return redirect("activities:import_preview", plan.slug, token)
    preview = checked.preview
    if preview.errors:
        messages.error(request, _("Inget sparades: rätta felen i filen och ladda upp den igen."))
        return _preview_page(request, plan, token, checked.upload, preview, status=400)
    checked.pending.delete()
    written, already = len(preview.new_reports), len(preview.already_rows)
    text = ngettext("%(n)s rapport sparades.", "%(n)s rapporter sparades.", written) % {
        "n": written
    }
    if assessed := len(preview.new_assessments):
        text += " " + ngettext(
            "%(n)s slutbedömning sparades.", "%(n)s slutbedömningar sparades.", assessed
        ) % {"n": assessed}
    if already:
        text += " " + ngettext(
            "%(n)s rad var redan inläst.", "%(n)s rader var redan inlästa.", already
        ) % {"n": already}
    messages.success(request, text)
    return redirect(reverse("activities:list", args=[plan.slug]))
