"""The Electronic House's pages (/house/)."""

from django.urls import include, path

from activecitizen.house import views

app_name = "house"

urlpatterns = [
    path("", views.my_buildings, name="home"),
    path("claim/", views.claim, name="claim"),
    path("meetings/<int:meeting_id>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:meeting_id>/vote/", views.vote, name="vote"),
    # The protocol's pages: house:protocol, house:protocol_pdf, house:protocol_xml.
    path("meetings/<int:meeting_id>/protocol/", include("activecitizen.house.protocol_urls")),
]
