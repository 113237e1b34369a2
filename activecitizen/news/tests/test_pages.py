"""The news pages: list with filters (bad ones are a 400 naming the field), an item, stories,
subscribing and the signed links, which work without signing in."""

import pytest
from django.core import mail

from activecitizen.news.models import NewsItem, Subscription
from activecitizen.news.tests.factories import districts, link_in, make_item, make_tag

pytestmark = pytest.mark.django_db


def test_the_list_shows_published_cards_with_feeds_linked(client):
    make_item("Опубликованная новость")
    make_item("Черновик", published=False)
    page = client.get("/news/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Опубликованная новость" in html and "Черновик" not in html
    assert 'rel="alternate" type="application/rss+xml"' in html
    assert 'type="application/atom+xml"' in html
    assert 'action="/news/subscribe/"' in html


def test_filters_by_kind_tag_and_district(client):
    parks = make_tag("parks", "Парки")
    here, there = districts(2)
    make_item("Городская новость")
    make_item("Парк здесь", tags=[parks], districts=[here])
    make_item("Парк там", tags=[parks], districts=[there])
    make_item("История жителя", kind=NewsItem.Kind.STORY, person_name="Анна Кузнецова")

    html = client.get("/news/", {"tag": "parks"}).content.decode()
    assert "Парк здесь" in html and "Парк там" in html and "Городская" not in html
    html = client.get("/news/", {"district": here.pk}).content.decode()
    # A district's news and the city's news, not another district's.
    assert "Парк здесь" in html and "Городская новость" in html and "Парк там" not in html
    html = client.get("/news/", {"kind": "story"}).content.decode()
    assert "История жителя" in html and "Городская" not in html


@pytest.mark.parametrize(
    ("query", "field"),
    [({"kind": "gossip"}, "kind"), ({"tag": "nope"}, "tag"), ({"district": "abc"}, "district")],
)
def test_a_bad_filter_is_a_400_naming_the_field(client, query, field):
    make_item("Новость")
    page = client.get("/news/", query)
    assert page.status_code == 400
    assert field in page.context["form"].errors
    assert "Новость" in page.content.decode()  # the valid filters (none) still apply


def test_an_empty_list_says_so(client):
    page = client.get("/news/")
    assert page.status_code == 200 and not page.context["page"].object_list
    assert 'class="card empty"' in page.content.decode()
    make_item("Новость", tags=[make_tag("parks")])
    filtered = client.get("/news/", {"tag": "parks", "kind": "story"})
    assert filtered.status_code == 200 and 'class="card empty"' in filtered.content.decode()


def test_pagination(client):
    for n in range(15):
        make_item(f"Новость номер {n}", days_ago=n + 1)
    first = client.get("/news/")
    assert len(first.context["page"].object_list) == 12
    second = client.get("/news/", {"page": 2})
    assert len(second.context["page"].object_list) == 3


def test_an_item_escapes_its_text_and_keeps_paragraphs(client):
    item = make_item("Новость", body="<script>alert(1)</script>\n\nВторой абзац.")
    html = client.get(f"/news/{item.slug}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html and "<p>Второй абзац.</p>" in html
    assert client.get("/news/no-such-item/").status_code == 404
    draft = make_item("Черновик", published=False)
    assert client.get(f"/news/{draft.slug}/").status_code == 404


def test_a_story_shows_the_person_and_the_quote(client):
    story = make_item(
        "Проект в лицах: Марина",
        kind=NewsItem.Kind.STORY,
        person_name="Марина Соколова",
        person_quote="Я пришла проголосовать за двор",
        person_story="Марина живёт в Хамовниках.",
    )
    make_item("Обычная новость")
    html = client.get(f"/news/{story.slug}/").content.decode()
    assert "<blockquote" in html and "Я пришла проголосовать за двор" in html
    assert "Марина живёт в Хамовниках." in html and ">МС<" in html  # initials without a portrait
    stories = client.get("/news/stories/").content.decode()
    assert "Проект в лицах: Марина" in stories and "Обычная новость" not in stories


def test_subscribe_confirm_manage_and_unsubscribe_without_signing_in(client):
    make_tag("parks", "Парки")
    answer = client.post("/news/subscribe/", {"email": "anna@example.org", "topics": ["parks"]})
    assert answer.status_code == 202
    assert len(mail.outbox) == 1
    confirmed = client.get(link_in(mail.outbox[0], "confirm"))
    assert confirmed.status_code == 200 and confirmed.context["state"] == "confirmed"
    manage = confirmed.context["manage_url"].split("8000", 1)[-1]
    prefs = client.get(manage)
    assert prefs.status_code == 200 and "anna@example.org" in prefs.content.decode()
    place = districts(1)[0]
    saved = client.post(manage, {"topics": [], "districts": [place.pk]})
    assert saved.status_code == 200 and saved.context["saved"]
    assert list(Subscription.objects.get().districts.all()) == [place]
    leave = prefs.context["unsubscribe_url"].split("8000", 1)[-1]
    gone = client.get(leave)
    assert gone.status_code == 200 and gone.context["state"] == "unsubscribed"
    assert Subscription.objects.get().status == "unsubscribed"


def test_one_click_unsubscribe_by_post_without_csrf():
    from django.test import Client

    from activecitizen.news import services
    from activecitizen.news.tests.factories import confirmed_subscription

    subscription = confirmed_subscription("anna@example.org")
    csrf_client = Client(enforce_csrf_checks=True)
    answer = csrf_client.post(
        f"/news/subscription/unsubscribe/{services.manage_token(subscription)}/",
        {"List-Unsubscribe": "One-Click"},
    )
    assert answer.status_code == 200
    assert Subscription.objects.get().status == "unsubscribed"


@pytest.mark.parametrize(
    "path",
    [
        "/news/subscription/confirm/abc/",
        "/news/subscription/unsubscribe/abc:def/",
        "/news/subscription/zzz/",
    ],
)
def test_a_bad_link_is_a_clear_400_page(client, path):
    answer = client.get(path)
    assert answer.status_code == 400
    assert answer.context["state"] == "invalid"
    assert not Subscription.objects.exists()


def test_a_bad_subscription_form_is_a_422_with_the_field(client):
    answer = client.post("/news/subscribe/", {"email": "nope"})
    assert answer.status_code == 422
    assert "email" in answer.context["form"].errors
    assert not Subscription.objects.exists() and not mail.outbox


def test_the_subscription_form_is_rate_limited(client):
    for _ in range(3):
        client.post("/news/subscribe/", {"email": "anna@example.org"})
    answer = client.post("/news/subscribe/", {"email": "anna@example.org"})
    assert answer.status_code == 429 and answer["Retry-After"]
    assert len(mail.outbox) == 3
