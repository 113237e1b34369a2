"""Journey: a resident gives their home point with the browser's location, saves the profile;
a decision with a point 500 m away is published; the periodic task tells them; the header shows
one unread notification and the inbox leads to the decision. A decision 3 km away tells them
nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from activecitizen.accounts.models import User
from activecitizen.core.testing.browser import path_is, sign_in, switch_language
from activecitizen.decisions import services
from activecitizen.decisions.tests.factories import make_decision, make_editor
from activecitizen.geo.selectors import forget_boundaries

pytestmark = pytest.mark.browser

HOME = (55.75124, 37.59293)  # the Arbat


def test_a_resident_gives_a_home_point_and_hears_of_a_decision_near_it(page):
    forget_boundaries()
    User.objects.create_user("+79161110077", first_name="Ольга")
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": HOME[0], "longitude": HOME[1]})

    sign_in(page, "+7 916 111-00-77")
    page.goto("/accounts/profile/")
    switch_language(page, "en")
    page.get_by_role("button", name="Use where I am now as my home").click()
    expect(page.get_by_label("Home latitude")).to_have_value("55.7512")
    expect(page.get_by_label("Home longitude")).to_have_value("37.5929")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    person = User.objects.get(phone="+79161110077")
    assert (person.home_lat, person.home_lon) == (Decimal("55.7512"), Decimal("37.5929"))

    editor = make_editor()
    near = make_decision(
        editor,
        title="Новый сквер в Кривоарбатском переулке",
        lat=Decimal("55.75574"),  # 0.0045° north: about 500 m
        lon=Decimal("37.59293"),
    )
    make_decision(editor, title="Ремонт моста в Лужниках", lat=Decimal("55.72424"))  # 3 km
    assert services.tell_neighbours_of_new_decisions() == 2

    page.reload()
    expect(page.locator("header .inbox-link .badge")).to_have_text("1")
    page.locator("header .inbox-link").click()
    path_is(page, "/notifications/")
    notice = page.locator("main .notification.unread")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("New near your home: a city decision")
    expect(notice).to_contain_text(near.title)
    notice.locator(".title a").click()
    path_is(page, f"/decisions/{near.pk}/")
    expect(page.locator("main h1")).to_contain_text(near.title)
