"""Journey: a visitor subscribes to the news on the news page, opens the confirmation link from
the e-mail and sees the subscription confirmed, then unsubscribes with the letter's link."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from activecitizen.core.testing.browser import path_is
from activecitizen.news import services
from activecitizen.news.tests.factories import make_item, make_tag

pytestmark = pytest.mark.browser


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_a_visitor_subscribes_confirms_and_unsubscribes(page, settings):
    # The live server runs in this process: its letters land in the test's locmem outbox.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    parks = make_tag("parks", "Парки")
    make_item("Парк обновят летом", tags=[parks])

    page.goto("/news/")
    expect(page.get_by_role("link", name="Парк обновят летом")).to_be_visible()
    form = page.locator("main form.news-subscribe-form")
    form.locator('input[name="email"]').fill("anna@example.org")
    form.locator('input[name="topics"][value="parks"]').check()
    form.locator('button[type="submit"]').click()
    path_is(page, "/news/subscribe/")
    expect(page.locator('main [data-state="sent"]')).to_be_visible()

    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/news/subscription/confirm/\S+/", mail.outbox[0].body)
    assert link
    page.goto(_path(link.group(0)))
    expect(page.locator('main [data-state="confirmed"]')).to_be_visible()

    # The newsletter carries the one-click link; the visitor follows it, not signed in.
    from django.utils import timezone

    from activecitizen.news.models import NewsItem

    assert services.send_newsletter(items=list(NewsItem.objects.all()), now=timezone.now()) == 1
    letter = mail.outbox[-1]
    leave = letter.extra_headers["List-Unsubscribe"].strip("<>")
    page.goto(_path(leave))
    expect(page.locator('main [data-state="unsubscribed"]')).to_be_visible()
    expect(page.locator("main h1")).to_have_text(re.compile(r"\S"))
