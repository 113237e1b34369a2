"""Insights pages: the officials' dashboard and the public open data."""

from django.urls import path

from activecitizen.insights import views

app_name = "insights"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("open-data/", views.open_data, name="open_data"),
    path("open-data/<slug:dataset>.csv", views.dataset_csv, name="dataset_csv"),
    path("open-data/<slug:dataset>.json", views.dataset_json, name="dataset_json"),
]
