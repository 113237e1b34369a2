"""The public transparency API against real ballots: what it serves verifies with the log key
and RFC 9162, bad input is a 4xx in the API's error shape that writes nothing, witnesses'
cosignatures are kept and published, and a closed poll's export passes the offline verifier
(and a tampered one fails it)."""

from __future__ import annotations

import base64
import gzip
import io
import json
import time
import urllib.error
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from activecitizen import verify, witness
from activecitizen.polls import services as polls
from activecitizen.polls.models import Option, Poll, Question
from activecitizen.polls.tests.factories import first_answers, make_poll, make_resident
from activecitizen.transparency import merkle, services
from activecitizen.transparency.models import Checkpoint, Cosignature, Entry, Log
from activecitizen.transparency.notes import (
    Checkpoint as CheckpointNote,
)
from activecitizen.transparency.notes import (
    CosignatureSigner,
    CosignatureVerifier,
    Verifier,
    generate_cosigner,
)

pytestmark = pytest.mark.django_db

API = "/api/v1/transparency"


@dataclass
class Voted:
    poll: Poll
    log: Log
    leaf_hashes: list[str]
    sizes: list[int]  # the size of each checkpoint signed, in order

    @property
    def base(self) -> str:
        return f"{API}/logs/{self.log.origin_id}"


def _vote(poll: Poll, voters: int, *, seal_every: int = 3, first_phone: int = 0) -> Voted:
    """`voters` real ballots, sealed a few at a time so that the log has several checkpoints."""
    leaf_hashes: list[str] = []
    sizes: list[int] = []
    for n in range(voters):
        voter = make_resident(f"+7916100{first_phone + n:04d}")
        receipt = polls.cast_ballot(
            poll_id=poll.pk, user=voter, answers=first_answers(poll), channel="web"
        )
        leaf_hashes.append(receipt.leaf_hash)
        if (n + 1) % seal_every == 0 or n + 1 == voters:
            polls.tally(poll_id=poll.pk)
            sizes.append(n + 1)
    return Voted(poll, Log.objects.get(origin_id=f"poll-{poll.pk}"), leaf_hashes, sizes)


@pytest.fixture
def voted() -> Voted:
    return _vote(make_poll(), 7)


def log_verifier() -> Verifier:
    return Verifier.from_vkey(services.public_key())


def assert_error(response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "field"}
    assert body["message"]
    if code is not None:
        assert body["code"] == code
    return body


# --- Checkpoints and proofs --------------------------------------------------------------------


def test_the_checkpoint_verifies_with_the_public_key(client, voted):
    response = client.get(f"{voted.base}/checkpoint")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    checkpoint, _opened = CheckpointNote.open(response.content.decode(), log_verifier())
    assert (checkpoint.origin, checkpoint.size) == (voted.poll.origin, 7)
    assert checkpoint.root == merkle.root_from_leaf_hashes(
        [bytes.fromhex(h) for h in voted.leaf_hashes]
    )
    # The key is published twice: in the API and where verifiers look without it.
    key = client.get(f"{API}/key").json()
    assert key["vkey"] == services.public_key()
    assert key["witness_keys"] == []
    well_known = client.get("/.well-known/activecitizen-log-key")
    assert well_known.status_code == 200
    assert well_known["Content-Type"] == "text/plain; charset=utf-8"
    assert well_known.content.decode().strip() == services.public_key()


def test_every_ballot_has_an_inclusion_proof_against_the_checkpoint(client, voted):
    checkpoint, _ = CheckpointNote.open(
        client.get(f"{voted.base}/checkpoint").content.decode(), log_verifier()
    )
    for index, leaf in enumerate(voted.leaf_hashes):
        # A receipt knows its leaf hash; receipts in upper case hex work too.
        query = leaf.upper() if index % 2 else leaf
        proof = client.get(
            f"{voted.base}/proof/inclusion", {"leaf_hash": query, "tree_size": 7}
        ).json()
        assert (proof["index"], proof["tree_size"], proof["leaf_hash"]) == (index, 7, leaf)
        assert merkle.verify_inclusion(
            index,
            checkpoint.size,
            bytes.fromhex(leaf),
            [bytes.fromhex(p) for p in proof["path"]],
            checkpoint.root,
        )
    # By index, and in the log's current size when no tree size is given.
    by_index = client.get(f"{voted.base}/proof/inclusion", {"index": 4}).json()
    assert (by_index["leaf_hash"], by_index["tree_size"]) == (voted.leaf_hashes[4], 7)


