"""The Electronic House API (API.md): meetings of my buildings, a meeting with its agenda, an
owner's votes with Idempotency-Key, and the results."""

from __future__ import annotations

import json

import pytest

from activecitizen.accounts.services import issue_api_token
from activecitizen.house.models import MeetingBallot
from activecitizen.house.tests.test_pages import a_house, a_meeting, close, vote

pytestmark = pytest.mark.django_db


@pytest.fixture
def house():
    return a_house()


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_api_token(user=user, device='t')[1]}"}


def cast(client, user, meeting, decisions, key=None):
    headers = bearer(user)
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(
        f"/api/v1/house/meetings/{meeting.pk}/votes",
        json.dumps({"decisions": decisions}),
        content_type="application/json",
        **headers,
    )


def all_items(meeting, *choices):
    items = list(meeting.items.order_by("number"))
    return [{"item_id": i.pk, "choice": c} for i, c in zip(items, choices, strict=True)]


# --- Reading -----------------------------------------------------------------------------------


def test_the_list_has_the_meetings_of_my_buildings_only(client, house):
    meeting = a_meeting(house)
    draft = a_meeting(house, notice=False, voting=False)
    mine = client.get("/api/v1/house/meetings", **bearer(house.owner)).json()
    assert mine["count"] == 1
    [summary] = mine["items"]
    assert (summary["id"], summary["status"], summary["building"]["address"]) == (
        meeting.pk,
        "voting",
        "ул. Профсоюзная, д. 43",
    )
    assert summary["voting_starts_at"] and summary["notice_published_at"]
    administered = client.get("/api/v1/house/meetings", **bearer(house.admin)).json()
    assert {m["id"] for m in administered["items"]} == {meeting.pk, draft.pk}
    for nobody in (house.tenant, house.stranger):
        assert client.get("/api/v1/house/meetings", **bearer(nobody)).json() == {
            "count": 0,
            "items": [],
        }


def test_the_list_needs_signing_in(client, house):
    answer = client.get("/api/v1/house/meetings")
    assert answer.status_code == 401
    assert answer.json()["code"] == "not_authenticated"


def test_a_meeting_with_its_agenda_item_ids_and_my_state(client, house):
    meeting = a_meeting(house)
    answer = client.get(f"/api/v1/house/meetings/{meeting.pk}", **bearer(house.owner))
    assert answer.status_code == 200
    body = answer.json()
    assert body["title"] == meeting.title
    assert body["administrator_name"] == "Ольга Управдомова"
    assert [(i["id"], i["number"], i["decision_type"]) for i in body["items"]] == [
        (item.pk, item.number, "majority_of_participants")
        for item in meeting.items.order_by("number")
    ]
    assert (body["is_voter"], body["can_vote"], body["my_ballot"]) == (True, True, None)
    admin_view = client.get(f"/api/v1/house/meetings/{meeting.pk}", **bearer(house.admin)).json()
    assert (admin_view["is_voter"], admin_view["can_vote"]) == (False, False)


@pytest.mark.parametrize("who", ["tenant", "stranger"])
def test_a_meeting_i_may_not_see_is_not_found(client, house, who):
    meeting = a_meeting(house)
    person = getattr(house, who)
    for url in (
        f"/api/v1/house/meetings/{meeting.pk}",
        f"/api/v1/house/meetings/{meeting.pk}/results",
    ):
        answer = client.get(url, **bearer(person))
        assert answer.status_code == 404
        assert answer.json()["code"] == "not_found"
    answer = cast(client, person, meeting, all_items(meeting, "for", "for"))
    assert answer.status_code == 404
    assert not MeetingBallot.objects.exists()


def test_an_owner_does_not_see_a_draft(client, house):
    draft = a_meeting(house, notice=False, voting=False)
    assert (
        client.get(f"/api/v1/house/meetings/{draft.pk}", **bearer(house.owner)).status_code == 404
    )
    assert (
        client.get(f"/api/v1/house/meetings/{draft.pk}", **bearer(house.admin)).status_code == 200
    )


# --- Voting ------------------------------------------------------------------------------------


def test_an_owner_votes_and_gets_the_ballot(client, house):
    meeting = a_meeting(house)
    answer = cast(client, house.owner, meeting, all_items(meeting, "for", "against"), key="k-1")
    assert answer.status_code == 201
    body = answer.json()
    ballot = MeetingBallot.objects.get()
    assert (body["id"], body["leaf_hash"], body["channel"]) == (
        ballot.public_id,
        ballot.leaf_hash,
        "electronic",
    )
    assert body["cast_at"]
    items = list(meeting.items.order_by("number"))
    assert body["decisions"] == [
        {"item_id": items[0].pk, "number": 1, "choice": "for"},
        {"item_id": items[1].pk, "number": 2, "choice": "against"},
    ]
    assert ballot.decisions == {"1": "for", "2": "against"}
    detail = client.get(f"/api/v1/house/meetings/{meeting.pk}", **bearer(house.owner)).json()
    assert detail["can_vote"] is False
    assert detail["my_ballot"]["id"] == ballot.public_id


