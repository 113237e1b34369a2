"""The novelties API: the public list and detail, my rating when signed in, and rating with
201 / 409 already_rated / 422 / 404 / 401 / 429 in API.md's error shape."""

from __future__ import annotations

import json

import pytest

from activecitizen.accounts.services import issue_api_token
from activecitizen.geo.models import District
from activecitizen.novelties import services
from activecitizen.novelties.models import Rating
from activecitizen.novelties.tests.factories import make_novelty, make_resident
from activecitizen.rewards.models import PointsAccount

pytestmark = pytest.mark.django_db


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_api_token(user=user, device='t')[1]}"}


def rate(client, novelty_id, body, headers=None):
    return client.post(
        f"/api/v1/novelties/{novelty_id}/ratings",
        json.dumps(body),
        content_type="application/json",
        **(headers or {}),
    )


def test_the_list_is_public_newest_first_with_pagination(client):
    older = make_novelty("Старая")
    newer = make_novelty("Новая")
    make_novelty("Черновик", is_published=False)
    page = client.get("/api/v1/novelties?limit=1").json()
    assert page["count"] == 2
    assert [i["id"] for i in page["items"]] == [newer.pk]
    second = client.get("/api/v1/novelties?limit=1&offset=1").json()
    assert [i["id"] for i in second["items"]] == [older.pk]
    card = second["items"][0]
    assert card["average"] is None and card["ratings_count"] == 0
    assert card["district"] is None and card["category"] == "transport"


def test_best_rated_and_filters(client):
    district = District.objects.order_by("pk").first()
    good = make_novelty("Хорошая", category="parks", district=district)
    plain = make_novelty("Обычная", category="parks")
    for i in range(6):
        services.rate_novelty(novelty_id=good.pk, user=make_resident(f"+7916300{i:04d}"), stars=5)
        services.rate_novelty(novelty_id=plain.pk, user=make_resident(f"+7916400{i:04d}"), stars=2)
    best = client.get("/api/v1/novelties?sort=best").json()
    assert [i["id"] for i in best["items"]] == [good.pk, plain.pk]
    assert best["items"][0]["average"] == "5.0"
    assert best["items"][1]["average"] == "2.0"
    only = client.get(f"/api/v1/novelties?district={district.pk}&category=parks").json()
    assert [i["id"] for i in only["items"]] == [good.pk]
    assert client.get("/api/v1/novelties?category=ecology").json()["count"] == 0


def test_bad_filters_are_422_naming_the_field(client):
    unknown = client.get("/api/v1/novelties?district=999999")
    assert unknown.status_code == 422 and unknown.json()["field"] == "district"
    assert client.get("/api/v1/novelties?sort=worst").json()["field"] == "sort"
    assert client.get("/api/v1/novelties?limit=0").status_code == 422


def test_the_detail_has_the_distribution_and_my_rating(client):
    novelty = make_novelty()
    me = make_resident()
    services.rate_novelty(novelty_id=novelty.pk, user=me, stars=4, feedback="личное мнение")
    services.rate_novelty(novelty_id=novelty.pk, user=make_resident("+79160000002"), stars=5)
    public = client.get(f"/api/v1/novelties/{novelty.pk}").json()
    assert public["my_rating"] is None
    assert public["average"] == "4.5" and public["ratings_count"] == 2
    assert public["distribution"][0] == {"stars": 5, "count": 1, "percent": "50.0"}
    assert [s["stars"] for s in public["distribution"]] == [5, 4, 3, 2, 1]
    assert "личное мнение" not in json.dumps(public, ensure_ascii=False)
    mine = client.get(f"/api/v1/novelties/{novelty.pk}", **bearer(me)).json()
    assert mine["my_rating"]["stars"] == 4
    # A stale token reads like anyone else.
    assert (
        client.get(f"/api/v1/novelties/{novelty.pk}", HTTP_AUTHORIZATION="Bearer nope").json()[
            "my_rating"
        ]
        is None
    )


