from django.urls import path

from . import views_rounds

app_name = "rounds"

urlpatterns = [
    path("omgangar/", views_rounds.round_list, name="list"),
    path("omgangar/ny/", views_rounds.round_create, name="create"),
    path("omgangar/<int:pk>/", views_rounds.round_detail, name="detail"),
    path("min-organisation/", views_rounds.my_organisation, name="my_organisation"),
]
