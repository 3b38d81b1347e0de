"""/api/v1/ (handlingsplan/urls.py mounts these with the namespace api). Every view is open
without sign-in: each answers only what the requester may see (opendata/visibility.py)."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from . import schema, views

plan = "plans/<slug:plan_slug>/"


def _open(view_class):
    return login_not_required(view_class.as_view())


app_name = "api"
urlpatterns = [
    path("schema/", schema.openapi_document, name="schema"),
    path("plans/", _open(views.PlanList), name="plans"),
    path(plan, _open(views.PlanDetail), name="plan"),
    path(f"{plan}activities/", _open(views.ActivityList), name="activities"),
    path(f"{plan}activities/<str:reference>/", _open(views.ActivityDetail), name="activity"),
    path(f"{plan}targets/", _open(views.TargetList), name="targets"),
    path(f"{plan}reports/", _open(views.ReportList), name="reports"),
    path(f"{plan}organisations/", _open(views.OrganisationList), name="organisations"),
]
