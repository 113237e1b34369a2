from django.urls import path

from activecitizen.transparency import views

app_name = "transparency"

urlpatterns = [
    path(".well-known/activecitizen-log-key", views.log_key, name="log_key"),
]
