from django.urls import path

from activecitizen.rewards import reports, views

app_name = "rewards"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("<int:reward_id>/", views.reward, name="reward"),
    path("map/", views.issue_point_map, name="map"),
    path("points/", views.my_points, name="points"),
    path("orders/", views.my_orders, name="orders"),
    path("orders/<int:order_id>/", views.order, name="order"),
    path("orders/<int:order_id>/qr.svg", views.order_qr, name="order_qr"),
    path("orders/<int:order_id>/cancel/", views.cancel_order, name="cancel_order"),
    path("desk/", views.desk, name="desk"),
    path(
        "partners/<int:partner_id>/report.csv",
        reports.partner_report_csv,
        name="partner_report",
    ),
]
