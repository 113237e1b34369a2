"""The in-app inbox: told once per event, shown in the reader's language, the unread count in
the header, marking read; the same through the API. Nobody sees another person's notices."""

from __future__ import annotations

import pytest

from activecitizen.accounts.models import User
from activecitizen.accounts.services import issue_api_token
from activecitizen.notifications import kinds, selectors, services
from activecitizen.notifications.models import Notification

pytestmark = pytest.mark.django_db


def ready(person, order_id=1, reward="Билет в театр") -> bool:
    return services.notify(
        user_id=person.pk,
        kind="order_ready",
        params={"order_id": order_id, "reward": reward},
        url=f"/rewards/orders/{order_id}/",
        key=f"order:{order_id}:ready",
    )


@pytest.fixture
def person():
    return User.objects.create_user("+79035550001", first_name="Ольга")


@pytest.fixture
def other():
    return User.objects.create_user("+79035550002")


def test_an_event_is_told_once(person):
    assert ready(person) is True
    assert ready(person) is False
    assert Notification.objects.filter(user=person).count() == 1


def test_an_unknown_kind_is_a_programming_error(person):
    with pytest.raises(ValueError):
        services.notify(user_id=person.pk, kind="nonsense", params={}, key="k")


def test_a_kind_whose_renderer_is_gone_still_shows(person):
    Notification.objects.create(user=person, kind="retired_kind", params={}, key="old")
    shown = selectors.shown(Notification.objects.get(key="old"))
    assert shown.title and shown.text == ""
    assert kinds.render("order_ready", {}).text == ""  # missing parameters: no crash


def test_the_inbox_page_lists_escapes_and_marks_read(client, person, other):
    ready(person, 1, reward="<script>alert(1)</script>")
    ready(other, 2, reward="Чужой заказ")
    client.force_login(person)
    page = client.get("/notifications/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Your order is ready for pick-up" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "Чужой заказ" not in html
    assert 'class="badge" aria-label="1 unread"' in html  # the header's count
    assert client.post("/notifications/read/").status_code == 302
    assert selectors.unread_count(person.pk) == 0
    assert selectors.unread_count(other.pk) == 1
    assert 'aria-label="1 unread"' not in client.get("/notifications/").content.decode()


def test_the_inbox_needs_sign_in_and_marking_read_needs_post(client, person):
    assert client.get("/notifications/").status_code == 302
    client.force_login(person)
    assert client.get("/notifications/read/").status_code == 405


def test_an_empty_inbox_says_so(client, person):
    client.force_login(person)
    page = client.get("/notifications/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Nothing yet" in page.content.decode()


def test_the_api_lists_and_marks_only_my_notifications(client, person, other):
    ready(person, 1)
    ready(person, 2)
    ready(other, 3)
    _token, raw = issue_api_token(user=person, device="test")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": "en"}
    body = client.get("/api/v1/me/notifications?limit=1", **auth).json()
    assert (body["count"], body["unread"], len(body["items"])) == (2, 2, 1)
    item = body["items"][0]
    assert item["kind"] == "order_ready" and item["url"] == "/rewards/orders/2/"
    assert item["title"] == "Your order is ready for pick-up" and item["read"] is False
    theirs = Notification.objects.get(user=other).pk
    marked = client.post(
        "/api/v1/me/notifications/read",
        {"ids": [item["id"], theirs]},
        content_type="application/json",
        **auth,
    ).json()
    assert marked == {"marked": 1, "unread": 1}
    assert selectors.unread_count(other.pk) == 1
    everything = client.post(
        "/api/v1/me/notifications/read", {}, content_type="application/json", **auth
    ).json()
    assert everything == {"marked": 1, "unread": 0}


def test_the_api_refuses_strangers_and_bad_input(client, person):
    assert client.get("/api/v1/me/notifications").status_code == 401
    _token, raw = issue_api_token(user=person, device="test")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    bad = client.post(
        "/api/v1/me/notifications/read",
        {"ids": "all"},
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 422 and bad.json()["field"] == "ids"
    assert client.get("/api/v1/me/notifications?limit=0", **auth).status_code == 422


def test_ids_beyond_the_databases_integers_are_refused(client, person):
    _token, raw = issue_api_token(user=person, device="test")
    answer = client.post(
        "/api/v1/me/notifications/read",
        {"ids": [10**25]},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert answer.status_code == 422
