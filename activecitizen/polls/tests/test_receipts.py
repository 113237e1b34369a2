"""Receipts and their proofs: the signed promise in every receipt, "waiting" then "included"
in My votes, the proof bundle (verify.py's activecitizen-receipt/1) for its owner only, and
results that name the signed checkpoint they are the tally of."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from activecitizen import verify
from activecitizen.accounts.services import issue_api_token
from activecitizen.polls import results, selectors, services
from activecitizen.polls.api import receipt_dict
from activecitizen.polls.models import Participation, Poll
from activecitizen.polls.tests.factories import first_answers, make_poll, make_resident
from activecitizen.transparency import merkle
from activecitizen.transparency import services as transparency
from activecitizen.transparency.models import Checkpoint
from activecitizen.transparency.notes import (
    Checkpoint as CheckpointNote,
)
from activecitizen.transparency.notes import (
    CosignatureSigner,
    NoteError,
    Signer,
    Verifier,
    generate_cosigner,
    generate_signer,
    open_promise,
)

pytestmark = pytest.mark.django_db

BUNDLE_KEYS = {
    "format",
    "origin",
    "ballot_id",
    "leaf_hash",
    "promise",
    "index",
    "tree_size",
    "inclusion_path",
    "checkpoint",
}


@pytest.fixture(autouse=True)
def _seal_only_when_told(settings):
    # Ballots wait in the queue until a test calls tally(), as they do between two seals.
    settings.POLLS_TALLY_ON_CAST = False


@pytest.fixture
def voter():
    return make_resident()


@pytest.fixture
def auth(voter):
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_api_token(user=voter, device='t')[1]}"}


def log_key() -> Verifier:
    return Verifier.from_vkey(transparency.public_key())


def cast(client, auth, poll, answers=None):
    return client.post(
        f"/api/v1/polls/{poll.pk}/ballots",
        json.dumps({"answers": answers if answers is not None else first_answers(poll)}),
        content_type="application/json",
        **auth,
    )


def proof(client, auth, ballot_id):
    return client.get(f"/api/v1/me/ballots/{ballot_id}/proof", **auth)


# --- The promise in the receipt -----------------------------------------------------------------


def test_the_201_receipt_carries_a_promise_signed_by_the_log(client, auth, settings):
    settings.TRANSPARENCY_MERGE_DELAY = 15
    poll = make_poll()
    answer = cast(client, auth, poll)
    assert answer.status_code == 201, answer.content
    receipt = answer.json()
    assert receipt["origin"] == poll.origin
    assert receipt["max_merge_delay"] == 15
    promised = open_promise(receipt["promise"], log_key())
    assert promised.origin == poll.origin
    assert promised.ballot_id == receipt["ballot_id"]
    assert promised.leaf_hash.hex() == receipt["leaf_hash"]
    assert promised.max_merge_delay == 15
    participation = Participation.objects.get()
    assert promised.timestamp == int(participation.cast_at.timestamp())
    assert promised.leaf_hash.hex() == participation.leaf_hash


def test_a_promise_signed_by_another_key_does_not_verify(client, auth):
    poll = make_poll()
    receipt = cast(client, auth, poll).json()
    stranger = Signer.from_skey(generate_signer(transparency.log_signer().name)[0])
    with pytest.raises(NoteError):
        open_promise(receipt["promise"], stranger.verifier())


def test_the_409_already_voted_carries_the_same_promise(client, auth):
    poll = make_poll()
    first = cast(client, auth, poll).json()
    again = cast(client, auth, poll)
    assert again.status_code == 409
    assert again.json()["code"] == "already_voted"
    # Ed25519 is deterministic: the receipt shown again is the very same text.
    assert again.json()["receipt"] == first


def test_the_promise_costs_no_query(django_assert_num_queries):
    # The 201 path adds one signature and nothing else: the origin comes from the poll's id.
    poll = make_poll()
    receipt = services.cast_ballot(
        poll_id=poll.pk, user=make_resident(), answers=first_answers(poll), channel="web"
    )
    again = Participation.objects.get()
    with django_assert_num_queries(0):
        answer = receipt_dict(receipt)
        shown_again = receipt_dict(services.Receipt.of(again))
    assert answer == shown_again
    assert open_promise(answer["promise"], log_key()).ballot_id == receipt.ballot_id


# --- My votes: waiting, then included -----------------------------------------------------------


def test_my_ballots_are_waiting_then_included(client, auth, voter):
    polls = [make_poll(title=f"Опрос {n}") for n in range(3)]
    receipts = [cast(client, auth, poll).json() for poll in polls]
    # Someone else's ballot first in the second poll's log: indexes are per log.
    services.cast_ballot(
        poll_id=polls[1].pk,
        user=make_resident("+79160000009"),
        answers=first_answers(polls[1]),
        channel="web",
    )
    mine = client.get("/api/v1/me/ballots", **auth).json()
    assert [i["status"] for i in mine["items"]] == ["waiting"] * 3
    assert {(i["log_index"], i["checkpoint_size"]) for i in mine["items"]} == {(None, None)}
    services.tally(poll_id=polls[0].pk)
    services.tally(poll_id=polls[1].pk)
    items = {i["poll_id"]: i for i in client.get("/api/v1/me/ballots", **auth).json()["items"]}
    assert (items[polls[0].pk]["status"], items[polls[0].pk]["log_index"]) == ("included", 0)
    assert items[polls[0].pk]["checkpoint_size"] == 1
    # The voter cast first in the second poll: index 0 of 2.
    assert (items[polls[1].pk]["log_index"], items[polls[1].pk]["checkpoint_size"]) == (0, 2)
    assert (items[polls[2].pk]["status"], items[polls[2].pk]["log_index"]) == ("waiting", None)
    assert {i["receipt"]["ballot_id"] for i in items.values()} == {r["ballot_id"] for r in receipts}


def test_my_ballots_read_the_checkpoints_in_one_query(client, auth, voter):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    polls = [make_poll(title=f"Опрос {n}") for n in range(4)]
    for poll in polls:
        cast(client, auth, poll)
    services.tally()
    client.get("/api/v1/me/ballots?limit=1", **auth)  # the token's person is cached after this
    with CaptureQueriesContext(connection) as one:
        client.get("/api/v1/me/ballots?limit=1", **auth)
    with CaptureQueriesContext(connection) as four:
        client.get("/api/v1/me/ballots?limit=4", **auth)
    assert len(four) == len(one)
    assert sum("transparency_checkpoint" in q["sql"] for q in four.captured_queries) == 1


def test_the_pages_say_waiting_then_included(client, voter, settings):
    settings.TRANSPARENCY_MERGE_DELAY = 10
    client.force_login(voter)
    poll = make_poll(title="Фестиваль варенья")
    services.cast_ballot(poll_id=poll.pk, user=voter, answers=first_answers(poll), channel="web")
    ballot_id = Participation.objects.get().ballot_public_id
    english = {"HTTP_ACCEPT_LANGUAGE": "en"}
    for url in ("/polls/my-votes/", f"/polls/{poll.pk}/receipt/"):
        page = client.get(url, **english).content.decode()
        assert "waiting to be sealed (within 10 s)" in page
    receipt_page = client.get(f"/polls/{poll.pk}/receipt/", **english).content.decode()
    assert f'href="/polls/my/{ballot_id}/proof.json"' in receipt_page
    assert "Download proof bundle" in receipt_page
    services.tally()
    for url in ("/polls/my-votes/", f"/polls/{poll.pk}/receipt/"):
        page = client.get(url, **english).content.decode()
        assert "included at index 0 under checkpoint of size 1" in page


# --- The proof bundle ---------------------------------------------------------------------------


def test_the_bundle_has_nulls_until_sealed_then_verifies(client, auth, voter):
    poll = make_poll()
    for n in range(4):  # others before: the voter's ballot is not the only leaf
        services.cast_ballot(
            poll_id=poll.pk,
            user=make_resident(f"+7916000001{n}"),
            answers=first_answers(poll),
            channel="web",
        )
    receipt = cast(client, auth, poll).json()
    waiting = proof(client, auth, receipt["ballot_id"])
    assert waiting.status_code == 200
    assert waiting["Content-Disposition"] == (
        f'attachment; filename="receipt-{receipt["ballot_id"]}.json"'
    )
    bundle = waiting.json()
    assert set(bundle) == BUNDLE_KEYS
    assert bundle == {
        "format": "activecitizen-receipt/1",
        "origin": poll.origin,
        "ballot_id": receipt["ballot_id"],
        "leaf_hash": receipt["leaf_hash"],
        "promise": receipt["promise"],
        "index": None,
        "tree_size": None,
        "inclusion_path": None,
        "checkpoint": None,
    }
    services.tally(poll_id=poll.pk)
    # Ballots after it: the proof is against the latest checkpoint, which is larger.
    services.cast_ballot(
        poll_id=poll.pk,
        user=make_resident("+79160000020"),
        answers=first_answers(poll),
        channel="web",
    )
    services.tally(poll_id=poll.pk)
    bundle = proof(client, auth, receipt["ballot_id"]).json()
    assert set(bundle) == BUNDLE_KEYS
    assert (bundle["index"], bundle["tree_size"]) == (4, 6)
    checkpoint, _opened = CheckpointNote.open(bundle["checkpoint"], log_key())
    assert (checkpoint.origin, checkpoint.size) == (poll.origin, 6)
    leaf = bytes.fromhex(bundle["leaf_hash"])
    path = [bytes.fromhex(h) for h in bundle["inclusion_path"]]
    assert merkle.verify_inclusion(
        bundle["index"], bundle["tree_size"], leaf, path, checkpoint.root
    )
    assert not merkle.verify_inclusion(3, 6, leaf, path, checkpoint.root)
    assert open_promise(bundle["promise"], log_key()).leaf_hash == leaf
    # The offline verifier reads it as a receipt.
    parsed = verify.parse_receipt(bundle)
    assert (parsed.index, parsed.tree_size, parsed.leaf_hash) == (4, 6, leaf)


def test_the_bundle_carries_witnesses_cosignatures(client, auth, settings):
    skey, vkey = generate_cosigner("witness.example/w1")
    settings.TRANSPARENCY_WITNESS_KEYS = [vkey]
    transparency.witness_verifiers.cache_clear()
    try:
        poll = make_poll()
        receipt = cast(client, auth, poll).json()
        services.tally(poll_id=poll.pk)
        signed = Checkpoint.objects.get()
        line = CosignatureSigner.from_skey(skey).cosign(
            signed.note[: signed.note.index("\n\n") + 1], int(timezone.now().timestamp())
        )
        transparency.add_cosignature(
            origin_id=f"poll-{poll.pk}", checkpoint_note_text=signed.note, line=line
        )
        bundle = proof(client, auth, receipt["ballot_id"]).json()
    finally:
        transparency.witness_verifiers.cache_clear()
    assert bundle["checkpoint"] == signed.note + line
    witness = CosignatureSigner.from_skey(skey).verifier()
    _checkpoint, opened = CheckpointNote.open(bundle["checkpoint"], log_key(), [witness])
    assert opened.verified_by(witness) is not None


def test_the_page_download_is_the_same_bundle(client, auth, voter):
    poll = make_poll()
    receipt = cast(client, auth, poll).json()
    services.tally()
    client.force_login(voter)
    page = client.get(f"/polls/my/{receipt['ballot_id']}/proof.json")
    assert page.status_code == 200
    assert page["Content-Type"] == "application/json"
    assert page["Content-Disposition"] == (
        f'attachment; filename="receipt-{receipt["ballot_id"]}.json"'
    )
    assert json.loads(page.content) == proof(client, auth, receipt["ballot_id"]).json()
    assert json.loads(page.content)["index"] == 0


def test_another_persons_ballot_is_404(client, auth, voter):
    poll = make_poll()
    services.cast_ballot(
        poll_id=poll.pk,
        user=make_resident("+79160000030"),
        answers=first_answers(poll),
        channel="web",
    )
    theirs = Participation.objects.get().ballot_public_id
    answer = proof(client, auth, theirs)
    assert (answer.status_code, answer.json()["code"]) == (404, "ballot_not_found")
    assert proof(client, auth, "0" * 32).status_code == 404
    client.force_login(voter)
    assert client.get(f"/polls/my/{theirs}/proof.json").status_code == 404
    assert client.get("/polls/my/not-a-ballot/proof.json").status_code == 404


@pytest.mark.parametrize("bad", ["abc", "G" * 32, "0" * 33, "%00" * 4])
def test_a_malformed_ballot_id_is_a_clean_4xx(client, auth, bad):
    answer = proof(client, auth, bad)
    assert 400 <= answer.status_code < 500
    assert "code" in answer.json()


def test_the_bundle_needs_sign_in(client, voter):
    poll = make_poll()
    services.cast_ballot(poll_id=poll.pk, user=voter, answers=first_answers(poll), channel="web")
    ballot_id = Participation.objects.get().ballot_public_id
    assert proof(client, {}, ballot_id).status_code == 401
    page = client.get(f"/polls/my/{ballot_id}/proof.json")
    assert page.status_code == 302 and "sign-in" in page["Location"]


# --- Results and their checkpoint ---------------------------------------------------------------


def test_counted_ballots_equal_the_latest_checkpoint_size(settings):
    poll = make_poll()
    people = [make_resident(f"+7916000004{n}") for n in range(5)]
    for n, person in enumerate(people):
        services.cast_ballot(
            poll_id=poll.pk, user=person, answers=first_answers(poll), channel="web"
        )
        if n % 2:
            services.tally(poll_id=poll.pk, batch=1)
        poll.refresh_from_db()
        latest = transparency.latest_checkpoint(selectors.poll_log(poll))
        # Sealing and folding are one transaction: counts are always a signed checkpoint's.
        assert poll.ballots_counted == (latest.size if latest else 0)
    services.tally()
    poll.refresh_from_db()
    assert poll.ballots_counted == 5
    assert transparency.latest_checkpoint(selectors.poll_log(poll)).size == 5


def test_the_results_api_names_its_checkpoint(client, auth):
    poll = make_poll()
    answer = client.get(f"/api/v1/polls/{poll.pk}/results", **auth)
    assert answer.status_code == 200
    assert answer.json()["checkpoint"] is None
    cast(client, auth, poll)
    services.tally()
    body = client.get(f"/api/v1/polls/{poll.pk}/results", **auth).json()
    assert body["total"] == 1
    assert set(body["checkpoint"]) == {"size", "note"}
    assert body["checkpoint"]["size"] == 1
    checkpoint, _opened = CheckpointNote.open(body["checkpoint"]["note"], log_key())
    assert (checkpoint.origin, checkpoint.size) == (poll.origin, 1)


def test_the_results_page_links_to_the_checkpoint(client, auth):
    poll = make_poll(results_visibility=Poll.Results.LIVE)
    cast(client, auth, poll)
    services.tally()
    poll.refresh_from_db()
    root = bytes(Checkpoint.objects.get().root).hex()
    page = client.get(f"/polls/{poll.pk}/results/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Counted from the signed log: 1 ballot, checkpoint" in page
    assert f'href="/api/v1/transparency/logs/poll-{poll.pk}/checkpoint"' in page
    assert root[:16] in page
    assert results.checkpoint_url(poll.pk) == f"/api/v1/transparency/logs/poll-{poll.pk}/checkpoint"


def test_a_poll_without_ballots_shows_no_checkpoint(client):
    poll = make_poll(results_visibility=Poll.Results.LIVE)
    page = client.get(f"/polls/{poll.pk}/results/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Counted from the signed log" not in page
