from django.urls import path

from activecitizen.decisions import views

app_name = "decisions"

urlpatterns = [
    path("", views.decision_list, name="list"),
    path("map/", views.decision_map, name="map"),
    path("<int:decision_id>/", views.decision_detail, name="detail"),
]
