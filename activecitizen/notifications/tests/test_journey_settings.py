"""Journey: a resident opens the notification settings from their inbox, turns the shop's push
notifications off and its e-mails to "immediately", saves and finds the choice kept after a
reload; when an order is then ready, it comes by e-mail and in the inbox, and not as a push."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from activecitizen.accounts.models import User
from activecitizen.core.testing.browser import path_is, sign_in, switch_language
from activecitizen.notifications import services
from activecitizen.notifications.channels import LogPushBackend

pytestmark = pytest.mark.browser


def test_a_resident_turns_a_channel_off_and_it_stays_off(page, settings):
    # The live server runs in this process: its letters land in the test's locmem outbox.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.NOTIFICATIONS_PUSH_BACKEND = "log"
    mail.outbox = []
    LogPushBackend.sent.clear()
    resident = User.objects.create_user("+79161160001", email="vera@example.org")
    services.subscribe_push(
        user_id=resident.pk, endpoint="https://push.example/vera", p256dh="k", auth="a"
    )

    page.goto("/")
    switch_language(page, "en")
    sign_in(page, "+7 916 116-00-01")
    page.get_by_role("link", name="Notifications").click()
    path_is(page, "/notifications/")
    page.get_by_role("link", name="Notification settings").click()
    path_is(page, "/notifications/settings/")

    # The defaults: the shop's pushes at once, its e-mails in the daily digest, no SMS.
    push = page.get_by_label("Shop and orders: push notifications")
    email = page.get_by_label("Shop and orders: e-mail")
    expect(push).to_have_value("immediately")
    expect(email).to_have_value("digest")
    expect(page.get_by_label("Shop and orders: SMS")).to_have_value("off")

    push.select_option(label="off")
    email.select_option(label="immediately")
    page.get_by_role("button", name="Save").click()
    path_is(page, "/notifications/settings/")
    expect(page.locator("main").get_by_role("status")).to_contain_text(
        "Your notification settings are saved."
    )

    # Kept after a reload, and only for the shop: the polls' pushes still come at once.
    page.reload()
    expect(push).to_have_value("off")
    expect(email).to_have_value("immediately")
    expect(page.get_by_label("Votes: push notifications")).to_have_value("immediately")
    expect(page.get_by_label("Votes: e-mail")).to_have_value("digest")

    # An order is ready: an e-mail now, no push; the inbox has it as always.
    assert services.notify(
        user_id=resident.pk,
        kind="order_ready",
        params={"order_id": 7, "reward": "Билет в театр"},
        url="/rewards/orders/7/",
        key="order:7:ready",
    )
    assert [letter.to for letter in mail.outbox] == [["vera@example.org"]]
    assert "Билет в театр" in mail.outbox[0].body
    assert LogPushBackend.sent == []
    page.goto("/notifications/")
    expect(page.locator("header .inbox-link .badge")).to_have_text("1")
    expect(page.locator("main .notification.unread")).to_contain_text("Билет в театр")