def test_a_draft_or_missing_novelty_is_404(client):
    draft = make_novelty(is_published=False)
    for path in (f"/api/v1/novelties/{draft.pk}", "/api/v1/novelties/987654"):
        answer = client.get(path)
        assert answer.status_code == 404 and answer.json()["code"] == "novelty_not_found"
    refused = rate(client, draft.pk, {"stars": 5}, bearer(make_resident()))
    assert refused.status_code == 404


def test_rating_gives_201_the_new_average_and_points(client):
    novelty = make_novelty()
    services.rate_novelty(novelty_id=novelty.pk, user=make_resident("+79160000002"), stars=2)
    me = make_resident()
    answer = rate(client, novelty.pk, {"stars": 5, "feedback": "Отлично"}, bearer(me))
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["stars"], body["points"], body["ratings_count"], body["average"]) == (
        5,
        3,
        2,
        "3.5",
    )
    assert PointsAccount.objects.get(user=me).balance == 3
    assert Rating.objects.get(user=me).feedback == "Отлично"


def test_a_second_rating_is_409_with_the_first(client):
    novelty = make_novelty()
    me = make_resident()
    assert rate(client, novelty.pk, {"stars": 3}, bearer(me)).status_code == 201
    again = rate(client, novelty.pk, {"stars": 1}, bearer(me))
    assert again.status_code == 409
    assert again.json()["code"] == "already_rated"
    assert again.json()["rating"]["stars"] == 3
    assert PointsAccount.objects.get(user=me).balance == 3


def test_a_retry_with_the_same_idempotency_key_gets_the_same_answer(client):
    novelty = make_novelty()
    headers = {**bearer(make_resident()), "HTTP_IDEMPOTENCY_KEY": "rate-1"}
    first = rate(client, novelty.pk, {"stars": 4}, headers)
    retry = rate(client, novelty.pk, {"stars": 4}, headers)
    assert first.status_code == retry.status_code == 201
    assert retry.json()["points"] == 0 and retry.json()["stars"] == 4
    assert Rating.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"stars": 0}, "stars"),
        ({"stars": 6}, "stars"),
        ({"stars": "5"}, "stars"),
        ({"stars": 4.5}, "stars"),
        ({"stars": True}, "stars"),
        ({"stars": 5, "feedback": "я" * 501}, "feedback"),
        ({"stars": 5, "feedback": "a\u0000b"}, "feedback"),
        ({"stars": 5, "feedback": 7}, "feedback"),
    ],
)
def test_bad_ratings_are_422_naming_the_field_and_write_nothing(client, body, field):
    novelty = make_novelty()
    answer = rate(client, novelty.pk, body, bearer(make_resident()))
    assert answer.status_code == 422, answer.content
    assert answer.json()["field"] == field
    assert set(answer.json()) >= {"code", "message", "field"}
    assert not Rating.objects.exists() and not PointsAccount.objects.exists()


def test_missing_stars_and_broken_json(client):
    novelty = make_novelty()
    headers = bearer(make_resident())
    assert rate(client, novelty.pk, {}, headers).json()["field"] == "stars"
    broken = client.post(
        f"/api/v1/novelties/{novelty.pk}/ratings", "{", content_type="application/json", **headers
    )
    assert broken.status_code == 400


def test_rating_needs_sign_in(client):
    answer = rate(client, make_novelty().pk, {"stars": 5})
    assert answer.status_code == 401 and answer.json()["code"] == "not_authenticated"


def test_too_many_ratings_are_429_with_retry_after(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, services.RATE_LIMIT_NAME: (1, 60)}
    headers = bearer(make_resident())
    first, second = make_novelty("Первая"), make_novelty("Вторая")
    assert rate(client, first.pk, {"stars": 5}, headers).status_code == 201
    limited = rate(client, second.pk, {"stars": 5}, headers)
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) >= 1
    assert limited.json()["code"] == "rate_limited"


def test_the_openapi_document_describes_the_errors(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    post = paths["/api/v1/novelties/{novelty_id}/ratings"]["post"]
    assert {"201", "401", "404", "409", "422", "429"} <= set(post["responses"])
    assert post["tags"] == ["novelties"]
