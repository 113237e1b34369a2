"""The Votes API (API.md): polls for me, a poll, casting with Idempotency-Key, my ballots."""

import json
from datetime import timedelta

import pytest
from django.test import Client

from activecitizen.accounts.services import issue_api_token
from activecitizen.core.testing.wsgi import WsgiClient
from activecitizen.geo.models import District
from activecitizen.polls import services
from activecitizen.polls.models import Ballot, Participation, Poll
from activecitizen.polls.tests.factories import first_answers, make_poll, make_resident
from activecitizen.rewards.models import PointsAccount

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["django", "wsgi"])
def client(request):
    """Each test twice: through Django's handler, and through the site's WSGI application,
    where the app's ballots take their own lane (polls/fast_ballots.py)."""
    return Client() if request.param == "django" else WsgiClient()


@pytest.fixture
def voter():
    return make_resident()


@pytest.fixture
def auth(voter):
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_api_token(user=voter, device='t')[1]}"}


def cast(client, auth, poll, answers=None, key=None):
    headers = dict(auth)
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(
        f"/api/v1/polls/{poll.pk}/ballots",
        json.dumps({"answers": answers if answers is not None else first_answers(poll)}),
        content_type="application/json",
        **headers,
    )


def test_open_polls_for_me_exclude_other_districts(client, auth, voter):
    mine = make_poll(title="Мой двор", districts=[voter.home_district])
    other = District.objects.exclude(pk=voter.home_district_id).first()
    make_poll(title="Чужой двор", districts=[other])
    city = make_poll(title="Весь город")
    make_poll(title="Закрыт", status=Poll.Status.CLOSED)
    body = client.get("/api/v1/polls?state=open", **auth).json()
    assert {p["title"] for p in body["items"]} == {mine.title, city.title}
    assert body["count"] == 2
    assert all(p["can_vote"] and not p["voted"] for p in body["items"])


def test_poll_detail_says_why_not(client, auth, voter):
    other = District.objects.exclude(pk=voter.home_district_id).first()
    poll = make_poll(districts=[other], free_text_last=True)
    body = client.get(f"/api/v1/polls/{poll.pk}", **auth).json()
    assert body["can_vote"] is False
    assert len(body["why_not"]) == 1  # the district rule, said in the person's language
    [question] = body["questions"]
    assert question["kind"] == "single"
    assert [o["free_text"] for o in question["options"]] == [False, False, True]


def test_cast_gives_a_receipt_then_409_with_the_same_receipt(client, auth, voter):
    poll = make_poll()
    first = cast(client, auth, poll)
    assert first.status_code == 201, first.content
    receipt = first.json()
    assert set(receipt) == {
        "poll_id",
        "origin",
        "ballot_id",
        "ballot_hash",
        "leaf_hash",
        "cast_at",
        "channel",
        "promise",
        "max_merge_delay",
    }
    assert receipt["channel"] == "app"
    again = cast(client, auth, poll)
    assert again.status_code == 409
    assert again.json()["code"] == "already_voted"
    assert again.json()["receipt"]["ballot_id"] == receipt["ballot_id"]
    assert Ballot.objects.count() == 1
    assert PointsAccount.objects.get(user=voter).balance == poll.points


def test_idempotency_key_replays_the_201(client, auth):
    poll = make_poll()
    first = cast(client, auth, poll, key="abc-1")
    replay = cast(client, auth, poll, key="abc-1")
    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert cast(client, auth, poll, key="abc-2").status_code == 409


@pytest.mark.parametrize(
    ("answers", "status", "code"),
    [
        ([], 422, "missing_answer"),
        ([{"question_id": 999999, "option_ids": [1]}], 422, "unknown_question"),
        ("not a list", 422, "invalid"),
        ([{"question_id": "x", "option_ids": []}], 422, "invalid"),
    ],
)
def test_bad_ballots_are_4xx_and_write_nothing(client, auth, answers, status, code):
    poll = make_poll()
    answer = cast(client, auth, poll, answers=answers)
    assert answer.status_code == status
    assert answer.json()["code"] == code
    assert not Participation.objects.exists() and not Ballot.objects.exists()


def test_too_many_and_too_few_choices(client, auth):
    poll = make_poll(
        kind="multiple",
        min_choices=2,
        max_choices=2,
        questions=[("Что важно?", ["Свет", "Лавки", "Урны", "Деревья"])],
    )
    q = poll.questions.get()
    ids = list(q.options.values_list("pk", flat=True))
    one = cast(client, auth, poll, answers=[{"question_id": q.pk, "option_ids": ids[:1]}])
    assert (one.status_code, one.json()["code"]) == (422, "too_few_choices")
    three = cast(client, auth, poll, answers=[{"question_id": q.pk, "option_ids": ids[:3]}])
    assert (three.status_code, three.json()["code"]) == (422, "too_many_choices")
    assert (
        cast(client, auth, poll, answers=[{"question_id": q.pk, "option_ids": ids[:2]}]).status_code
        == 201
    )


