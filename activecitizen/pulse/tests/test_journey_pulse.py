"""Journey: a resident finds a park in the rankings, rates it, and sees its index and number of
ratings change; the page then says when they may rate it again."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from activecitizen.core.testing.browser import path_is, sign_in
from activecitizen.pulse import services
from activecitizen.pulse.tests.factories import make_facility, make_resident

pytestmark = pytest.mark.browser
MONTHS_RU = {
    1: "января",
    2: "февраля",
    3: "марта",
    4: "апреля",
    5: "мая",
    6: "июня",
    7: "июля",
    8: "августа",
    9: "сентября",
    10: "октября",
    11: "ноября",
    12: "декабря",
}


def test_a_resident_rates_a_facility_and_sees_its_index_change(page):
    park = make_facility("Парк «Сокольники»")
    # Three earlier ratings averaging 3: the index is 3.00 before the resident's 5.
    for score in (2, 3, 4):
        services.rate_facility(facility_id=park.pk, user=make_resident(), score=score)
    make_resident("+79161110001")

    sign_in(page, "+7 916 111-00-01")
    page.goto("/pulse/")
    page.get_by_role("link", name="Парк «Сокольники»").click()
    path_is(page, f"/pulse/{park.pk}/")
    expect(page.get_by_test_id("count")).to_have_text("3")
    expect(page.get_by_test_id("index")).to_have_text("3,00")

    page.locator('main form.pulse-rate input[name="score"][value="5"]').check()
    page.locator('main form.pulse-rate select[name="aspect_cleanliness"]').select_option("5")
    page.locator('main form.pulse-rate textarea[name="comment"]').fill("Чисто и красиво")
    page.locator("main form.pulse-rate button[type=submit]").click()

    path_is(page, f"/pulse/{park.pk}/")
    expect(page.get_by_test_id("count")).to_have_text("4")
    # (20 · 3.5 + 14) / 24: the category's mean moved with the new rating too.
    expect(page.get_by_test_id("index")).to_have_text("3,50")
    # The form is gone; the page says when the next rating is possible: the 1st of next month.
    expect(page.locator("main form.pulse-rate")).to_have_count(0)
    next_from = services.next_month(services.month_of(timezone.now()))
    expect(page.locator('main p[role="status"]')).to_contain_text(f"1 {MONTHS_RU[next_from.month]}")
