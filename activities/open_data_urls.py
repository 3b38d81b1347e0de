"""Open data under /oppna-data/ (handlingsplan/urls.py mounts these with the namespace
open_data; the files and their columns: docs/open-data.md)."""

from django.urls import path, re_path

from .views import open_data

app_name = "open_data"
urlpatterns = [
    path("", open_data.open_data_index, name="index"),
    path("<slug:plan_slug>/", open_data.open_data_plan, name="plan"),
    re_path(
        r"^(?P<plan_slug>[-a-zA-Z0-9_]+)/(?P<name>[a-z]{1,30})\.(?P<extension>csv|json)$",
        open_data.open_data_file,
        name="file",
    ),
]
