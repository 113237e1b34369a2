from django.urls import path

from activecitizen.polls import views

app_name = "polls"

urlpatterns = [
    path("", views.poll_list, name="list"),
    path("my-votes/", views.my_votes, name="my_votes"),
    path("service-centre/", views.service_centre, name="service_centre"),
    path(
        "service-centre/<int:user_id>/polls/<int:poll_id>/",
        views.service_centre_ballot,
        name="service_centre_ballot",
    ),
    path("<int:poll_id>/", views.poll_detail, name="detail"),
    path("<int:poll_id>/vote/", views.vote, name="vote"),
    path("<int:poll_id>/receipt/", views.receipt, name="receipt"),
    path(
        "my/<str:ballot_id>/proof.json",
        views.receipt_proof,
        name="receipt_proof",
    ),
    path("<int:poll_id>/results/", views.results_page, name="results"),
    path("<int:poll_id>/results/partial/", views.results_partial, name="results_partial"),
    path("<int:poll_id>/results.csv", views.results_csv, name="results_csv"),
    path("<int:poll_id>/results.json", views.results_json, name="results_json"),
]
