from django.urls import path

from activecitizen.rewards import views

app_name = "rewards"

urlpatterns = [
    path("points/", views.my_points, name="points"),
]
