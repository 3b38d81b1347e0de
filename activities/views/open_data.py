"""Open data: /oppna-data/ lists the published plans, /oppna-data/<plan>/ a plan's files, and
/oppna-data/<plan>/<dataset>.csv|.json each file (activities/opendata/datasets.py). Open to
anyone for a published plan; a coordinator signed in also reaches an unpublished one (to check
it before publishing); anything else is 404."""

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from ..opendata import datasets
from ..opendata.http import etag_for, is_not_modified, set_cache_headers
from ..opendata.visibility import visible_plan_or_404, visible_plans

PLAIN_TEXT = "text/plain; charset=utf-8"
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8; header=present",
    "json": "application/json; charset=utf-8",
}


@login_not_required
@require_safe
def open_data_index(request):
    return render(
        request,
        "activities/open_data_index.html",
        {"plans": visible_plans(request.user).order_by("-period_start")},
    )


@login_not_required
@require_safe
def open_data_plan(request, plan_slug):
    plan = visible_plan_or_404(request.user, plan_slug)
    request.plan = plan
    return render(
        request,
        "activities/open_data_plan.html",
        {"plan": plan, "datasets": datasets.DATASETS.values(), "formats": list(CONTENT_TYPES)},
    )


@login_not_required
@require_safe
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
    if request.method == "HEAD":
        # The headers only: the WSGI server would run the whole stream to throw it away.
        response = HttpResponse(content_type=CONTENT_TYPES[extension])
    else:
        chunks = datasets.csv_chunks if extension == "csv" else datasets.json_chunks
        response = StreamingHttpResponse(
            chunks(dataset, plan, filterset.filter_queryset),
            content_type=CONTENT_TYPES[extension],
        )
    filename = f"handlingsplan-{plan.slug}-{name}.{extension}"
    disposition = "attachment" if extension == "csv" else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return set_cache_headers(response, etag, public=plan.published)


def _refused_filters(errors, extension):
    """400 for a query string the file's filters refuse (an unknown organisation…): the errors
    as the API gives them ({"lead": ["…"]}) for JSON, one line per error for CSV."""
    messages = {name: [str(message) for message in errors[name]] for name in errors}
    if extension == "json":
        return JsonResponse(messages, status=400, json_dumps_params={"ensure_ascii": False})
    lines = [f"{name}: {message}" for name, texts in messages.items() for message in texts]
    return HttpResponse("\n".join(lines) + "\n", status=400, content_type=PLAIN_TEXT)
