"""Excel export and import (issue 5); included from activities/urls.py under excel/."""

from django.urls import path

from . import views_excel

urlpatterns = [
    path("handlingsplan/", views_excel.export_plan, name="export_plan"),
    path("tabell/", views_excel.export_table, name="export_table"),
    path("mall/", views_excel.report_template, name="report_template"),
    path("import/", views_excel.import_upload, name="import_upload"),
    path("import/<str:token>/", views_excel.import_preview, name="import_preview"),
    path("import/<str:token>/spara/", views_excel.import_confirm, name="import_confirm"),
]
