"""Journey: a resident finds their building by its address and claims two flats; the building's
administrator confirms one claim and rejects the other with a reason in the admin; the resident
then sees the building with their flat under "My house", and the reason for the rejected one."""

import pytest
from playwright.sync_api import expect

from activecitizen.core.testing.browser import path_is, sign_in, sign_out, switch_language
from activecitizen.house.models import Ownership, PremisesClaim
from activecitizen.house.tests import house_fixtures as make

pytestmark = pytest.mark.browser

ADDRESS = "ул. Профсоюзная, д. 43"


def test_a_resident_claims_premises_and_the_administrator_decides(page):
    home = make.building(ADDRESS, premises=4)
    make.building("ул. Тверская, д. 7", premises=2)
    make.person(phone="+79161140001", first_name="Вера", last_name="Жилина")
    make.house_administrator(
        home, phone="+79161140009", first_name="Ольга", last_name="Управдомова"
    )

    page.goto("/")
    switch_language(page, "en")
    sign_in(page, "+7 916 114-00-01")

    # "My house" has no building yet, and says how to claim one.
    page.goto("/house/")
    expect(page.get_by_role("heading", name="Your building is not here yet")).to_be_visible()
    page.get_by_role("link", name="Claim premises I own").click()
    path_is(page, "/house/claim/")

    # Step 1: the building is found by a part of its address (not the other one).
    page.get_by_label("Address of the building").fill("Профсоюзная 43")
    page.get_by_role("button", name="Find").click()
    claim_form = page.get_by_role("form", name="2. Your premises")
    building = claim_form.get_by_role("radio", name=ADDRESS)
    expect(building).to_be_checked()
    expect(claim_form.get_by_role("radio")).to_have_count(1)

    # Step 2: flat 3, by an extract from the register, the whole of it.
    claim_form.get_by_label("Premises number").fill("3")
    claim_form.get_by_label("Title document").fill("ЕГРН 77:06:0001001:3-77/011/2020-1")
    expect(claim_form.get_by_label("Your share")).to_have_value("1")
    claim_form.get_by_role("button", name="Send the claim").click()
    path_is(page, "/house/")
    expect(page.locator("main").get_by_role("status")).to_contain_text("Your claim is sent")
    claims = page.get_by_role("region", name="My claims")
    expect(claims).to_contain_text(f"{ADDRESS}, premises 3")
    expect(claims).to_contain_text("pending")

    # A second claim, to flat 4, which the administrator will not find in the title.
    page.get_by_role("link", name="Claim premises I own").click()
    page.get_by_label("Address of the building").fill("Профсоюзная 43")
    page.get_by_role("button", name="Find").click()
    claim_form = page.get_by_role("form", name="2. Your premises")
    claim_form.get_by_label("Premises number").fill("4")
    claim_form.get_by_label("Title document").fill("Договор купли-продажи № 12")
    claim_form.get_by_role("button", name="Send the claim").click()
    path_is(page, "/house/")
    expect(claims.get_by_role("listitem")).to_have_count(2)
    assert PremisesClaim.objects.filter(status=PremisesClaim.Status.PENDING).count() == 2
    sign_out(page)

    # The administrator confirms flat 3 and rejects flat 4, saying why.
    sign_in(page, "+7 916 114-00-09")
    page.goto("/admin/house/premisesclaim/")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    page.get_by_role("checkbox", name=f"{ADDRESS}, premises 3 (pending)").check()
    page.get_by_role("combobox", name="Action").select_option(label="Confirm the selected claims")
    page.get_by_role("button", name="Go", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("1 claim confirmed.")

    page.get_by_role("checkbox", name=f"{ADDRESS}, premises 4 (pending)").check()
    page.get_by_role("combobox", name="Action").select_option(label="Reject the selected claims…")
    page.get_by_role("button", name="Go", exact=True).click()
    page.get_by_label("Reason").fill("В договоре указана другая квартира.")
    page.get_by_role("button", name="Reject").click()
    expect(page.locator(".messagelist")).to_contain_text("1 claim rejected.")
    ownership = Ownership.objects.get(premises__building=home)
    assert ownership.premises.number == "3" and ownership.owner.phone == "+79161140001"
    page.goto("/")
    sign_out(page)

    # The resident sees the building as its owner, flat 3, and why flat 4 was refused.
    sign_in(page, "+7 916 114-00-01")
    page.goto("/house/")
    building_card = page.get_by_role("region", name=ADDRESS)
    expect(building_card).to_contain_text("owner")
    expect(building_card).to_contain_text("Premises: 3")
    expect(building_card).not_to_contain_text("claim them below")
    claims = page.get_by_role("region", name="My claims")
    expect(claims.get_by_role("listitem")).to_have_count(1)
    expect(claims).to_contain_text(f"{ADDRESS}, premises 4")
    expect(claims).to_contain_text("rejected")
    expect(claims).to_contain_text("В договоре указана другая квартира.")
