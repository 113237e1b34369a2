"""Journey: the administrator calls a meeting in the admin and publishes its notice; when voting
opens, owners vote online; the administrator publishes the protocol, and an owner sees the
results and downloads the protocol."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from activecitizen.core.testing.browser import path_is, sign_in, sign_out
from activecitizen.house import services
from activecitizen.house.models import Meeting, MeetingBallot
from activecitizen.house.tests import house_fixtures as make

pytestmark = pytest.mark.browser


def test_owners_vote_in_their_meeting_and_see_the_results(page):
    home = make.building("ул. Профсоюзная, д. 43")
    owner = make.person(phone="+79161120001", first_name="Иван", last_name="Иванов")
    second = make.person(phone="+79161120002", first_name="Анна", last_name="Петрова")
    make.ownership(make.premises(home, "1", "60.00"), owner=owner, name="Иванов Иван")
    make.ownership(make.premises(home, "2", "50.00"), owner=second, name="Петрова Анна")
    make.ownership(make.premises(home, "3", "90.00"), name="Сидоров Пётр")
    make.house_administrator(
        home, phone="+79161120009", first_name="Ольга", last_name="Управдомова"
    )

    # The administrator calls the meeting in the admin: a draft with two questions, voting
    # from 12 days ahead for two weeks; then publishes its notice.
    sign_in(page, "+7 916 112-00-09")
    page.goto("/admin/house/meeting/add/")
    first_day = timezone.localdate() + timedelta(days=12)
    page.select_option('select[name="building"]', str(home.pk))
    page.fill('input[name="title"]', "Годовое собрание собственников")
    page.fill('input[name="voting_starts_at_0"]', first_day.isoformat())
    page.fill('input[name="voting_starts_at_1"]', "09:00:00")
    page.fill('input[name="voting_ends_at_0"]', (first_day + timedelta(days=14)).isoformat())
    page.fill('input[name="voting_ends_at_1"]', "21:00:00")
    page.fill('input[name="items-0-title"]', "Выбрать совет дома")
    page.fill('textarea[name="items-0-proposal"]', "Избрать совет.")
    page.fill('input[name="items-1-title"]', "Установить шлагбаум")
    page.fill('textarea[name="items-1-proposal"]', "Установить.")
    page.locator('#content-main input[type="submit"]').click()
    expect(page.locator('form[action$="/do/publish_notice/"] button')).to_be_visible()
    meeting = Meeting.objects.get()
    assert (meeting.status, meeting.items.count()) == (Meeting.Status.DRAFT, 2)
    page.locator('form[action$="/do/publish_notice/"] button').click()
    expect(page.locator('form[action$="/do/publish_notice/"]')).to_have_count(0)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.NOTICE
    sign_out_of_admin(page)

    # Twelve days pass (the clock is moved, not waited for): voting opened an hour ago, and
    # the scheduler's task starts it, freezing the register.
    starts = timezone.now() - timedelta(hours=1)
    ends = starts + timedelta(days=14)
    Meeting.objects.filter(pk=meeting.pk).update(
        notice_published_at=starts - timedelta(days=12),
        voting_starts_at=starts,
        voting_ends_at=ends,
    )
    assert services.advance_meetings() == (1, 0)

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

    # Voting ends (the scheduler counts it), and the administrator publishes the protocol.
    assert services.advance_meetings(now=ends) == (0, 1)
    sign_out(page)
    sign_in(page, "+7 916 112-00-09")
    page.goto(f"/admin/house/meeting/{meeting.pk}/change/")
    page.locator('form[action$="/do/publish_protocol/"] button').click()
    expect(page.locator('form[action$="/do/publish_protocol/"]')).to_have_count(0)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PROTOCOL
    sign_out_of_admin(page)

    # The first owner comes back: the results and the protocol's link are there.
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

    # The protocol opens, and its PDF downloads.
    protocol.click()
    path_is(page, f"/house/meetings/{meeting.pk}/protocol/")
    expect(page.locator("main")).to_contain_text("Годовое собрание собственников")
    with page.expect_download() as download:
        page.locator(f'a[href="/house/meetings/{meeting.pk}/protocol/protocol.pdf"]').click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")


def sign_out_of_admin(page) -> None:
    """Back to the site, signed out (the admin's own pages have no site header)."""
    page.goto("/")
    sign_out(page)