def test_checkpoints_are_consistent_with_each_other(client, voted):
    listed = client.get(f"{voted.base}/checkpoints").json()
    assert listed["count"] == len(voted.sizes) == 3
    assert [c["size"] for c in listed["items"]] == voted.sizes == [3, 6, 7]
    roots = {c["size"]: bytes.fromhex(c["root"]) for c in listed["items"]}
    for c in listed["items"]:
        parsed, _ = CheckpointNote.open(c["note"], log_verifier())
        assert parsed.root == roots[c["size"]]
        assert c["cosignatures"] == []
    for first, second in [(3, 6), (3, 7), (6, 7), (7, 7)]:
        answer = client.get(
            f"{voted.base}/proof/consistency", {"first": first, "second": second}
        ).json()
        assert (answer["first"], answer["second"]) == (first, second)
        assert merkle.verify_consistency(
            first, second, roots[first], roots[second], [bytes.fromhex(p) for p in answer["path"]]
        )
    page = client.get(f"{voted.base}/checkpoints", {"limit": 2, "offset": 2}).json()
    assert [c["size"] for c in page["items"]] == [7]
    assert page["next"] is None


def test_the_log_list_pages_with_absolute_next_links(client):
    for n in range(3):
        _vote(make_poll(title=f"Poll {n}"), 1, first_phone=n * 10)
    make_poll(title="Nobody voted yet")  # no ballots: nothing signed, not listed
    first = client.get(f"{API}/logs", {"limit": 2}).json()
    assert first["count"] == 3
    assert [i["size"] for i in first["items"]] == [1, 1]
    assert first["next"].startswith("http://testserver/api/v1/transparency/logs?")
    second = client.get(first["next"]).json()
    assert len(second["items"]) == 1 and second["next"] is None
    origins = {i["origin_id"]: i["origin"] for i in first["items"] + second["items"]}
    assert all(origin.endswith(f"/poll/{oid.split('-')[1]}") for oid, origin in origins.items())


# --- Entries -----------------------------------------------------------------------------------


def test_entries_page_in_index_order(client, voted):
    whole = client.get(f"{voted.base}/entries").json()
    assert whole["size"] == 7
    assert [e["index"] for e in whole["entries"]] == list(range(7))
    for e in whole["entries"]:
        data = base64.b64decode(e["data"])
        assert merkle.leaf_hash(data).hex() == e["leaf_hash"] == voted.leaf_hashes[e["index"]]
        assert json.loads(data)["poll"] == voted.poll.origin
    part = client.get(f"{voted.base}/entries", {"start": 2, "end": 5}).json()["entries"]
    assert [e["index"] for e in part] == [2, 3, 4]
    # The end is clamped to the log; a start past it is an empty page, not an error.
    assert len(client.get(f"{voted.base}/entries", {"start": 5, "end": 99}).json()["entries"]) == 2
    assert client.get(f"{voted.base}/entries", {"start": 50}).json()["entries"] == []


def test_entries_are_capped_per_request_but_stream_without_a_cap(client, monkeypatch, voted):
    from activecitizen.transparency import api

    monkeypatch.setattr(api, "MAX_ENTRIES", 3)
    monkeypatch.setattr(api, "STREAM_CHUNK", 2)  # several chunks even for 7 entries
    capped = client.get(f"{voted.base}/entries", {"start": 1, "end": 7}).json()["entries"]
    assert [e["index"] for e in capped] == [1, 2, 3]

    streamed = client.get(f"{voted.base}/entries.jsonl")
    assert streamed.status_code == 200
    assert streamed.streaming
    assert streamed["Content-Type"].startswith("application/jsonl")
    lines = b"".join(streamed.streaming_content).decode().splitlines()
    rows = [json.loads(line) for line in lines]
    assert [r["index"] for r in rows] == list(range(7))
    assert [r["leaf_hash"] for r in rows] == voted.leaf_hashes
    assert rows == client.get(f"{voted.base}/entries", {"end": 7}).json()["entries"][:3] + rows[3:]
    tail = client.get(f"{voted.base}/entries.jsonl", {"start": 5, "end": 1000})
    assert [json.loads(x)["index"] for x in b"".join(tail.streaming_content).splitlines()] == [
        5,
        6,
    ]


