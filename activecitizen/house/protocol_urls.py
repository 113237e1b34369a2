"""The protocol's addresses, included by `house.urls` under
`meetings/<int:meeting_id>/protocol/` inside the `house` namespace (no app_name here):
`house:protocol`, `house:protocol_pdf`, `house:protocol_xml`."""

from django.urls import path

from activecitizen.house import protocol_views

urlpatterns = [
    path("", protocol_views.protocol_html, name="protocol"),
    path("protocol.pdf", protocol_views.protocol_pdf, name="protocol_pdf"),
    path("protocol.xml", protocol_views.protocol_xml, name="protocol_xml"),
]
