"""Public discussions' pages (/discussions/)."""

from django.urls import path

from activecitizen.discussions import views

app_name = "discussions"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("my/", views.my_proposals, name="my"),
    path("<int:project_id>/", views.project_detail, name="detail"),
    path("<int:project_id>/propose/", views.propose, name="propose"),
    path("<int:project_id>/documents/<int:document_id>/", views.document, name="document"),
    path("proposals/<int:proposal_id>/attachment/", views.attachment, name="attachment"),
    path("<int:project_id>/protocol/", views.protocol_html, name="protocol"),
    path("<int:project_id>/protocol.pdf", views.protocol_pdf, name="protocol_pdf"),
    path("<int:project_id>/conclusion/", views.conclusion_html, name="conclusion"),
    path("<int:project_id>/conclusion.pdf", views.conclusion_pdf, name="conclusion_pdf"),
]