# --- Bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "query", "status", "code"),
    [
        ("proof/consistency", {"first": -1, "second": 3}, 422, "invalid"),
        ("proof/consistency", {"first": 0, "second": 3}, 422, "invalid"),
        ("proof/consistency", {"first": 6, "second": 3}, 422, "invalid"),
        ("proof/consistency", {"first": 3, "second": 8}, 422, "invalid"),
        ("proof/consistency", {"first": 3, "second": 10**30}, 422, "invalid"),
        ("proof/consistency", {"first": 3}, 422, "required"),
        ("proof/consistency", {"first": "x", "second": 3}, 422, "invalid"),
        ("proof/inclusion", {"index": 0, "tree_size": 8}, 422, "invalid"),
        ("proof/inclusion", {"index": 0, "tree_size": -3}, 422, "invalid"),
        ("proof/inclusion", {"index": -1, "tree_size": 7}, 422, "invalid"),
        ("proof/inclusion", {"index": 5, "tree_size": 3}, 422, "not_in_tree"),
        ("proof/inclusion", {"leaf_hash": "zz" * 32, "tree_size": 7}, 422, "invalid"),
        ("proof/inclusion", {"leaf_hash": "ab" * 31, "tree_size": 7}, 422, "invalid"),
        ("proof/inclusion", {"leaf_hash": "ab" * 32, "tree_size": 7}, 404, "entry_not_found"),
        ("proof/inclusion", {"tree_size": 7}, 422, "required"),
        ("entries", {"start": -1}, 422, "invalid"),
        ("entries", {"start": 5, "end": 2}, 422, "invalid"),
        ("entries.jsonl", {"start": 5, "end": 2}, 422, "invalid"),
        ("checkpoints", {"limit": 0}, 422, "invalid"),
        ("checkpoints", {"offset": -1}, 422, "invalid"),
    ],
)
def test_bad_queries_are_4xx_in_the_error_shape(client, voted, path, query, status, code):
    assert_error(client.get(f"{voted.base}/{path}", query), status, code)


@pytest.mark.parametrize(
    "path",
    [
        "checkpoint",
        "checkpoints",
        "entries",
        "entries.jsonl",
        "proof/inclusion?index=0&tree_size=1",
        "proof/consistency?first=1&second=1",
        "export",
    ],
)
def test_an_unknown_log_is_404(client, voted, path):
    assert_error(client.get(f"{API}/logs/poll-999999/{path}"), 404, "log_not_found")


def test_a_log_without_a_checkpoint_has_no_checkpoint_to_show(client):
    poll = make_poll()
    services.ensure_log(origin=poll.origin, origin_id=f"poll-{poll.pk}", kind="poll")
    assert_error(client.get(f"{API}/logs/poll-{poll.pk}/checkpoint"), 404, "checkpoint_not_found")
    assert_error(
        client.get(f"{API}/logs/poll-{poll.pk}/proof/inclusion", {"index": 0}),
        404,
        "checkpoint_not_found",
    )


# --- Witnesses ---------------------------------------------------------------------------------


@pytest.fixture
def witness_key(settings) -> Iterator[tuple[CosignatureSigner, str]]:
    skey, vkey = generate_cosigner("witness.example/w1")
    settings.TRANSPARENCY_WITNESS_KEYS = [vkey]
    services.witness_verifiers.cache_clear()
    yield CosignatureSigner.from_skey(skey), vkey
    services.witness_verifiers.cache_clear()


