from django.urls import path

from activecitizen.geo import views

app_name = "geo"

urlpatterns = [
    path("districts/", views.district_list, name="districts"),
]
