"""The Electronic House's pages: my buildings, a meeting with its ballot and results, a claim.

The clock: meetings are set up through the services with explicit times so that voting is
open now (it started an hour ago); the pages read the real clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from activecitizen.accounts.models import User
from activecitizen.house import services
from activecitizen.house.models import (
    Building,
    Meeting,
    MeetingBallot,
    PremisesClaim,
    Resident,
)
from activecitizen.house.tests import house_fixtures as make

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ITEMS = ("Выбрать совет дома", "Утвердить смету на ремонт подъезда")


@dataclass
class House:
    building: Building
    owner: User  # apartment 1, 60 m²
    second: User  # apartment 2, 40 m²
    admin: User
    tenant: User
    stranger: User


def a_house() -> House:
    """200 m² in all: two registered owners (60 + 40 m²), an owner not signed up (100 m²), a
    tenant living in the third apartment, an administrator and someone from elsewhere."""
    home = make.building("ул. Профсоюзная, д. 43")
    owner = make.person(first_name="Иван", last_name="Иванов")
    second = make.person(first_name="Анна", last_name="Петрова")
    make.ownership(make.premises(home, "1", "60.00"), owner=owner, name="Иванов Иван")
    make.ownership(make.premises(home, "2", "40.00"), owner=second, name="Петрова Анна")
    third = make.premises(home, "3", "100.00")
    make.ownership(third, name="Сидоров Пётр")
    tenant = make.person()
    Resident.objects.create(building=home, user=tenant, premises=third)
    admin = make.house_administrator(home, first_name="Ольга", last_name="Управдомова")
    return House(home, owner, second, admin, tenant, make.person())


def a_meeting(house: House, *, items=ITEMS, notice: bool = True, voting: bool = True) -> Meeting:
    """A meeting of `house` whose voting started an hour ago and lasts 14 days (or a draft, or
    one with its notice published and voting in 11 days)."""
    now = timezone.now()
    starts = now - timedelta(hours=1) if voting else now + timedelta(days=11)
    meeting = services.create_meeting(
        building=house.building,
        by=house.admin,
        title="Годовое собрание собственников",
        voting_starts_at=starts,
        voting_ends_at=starts + timedelta(days=14),
        items=[
            services.AgendaItemInput(title=title, proposal=f"Предлагается: {title.lower()}.")
            for title in items
        ],
    )
    if notice:
        services.publish_notice(
            meeting=meeting, by=house.admin, now=min(now, starts - timedelta(days=11))
        )
    if voting:
        services.start_voting(meeting=meeting, now=starts)
    meeting.refresh_from_db()
    return meeting


def vote(meeting: Meeting, user: User, *choices: str, key: str = "") -> MeetingBallot:
    return services.cast_meeting_vote(
        meeting=meeting,
        user=user,
        decisions={n: c for n, c in enumerate(choices, start=1)},
        idempotency_key=key,
    )


def close(meeting: Meeting, admin: User, *, protocol: bool = False) -> Meeting:
    services.end_voting(meeting=meeting, now=meeting.voting_ends_at)
    if protocol:
        services.publish_protocol(
            meeting=meeting, by=admin, now=meeting.voting_ends_at + timedelta(days=1)
        )
    meeting.refresh_from_db()
    return meeting


def ballot_form(*choices: str, token: str = "t-1") -> dict:  # noqa: S107 - a form token
    data = {"ballot_token": token}
    data.update({f"item_{n}": c for n, c in enumerate(choices, start=1)})
    return data


@pytest.fixture
def house() -> House:
    return a_house()


# --- My house ----------------------------------------------------------------------------------


def test_my_house_lists_my_building_and_its_meetings(client, house):
    meeting = a_meeting(house)
    client.force_login(house.owner)
    page = client.get("/house/").content.decode()
    assert "ул. Профсоюзная, д. 43" in page
    assert f'href="/house/meetings/{meeting.pk}/"' in page
    assert meeting.title in page


def test_a_tenant_sees_the_building_but_not_its_meetings(client, house):
    meeting = a_meeting(house)
    client.force_login(house.tenant)
    page = client.get("/house/").content.decode()
    assert "ул. Профсоюзная, д. 43" in page
    assert f"/house/meetings/{meeting.pk}/" not in page
    assert 'href="/house/claim/"' in page


def test_someone_with_no_building_is_told_how_to_claim_premises(client, house):
    client.force_login(house.stranger)
    page = client.get("/house/", **EN).content.decode()
    assert "ул. Профсоюзная" not in page
    assert "claim the premises you own" in page
    assert 'href="/house/claim/"' in page


def test_the_pages_need_signing_in(client, house):
    meeting = a_meeting(house)
    for url in (f"/house/meetings/{meeting.pk}/", "/house/claim/"):
        answer = client.get(url)
        assert answer.status_code == 302
        assert "/accounts/sign-in/" in answer["Location"]
    # The section's front page says what it is and offers a way in, and shows nobody's house.
    intro = client.get("/house/", HTTP_ACCEPT_LANGUAGE="en")
    assert intro.status_code == 200
    html = intro.content.decode()
    assert 'href="/accounts/sign-in/?next=/house/"' in html
    assert house.building.address not in html


def test_announcements_show_to_owners_and_tenants_only(client, house):
    from activecitizen.house import community

    community.post_announcement(
        building=house.building, by=house.admin, title="Отключение воды", text="15 мая"
    )
    for who, sees in (("owner", True), ("tenant", True), ("stranger", False)):
        client.force_login(getattr(house, who))
        assert ("Отключение воды" in client.get("/house/").content.decode()) is sees, who


# --- A meeting: who sees it --------------------------------------------------------------------


def test_the_owner_sees_the_meeting_with_its_agenda_and_a_ballot(client, house):
    meeting = a_meeting(house)
    client.force_login(house.owner)
    answer = client.get(f"/house/meetings/{meeting.pk}/", **EN)
    assert answer.status_code == 200
    page = answer.content.decode()
    for text in (
        meeting.title,
        "ул. Профсоюзная, д. 43",
        "Ольга Управдомова",
        *ITEMS,
        "Предлагается: выбрать совет дома.",
        "majority of the votes taking part",
    ):
        assert text in page
    assert f'action="/house/meetings/{meeting.pk}/vote/"' in page
    for n in (1, 2):
        for choice in ("for", "against", "abstain"):
            assert f'name="item_{n}" value="{choice}"' in page
    assert "60.00 m²" in page  # their votes: the area of apartment 1


@pytest.mark.parametrize("who", ["tenant", "stranger"])
def test_a_tenant_or_a_stranger_gets_not_found(client, house, who):
    meeting = a_meeting(house)
    client.force_login(getattr(house, who))
    assert client.get(f"/house/meetings/{meeting.pk}/").status_code == 404
    assert (
        client.post(f"/house/meetings/{meeting.pk}/vote/", ballot_form("for", "for")).status_code
        == 404
    )
    assert not MeetingBallot.objects.exists()


def test_a_draft_is_the_administrators_own(client, house):
    draft = a_meeting(house, notice=False, voting=False)
    client.force_login(house.owner)
    assert client.get(f"/house/meetings/{draft.pk}/").status_code == 404
    assert f"/house/meetings/{draft.pk}/" not in client.get("/house/").content.decode()
    client.force_login(house.admin)
    answer = client.get(f"/house/meetings/{draft.pk}/")
    assert answer.status_code == 200
    assert draft.title in answer.content.decode()
    assert f"/house/meetings/{draft.pk}/" in client.get("/house/").content.decode()


def test_an_administrator_who_owns_nothing_has_no_ballot(client, house):
    meeting = a_meeting(house)
    client.force_login(house.admin)
    page = client.get(f"/house/meetings/{meeting.pk}/", **EN).content.decode()
    assert 'name="item_1"' not in page
    assert "Only the owners in the register when voting started vote." in page


def test_before_voting_the_owner_sees_when_it_opens_and_no_ballot(client, house):
    meeting = a_meeting(house, voting=False)
    client.force_login(house.owner)
    page = client.get(f"/house/meetings/{meeting.pk}/", **EN).content.decode()
    assert "Voting opens on" in page
    assert 'name="item_1"' not in page


# --- Voting ------------------------------------------------------------------------------------


def test_the_owner_votes_and_sees_their_ballot(client, house):
    meeting = a_meeting(house)
    client.force_login(house.owner)
    answer = client.post(f"/house/meetings/{meeting.pk}/vote/", ballot_form("for", "against"))
    assert answer.status_code == 302
    assert answer["Location"] == f"/house/meetings/{meeting.pk}/"
    ballot = MeetingBallot.objects.get()
    assert ballot.owner == house.owner
    assert ballot.decisions == {"1": "for", "2": "against"}
    page = client.get(answer["Location"], **EN).content.decode()
    assert "You voted on" in page
    assert ballot.public_id in page and ballot.leaf_hash in page
    assert 'name="item_1"' not in page  # no second ballot form


def test_a_second_vote_is_refused_as_already_voted(client, house):
    meeting = a_meeting(house)
    client.force_login(house.owner)
    client.post(f"/house/meetings/{meeting.pk}/vote/", ballot_form("for", "for", token="a"))
    second = client.post(
        f"/house/meetings/{meeting.pk}/vote/", ballot_form("against", "against", token="b"), **EN
    )
    assert second.status_code == 302
    page = client.get(second["Location"], **EN).content.decode()
    assert "You have already voted in this meeting." in page
    assert MeetingBallot.objects.get().decisions == {"1": "for", "2": "for"}


def test_a_double_click_is_one_ballot_and_no_warning(client, house):
    meeting = a_meeting(house)
    client.force_login(house.owner)
    for _ in range(2):
        answer = client.post(
            f"/house/meetings/{meeting.pk}/vote/", ballot_form("for", "for", token="same"), **EN
        )
        assert answer.status_code == 302
    page = client.get(answer["Location"], **EN).content.decode()
    assert "already voted" not in page
    assert MeetingBallot.objects.count() == 1


def test_every_item_needs_a_decision(client, house):
    meeting = a_meeting(house)
    client.force_login(house.owner)
    answer = client.post(f"/house/meetings/{meeting.pk}/vote/", ballot_form("for"), **EN)
    assert answer.status_code == 422
    page = answer.content.decode()
    assert "Choose for, against or abstain." in page
    assert 'aria-invalid="true"' in page
    assert re.search(r'<input[^>]*name="item_1" value="for"[^>]*checked', page)
    assert not MeetingBallot.objects.exists()


def test_an_unknown_choice_is_a_form_error(client, house):
    meeting = a_meeting(house)
    client.force_login(house.owner)
    answer = client.post(f"/house/meetings/{meeting.pk}/vote/", ballot_form("for", "maybe"))
    assert answer.status_code == 422
    assert not MeetingBallot.objects.exists()


def test_voting_after_the_end_is_refused_on_the_page(client, house):
    meeting = a_meeting(house)
    close(meeting, house.admin)
    client.force_login(house.owner)
    page = client.get(f"/house/meetings/{meeting.pk}/").content.decode()
    assert 'name="item_1"' not in page
    answer = client.post(f"/house/meetings/{meeting.pk}/vote/", ballot_form("for", "for"), **EN)
    assert answer.status_code == 409
    assert "Voting in this meeting is not open." in answer.content.decode()
    assert not MeetingBallot.objects.exists()


# --- Results -----------------------------------------------------------------------------------


def test_after_counting_the_results_table_shows_m2_percent_quorum_and_outcome(client, house):
    meeting = a_meeting(house)
    vote(meeting, house.owner, "for", "against")  # 60 m²
    vote(meeting, house.second, "against", "for")  # 40 m²
    client.force_login(house.owner)
    before = client.get(f"/house/meetings/{meeting.pk}/", **EN).content.decode()
    assert "quorum" not in before  # no results while voting goes on
    close(meeting, house.admin)
    page = client.get(f"/house/meetings/{meeting.pk}/", **EN).content.decode()
    # 100 of 200 m² took part: exactly 50 %, and the quorum needs more than half.
    assert "Owners with 100.00 m² of 200.00 m² took part: 50.00 % of all votes." in page
    assert "no quorum" in page
    assert '<th scope="col" class="num">Votes, m²</th>' in page
    assert '<th scope="row">For</th>' in page
    assert page.count("<caption>") == 2
    assert 'style="width: 60.00%"' in page and 'style="width: 40.00%"' in page
    assert "60.00" in page and "40.00" in page
    assert "adopted" in page  # neither item, without a quorum
    assert ">adopted<" not in page
    assert "/protocol/" not in page


def test_with_a_quorum_the_majority_item_is_adopted(client, house):
    third_owner = make.person()
    premises = house.building.premises.get(number="3")
    premises.ownerships.update(owner=third_owner)
    meeting = a_meeting(house)
    vote(meeting, house.owner, "for", "against")
    vote(meeting, third_owner, "for", "abstain")
    close(meeting, house.admin)
    client.force_login(house.second)  # did not vote: still sees the results
    page = client.get(f"/house/meetings/{meeting.pk}/", **EN).content.decode()
    assert "Owners with 160.00 m² of 200.00 m² took part: 80.00 % of all votes." in page
    assert "quorum reached" in page
    assert page.count('<span class="badge ok">adopted</span>') == 1  # item 1: 160 of 160 m²
    assert page.count('<span class="badge">not adopted</span>') == 1
    assert 'style="width: 100.00%"' in page  # item 1, for
    assert 'style="width: 62.50%"' in page  # item 2, abstain: 100 of 160 m²


def test_the_protocol_link_once_it_is_published(client, house):
    meeting = a_meeting(house)
    vote(meeting, house.owner, "for", "for")
    close(meeting, house.admin, protocol=True)
    client.force_login(house.owner)
    page = client.get(f"/house/meetings/{meeting.pk}/").content.decode()
    assert f'href="/house/meetings/{meeting.pk}/protocol/"' in page


# --- Claiming premises -------------------------------------------------------------------------


def test_a_person_finds_their_building_and_claims_premises(client, house):
    client.force_login(house.stranger)
    found = client.get("/house/claim/", {"q": "Профсоюзная 43"}).content.decode()
    assert "ул. Профсоюзная, д. 43" in found
    assert f'value="{house.building.pk}"' in found
    answer = client.post(
        "/house/claim/?q=Профсоюзная+43",
        {
            "building": house.building.pk,
            "premises_number": "3",
            "title_document": "ЕГРН 77:01:0001001:3-77/011/2020-1",
            "share": "1/2",
        },
    )
    assert answer.status_code == 302
    assert answer["Location"] == "/house/"
    claim = PremisesClaim.objects.get()
    assert (claim.user, claim.premises.number, claim.share_denominator) == (
        house.stranger,
        "3",
        2,
    )
    assert claim.status == PremisesClaim.Status.PENDING
    home = client.get("/house/", **EN).content.decode()
    assert "ул. Профсоюзная, д. 43, premises 3" in home and "pending" in home


def test_a_claim_to_premises_the_register_lacks_is_a_form_error(client, house):
    client.force_login(house.stranger)
    answer = client.post(
        "/house/claim/",
        {
            "building": house.building.pk,
            "premises_number": "999",
            "title_document": "ЕГРН 1",
            "share": "1",
        },
        **EN,
    )
    assert answer.status_code == 422
    assert "The building&#x27;s register has no premises with this number." in (
        answer.content.decode()
    )
    bad_share = client.post(
        "/house/claim/",
        {
            "building": house.building.pk,
            "premises_number": "1",
            "title_document": "ЕГРН 1",
            "share": "3/2",
        },
        **EN,
    )
    assert bad_share.status_code == 422
    assert "A share cannot be more than 1" in bad_share.content.decode()
    assert not PremisesClaim.objects.exists()


def test_a_building_that_was_not_found_cannot_be_claimed(client, house):
    client.force_login(house.stranger)
    for building in ("abc", "99999999999999999999", ""):
        answer = client.post(
            "/house/claim/",
            {"building": building, "premises_number": "1", "title_document": "ЕГРН 1"},
        )
        assert answer.status_code == 422, building
    assert not PremisesClaim.objects.exists()