def _cosign(client: Client, voted: Voted, signer: CosignatureSigner) -> tuple[str, str]:
    note = client.get(f"{voted.base}/checkpoint").content.decode()
    _checkpoint, opened = CheckpointNote.open(note, log_verifier())
    return note, signer.cosign(opened.text, int(time.time()))


def test_a_configured_witness_cosignature_is_kept_and_published(client, voted, witness_key):
    signer, vkey = witness_key
    note, line = _cosign(client, voted, signer)
    url = f"{voted.base}/cosignatures"
    stored = client.post(url, {"checkpoint": note, "signature": line}, "application/json")
    assert stored.status_code == 201, stored.content
    assert stored.json() == {"witness": "witness.example/w1", "size": 7}
    again = client.post(url, {"checkpoint": note, "signature": line}, "application/json")
    assert again.status_code == 200
    assert Cosignature.objects.count() == 1

    published = client.get(f"{voted.base}/checkpoint").content.decode()
    assert published == note + line
    checkpoint, opened = CheckpointNote.open(
        published, log_verifier(), [CosignatureVerifier.from_vkey(vkey)]
    )
    assert checkpoint.size == 7
    names = [line.name for _v, line in opened.verified]
    assert names == [log_verifier().name, "witness.example/w1"]
    listed = client.get(f"{voted.base}/checkpoints").json()["items"][-1]
    assert [c["witness"] for c in listed["cosignatures"]] == ["witness.example/w1"]
    assert listed["note"] == published
    assert client.get(f"{API}/key").json()["witness_keys"] == [vkey]


def test_bad_cosignatures_are_refused_and_nothing_is_kept(client, voted, witness_key):
    signer, _vkey = witness_key
    note, line = _cosign(client, voted, signer)
    stranger = CosignatureSigner.from_skey(generate_cosigner("stranger.example/w")[0])
    _, strangers_line = _cosign(client, voted, stranger)
    # A valid line for another checkpoint of this log does not verify for this one.
    older = Checkpoint.objects.get(log=voted.log, size=3)
    older_line = signer.cosign(older.note.split("\n\n")[0] + "\n", int(time.time()))
    tampered = line[:-6] + ("AAAAA" if line[-6:-1] != "AAAAA" else "BBBBB") + "\n"
    url = f"{voted.base}/cosignatures"
    cases = [
        ({"checkpoint": note, "signature": strangers_line}, 422),
        ({"checkpoint": note, "signature": older_line}, 422),
        ({"checkpoint": note, "signature": tampered}, 422),
        ({"checkpoint": note, "signature": "not a signature"}, 422),
        ({"checkpoint": "nonsense", "signature": line}, 422),
        ({"checkpoint": note.replace("\n7\n", "\n70\n", 1), "signature": line}, 404),
        ({"checkpoint": note + "x" * 10_001, "signature": line}, 422),
        ({"checkpoint": note}, 422),
    ]
    for body, status in cases:
        assert_error(client.post(url, body, "application/json"), status)
    assert_error(client.post(url, "{not json", "application/json"), 400, "malformed")
    assert_error(
        client.post(
            f"{API}/logs/poll-999999/cosignatures",
            {"checkpoint": note, "signature": line},
            "application/json",
        ),
        404,
        "log_not_found",
    )
    assert not Cosignature.objects.exists()


def test_the_real_witness_cosigns_through_the_api(client, voted, settings, tmp_path):
    """activecitizen.witness, as a newspaper would run it, against this API."""
    skey, vkey = generate_cosigner("witness.example/w2")
    key_file = tmp_path / "witness.key"
    key_file.write_text(skey + "\n")
    settings.TRANSPARENCY_WITNESS_KEYS = [vkey]
    services.witness_verifiers.cache_clear()
    argv = [
        "http://testserver",
        *("--key", str(key_file), "--log-key", services.public_key()),
        *("--state", str(tmp_path / "state"), "--once"),
    ]
    opener = _django_opener(client)
    assert witness.main(argv, opener=opener) == witness.EXIT_OK
    assert Cosignature.objects.get().witness == "witness.example/w2"
    # The log grows: the witness checks consistency with what it cosigned, and cosigns again.
    _vote(voted.poll, 2, first_phone=100)
    assert witness.main(argv, opener=opener) == witness.EXIT_OK
    assert sorted(Cosignature.objects.values_list("checkpoint__size", flat=True)) == [7, 9]
    services.witness_verifiers.cache_clear()


