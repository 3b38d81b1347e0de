from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from areas import views as area_views
from organisations import views as organisation_views

urlpatterns = [
    path("", area_views.home, name="home"),
    path("byt-plan/", area_views.switch_plan, name="switch_plan"),
    path("plan/<slug:plan_slug>/", area_views.overview, name="overview"),
    path("plan/<slug:plan_slug>/omraden/", include("areas.urls")),
    path("plan/<slug:plan_slug>/aktiviteter/", include("activities.urls")),
    path("plan/<slug:plan_slug>/organisationer/", include("organisations.urls")),
    path("plan/<slug:plan_slug>/", include("activities.urls_rounds")),
    path(
        "organisationer/<str:code>/",
        organisation_views.in_current_plan,
        name="organisation_in_current_plan",
    ),
    path("konto/", include("django.contrib.auth.urls")),
    # The language can be chosen on the sign-in page too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "Handlingsplan – administration"
admin.site.site_title = "Handlingsplan"
admin.site.index_title = "Plan, organisationer och användare"
