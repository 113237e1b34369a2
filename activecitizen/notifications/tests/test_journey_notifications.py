"""Journey: a resident signs in; a poll for their district opens; the header shows one unread
notification; they open the inbox and click through to the poll."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from activecitizen.core.testing.browser import path_is, sign_in
from activecitizen.geo.models import District
from activecitizen.polls import services
from activecitizen.polls.models import Poll
from activecitizen.polls.tests.factories import make_poll, make_resident

pytestmark = pytest.mark.browser


def test_a_resident_is_told_of_a_new_poll_and_follows_it(page):
    home, elsewhere = District.objects.order_by("pk")[:2]
    make_resident("+79161110002", district=home)
    poll = make_poll(
        title="Где поставить новые скамейки?",
        status=Poll.Status.SCHEDULED,
        districts=[home],
        opens_in=timedelta(minutes=-1),
    )
    other = make_poll(
        title="Опрос для другого района",
        status=Poll.Status.SCHEDULED,
        districts=[elsewhere],
        opens_in=timedelta(minutes=-1),
    )

    sign_in(page, "+7 916 111-00-02")
    page.goto("/")
    expect(page.locator("header .inbox-link .badge")).to_have_count(0)

    assert services.open_and_close_polls() == (2, 0)
    page.reload()
    expect(page.locator("header .inbox-link .badge")).to_have_text("1")

    page.locator("header .inbox-link").click()
    path_is(page, "/notifications/")
    expect(page.locator("main .notification.unread")).to_have_count(1)
    expect(page.locator("main .inbox")).not_to_contain_text(other.title)
    page.locator("main .notification .title a").first.click()
    path_is(page, f"/polls/{poll.pk}/")
    expect(page.locator("main h1")).to_contain_text(poll.title)