class _Answer(io.BytesIO):
    def __init__(self, status: int, content: bytes) -> None:
        super().__init__(content)
        self.status = status


def _django_opener(client: Client):
    def opener(request, timeout: float):
        url = request.full_url.removeprefix("http://testserver")
        if request.data is None:
            response = client.get(url)
        else:
            response = client.post(url, request.data, "application/json")
        content = b"".join(response.streaming_content) if response.streaming else response.content
        if response.status_code >= 400:
            raise urllib.error.HTTPError(
                request.full_url, response.status_code, "error", {}, io.BytesIO(content)
            )
        return _Answer(response.status_code, content)

    return opener


# --- The export --------------------------------------------------------------------------------


def _poll_with_choices() -> tuple[Poll, dict[str, int]]:
    """A single-choice question with an own answer and an optional multiple-choice one."""
    poll = make_poll(
        title="Парк у реки",
        questions=[("Что посадить?", ["Липы", "Клёны", "Своё"])],
        free_text_last=True,
    )
    multiple = Question.objects.create(
        poll=poll,
        position=1,
        text="Что построить?",
        kind=Question.Kind.MULTIPLE,
        min_choices=1,
        max_choices=2,
        required=False,
    )
    for n, text in enumerate(["Скамейки", "Фонари", "Дорожки"]):
        Option.objects.create(question=multiple, position=n, text=text)
    single = poll.questions.get(position=0)
    ids = {o.text: o.pk for o in Option.objects.filter(question__poll=poll)}
    ids["single"], ids["multiple"] = single.pk, multiple.pk
    return poll, ids


def _download(client: Client, voted_poll: Poll, path: Path) -> Path:
    response = client.get(f"{API}/logs/poll-{voted_poll.pk}/export")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/gzip"
    assert (
        response["Content-Disposition"] == f'attachment; filename="poll-{voted_poll.pk}.jsonl.gz"'
    )
    path.write_bytes(b"".join(response.streaming_content))
    return path


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]


