"""Open data: /oppna-data/ lists the published plans, /oppna-data/<plan>/ a plan's files,
/oppna-data/<plan>/<dataset>.csv|.json|.xlsx each file (activities/opendata/datasets.py), its
datapackage.json (opendata/package.py) and its column page (opendata/columns.py), and
/oppna-data/katalog.rdf|.ttl the DCAT-AP-SE catalogue of the published plans for
dataportal.se (opendata/catalogue.py). Open to anyone for a published plan; a coordinator
signed in also reaches an unpublished one (to check it before publishing), but never in the
catalogue; anything else is 404. A file too large to send within a request is built in the
background and fetched from a progress page (activities/export_jobs.py)."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render

from areas.decorators import read_only

from .. import export_jobs
from ..excel.cells import CONTENT_TYPE as XLSX
from ..fragments import kept
from ..models import ExportJob
from ..opendata import catalogue as dcat
from ..opendata import columns as column_lists
from ..opendata import datasets, package, workbook
from ..opendata.http import (
    CONTENT_TYPES,
    audience,
    etag_for,
    is_not_modified,
    set_cache_headers,
)
from ..opendata.visibility import visible_plan_or_404, visible_plans

PLAIN_TEXT = "text/plain; charset=utf-8"
CATALOGUE_TYPES = {
    "rdf": ("xml", "application/rdf+xml; charset=utf-8"),
    "ttl": ("turtle", "text/turtle; charset=utf-8"),
}


def _licence():
    return {"url": settings.OPEN_DATA_LICENCE_URL, "name": settings.OPEN_DATA_LICENCE_NAME}


@login_not_required
@read_only
def open_data_index(request):
    return render(
        request,
        "activities/open_data_index.html",
        {
            "plans": visible_plans(request.user).order_by("-period_start"),
            "licence": _licence(),
            "contact_email": settings.OPEN_DATA_CONTACT_EMAIL,
        },
    )


@login_not_required
@read_only
def open_data_plan(request, plan_slug):
    plan = visible_plan_or_404(request.user, plan_slug)
    request.plan = plan
    return render(
        request,
        "activities/open_data_plan.html",
        {
            "plan": plan,
            "datasets": datasets.DATASETS.values(),
            "formats": list(CONTENT_TYPES),
            "licence": _licence(),
        },
    )


@login_not_required
@read_only
def columns(request, plan_slug):
    """The files' columns and codes, from the declarations the files and their Table Schemas
    are written from (opendata/columns.py)."""
    plan = visible_plan_or_404(request.user, plan_slug)
    request.plan = plan
    return render(
        request,
        "activities/open_data_columns.html",
        {
            "plan": plan,
            "datasets": datasets.DATASETS.values(),
            "code_lists": [
                (title, [(member.value, member.label) for member in choices])
                for title, choices in column_lists.CODE_LISTS
            ],
        },
    )


def _cached(request, plan, build, content_type, *, public):
    """The answer `build()` makes, with the ETag and Cache-Control of open data; 304 when the
    request already has it, headers only for HEAD."""
    etag = etag_for(request, plan)
    if is_not_modified(request, etag):
        return set_cache_headers(HttpResponse(status=304), etag, public=public)
    response = HttpResponse(content_type=content_type)
    if request.method != "HEAD":
        # Kept under its ETag (which names the data version, the address, the language and the
        # audience): the catalogue spans every plan, and at 1000x reading when each was last
        # reported cost 190 ms on every request.
        response.content = kept("open-data:" + etag, build, request)
    return set_cache_headers(response, etag, public=public)


@login_not_required
@read_only
def datapackage(request, plan_slug):
    plan = visible_plan_or_404(request.user, plan_slug)
    response = _cached(
        request,
        plan,
        lambda: (
            JsonResponse(
                package.datapackage(plan), json_dumps_params={"ensure_ascii": False, "indent": 2}
            ).content
        ),
        CONTENT_TYPES["json"],
        public=plan.published,
    )
    response["Content-Disposition"] = 'inline; filename="datapackage.json"'
    return response


@login_not_required
@read_only
def catalogue(request, syntax):
    """The DCAT-AP-SE catalogue: published plans only, the same for everyone."""
    serialization, content_type = CATALOGUE_TYPES[syntax]
    return _cached(
        request,
        None,
        lambda: dcat.catalogue(dcat.published_plans()).serialize(format=serialization),
        content_type,
        public=True,
    )


@login_not_required
@read_only
def open_data_file(request, plan_slug, name, extension):
    dataset = datasets.DATASETS.get(name)
    if dataset is None or extension not in CONTENT_TYPES:
        raise Http404
    plan = visible_plan_or_404(request.user, plan_slug)
    filterset = dataset.filterset(request.GET)
    if not filterset.is_valid():
        return _refused_filters(filterset.errors, extension)
    etag = etag_for(request, plan)
    if is_not_modified(request, etag):
        return set_cache_headers(HttpResponse(status=304), etag, public=plan.published)
    filename = f"handlingsplan-{plan.slug}-{name}.{extension}"
    if request.method == "GET":
        # One count (the rows under the selection), the same number of queries at any size.
        rows = export_jobs.open_data_rows(dataset, plan, filterset.filter_queryset)
        if export_jobs.in_background(rows, export_jobs.open_data_weight(name, extension)):
            # Too large to send within a request: built by `manage.py run_jobs`, fetched
            # from its progress page (views/export_jobs.py).
            job = export_jobs.job_for(
                request,
                plan,
                ExportJob.Kind.OPEN_DATA,
                filename=filename,
                rows=rows,
                audience=audience(request.user),
                dataset=name,
                extension=extension,
            )
            return export_jobs.see_other(job)
    response = _file_response(request, dataset, plan, extension, filterset.filter_queryset)
    disposition = "inline" if extension == "json" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return set_cache_headers(response, etag, public=plan.published)


def _file_response(request, dataset, plan, extension, where):
    if request.method == "HEAD":
        # The headers only: the WSGI server would run the whole stream to throw it away.
        return HttpResponse(content_type=CONTENT_TYPES[extension])
    if extension == "xlsx":
        given = [(name, request.GET.get(name)) for name in dataset.filterset.base_filters]
        selection = "&".join(f"{name}={value}" for name, value in given if value)
        return StreamingHttpResponse(
            workbook.chunks(dataset, plan, where, selection), content_type=XLSX
        )
    chunks = datasets.csv_chunks if extension == "csv" else datasets.json_chunks
    return StreamingHttpResponse(
        chunks(dataset, plan, where), content_type=CONTENT_TYPES[extension]
    )


def _refused_filters(errors, extension):
    """400 for a query string the file's filters refuse (an unknown organisation…): the errors
    as the API gives them ({"lead": ["…"]}) for JSON, one line per error for CSV and Excel."""
    messages = {name: [str(message) for message in errors[name]] for name in errors}
    if extension == "json":
        return JsonResponse(messages, status=400, json_dumps_params={"ensure_ascii": False})
    lines = [f"{name}: {message}" for name, texts in messages.items() for message in texts]
    return HttpResponse("\n".join(lines) + "\n", status=400, content_type=PLAIN_TEXT)
