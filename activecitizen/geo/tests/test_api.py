"""GET /api/v1/districts (with ?okrug=) and GET /api/v1/districts/{id}."""

import pytest

from activecitizen.geo.models import District, Okrug

pytestmark = pytest.mark.django_db


def test_the_list_gives_every_okrug_with_its_districts(client):
    answer = client.get("/api/v1/districts")
    assert answer.status_code == 200
    body = answer.json()
    assert body["count"] == len(body["items"]) == 12
    assert sum(len(o["districts"]) for o in body["items"]) == 146
    central = next(o for o in body["items"] if o["name_en"] == "Central")
    assert central["abbreviation"] == "ЦАО"
    assert {d["name_en"] for d in central["districts"]} >= {"Arbat", "Tverskoy", "Yakimanka"}
    arbat = next(d for d in central["districts"] if d["name_en"] == "Arbat")
    assert arbat["name_ru"] == "Арбат"
    assert arbat["kind"] == "district"
    assert set(arbat["centre"]) == {"lat", "lon"}
    assert "boundary" not in arbat  # the list stays small


def test_names_follow_the_language_asked_for(client):
    central = Okrug.objects.get(name_en="Central")
    ru = client.get(f"/api/v1/districts?okrug={central.pk}", HTTP_ACCEPT_LANGUAGE="ru").json()
    en = client.get(f"/api/v1/districts?okrug={central.pk}", HTTP_ACCEPT_LANGUAGE="en").json()
    assert ru["items"][0]["name"] == "Центральный"
    assert en["items"][0]["name"] == "Central"


def test_the_okrug_filter_gives_only_that_okrug(client):
    troitsky = Okrug.objects.get(name_en="Troitsky")
    body = client.get(f"/api/v1/districts?okrug={troitsky.pk}").json()
    assert body["count"] == 1
    assert body["items"][0]["id"] == troitsky.pk
    names = {d["name_en"] for d in body["items"][0]["districts"]}
    assert len(names) == 10
    assert "Troitsk" in names


def test_an_unknown_okrug_is_404(client):
    unknown = Okrug.objects.order_by("-pk").first().pk + 1000
    answer = client.get(f"/api/v1/districts?okrug={unknown}")
    assert answer.status_code == 404
    assert answer.json() == {"code": "not_found", "message": "Unknown okrug.", "field": "okrug"}


@pytest.mark.parametrize("value", ["abc", "0", "-3", "99999999999999999999999"])
def test_a_malformed_okrug_is_422(client, value):
    answer = client.get(f"/api/v1/districts?okrug={value}")
    assert answer.status_code == 422
    assert answer.json()["field"] == "okrug"


def test_a_district_comes_with_its_okrug_and_boundary(client):
    tverskoy = District.objects.get(name_en="Tverskoy")
    answer = client.get(f"/api/v1/districts/{tverskoy.pk}", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 200
    body = answer.json()
    assert body["id"] == tverskoy.pk
    assert body["name"] == "Tverskoy"
    assert body["name_ru"] == "Тверской"
    assert body["okrug"]["name"] == "Central"
    assert body["okrug"]["id"] == tverskoy.okrug_id
    assert body["centre"] == {"lat": str(tverskoy.centre_lat), "lon": str(tverskoy.centre_lon)}
    assert body["boundary"]["type"] == tverskoy.boundary["type"]
    assert body["boundary"]["coordinates"] == tverskoy.boundary["coordinates"]


def test_a_district_with_several_polygons_comes_as_a_multipolygon(client):
    kuntsevo = District.objects.get(name_en="Kuntsevo")
    body = client.get(f"/api/v1/districts/{kuntsevo.pk}").json()
    assert body["boundary"]["type"] == "MultiPolygon"
    assert len(body["boundary"]["coordinates"]) == 5


def test_a_district_without_a_boundary_has_null(client):
    district = District.objects.get(name_en="Arbat")
    District.objects.filter(pk=district.pk).update(boundary=None)
    assert client.get(f"/api/v1/districts/{district.pk}").json()["boundary"] is None


def test_an_unknown_district_is_404(client):
    unknown = District.objects.order_by("-pk").first().pk + 1000
    answer = client.get(f"/api/v1/districts/{unknown}")
    assert answer.status_code == 404
    assert answer.json() == {"code": "not_found", "message": "Unknown district.", "field": "id"}


@pytest.mark.parametrize("value", ["abc", "0", "99999999999999999999999"])
def test_a_malformed_district_id_is_422(client, value):
    answer = client.get(f"/api/v1/districts/{value}")
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid"


def test_openapi_declares_the_404s(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    listing = paths["/api/v1/districts"]["get"]
    detail = paths["/api/v1/districts/{id}"]["get"]
    for operation in [listing, detail]:
        assert set(operation["responses"]) >= {"200", "404", "422"}
        assert operation["responses"]["404"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
    assert any(p["name"] == "okrug" and p["in"] == "query" for p in listing["parameters"])
