from django.urls import path

from activecitizen.pulse import views

app_name = "pulse"

urlpatterns = [
    path("", views.rankings, name="list"),
    path("map/", views.facility_map, name="map"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("<int:facility_id>/", views.facility, name="facility"),
    path("<int:facility_id>/rate/", views.rate, name="rate"),
]
