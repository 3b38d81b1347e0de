from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from activities import urls as plan_urls
from activities.views import plan_upload

from . import accessibility, signin, sitemaps, views

plan = "plan/<slug:plan_slug>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("byt-plan/", views.switch_plan, name="switch_plan"),
    path("planer/ny/", plan_upload.plan_upload, name="plan_upload"),
    path("planer/ny/<str:token>/", plan_upload.plan_upload_preview, name="plan_upload_preview"),
    path(plan, plan_urls.overview, name="overview"),
    path(f"{plan}aktivera/", plan_upload.activate_plan, name="activate_plan"),
    path(f"{plan}nasta-plan/", plan_upload.handover_workbook, name="handover_workbook"),
    path(f"{plan}omraden/", include((plan_urls.area_patterns, "areas"))),
    path(f"{plan}aktiviteter/", include((plan_urls.activity_patterns, "activities"))),
    path(f"{plan}mal/", include((plan_urls.target_patterns, "targets"))),
    path(f"{plan}organisationer/", include((plan_urls.organisation_patterns, "organisations"))),
    path(plan, include((plan_urls.round_patterns, "rounds"))),
    path(f"{plan}rapport/", include((plan_urls.report_patterns, "report"))),
    # Insyn: published plans' public pages, without sign-in.
    path("insyn/", include((plan_urls.public_patterns, "insyn"))),
    path(
        "organisationer/<str:code>/",
        views.organisation_in_current_plan,
        name="organisation_in_current_plan",
    ),
    # Sign-in and sign-out only: password reset needs e-mail the city has not configured, and
    # passwords are set by an administrator.
    path("konto/login/", signin.SignInView.as_view(), name="login"),
    path("konto/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # City sign-in with OpenID Connect (404 unless configured); the provider's redirect URI
    # is …/oidc/callback/.
    path("oidc/", include("handlingsplan.oidc_views")),
    # The language can be chosen on the sign-in page too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    # Open data files and the read-only API (docs/open-data.md).
    path("oppna-data/", include("activities.open_data_urls")),
    path("api/v1/", include("activities.api.urls")),
    # The accessibility statement and its feedback form; robots.txt and the public sitemap.
    path("tillganglighet/", accessibility.statement, name="accessibility_statement"),
    path("tillganglighet/synpunkter/", accessibility.feedback, name="accessibility_feedback"),
    path(
        "tillganglighet/synpunkter/tack/",
        accessibility.feedback_sent,
        name="accessibility_feedback_sent",
    ),
    path("robots.txt", sitemaps.robots_txt, name="robots_txt"),
    path("sitemap.xml", sitemaps.sitemap, name="sitemap"),
]

handler500 = "handlingsplan.views.server_error"

admin.site.site_header = "Handlingsplan – administration"
admin.site.site_title = "Handlingsplan"
admin.site.index_title = "Plan, organisationer och användare"
