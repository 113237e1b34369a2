from django.urls import path

from activecitizen.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("livez", views.livez, name="livez"),
    path("sections/<slug:slug>/", views.section_on_its_way, name="section"),
]
