"""Subscriptions: double opt-in, signed links, preferences, and the newsletter."""

from datetime import timedelta

import pytest
from django.core import mail, signing
from django.utils import timezone

from activecitizen.core.errors import InvalidInput, RateLimited
from activecitizen.news import services
from activecitizen.news.models import NewsItem, Subscription
from activecitizen.news.tests.factories import (
    confirmed_subscription,
    districts,
    link_in,
    make_item,
    make_tag,
)

pytestmark = pytest.mark.django_db


def _token(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[1]


def test_subscribing_sends_only_a_confirmation_and_no_news_before_it_is_followed():
    transport = make_tag("transport")
    services.subscribe(email="Anna@Example.org ", topics=["transport"])
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["anna@example.org"]
    assert "/news/subscription/confirm/" in mail.outbox[0].body
    item = make_item(tags=[transport])

    assert services.send_newsletter(items=[item], now=timezone.now()) == 0
    assert len(mail.outbox) == 1  # still only the confirmation
    assert Subscription.objects.get().status == "pending"


def test_following_the_link_confirms_and_then_the_news_comes():
    transport = make_tag("transport")
    services.subscribe(email="anna@example.org", topics=["transport"])
    subscription = services.confirm(token=_token(link_in(mail.outbox[0], "confirm")))
    assert subscription.is_active
    assert [t.slug for t in subscription.topics.all()] == ["transport"]

    item = make_item("Новые автобусы", tags=[transport])
    assert services.send_newsletter(items=[item], now=timezone.now()) == 1
    letter = mail.outbox[-1]
    assert letter.to == ["anna@example.org"] and "Новые автобусы" in letter.body
    unsubscribe = letter.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<http") and "/news/subscription/unsubscribe/" in unsubscribe
    assert letter.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/news/subscription/unsubscribe/" in letter.body


def test_unsubscribing_by_the_signed_link_stops_the_newsletter():
    confirmed_subscription("anna@example.org")
    item = make_item()
    services.send_newsletter(items=[item], now=timezone.now())
    path = link_in(mail.outbox[-1], "unsubscribe")

    subscription = services.unsubscribe(token=_token(path))
    assert subscription.status == "unsubscribed"
    assert services.unsubscribe(token=_token(path)).status == "unsubscribed"  # twice: the same
    sent_before = len(mail.outbox)
    assert services.send_newsletter(items=[item], now=timezone.now()) == 0
    assert len(mail.outbox) == sent_before


@pytest.mark.parametrize("how", ["tampered", "other_salt", "garbage", "empty"])
def test_a_bad_link_is_refused_and_writes_nothing(how):
    services.subscribe(email="anna@example.org")
    good = _token(link_in(mail.outbox[0], "confirm"))
    token = {
        "tampered": good[:-3] + ("aaa" if not good.endswith("aaa") else "bbb"),
        "other_salt": signing.dumps({"s": Subscription.objects.get().pk, "e": "anna@example.org"}),
        "garbage": "not-a-token",
        "empty": "",
    }[how]
    with pytest.raises(services.InvalidLink) as refused:
        services.confirm(token=token)
    assert refused.value.status == 400
    with pytest.raises(services.InvalidLink):
        services.unsubscribe(token=token)
    row = Subscription.objects.get()
    assert row.confirmed_at is None and row.unsubscribed_at is None


def test_an_expired_confirmation_link_is_refused():
    services.subscribe(email="anna@example.org")
    token = _token(link_in(mail.outbox[0], "confirm"))
    later = timezone.now() + timedelta(days=8)
    # The signature's clock is time.time(); move it past the 7 days.
    import time
    from unittest import mock

    with (
        mock.patch.object(time, "time", return_value=later.timestamp()),
        pytest.raises(services.InvalidLink) as refused,
    ):
        services.confirm(token=token)
    assert refused.value.code == "link_expired"
    assert Subscription.objects.get().confirmed_at is None


def test_an_old_confirmation_link_does_not_undo_an_unsubscribe():
    services.subscribe(email="anna@example.org")
    confirm_token = _token(link_in(mail.outbox[0], "confirm"))
    subscription = services.confirm(token=confirm_token)
    services.unsubscribe(token=services.manage_token(subscription))
    with pytest.raises(services.InvalidLink):
        services.confirm(token=confirm_token)
    assert Subscription.objects.get().status == "unsubscribed"


def test_subscribing_again_updates_the_row_and_sends_a_new_confirmation():
    make_tag("transport")
    make_tag("parks")
    services.subscribe(email="anna@example.org", topics=["transport"])
    services.subscribe(email="ANNA@example.org", topics=["parks"], districts=[districts(1)[0].pk])
    assert Subscription.objects.count() == 1
    row = Subscription.objects.get()
    assert [t.slug for t in row.topics.all()] == ["parks"]
    assert row.districts.count() == 1
    assert len(mail.outbox) == 2


def test_a_confirmed_subscriber_keeps_their_topics_until_the_new_link_is_followed():
    make_tag("transport")
    make_tag("parks")
    confirmed_subscription("anna@example.org", topics=["transport"])
    services.subscribe(email="anna@example.org", topics=["parks"])
    row = Subscription.objects.get()
    assert [t.slug for t in row.topics.all()] == ["transport"]  # a stranger cannot change them
    services.confirm(token=_token(link_in(mail.outbox[-1], "confirm")))
    assert [t.slug for t in row.topics.all()] == ["parks"]


def test_preferences_change_by_the_signed_link():
    make_tag("parks")
    subscription = confirmed_subscription("anna@example.org")
    place = districts(1)[0]
    services.update_preferences(
        token=services.manage_token(subscription), topics=["parks"], districts=[place.pk]
    )
    assert [t.slug for t in subscription.topics.all()] == ["parks"]
    assert list(subscription.districts.all()) == [place]
    with pytest.raises(services.InvalidLink):
        services.update_preferences(
            token="x" + services.manage_token(subscription), topics=[], districts=[]
        )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"email": "a@example.org", "topics": ["no-such-topic"]}, "topics"),
        ({"email": "a@example.org", "districts": [2_000_000]}, "districts"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(kwargs, field):
    with pytest.raises(InvalidInput) as refused:
        services.subscribe(**kwargs)
    assert refused.value.field == field
    assert not Subscription.objects.exists() and not mail.outbox


def test_subscriptions_are_rate_limited_per_address_and_per_ip():
    for _ in range(services.SUBSCRIBE_LIMIT_PER_EMAIL[0]):
        services.subscribe(email="anna@example.org")
    with pytest.raises(RateLimited):
        services.subscribe(email="anna@example.org")
    for n in range(services.SUBSCRIBE_LIMIT_PER_IP[0]):
        services.subscribe(email=f"p{n}@example.org", ip="10.0.0.1")
    with pytest.raises(RateLimited):
        services.subscribe(email="another@example.org", ip="10.0.0.1")
    assert not Subscription.objects.filter(email="another@example.org").exists()


def test_the_newsletter_goes_to_matching_subscribers_one_letter_each():
    transport, parks = make_tag("transport"), make_tag("parks")
    here, there = districts(2)
    city_bus = make_item("Автобусы города", tags=[transport])
    local_park = make_item("Парк в районе", tags=[parks], districts=[here])
    other_park = make_item("Парк в другом районе", tags=[parks], districts=[there])
    draft = make_item("Черновик", tags=[transport], published=False)

    confirmed_subscription("all@example.org")
    confirmed_subscription("transport@example.org", topics=["transport"])
    confirmed_subscription("parks-here@example.org", topics=["parks"], districts=[here.pk])
    services.subscribe(email="pending@example.org")
    gone = confirmed_subscription("gone@example.org")
    services.unsubscribe(token=services.manage_token(gone))
    mail.outbox.clear()

    sent = services.send_newsletter(
        items=[city_bus, local_park, other_park, draft], now=timezone.now()
    )
    assert sent == 3
    letters = {m.to[0]: m.body for m in mail.outbox}
    assert set(letters) == {"all@example.org", "transport@example.org", "parks-here@example.org"}
    assert all(m.extra_headers.get("List-Unsubscribe") for m in mail.outbox)
    assert all(t in letters["all@example.org"] for t in ("Автобусы", "Парк в районе", "другом"))
    assert "Автобусы города" in letters["transport@example.org"]
    assert "Парк" not in letters["transport@example.org"]
    assert "Парк в районе" in letters["parks-here@example.org"]
    assert "другом районе" not in letters["parks-here@example.org"]
    assert "Автобусы" not in letters["parks-here@example.org"]
    assert "Черновик" not in "".join(letters.values())
    assert NewsItem.objects.count() == 4


def test_the_management_command_sends_the_recent_news(capsys):
    from django.core.management import call_command

    confirmed_subscription("anna@example.org")
    make_item("Свежая новость", days_ago=1)
    make_item("Старая новость", days_ago=30)
    mail.outbox.clear()
    call_command("send_newsletter", "--days", "7")
    assert len(mail.outbox) == 1
    assert "Свежая новость" in mail.outbox[0].body and "Старая" not in mail.outbox[0].body
