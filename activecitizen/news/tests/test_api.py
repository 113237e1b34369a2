"""The news API: list with filters, an item, and subscribing (202 whether known or not)."""

import pytest
from django.core import mail

from activecitizen.news.models import NewsItem, Subscription
from activecitizen.news.tests.factories import districts, make_item, make_tag

pytestmark = pytest.mark.django_db


def test_list_and_filters(client):
    parks = make_tag("parks", "Парки")
    here, there = districts(2)
    make_item("Городская", days_ago=3)
    make_item("Парк здесь", tags=[parks], districts=[here], days_ago=2)
    make_item("Парк там", tags=[parks], districts=[there], days_ago=1)
    make_item("Черновик", published=False)

    body = client.get("/api/v1/news").json()
    assert body["count"] == 3
    assert [i["title"] for i in body["items"]] == ["Парк там", "Парк здесь", "Городская"]
    first = body["items"][0]
    assert first["tags"] == [{"slug": "parks", "name": "Парки"}]
    assert first["districts"][0]["id"] == there.pk and first["kind"] == "news"
    titles = [i["title"] for i in client.get(f"/api/v1/news?district={here.pk}").json()["items"]]
    assert titles == ["Парк здесь", "Городская"]
    assert client.get("/api/v1/news?tag=parks&limit=1&offset=1").json()["items"][0]["title"] == (
        "Парк здесь"
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [("tag=nope", "tag"), ("district=999999", "district"), ("kind=gossip", "kind")],
)
def test_unknown_filters_are_422_naming_the_field(client, query, field):
    answer = client.get(f"/api/v1/news?{query}")
    assert answer.status_code == 422
    assert answer.json()["field"] == field


def test_an_item_and_a_story(client):
    story = make_item(
        "История",
        kind=NewsItem.Kind.STORY,
        person_name="Анна Кузнецова",
        person_quote="Баллы трачу на театры",
        person_story="Анна — учитель.",
    )
    body = client.get(f"/api/v1/news/{story.slug}").json()
    assert body["person"] == {
        "name": "Анна Кузнецова",
        "quote": "Баллы трачу на театры",
        "story": "Анна — учитель.",
        "portrait": None,
    }
    assert body["body"].startswith("Первый абзац.")
    assert client.get("/api/v1/news/no-such").status_code == 404
    draft = make_item(published=False)
    assert client.get(f"/api/v1/news/{draft.slug}").json()["code"] == "news_not_found"


def test_subscribe_is_202_the_same_for_a_known_address(client):
    make_tag("parks")
    payload = {"email": "anna@example.org", "topics": ["parks"], "districts": []}
    first = client.post("/api/v1/news/subscriptions", payload, content_type="application/json")
    second = client.post("/api/v1/news/subscriptions", payload, content_type="application/json")
    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()
    assert Subscription.objects.count() == 1 and len(mail.outbox) == 2


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "nope"}, "email"),
        ({"email": "a@example.org", "topics": ["nope"]}, "topics"),
        ({"email": "a@example.org", "districts": [999999]}, "districts"),
        ({"email": "a@example.org", "districts": [0]}, "districts.0"),
    ],
)
def test_subscribe_bad_input_is_422(client, payload, field):
    answer = client.post("/api/v1/news/subscriptions", payload, content_type="application/json")
    assert answer.status_code == 422
    assert answer.json()["field"] == field
    assert not Subscription.objects.exists()


def test_subscribe_is_rate_limited(client):
    payload = {"email": "anna@example.org"}
    for _ in range(3):
        client.post("/api/v1/news/subscriptions", payload, content_type="application/json")
    answer = client.post("/api/v1/news/subscriptions", payload, content_type="application/json")
    assert answer.status_code == 429 and answer["Retry-After"]
    assert answer.json()["code"] == "rate_limited"
