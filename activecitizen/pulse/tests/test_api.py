"""The Pulse API: rankings, a facility, rating it (201/409/422/404/401/429), GeoJSON."""

import pytest

from activecitizen.accounts.services import issue_api_token
from activecitizen.pulse import services
from activecitizen.pulse.models import Category, FacilityRating
from activecitizen.pulse.tests.factories import make_facility, make_resident

pytestmark = pytest.mark.django_db


def bearer(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_api_token(user=user, device='test')[1]}"}


def post(client, facility_id, body, **headers):
    return client.post(
        f"/api/v1/pulse/facilities/{facility_id}/ratings",
        body,
        content_type="application/json",
        **headers,
    )


def test_list_sorts_filters_and_pages(client):
    top = make_facility("Парк А")
    make_facility("Библиотека Б", category=Category.LIBRARY)
    services.rate_facility(facility_id=top.pk, user=make_resident(), score=5)
    answer = client.get("/api/v1/pulse/facilities").json()
    assert answer["count"] == 2 and answer["items"][0]["name"] == "Парк А"
    assert answer["items"][0]["ratings_count"] == 1
    assert set(answer["items"][0]) >= {"index", "category_label", "district", "lat", "lon"}
    parks = client.get("/api/v1/pulse/facilities?category=park").json()
    assert [i["name"] for i in parks["items"]] == ["Парк А"]
    paged = client.get("/api/v1/pulse/facilities?sort=name&limit=1&offset=1").json()
    assert paged["count"] == 2 and [i["name"] for i in paged["items"]] == ["Парк А"]
    bad = client.get("/api/v1/pulse/facilities?district=999999")
    assert bad.status_code == 422 and bad.json()["field"] == "district"
    assert client.get("/api/v1/pulse/facilities?sort=rating").status_code == 422


def test_detail_with_aspects_trend_and_my_rating(client):
    park = make_facility()
    anna = make_resident()
    services.rate_facility(facility_id=park.pk, user=anna, score=4, aspects={"safety": 3})
    anonymous = client.get(f"/api/v1/pulse/facilities/{park.pk}").json()
    assert anonymous["my_rating"] is None and len(anonymous["trend"]) == 12
    assert anonymous["trend"][-1] == {
        "month": anonymous["trend"][-1]["month"],
        "average": 4.0,
        "ratings_count": 1,
    }
    assert {"code": "safety", "name": "Безопасность", "average": 3.0, "ratings_count": 1} in (
        anonymous["aspects"]
    )
    mine = client.get(f"/api/v1/pulse/facilities/{park.pk}", **bearer(anna)).json()
    assert mine["my_rating"]["score"] == 4 and mine["my_rating"]["next_rating_from"]
    missing = client.get("/api/v1/pulse/facilities/999999")
    assert missing.status_code == 404 and missing.json()["code"] == "facility_not_found"


def test_rating_through_the_api(client):
    park = make_facility()
    anna = make_resident()
    created = post(
        client,
        park.pk,
        {"score": 5, "aspects": {"cleanliness": 4}, "comment": "Ок"},
        **bearer(anna),
    )
    assert created.status_code == 201
    body = created.json()
    assert body["comment_status"] == "pending" and body["facility"]["ratings_count"] == 1
    again = post(client, park.pk, {"score": 1}, **bearer(anna))
    assert again.status_code == 409
    assert again.json()["code"] == "already_rated_this_month"
    assert again.json()["next_rating_from"] == body["next_rating_from"]
    assert FacilityRating.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"score": 6}, "score"),
        ({"score": 0}, "score"),
        ({"score": 4, "aspects": {"waiting_time": 3}}, "aspects"),
        ({"score": 4, "aspects": {"cleanliness": 9}}, "aspects"),
        ({"score": 4, "comment": "я" * 1001}, "comment"),
    ],
)
def test_invalid_ratings_are_422_naming_the_field(client, body, field):
    park = make_facility()
    answer = post(client, park.pk, body, **bearer(make_resident()))
    assert answer.status_code == 422 and answer.json()["field"] == field
    assert not FacilityRating.objects.exists()


def test_rating_needs_sign_in_a_facility_and_patience(client, settings):
    park = make_facility()
    assert post(client, park.pk, {"score": 5}).status_code == 401
    assert post(client, 999999, {"score": 5}, **bearer(make_resident())).status_code == 404
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "pulse_ratings_per_person": (1, 60)}
    anna = make_resident()
    headers = bearer(anna)
    assert post(client, park.pk, {"score": 5}, **headers).status_code == 201
    limited = post(client, make_facility("Другой").pk, {"score": 5}, **headers)
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1


def test_geojson_with_a_bbox(client):
    make_facility("В центре", lat="55.751244", lon="37.628727")
    make_facility("В Зеленограде", lat="55.987000", lon="37.180000")
    everything = client.get("/api/v1/pulse/facilities.geojson").json()
    assert everything["type"] == "FeatureCollection" and len(everything["features"]) == 2
    centre = client.get("/api/v1/pulse/facilities.geojson?bbox=37.5,55.7,37.7,55.8").json()
    assert [f["properties"]["name"] for f in centre["features"]] == ["В центре"]
    assert centre["features"][0]["geometry"]["coordinates"] == [37.628727, 55.751244]
    for bad in ("1,2,3", "a,b,c,d", "37.7,55.7,37.5,55.8", "nan,1,2,3", "1e999,1,2,3"):
        answer = client.get(f"/api/v1/pulse/facilities.geojson?bbox={bad}")
        assert answer.status_code == 422 and answer.json()["field"] == "bbox"
