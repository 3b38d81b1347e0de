from django.urls import path

from . import views

app_name = "organisations"

urlpatterns = [
    path("", views.organisation_list, name="list"),
    path("<str:code>/", views.organisation_detail, name="detail"),
]
