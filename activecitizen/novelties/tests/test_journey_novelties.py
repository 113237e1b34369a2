"""Journey: a resident opens City novelties, rates one from its page, sees their rating and the
average change, and finds the points for it in "My points"."""

import re

import pytest
from playwright.sync_api import expect

from activecitizen.core.testing.browser import path_is, sign_in
from activecitizen.novelties import services
from activecitizen.novelties.tests.factories import make_novelty, make_resident

pytestmark = pytest.mark.browser


def test_a_resident_rates_a_novelty_and_earns_points(page):
    novelty = make_novelty("Умные остановки с табло и подогревом")
    # Two neighbours rated it before: 2 and 3 stars, an average of 2.5.
    for i, stars in enumerate([2, 3]):
        services.rate_novelty(
            novelty_id=novelty.pk, user=make_resident(f"+7916777000{i}"), stars=stars
        )
    make_resident("+79161110001")

    # Before signing in, the page shows the average and a way in instead of the form.
    page.goto("/novelties/")
    page.get_by_role("link", name=novelty.title).click()
    path_is(page, f"/novelties/{novelty.pk}/")
    average = page.locator("#novelty-average .average-figure")
    expect(average).to_have_text(re.compile(r"^2[.,]5$"))
    expect(page.locator("main form.rating-form")).to_have_count(0)

    sign_in(page, "+7 916 111-00-01")
    page.goto("/rewards/points/")
    expect(page.locator("main .points-figures strong").first).to_have_text("0")

    page.goto(f"/novelties/{novelty.pk}/")
    # The distribution reads as a table: a row per number of stars.
    expect(page.locator("table.star-bars tbody tr")).to_have_count(5)
    form = page.locator("main form.rating-form")
    form.locator('input[name="stars"][value="5"]').check()
    form.locator('textarea[name="feedback"]').fill("Удобно ждать автобус зимой")
    form.locator('button[type="submit"]').click()

    # Their rating is shown and the average moved from 2.5 to (2 + 3 + 5) / 3 = 3.3.
    path_is(page, f"/novelties/{novelty.pk}/")
    expect(page.locator("#my-rating")).to_have_attribute("data-stars", "5")
    expect(average).to_have_text(re.compile(r"^3[.,]3$"))
    expect(page.locator("main form.rating-form")).to_have_count(0)
    # Feedback is for the city's staff, not for the page.
    expect(page.locator("main")).not_to_contain_text("Удобно ждать автобус зимой")

    # The points for the rating are in "My points".
    page.goto("/rewards/points/")
    expect(page.locator("main .points-figures strong").first).to_have_text("3")
    expect(page.locator("main")).to_contain_text(f"novelty:{novelty.pk}")
