"""Journey: at a public service centre an officer finds a resident by phone and casts their
ballot; the resident's receipt then says the ballot came from the service centre."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from activecitizen.accounts.models import User
from activecitizen.core.testing.browser import path_is, sign_in, sign_out
from activecitizen.polls.models import Participation
from activecitizen.polls.tests.factories import make_poll, make_resident

pytestmark = pytest.mark.browser


def test_an_officer_casts_a_residents_ballot(page):
    officer = User.objects.create_user("+79990000010", first_name="Ольга")
    officer.groups.add(Group.objects.get(name="service_centre_officer"))
    make_resident("+79161110003")
    poll = make_poll(
        title="Новый маршрут автобуса до метро",
        questions=[("Нужен ли маршрут?", ["Да", "Нет"])],
    )

    sign_in(page, "+7 999 000-00-10")
    page.goto("/polls/service-centre/")
    page.locator('input[name="phone"]').fill("8 916 111-00-03")
    page.locator("main form[role=search] button").click()
    page.get_by_role("link", name=poll.title).click()
    page.get_by_label("Да").check()
    page.locator("main form.ballot button[type=submit]").click()
    path_is(page, "/polls/service-centre/")
    expect(page.locator("main")).to_contain_text(poll.title)

    participation = Participation.objects.get()
    assert participation.assisted_by == officer
    assert participation.channel == "service_centre"

    # The resident signs in on their own and finds the receipt of that ballot.
    sign_out(page)
    sign_in(page, "+7 916 111-00-03")
    page.goto(f"/polls/{poll.pk}/receipt/")
    expect(page.locator("main")).to_contain_text(participation.ballot_public_id)
