"""Channels per preferences, the daily digest, the fan-out, the settings page and API, push
subscriptions."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from activecitizen.accounts.models import User
from activecitizen.accounts.services import issue_api_token
from activecitizen.core.sms import MemorySmsBackend
from activecitizen.notifications import kinds, selectors, services
from activecitizen.notifications.channels import LogPushBackend
from activecitizen.notifications.models import (
    DigestSent,
    Notification,
    NotificationPreference,
    PushSubscription,
)

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")


@pytest.fixture(autouse=True)
def _outboxes(settings):
    settings.SMS_BACKEND = "memory"
    MemorySmsBackend.outbox.clear()
    LogPushBackend.sent.clear()
    yield
    MemorySmsBackend.outbox.clear()
    LogPushBackend.sent.clear()


@pytest.fixture
def person():
    return User.objects.create_user("+79035550001", email="olga@example.org")


def ready(person, order_id=1, capture=None) -> bool:
    return services.notify(
        user_id=person.pk,
        kind="order_ready",
        params={"order_id": order_id, "reward": "Билет в театр"},
        url=f"/rewards/orders/{order_id}/",
        key=f"order:{order_id}:ready",
    )


def subscribe(person, n=1):
    services.subscribe_push(
        user_id=person.pk, endpoint=f"https://push.example/{n}", p256dh="k", auth="a"
    )


# --- Kinds and groups --------------------------------------------------------------------------


def test_existing_kinds_fall_into_groups_and_new_ones_say_theirs():
    assert kinds.group_of("order_ready") == "shop"
    assert kinds.group_of("meeting_notice") == "house"
    assert kinds.group_of("decision_status") == "decisions"
    assert kinds.group_of("poll_new") == "polls"
    with pytest.raises(ValueError):
        kinds.register("x_kind", lambda p: kinds.Rendered("", ""), group="nonsense")


# --- Channels per preferences ------------------------------------------------------------------


def test_defaults_inbox_and_push_at_once_email_waits_sms_off(
    person, django_capture_on_commit_callbacks
):
    subscribe(person)
    with django_capture_on_commit_callbacks(execute=True):
        assert ready(person)
    assert Notification.objects.filter(user=person).count() == 1
    assert [m.endpoint for m in LogPushBackend.sent] == ["https://push.example/1"]
    assert mail.outbox == []  # e-mail goes in the daily digest
    assert MemorySmsBackend.outbox == []


def test_immediate_email_and_sms_when_chosen(person, django_capture_on_commit_callbacks):
    services.set_preferences(
        user_id=person.pk,
        choices=[("shop", "email", "immediately"), ("shop", "sms", "immediately")],
    )
    with django_capture_on_commit_callbacks(execute=True):
        ready(person)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["olga@example.org"]
    assert "/rewards/orders/1/" in mail.outbox[0].body
    assert [m.phone for m in MemorySmsBackend.outbox] == [person.phone]
    assert LogPushBackend.sent == []  # no subscription, nothing to push to


def test_off_means_not_called(person, django_capture_on_commit_callbacks):
    subscribe(person)
    services.set_preferences(
        user_id=person.pk, choices=[("shop", "push", "off"), ("shop", "email", "off")]
    )
    with django_capture_on_commit_callbacks(execute=True):
        ready(person)
    assert LogPushBackend.sent == [] and mail.outbox == [] and MemorySmsBackend.outbox == []
    # Only this group is off: the polls group still pushes.
    assert selectors.preferences(person.pk)[("polls", "push")] == "immediately"


def test_a_failing_channel_does_not_stop_the_others(
    person, django_capture_on_commit_callbacks, monkeypatch
):
    subscribe(person)
    services.set_preferences(user_id=person.pk, choices=[("shop", "sms", "immediately")])

    def broken(*args, **kwargs):
        raise OSError("gateway down")

    monkeypatch.setattr(MemorySmsBackend, "send", broken)
    with django_capture_on_commit_callbacks(execute=True):
        ready(person)
    assert len(LogPushBackend.sent) == 1


def test_a_duplicate_event_is_delivered_once(person, django_capture_on_commit_callbacks):
    subscribe(person)
    with django_capture_on_commit_callbacks(execute=True):
        ready(person)
        ready(person)
    assert len(LogPushBackend.sent) == 1


def test_choosing_the_default_leaves_no_row(person):
    services.set_preferences(user_id=person.pk, choices=[("shop", "email", "off")])
    services.set_preferences(user_id=person.pk, choices=[("shop", "email", "digest")])
    assert not NotificationPreference.objects.filter(user=person).exists()


@pytest.mark.parametrize(
    "choice",
    [
        ("nope", "email", "off"),
        ("shop", "fax", "off"),
        ("shop", "inapp", "off"),
        ("shop", "sms", "digest"),
    ],
)
def test_impossible_preferences_are_refused(person, choice):
    from activecitizen.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        services.set_preferences(user_id=person.pk, choices=[choice])


# --- The daily digest --------------------------------------------------------------------------


def at(hour: int, day: int = 5) -> datetime:
    return datetime(2026, 12, day, hour, 0, tzinfo=MSK)


def test_one_digest_with_every_item_and_nothing_twice(person):
    for n in range(1, 4):
        Notification.objects.create(
            user=person,
            kind="order_ready",
            params={"order_id": n, "reward": f"Приз {n}"},
            url=f"/rewards/orders/{n}/",
            key=f"o{n}",
            created_at=at(7),
        )
    assert services.send_daily_digests(now=at(8)) == 0  # before 9:00: wait
    assert services.send_daily_digests(now=at(9)) == 1
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert all(f"Приз {n}" in body for n in range(1, 4))
    assert "3" in mail.outbox[0].subject
    # The next hourly runs find nothing new; a new item waits until tomorrow.
    assert services.send_daily_digests(now=at(10)) == 0
    Notification.objects.create(
        user=person,
        kind="order_ready",
        params={"order_id": 9, "reward": "Ещё"},
        key="o9",
        created_at=at(11),
    )
    assert services.send_daily_digests(now=at(12)) == 0
    assert services.send_daily_digests(now=at(9, day=6)) == 1
    assert len(mail.outbox) == 2 and "Приз 1" not in mail.outbox[1].body
    assert DigestSent.objects.filter(user=person).count() == 2


def test_the_digest_skips_groups_not_wanted_in_it_and_people_without_email(person):
    nobody = User.objects.create_user("+79035550009")  # no e-mail
    services.set_preferences(user_id=person.pk, choices=[("shop", "email", "off")])
    for user in (person, nobody):
        Notification.objects.create(
            user=user,
            kind="order_ready",
            params={"reward": "x"},
            key=f"k{user.pk}",
            created_at=at(7),
        )
    assert services.send_daily_digests(now=at(9)) == 0
    assert mail.outbox == []


# --- Fan-out -----------------------------------------------------------------------------------


def people_from(first_pk: int):
    return User.objects.filter(pk__gte=first_pk, is_active=True)


def test_fan_out_tells_everyone_once_in_batches_and_a_retry_adds_nothing():
    users = [User.objects.create_user(f"+7903000{n:04d}") for n in range(23)]
    outsider = User.objects.create_user("+79039999999", is_active=False)
    job = services.fan_out(
        kind="order_ready",
        params={"reward": "x"},
        url="/x/",
        key_prefix="ev:1",
        people=people_from,
        people_args=[users[0].pk],
        batch_size=5,
    )
    told = list(
        Notification.objects.filter(key__startswith="ev:1:").values_list("user_id", flat=True)
    )
    assert sorted(told) == sorted(u.pk for u in users)
    assert not Notification.objects.filter(user=outsider).exists()
    # A retried batch (and the whole job again) adds nothing.
    assert services.fan_out_step(job, after_id=users[4].pk) == users[9].pk
    assert services.run_fan_out(job) == 5  # 23 people in fives: the last batch finds 3
    assert Notification.objects.filter(key__startswith="ev:1:").count() == 23


def test_fan_out_pushes_to_subscribers_once():
    users = [User.objects.create_user(f"+7903100{n:04d}") for n in range(7)]
    subscribe(users[3], 3)
    job = services.fan_out(
        kind="order_ready",
        params={"reward": "x"},
        url="/x/",
        key_prefix="ev:2",
        people=people_from,
        people_args=[users[0].pk],
        batch_size=3,
    )
    assert Notification.objects.filter(key__startswith="ev:2:").count() == 7
    assert len(LogPushBackend.sent) == 1
    services.run_fan_out(job)
    assert len(LogPushBackend.sent) == 1  # a retry pushes nothing again


def test_fan_out_with_a_broker_only_queues_the_first_batch(settings, monkeypatch):
    from activecitizen.notifications import tasks

    settings.CELERY_TASK_ALWAYS_EAGER = False
    queued = []
    monkeypatch.setattr(tasks.fan_out_batch, "delay", lambda *args: queued.append(args))
    User.objects.create_user("+79032000001")
    services.fan_out(
        kind="order_ready",
        params={},
        url="",
        key_prefix="ev:3",
        people=people_from,
        people_args=[0],
    )
    assert len(queued) == 1 and queued[0][1] == 0
    assert not Notification.objects.filter(key__startswith="ev:3:").exists()


def test_fan_out_refuses_a_lambda_and_an_unknown_kind():
    with pytest.raises(ValueError):
        services.fan_out(kind="order_ready", params={}, url="", key_prefix="p", people=lambda: None)
    with pytest.raises(ValueError):
        services.fan_out(kind="nonsense", params={}, url="", key_prefix="p", people=people_from)


def test_a_queryset_is_refused_and_a_tampered_reference_calls_nothing():
    # The broker carries a function's name and arguments, signed; never a pickled query.
    from django.core import signing

    with pytest.raises(ValueError):
        services.fan_out(
            kind="order_ready", params={}, url="", key_prefix="p", people=User.objects.all()
        )
    job = services.fan_out(
        kind="order_ready",
        params={},
        url="",
        key_prefix="ev:4",
        people=people_from,
        people_args=[0],
    )
    forged = signing.dumps({"callable": "os.system", "args": ["true"]})  # not our salt
    with pytest.raises(signing.BadSignature):
        services.fan_out_step({**job, "people": forged}, after_id=0)
    with pytest.raises(signing.BadSignature):
        services.fan_out_step({**job, "people": job["people"][:-3] + "xyz"}, after_id=0)


def test_the_settings_page_shows_and_saves(client, person):
    client.force_login(person)
    page = client.get("/notifications/settings/")
    assert page.status_code == 200
    assert 'name="shop-email"' in page.content.decode()
    form = {
        f"{g}-{c}": mode
        for g in kinds.GROUPS
        for c, mode in (("email", "digest"), ("sms", "off"), ("push", "immediately"))
    }
    form["news-email"] = "off"
    assert client.post("/notifications/settings/", form).status_code == 302
    assert selectors.preferences(person.pk)[("news", "email")] == "off"
    form["news-sms"] = "digest"
    bad = client.post("/notifications/settings/", form)
    assert bad.status_code == 422 and 'role="alert"' in bad.content.decode()
    assert selectors.preferences(person.pk)[("news", "sms")] == "off"


def test_the_settings_page_names_each_select_by_its_group_and_channel_in_words(client, person):
    client.force_login(person)
    html = client.get("/notifications/settings/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'aria-label="Shop and orders: push notifications"' in html
    assert 'aria-label="Votes: e-mail"' in html
    assert 'aria-label="Votes: SMS"' in html
    assert ': push"' not in html and ': email"' not in html and ': sms"' not in html


def test_the_settings_page_speaks_russian_to_the_last_row(client, person):
    client.force_login(person)
    html = client.get("/notifications/settings/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    rows = re.findall(r'<th scope="row">([^<]*)</th>', html)
    assert rows == [
        "Голосования",
        "Решения и обсуждения",
        "Магазин и заказы",
        "Электронный дом",
        "Новое рядом с домом",
        "Новости и всё остальное",
    ]
    assert 'aria-label="Магазин и заказы: push-уведомления"' in html


def test_the_settings_page_needs_sign_in(client):
    assert client.get("/notifications/settings/").status_code == 302


def bearer(person) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_api_token(user=person, device='t')[1]}"}


def test_the_settings_api_reads_changes_and_validates(client, person):
    auth = bearer(person)
    got = client.get("/api/v1/me/notification-settings", **auth).json()
    assert {"group": "shop", "channel": "email", "mode": "digest"} in got["settings"]
    assert len(got["settings"]) == len(kinds.GROUPS) * 4
    changed = client.put(
        "/api/v1/me/notification-settings",
        {"settings": [{"group": "polls", "channel": "sms", "mode": "immediately"}]},
        content_type="application/json",
        **auth,
    )
    assert changed.status_code == 200
    assert {"group": "polls", "channel": "sms", "mode": "immediately"} in changed.json()["settings"]
    for bad in (
        {"settings": [{"group": "polls", "channel": "sms", "mode": "digest"}]},
        {"settings": [{"group": "polls", "channel": "inapp", "mode": "off"}]},
        {"settings": [{"group": "cats", "channel": "sms", "mode": "off"}]},
        {"settings": "x"},
    ):
        answer = client.put(
            "/api/v1/me/notification-settings", bad, content_type="application/json", **auth
        )
        assert answer.status_code == 422, bad
        assert set(answer.json()) >= {"code", "message", "field"}
    assert client.get("/api/v1/me/notification-settings").status_code == 401


def test_the_push_subscription_api(client, person):
    auth = bearer(person)
    body = {"endpoint": "https://fcm.example/abc", "keys": {"p256dh": "BNc", "auth": "tB"}}
    first = client.post(
        "/api/v1/me/push-subscriptions", body, content_type="application/json", **auth
    )
    assert first.status_code == 201 and first.json()["endpoint"] == body["endpoint"]
    again = client.post(
        "/api/v1/me/push-subscriptions", body, content_type="application/json", **auth
    )
    assert again.json()["id"] == first.json()["id"]
    assert PushSubscription.objects.filter(user=person).count() == 1
    for bad in (
        {**body, "endpoint": "http://insecure.example/x"},
        {**body, "endpoint": "javascript:alert(1)"},
        {"endpoint": "https://x.example/1", "keys": {"p256dh": "", "auth": "a"}},
        {"endpoint": "https://x.example/1"},
        # A NUL byte (PostgreSQL text cannot hold one) in the address or a key: 422, not 500.
        {**body, "endpoint": "https://p\u00df\u00c6\u0000\u0101"},
        {**body, "keys": {"p256dh": "BN\u0000c", "auth": "tB"}},
        {**body, "keys": {"p256dh": "BNc", "auth": "not base64!"}},
    ):
        answer = client.post(
            "/api/v1/me/push-subscriptions", bad, content_type="application/json", **auth
        )
        assert answer.status_code == 422, bad
    assert (
        client.post(
            "/api/v1/me/push-subscriptions", body, content_type="application/json"
        ).status_code
        == 401
    )


def test_only_the_known_push_services_are_accepted(client, person, settings):
    # The server posts to a subscription's endpoint: an arbitrary https:// address would let
    # anyone make it call machines of their choosing (an internal service, say).
    settings.WEBPUSH_PUSH_SERVICES = ["fcm.googleapis.com", ".push.services.mozilla.com"]
    auth = bearer(person)
    keys = {"p256dh": "BNc", "auth": "tB"}
    for endpoint in (
        "https://fcm.googleapis.com/fcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/abc",
    ):
        answer = client.post(
            "/api/v1/me/push-subscriptions",
            {"endpoint": endpoint, "keys": keys},
            content_type="application/json",
            **auth,
        )
        assert answer.status_code == 201, (endpoint, answer.content)
    for endpoint in (
        "https://10.0.0.7/admin",
        "https://localhost/x",
        "https://xfcm.googleapis.com/fcm/send/abc",
        "https://fcm.googleapis.com.evil.example/abc",
        "https://push.services.mozilla.com.evil.example/x",
    ):
        answer = client.post(
            "/api/v1/me/push-subscriptions",
            {"endpoint": endpoint, "keys": keys},
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="en",
            **auth,
        )
        assert answer.status_code == 422, endpoint
        assert answer.json()["code"] == "unknown_push_service"
        assert "not one of the push services" in answer.json()["message"]
    assert PushSubscription.objects.filter(user=person).count() == 2


def test_the_digest_task_is_scheduled(settings):
    from activecitizen.notifications import tasks

    entry = settings.CELERY_BEAT_SCHEDULE["notifications.send_daily_digests"]
    assert entry["task"] == tasks.send_daily_digests.name
    assert entry["schedule"] <= timedelta(hours=1)
