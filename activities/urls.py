from django.urls import include, path, register_converter

from . import views


class ReferenceConverter:
    """An activity reference such as 3.2.3 (area.insats.activity)."""

    regex = r"\d{1,3}\.\d{1,3}\.\d{1,3}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ReferenceConverter, "ref")

app_name = "activities"

urlpatterns = [
    path("", views.activity_list, name="list"),
    path("<ref:reference>/", views.activity_detail, name="detail"),
    path("<ref:reference>/rapportera/", views.report_create, name="report"),
    path("excel/", include("activities.urls_excel")),
]
