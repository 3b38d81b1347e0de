"""A background export's progress page and its file (activities/export_jobs.py).

Open data's under /oppna-data/<plan>/filer/<token>/ (open to whoever may read the plan's open
data, as the file's own address), the signed-in exports' under
/plan/<plan>/aktiviteter/excel/jobb/<token>/. Both steps check the permission again as the
export's own address does, and the job's audience: a token of another plan, another kind of
export or another audience is 404, the same as a token that does not exist. The token is
random (ExportJob.token), so an address cannot be guessed either."""

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, QueryDict
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from areas.decorators import plan_view, read_only

from .. import export_jobs
from ..excel.cells import CONTENT_TYPE as XLSX
from ..forms_excel import TemplateForm
from ..models import ExportJob
from ..opendata.http import CONTENT_TYPES, audience
from ..opendata.visibility import visible_plan_or_404
from ..permissions import NOT_A_REPORTER, can_import

# Seconds between reloads of the progress page while the file is being made.
REFRESH_SECONDS = 5


def _open_data_job(request, plan_slug, token):
    plan = visible_plan_or_404(request.user, plan_slug)
    request.plan = plan
    job = ExportJob.objects.filter(token=token, plan=plan, kind=ExportJob.Kind.OPEN_DATA).first()
    if job is None or job.audience != audience(request.user):
        raise Http404
    return job


def _signed_in_job(request, plan, token):
    job = (
        ExportJob.objects.filter(token=token, plan=plan)
        .exclude(kind=ExportJob.Kind.OPEN_DATA)
        .first()
    )
    if job is None:
        raise Http404
    if job.kind == ExportJob.Kind.TEMPLATE:
        # As report_template: a reporter or coordinator, and the template's organisations
        # ones the user may fetch a template for.
        if not can_import(request.user):
            raise PermissionDenied(NOT_A_REPORTER)
        form = TemplateForm(QueryDict(job.query), plan=plan, user=request.user)
        if (
            job.audience != export_jobs.template_audience(request.user)
            or not form.is_valid()
            or sorted(o.code for o in form.organisations()) != job.organisations
        ):
            raise Http404
    elif job.audience != "signed_in":
        raise Http404
    return job


def _progress_page(request, job):
    waiting = job.is_waiting
    context = {
        "plan": job.plan,
        "job": job,
        "waiting": waiting,
        "refresh_seconds": REFRESH_SECONDS,
        "error": _(job.error) if job.error else "",
        "download_url": export_jobs.download_url(job) if job.status == job.State.DONE else "",
        "progress_url": export_jobs.progress_url(job),
        "source_url": export_jobs.source_url(job),
    }
    response = render(request, "activities/export_job.html", context)
    response["Cache-Control"] = "private, no-cache"
    return response


def _file(job):
    if job.status != job.State.DONE or not job.path:
        raise Http404
    try:
        handle = open(export_jobs.export_dir() / job.path, "rb")  # noqa: SIM115 (FileResponse closes it)
    except FileNotFoundError:
        raise Http404 from None
    if job.is_open_data:
        response = FileResponse(handle, content_type=CONTENT_TYPES[job.extension])
        disposition = "inline" if job.extension == "json" else "attachment"
        response["Content-Disposition"] = f'{disposition}; filename="{job.filename}"'
    else:
        response = FileResponse(handle, content_type=XLSX)
        response["Content-Disposition"] = content_disposition_header(True, job.filename)
    response["Cache-Control"] = "private, max-age=0, must-revalidate"
    return response


@login_not_required
@read_only
def open_data_job(request, plan_slug, token):
    return _progress_page(request, _open_data_job(request, plan_slug, token))


@login_not_required
@read_only
def open_data_job_file(request, plan_slug, token):
    return _file(_open_data_job(request, plan_slug, token))


@plan_view
@read_only
def export_job(request, plan, token):
    return _progress_page(request, _signed_in_job(request, plan, token))


@plan_view
@read_only
def export_job_file(request, plan, token):
    return _file(_signed_in_job(request, plan, token))