def test_own_answer_text_rules(client, auth):
    poll = make_poll(free_text_last=True)
    q = poll.questions.get()
    own = q.options.get(free_text=True)
    plain = q.options.filter(free_text=False).first()
    no_text = cast(client, auth, poll, answers=[{"question_id": q.pk, "option_ids": [own.pk]}])
    assert no_text.json()["code"] == "missing_text"
    stray = cast(
        client, auth, poll, answers=[{"question_id": q.pk, "option_ids": [plain.pk], "text": "x"}]
    )
    assert stray.json()["code"] == "unexpected_text"
    long = cast(
        client,
        auth,
        poll,
        answers=[{"question_id": q.pk, "option_ids": [own.pk], "text": "я" * 1001}],
    )
    assert long.json()["code"] == "too_long"
    assert not Ballot.objects.exists()
    ok = cast(
        client, auth, poll, answers=[{"question_id": q.pk, "option_ids": [own.pk], "text": "Дубы"}]
    )
    assert ok.status_code == 201
    assert poll.free_texts.get().text == "Дубы"


def test_not_open_and_closed_are_409(client, auth):
    later = make_poll(status=Poll.Status.OPEN, opens_in=timedelta(days=1))
    assert cast(client, auth, later).json()["code"] == "poll_not_open"
    closed = make_poll(status=Poll.Status.CLOSED)
    answer = cast(client, auth, closed)
    assert (answer.status_code, answer.json()["code"]) == (409, "poll_closed")


def test_outsider_is_403(client, auth, voter):
    other = District.objects.exclude(pk=voter.home_district_id).first()
    poll = make_poll(districts=[other])
    answer = cast(client, auth, poll)
    assert (answer.status_code, answer.json()["code"]) == (403, "not_in_audience")


def test_drafts_are_404(client, auth):
    draft = make_poll(status=Poll.Status.DRAFT)
    assert client.get(f"/api/v1/polls/{draft.pk}", **auth).status_code == 404
    assert cast(client, auth, draft).status_code == 404


def test_my_ballots_show_receipts_and_whether_counted(client, auth, settings):
    settings.POLLS_TALLY_ON_CAST = False
    poll = make_poll()
    receipt = cast(client, auth, poll).json()
    mine = client.get("/api/v1/me/ballots", **auth).json()
    assert mine["count"] == 1
    assert mine["items"][0]["receipt"] == receipt
    assert mine["items"][0]["status"] == "waiting"
    assert (mine["items"][0]["log_index"], mine["items"][0]["checkpoint_size"]) == (None, None)
    services.tally()
    item = client.get("/api/v1/me/ballots", **auth).json()["items"][0]
    assert (item["status"], item["log_index"], item["checkpoint_size"]) == ("included", 0, 1)


def test_polls_need_sign_in(client):
    assert client.get("/api/v1/polls").status_code == 401


def test_a_profile_change_takes_effect_on_the_next_request(client, auth, voter):
    # The app's requests find their person in the cache; changing the profile must not wait.
    other = District.objects.exclude(pk=voter.home_district_id).first()
    poll = make_poll(districts=[other])
    assert cast(client, auth, poll).status_code == 403
    changed = client.patch(
        "/api/v1/me", json.dumps({"district_id": other.pk}), content_type="application/json", **auth
    )
    assert changed.status_code == 200
    assert cast(client, auth, poll).status_code == 201


def test_a_blocked_person_is_signed_out_at_once(client, auth, voter):
    from activecitizen.accounts.services import forget_person

    assert client.get("/api/v1/polls", **auth).status_code == 200
    User = type(voter)
    User.objects.filter(pk=voter.pk).update(is_active=False)
    forget_person(voter.pk)  # what the admin's save does
    assert client.get("/api/v1/polls", **auth).status_code == 401


@pytest.mark.parametrize("path", ["/api/v1/polls", "/api/v1/me/ballots"])
def test_a_huge_offset_is_422_not_a_crash(client, auth, path):
    answer = client.get(path, {"offset": 10**30}, **auth)
    assert answer.status_code == 422
    assert answer.json()["field"] == "offset"


@pytest.mark.parametrize("header", [None, "Bearer not-a-token", "Bearer revoked", "Bearer blocked"])
def test_casting_without_a_live_token_is_401_and_writes_nothing(client, voter, header):
    # The app's token is read inside the ballot's statement: a token that finds nobody must
    # still be told apart from "not in the audience" and write nothing.
    from activecitizen.accounts.services import forget_person, revoke_api_token

    token, raw = issue_api_token(user=voter, device="t")
    if header == "Bearer revoked":
        revoke_api_token(user=voter, token_id=token.pk)
        header = f"Bearer {raw}"
    elif header == "Bearer blocked":
        type(voter).objects.filter(pk=voter.pk).update(is_active=False)
        forget_person(voter.pk)
        header = f"Bearer {raw}"
    poll = make_poll()
    answer = cast(client, {"HTTP_AUTHORIZATION": header} if header else {}, poll)
    assert answer.status_code == 401
    if header:
        assert answer.json()["code"] == "not_authenticated"
    assert not Participation.objects.exists()
    assert not Ballot.objects.exists()
    assert not PointsAccount.objects.filter(user=voter, balance__gt=0).exists()


def test_a_ballot_marks_its_token_used_at_most_hourly(client, voter):
    from django.utils import timezone

    from activecitizen.accounts.models import ApiToken

    token, raw = issue_api_token(user=voter, device="t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    two_hours_ago = timezone.now() - timedelta(hours=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=two_hours_ago)
    assert cast(client, auth, make_poll()).status_code == 201
    token.refresh_from_db()
    assert token.last_used_at > timezone.now() - timedelta(minutes=1)

    ten_minutes_ago = timezone.now() - timedelta(minutes=10)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=ten_minutes_ago)
    assert cast(client, auth, make_poll()).status_code == 201
    token.refresh_from_db()
    assert token.last_used_at == ten_minutes_ago
