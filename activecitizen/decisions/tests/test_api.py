"""The decisions API: the list with filters and pagination, a decision, GeoJSON, and bad input
(422 naming the field, nothing written)."""

from __future__ import annotations

from datetime import date

import pytest

from activecitizen.decisions import services
from activecitizen.decisions.api import CategoryName
from activecitizen.decisions.models import Category, Decision, Status
from activecitizen.decisions.tests.factories import make_decision, make_editor, some_districts
from activecitizen.polls.tests.factories import make_poll

pytestmark = pytest.mark.django_db


@pytest.fixture
def decisions():
    editor = make_editor()
    first, second = some_districts(2)
    park = make_decision(editor, title="Парк", district=first, planned_finish=date(2026, 9, 1))
    road = make_decision(
        editor,
        title="Дорога",
        category="transport",
        district=second,
        lat="55.600000",
        lon="37.400000",
        poll=make_poll(),
    )
    step = services.add_step(decision=road, title="Асфальт", weight=2, by=editor)
    services.add_step(decision=road, title="Разметка", weight=1, by=editor)
    services.complete_step(step=step, by=editor)
    services.set_status(decision=road, status=Status.IN_PROGRESS, by=editor)
    services.post_update(decision=road, text="Асфальт уложен", by=editor)
    make_decision(editor, title="Черновик", is_published=False, lat=None, lon=None)
    return {"park": park, "road": road, "first": first}


def test_the_categories_are_the_polls_categories():
    assert set(CategoryName.__args__) == set(Category.values)


def test_the_list_filters_and_pages(client, decisions):
    everything = client.get("/api/v1/decisions").json()
    assert everything["count"] == 2
    assert {d["title"] for d in everything["items"]} == {"Парк", "Дорога"}
    road = next(d for d in everything["items"] if d["title"] == "Дорога")
    assert road["progress"] == 67 and road["status"] == "in_progress"
    assert road["source"]["kind"] == "poll"
    assert [d["title"] for d in client.get("/api/v1/decisions?status=planned").json()["items"]] == [
        "Парк"
    ]
    assert client.get("/api/v1/decisions?category=transport").json()["count"] == 1
    assert client.get(f"/api/v1/decisions?district={decisions['first'].pk}").json()["count"] == 1
    assert client.get("/api/v1/decisions?year=2026").json()["count"] == 1
    paged = client.get("/api/v1/decisions?limit=1&offset=1").json()
    assert paged["count"] == 2 and len(paged["items"]) == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=flying", "status"),
        ("category=space", "category"),
        ("district=abc", "district"),
        ("district=2147483000", "district"),
        ("year=1800", "year"),
        ("limit=0", "limit"),
    ],
)
def test_bad_filters_are_422_naming_the_field(client, decisions, query, field):
    answer = client.get(f"/api/v1/decisions?{query}")
    assert answer.status_code == 422
    assert answer.json()["field"] == field


def test_a_decision_with_steps_and_updates(client, decisions):
    road = client.get(f"/api/v1/decisions/{decisions['road'].pk}").json()
    assert [s["title"] for s in road["steps"]] == ["Асфальт", "Разметка"]
    assert road["steps"][0]["done"] is True and road["progress"] == 67
    assert road["updates"][0]["text"] == "Асфальт уложен"
    draft = Decision.objects.get(title="Черновик")
    missing = client.get(f"/api/v1/decisions/{draft.pk}")
    assert missing.status_code == 404 and missing.json()["code"] == "decision_not_found"
    assert client.get("/api/v1/decisions/0").status_code == 422


def test_geojson_is_a_feature_collection_of_points(client, decisions):
    answer = client.get("/api/v1/decisions.geojson")
    assert answer.status_code == 200
    body = answer.json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 2
    feature = next(f for f in body["features"] if f["properties"]["title"] == "Дорога")
    assert feature["type"] == "Feature"
    assert feature["geometry"] == {"type": "Point", "coordinates": [37.4, 55.6]}
    assert feature["properties"]["status"] == "in_progress"
    boxed = client.get("/api/v1/decisions.geojson?bbox=37.3,55.5,37.45,55.65").json()
    assert [f["properties"]["title"] for f in boxed["features"]] == ["Дорога"]
    only_planned = client.get("/api/v1/decisions.geojson?status=planned").json()
    assert [f["properties"]["title"] for f in only_planned["features"]] == ["Парк"]


@pytest.mark.parametrize(
    "bbox",
    ["1,2,3", "a,b,c,d", "37,55,36,56", "37,56,38,55", "37,55,181,56", "37,-91,38,56", "nan,1,2,3"],
)
def test_a_bad_bbox_is_422(client, decisions, bbox):
    before = Decision.objects.count()
    answer = client.get("/api/v1/decisions.geojson", {"bbox": bbox})
    assert answer.status_code == 422 and answer.json()["field"] == "bbox"
    assert Decision.objects.count() == before