def test_a_replay_with_the_same_key_returns_the_same_ballot(client, house):
    meeting = a_meeting(house)
    first = cast(client, house.owner, meeting, all_items(meeting, "for", "for"), key="same")
    again = cast(client, house.owner, meeting, all_items(meeting, "for", "for"), key="same")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert MeetingBallot.objects.count() == 1


def test_a_second_vote_is_409_already_voted_with_the_standing_ballot(client, house):
    meeting = a_meeting(house)
    first = cast(client, house.owner, meeting, all_items(meeting, "for", "for"), key="one")
    second = cast(client, house.owner, meeting, all_items(meeting, "against", "against"), key="two")
    assert second.status_code == 409
    body = second.json()
    assert body["code"] == "already_voted"
    assert body["message"]
    assert body["ballot"]["id"] == first.json()["id"]
    assert [d["choice"] for d in body["ballot"]["decisions"]] == ["for", "for"]
    assert MeetingBallot.objects.count() == 1


def test_someone_not_in_the_register_may_not_vote(client, house):
    meeting = a_meeting(house)
    answer = cast(client, house.admin, meeting, all_items(meeting, "for", "for"))
    assert answer.status_code == 403
    assert answer.json()["code"] == "not_an_owner"
    assert not MeetingBallot.objects.exists()


def test_voting_outside_the_window_is_409_voting_closed(client, house):
    waiting = a_meeting(house, voting=False)
    answer = cast(client, house.owner, waiting, all_items(waiting, "for", "for"))
    assert answer.status_code == 409
    assert answer.json()["code"] == "voting_closed"
    over = close(a_meeting(house), house.admin)
    answer = cast(client, house.owner, over, all_items(over, "for", "for"))
    assert (answer.status_code, answer.json()["code"]) == (409, "voting_closed")
    assert not MeetingBallot.objects.exists()


def test_a_missing_unknown_or_repeated_item_is_422_on_decisions(client, house):
    meeting = a_meeting(house)
    other = a_meeting(house)
    [first, second] = all_items(meeting, "for", "for")
    foreign = all_items(other, "for", "for")[0]["item_id"]
    cases = {
        "missing": [first],
        "unknown": [first, second, {"item_id": foreign, "choice": "for"}],
        "repeated": [first, second, {**first, "choice": "against"}],
    }
    for name, decisions in cases.items():
        answer = cast(client, house.owner, meeting, decisions)
        assert answer.status_code == 422, name
        body = answer.json()
        assert body["field"] == "decisions", name
        assert body["message"], name
    bad_choice = cast(client, house.owner, meeting, [first, {**second, "choice": "maybe"}])
    assert bad_choice.status_code == 422
    assert bad_choice.json()["field"] == "decisions.1.choice"
    assert not MeetingBallot.objects.exists()


def test_a_malformed_body_is_400_or_422(client, house):
    meeting = a_meeting(house)
    answer = client.post(
        f"/api/v1/house/meetings/{meeting.pk}/votes",
        "{not json",
        content_type="application/json",
        **bearer(house.owner),
    )
    assert answer.status_code in (400, 422)
    assert answer.json()["code"]
    assert not MeetingBallot.objects.exists()


# --- Results -----------------------------------------------------------------------------------


def test_results_only_once_voting_has_ended(client, house):
    meeting = a_meeting(house)
    vote(meeting, house.owner, "for", "against")
    answer = client.get(f"/api/v1/house/meetings/{meeting.pk}/results", **bearer(house.owner))
    assert answer.status_code == 409
    assert answer.json()["code"] == "not_counted"


def test_the_results_have_the_quorum_and_each_items_outcome(client, house):
    third_owner = house.stranger
    house.building.premises.get(number="3").ownerships.update(owner=third_owner)
    meeting = a_meeting(house)
    vote(meeting, house.owner, "for", "against")  # 60 m²
    vote(meeting, third_owner, "for", "abstain")  # 100 m²
    close(meeting, house.admin)
    answer = client.get(f"/api/v1/house/meetings/{meeting.pk}/results", **bearer(house.second))
    assert answer.status_code == 200
    body = answer.json()
    assert {k: body[k] for k in ("total_area", "participating_area", "participating_percent")} == {
        "total_area": "200.00",
        "participating_area": "160.00",
        "participating_percent": "80.00",
    }
    assert (body["quorum"], body["participating_owners"], body["owners_total"]) == (True, 2, 3)
    one, two = body["items"]
    assert (one["for_area"], one["for_percent"], one["adopted"]) == ("160.00", "100.00", True)
    assert (two["against_area"], two["abstain_area"], two["adopted"]) == ("60.00", "100.00", False)
    assert (two["against_percent"], two["abstain_percent"]) == ("37.50", "62.50")
    assert one["id"] == meeting.items.get(number=1).pk
