"""The Foundation journey: a newcomer joins by phone, tells about themselves, reads the site in
English, leaves and comes back — in Chromium against a live server."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from activecitizen.accounts.models import Interest, User
from activecitizen.core.testing.browser import (
    form_with,
    path_is,
    sign_in,
    sign_out,
    submit,
    switch_language,
)
from activecitizen.geo.models import District, Okrug

pytestmark = pytest.mark.browser

PHONE = "+7 916 555-12-34"


def a_district() -> District:
    """A district from the city's data migration, or one made here while it is not loaded."""
    found = District.objects.order_by("pk").first()
    if found:
        return found
    okrug = Okrug.objects.create(
        code="J-1", name_ru="Журнальный", name_en="Journey", centre_lat=55.75, centre_lon=37.62
    )
    return District.objects.create(
        okrug=okrug,
        code="J-1-1",
        name_ru="Пресненский",
        name_en="Presnensky",
        centre_lat=Decimal("55.76"),
        centre_lon=Decimal("37.56"),
    )


def an_interest() -> Interest:
    found = Interest.objects.order_by("position", "code").first()
    return found or Interest.objects.create(
        code="dog-owner", name_ru="Собаковод", name_en="Dog owner"
    )


def test_newcomer_joins_fills_profile_switches_to_english_and_comes_back(page):
    district = a_district()
    interest = an_interest()

    # A newcomer opens the home page: it is in Russian, and invites them to sign in.
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.locator('header a[href^="/accounts/sign-in/"]').click()
    path_is(page, "/accounts/sign-in/")

    # Phone and the code from the SMS: a new number is a new account, sent to fill the profile.
    sign_in(page, PHONE)
    path_is(page, "/accounts/profile/")
    assert User.objects.filter(phone="+79165551234").exists()

    profile = form_with(page, "first_name")
    profile.locator('[name="first_name"]').fill("Вера")
    profile.locator('[name="birth_date"]').fill("1988-04-12")
    profile.locator('[name="home_district_id"]').select_option(str(district.pk))
    profile.locator(f'[name="interests"][value="{interest.code}"]').check()
    submit(profile)

    # Saved: the page says so and shows what was entered after the reload.
    path_is(page, "/accounts/profile/")
    expect(page.locator("main .messages .success")).to_be_visible()
    saved = form_with(page, "first_name")
    expect(saved.locator('[name="first_name"]')).to_have_value("Вера")
    expect(saved.locator('[name="birth_date"]')).to_have_value("1988-04-12")
    expect(saved.locator('[name="home_district_id"]')).to_have_value(str(district.pk))
    expect(saved.locator(f'[name="interests"][value="{interest.code}"]')).to_be_checked()
    person = User.objects.get(phone="+79165551234")
    assert (person.first_name, str(person.birth_date)) == ("Вера", "1988-04-12")
    assert person.home_district_id == district.pk
    assert list(person.interests.values_list("code", flat=True)) == [interest.code]

    # English: the page and the header speak it, and stay in it.
    switch_language(page, "en")
    path_is(page, "/accounts/profile/")
    sign_out_button = page.get_by_role("button", name="Sign out", exact=True)
    expect(sign_out_button).to_be_visible()
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # Out, and back in: a known person with a complete profile goes straight home.
    sign_out(page)
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_have_count(0)
    page.locator('header a[href^="/accounts/sign-in/"]').click()
    sign_in(page, PHONE)
    path_is(page, "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    assert User.objects.filter(phone="+79165551234").count() == 1
