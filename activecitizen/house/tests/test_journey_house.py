"""Journey: owners of a building vote in their general meeting online, the administrator closes
it and publishes the protocol, and an owner sees the results and the protocol's link."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from activecitizen.core.testing.browser import path_is, sign_in, sign_out
from activecitizen.house import services
from activecitizen.house.models import MeetingBallot
from activecitizen.house.tests import house_fixtures as make

pytestmark = pytest.mark.browser


def test_owners_vote_in_their_meeting_and_see_the_results(page):
    home = make.building("ул. Профсоюзная, д. 43")
    owner = make.person(phone="+79161120001", first_name="Иван", last_name="Иванов")
    second = make.person(phone="+79161120002", first_name="Анна", last_name="Петрова")
    make.ownership(make.premises(home, "1", "60.00"), owner=owner, name="Иванов Иван")
    make.ownership(make.premises(home, "2", "50.00"), owner=second, name="Петрова Анна")
    make.ownership(make.premises(home, "3", "90.00"), name="Сидоров Пётр")
    admin = make.house_administrator(home, first_name="Ольга", last_name="Управдомова")

    # The administrator's meeting: the notice went out 11 days before voting, which opened an
    # hour ago and lasts two weeks.
    starts = timezone.now() - timedelta(hours=1)
    ends = starts + timedelta(days=14)
    meeting = services.create_meeting(
        building=home,
        by=admin,
        title="Годовое собрание собственников",
        voting_starts_at=starts,
        voting_ends_at=ends,
        items=[
            services.AgendaItemInput(title="Выбрать совет дома", proposal="Избрать совет."),
            services.AgendaItemInput(title="Установить шлагбаум", proposal="Установить."),
        ],
    )
    services.publish_notice(meeting=meeting, by=admin, now=starts - timedelta(days=11))
    services.start_voting(meeting=meeting, now=starts)

    # The owner signs in, finds the meeting under "My house" and opens it.
    sign_in(page, "+7 916 112-00-01")
    page.goto("/house/")
    expect(page.locator("main")).to_contain_text("ул. Профсоюзная, д. 43")
    page.get_by_role("link", name="Годовое собрание собственников").click()
    path_is(page, f"/house/meetings/{meeting.pk}/")
    expect(page.locator("main")).to_contain_text("Выбрать совет дома")
    expect(page.locator("main")).to_contain_text("Ольга Управдомова")

    # They decide on both items and vote; their ballot is shown, with its id and leaf hash.
    page.locator('main form.ballot input[name="item_1"][value="for"]').check()
    page.locator('main form.ballot input[name="item_2"][value="against"]').check()
    page.locator("main form.ballot button[type=submit]").click()
    path_is(page, f"/house/meetings/{meeting.pk}/")
    ballot = MeetingBallot.objects.get(owner=owner)
    assert ballot.decisions == {"1": "for", "2": "against"}
    expect(page.locator("#my-ballot")).to_contain_text(ballot.public_id)
    expect(page.locator("#my-ballot")).to_contain_text(ballot.leaf_hash)
    expect(page.locator("main form.ballot")).to_have_count(0)

    # The second owner votes too (against the council, for the barrier).
    sign_out(page)
    sign_in(page, "+7 916 112-00-02")
    page.goto(f"/house/meetings/{meeting.pk}/")
    page.locator('main form.ballot input[name="item_1"][value="against"]').check()
    page.locator('main form.ballot input[name="item_2"][value="for"]').check()
    page.locator("main form.ballot button[type=submit]").click()
    expect(page.locator("#my-ballot")).to_be_visible()
    assert MeetingBallot.objects.count() == 2

    # Voting ends, the meeting is counted, and the administrator publishes the protocol.
    services.end_voting(meeting=meeting, now=ends)
    services.publish_protocol(meeting=meeting, by=admin, now=ends + timedelta(days=1))

    # The first owner comes back: the results and the protocol's link are there.
    sign_out(page)
    sign_in(page, "+7 916 112-00-01")
    page.goto(f"/house/meetings/{meeting.pk}/")
    results = page.locator("main section.house-results")
    expect(results).to_be_visible()
    # 110 of 200 m² took part: 55 %, a quorum.
    expect(page.locator("#quorum")).to_contain_text("110,00")
    expect(page.locator("#quorum")).to_contain_text("55,00")
    tables = results.locator("table.result-bars")
    expect(tables).to_have_count(2)
    # Item 1: 60 m² for (54.55 % of those taking part), 50 against.
    expect(tables.nth(0).locator("tr.choice-for")).to_contain_text("60,00")
    expect(tables.nth(0).locator("tr.choice-for")).to_contain_text("54,55")
    expect(tables.nth(0).locator("tr.choice-against")).to_contain_text("50,00")
    expect(tables.nth(1).locator("tr.choice-for")).to_contain_text("50,00")
    protocol = page.locator("#protocol-link")
    expect(protocol).to_have_attribute("href", f"/house/meetings/{meeting.pk}/protocol/")
