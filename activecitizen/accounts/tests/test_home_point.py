"""The home point on the profile (page and API): for "something new within 1 km of my home"."""

from decimal import Decimal

import pytest
from django.urls import reverse

from activecitizen.accounts import services
from activecitizen.accounts.models import User
from activecitizen.core.errors import InvalidInput
from activecitizen.geo.selectors import forget_boundaries

from .test_api import bearer, patch, sign_in
from .test_pages import sign_in_by_page

pytestmark = pytest.mark.django_db

ARBAT = ("55.7512", "37.5929")  # inside Moscow's loaded boundaries


@pytest.fixture(autouse=True)
def _fresh_boundaries():
    forget_boundaries()
    yield
    forget_boundaries()


def test_the_profile_page_keeps_a_home_point_rounded_to_about_10_m(client, sms_outbox):
    sign_in_by_page(client, sms_outbox)
    page = client.get(reverse("accounts:profile"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Home latitude" in page.content.decode()
    answer = client.post(
        reverse("accounts:profile"),
        {"first_name": "Анна", "home_lat": "55,751244", "home_lon": " 37.592926 "},
    )
    assert answer.status_code == 302
    user = User.objects.get()
    assert (user.home_lat, user.home_lon) == (Decimal("55.7512"), Decimal("37.5929"))
    page = client.get(reverse("accounts:profile")).content.decode()
    assert 'value="55.7512"' in page and 'value="37.5929"' in page
    # Both emptied: the point is forgotten.
    client.post(reverse("accounts:profile"), {"first_name": "Анна", "home_lat": "", "home_lon": ""})
    user.refresh_from_db()
    assert user.home_lat is None and user.home_lon is None


@pytest.mark.parametrize(
    ("lat", "lon", "message"),
    [
        ("55.75", "", "Give both the latitude and the longitude"),
        ("north", "37.6", "Enter a number from -90 to 90"),
        ("91", "37.6", "Enter a number from -90 to 90"),
        ("55.75", "NaN", "Enter a number from -180 to 180"),
        ("59.93863", "30.31413", "outside the city"),  # St Petersburg
    ],
)
def test_a_bad_home_point_on_the_page_says_why_and_writes_nothing(
    client, sms_outbox, lat, lon, message
):
    sign_in_by_page(client, sms_outbox)
    answer = client.post(
        reverse("accounts:profile"),
        {"first_name": "Анна", "home_lat": lat, "home_lon": lon},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 422
    assert message in answer.content.decode()
    user = User.objects.get()
    assert user.first_name == "" and user.home_lat is None and user.home_lon is None


def test_the_api_sets_shows_and_forgets_the_home_point(client, sms_outbox):
    token = sign_in(client, sms_outbox)["token"]
    answer = patch(
        client, "/api/v1/me", {"home_lat": 55.751244, "home_lon": 37.592926}, **bearer(token)
    )
    assert answer.status_code == 200, answer.content
    assert (answer.json()["home_lat"], answer.json()["home_lon"]) == (55.7512, 37.5929)
    me = client.get("/api/v1/me", **bearer(token)).json()
    assert (me["home_lat"], me["home_lon"]) == (55.7512, 37.5929)
    # Changing something else keeps the point; both null forget it.
    patch(client, "/api/v1/me", {"first_name": "Анна"}, **bearer(token))
    assert User.objects.get().home_lat == Decimal("55.7512")
    answer = patch(client, "/api/v1/me", {"home_lat": None, "home_lon": None}, **bearer(token))
    assert answer.json()["home_lat"] is None
    assert User.objects.get().home_lat is None


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"home_lat": 55.75}, "home_lon", "incomplete_point"),
        ({"home_lat": 55.75, "home_lon": None}, "home_lon", "incomplete_point"),
        ({"home_lat": 95, "home_lon": 37.6}, "home_lat", "invalid_coordinate"),
        ({"home_lat": 55.75, "home_lon": -181}, "home_lon", "invalid_coordinate"),
        ({"home_lat": 59.93863, "home_lon": 30.31413}, "home_lat", "outside_city"),
    ],
)
def test_a_bad_home_point_in_the_api_is_422_and_changes_nothing(
    client, sms_outbox, change, field, code
):
    token = sign_in(client, sms_outbox)["token"]
    answer = patch(client, "/api/v1/me", {"last_name": "Петрова", **change}, **bearer(token))
    assert answer.status_code == 422, answer.content
    assert (answer.json()["code"], answer.json()["field"]) == (code, field)
    user = User.objects.get()
    assert user.last_name == "" and user.home_lat is None


def test_with_no_borders_loaded_any_point_on_earth_is_accepted(sms_outbox):
    # A city that has not loaded its district borders yet cannot tell inside from outside.
    from activecitizen.geo.models import District

    District.objects.update(boundary=None)
    user = User.objects.create_user("+79160000001")
    services.update_profile(user=user, home_lat="59.93863", home_lon="30.31413")
    assert user.home_lat == Decimal("59.9386")
    with pytest.raises(InvalidInput):
        services.update_profile(user=user, home_lat="59.9", home_lon="190")