def test_a_published_polls_export_passes_the_offline_verifier(client, tmp_path, capsys):
    poll, ids = _poll_with_choices()
    q1, q2 = ids["single"], ids["multiple"]
    ballots = [
        [{"question_id": q1, "option_ids": [ids["Липы"]]}],
        [
            {"question_id": q1, "option_ids": [ids["Клёны"]]},
            {"question_id": q2, "option_ids": [ids["Скамейки"], ids["Фонари"]]},
        ],
        [
            {"question_id": q1, "option_ids": [ids["Своё"]], "text": "Сакура"},
            {"question_id": q2, "option_ids": [ids["Дорожки"]]},
        ],
        [{"question_id": q1, "option_ids": [ids["Липы"]]}],
        [
            {"question_id": q1, "option_ids": [ids["Липы"]]},
            {"question_id": q2, "option_ids": [ids["Фонари"], ids["Дорожки"]]},
        ],
    ]
    for n, answers in enumerate(ballots):
        voter = make_resident(f"+7916200{n:04d}")
        polls.cast_ballot(poll_id=poll.pk, user=voter, answers=answers, channel="web")
        if n == 2:
            polls.tally(poll_id=poll.pk)  # one checkpoint mid-way; the rest stays queued
    url = f"{API}/logs/poll-{poll.pk}/export"
    assert_error(client.get(url), 409, "poll_not_closed")

    # Closed: every queued ballot is sealed before the export, which has no results yet.
    Poll.objects.filter(pk=poll.pk).update(status=Poll.Status.CLOSED)
    closed = _lines(_download(client, poll, tmp_path / "closed.jsonl.gz"))
    assert [line["type"] for line in closed] == ["manifest"] + ["entry"] * 5 + ["checkpoint"] * 2
    assert verify.main([str(tmp_path / "closed.jsonl.gz"), "--quiet"]) == verify.EXIT_OK

    Poll.objects.filter(pk=poll.pk).update(status=Poll.Status.PUBLISHED)
    path = _download(client, poll, tmp_path / f"poll-{poll.pk}.jsonl.gz")
    lines = _lines(path)
    manifest, results = lines[0], lines[-1]
    assert manifest["format"] == "activecitizen-export/1"
    assert manifest["origin"] == poll.origin
    assert manifest["log_key"] == services.public_key()
    assert [q["kind"] for q in manifest["poll"]["questions"]] == ["single", "multiple"]
    assert [o["free_text"] for o in manifest["poll"]["questions"][0]["options"]] == [
        False,
        False,
        True,
    ]
    assert "Сакура" not in gzip.decompress(path.read_bytes()).decode()  # own texts stay out
    assert results == {
        "type": "results",
        "checkpoint_size": 5,
        "total": 5,
        "questions": [
            {
                "id": q1,
                "options": [
                    {"id": ids["Липы"], "count": 3},
                    {"id": ids["Клёны"], "count": 1},
                    {"id": ids["Своё"], "count": 1},
                ],
            },
            {
                "id": q2,
                "options": [
                    {"id": ids["Скамейки"], "count": 1},
                    {"id": ids["Фонари"], "count": 2},
                    {"id": ids["Дорожки"], "count": 2},
                ],
            },
        ],
    }
    capsys.readouterr()
    assert verify.main([str(path), "--log-key", services.public_key()]) == verify.EXIT_OK, (
        capsys.readouterr().out
    )
    assert "RESULT: PASSED" in capsys.readouterr().out

    # One byte of one ballot changed: the tree, and so every later checkpoint, no longer match.
    entry = lines[3]
    data = bytearray(base64.b64decode(entry["data"]))
    position = data.index(b'"ballot":"') + len('"ballot":"')
    data[position] = ord("0") if data[position] != ord("0") else ord("1")
    entry["data"] = base64.b64encode(bytes(data)).decode()
    tampered = tmp_path / "tampered.jsonl.gz"
    tampered.write_bytes(
        gzip.compress(b"".join(json.dumps(line).encode() + b"\n" for line in lines))
    )
    assert verify.main([str(tampered), "--log-key", services.public_key(), "--quiet"]) == (
        verify.EXIT_FAILED
    )
    assert "FAIL" in capsys.readouterr().out


def test_an_export_carries_witness_cosignatures(client, voted, witness_key, tmp_path):
    signer, vkey = witness_key
    note, line = _cosign(client, voted, signer)
    client.post(
        f"{voted.base}/cosignatures", {"checkpoint": note, "signature": line}, "application/json"
    )
    Poll.objects.filter(pk=voted.poll.pk).update(status=Poll.Status.ARCHIVED)
    path = _download(client, voted.poll, tmp_path / "export.jsonl.gz")
    lines = _lines(path)
    assert lines[0]["witness_keys"] == [vkey]
    assert [c["note"] for c in lines if c["type"] == "checkpoint"][-1] == note + line
    args = [str(path), "--log-key", services.public_key(), "--witness-key", vkey, "--quiet"]
    assert verify.main(args) == verify.EXIT_OK


def test_an_open_or_empty_poll_exports_nothing_too_early(client):
    draft = make_poll(status=Poll.Status.DRAFT)
    services.ensure_log(origin=draft.origin, origin_id=f"poll-{draft.pk}", kind="poll")
    assert_error(client.get(f"{API}/logs/poll-{draft.pk}/export"), 409, "poll_not_closed")
    # Closed with no ballots: a manifest alone, which the verifier accepts as an empty log.
    empty = make_poll(status=Poll.Status.PUBLISHED)
    services.ensure_log(origin=empty.origin, origin_id=f"poll-{empty.pk}", kind="poll")
    response = client.get(f"{API}/logs/poll-{empty.pk}/export")
    assert response.status_code == 200
    lines = gzip.decompress(b"".join(response.streaming_content)).splitlines()
    assert [json.loads(x)["type"] for x in lines] == ["manifest"]
    assert not Entry.objects.exists()
