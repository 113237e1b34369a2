"""The novelties pages (/novelties/)."""

from django.urls import path

from activecitizen.novelties import views

app_name = "novelties"

urlpatterns = [
    path("", views.novelty_list, name="list"),
    path("<int:novelty_id>/", views.novelty_detail, name="detail"),
]
