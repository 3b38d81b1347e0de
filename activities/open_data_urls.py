"""Open data under /oppna-data/ (handlingsplan/urls.py mounts these with the namespace
open_data; the files and their columns: docs/open-data.md and the column page)."""

from django.urls import path, re_path

from .views import export_jobs, open_data

app_name = "open_data"
urlpatterns = [
    path("", open_data.open_data_index, name="index"),
    re_path(r"^katalog\.(?P<syntax>rdf|ttl)$", open_data.catalogue, name="catalogue"),
    path("<slug:plan_slug>/", open_data.open_data_plan, name="plan"),
    path("<slug:plan_slug>/kolumner/", open_data.columns, name="columns"),
    path("<slug:plan_slug>/datapackage.json", open_data.datapackage, name="package"),
    re_path(
        r"^(?P<plan_slug>[-a-zA-Z0-9_]+)/(?P<name>[a-z]{1,30})\.(?P<extension>csv|json|xlsx)$",
        open_data.open_data_file,
        name="file",
    ),
    # A file built in the background: its progress page and, when done, the file.
    path("<slug:plan_slug>/filer/<slug:token>/", export_jobs.open_data_job, name="job"),
    path(
        "<slug:plan_slug>/filer/<slug:token>/hamta/",
        export_jobs.open_data_job_file,
        name="job_file",
    ),
]
