"""The independent witness against a small fake log server (http.server in a thread)."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from activecitizen import witness
from activecitizen.transparency.merkle import TreeFrontier, consistency_proof, leaf_hash
from activecitizen.transparency.notes import (
    Checkpoint,
    CosignatureVerifier,
    Signer,
    add_signatures,
    generate_cosigner,
    generate_signer,
    parse_note,
    sign_note,
)


@dataclass
class FakeLog:
    origin: str
    signer: Signer
    entries: list[bytes] = field(default_factory=list)
    size: int = 0  # the size the server currently shows
    cosignatures: list[tuple[str, str]] = field(default_factory=list)  # (text, witness line)

    def nodes(self) -> dict[tuple[int, int], bytes]:
        stored: dict[tuple[int, int], bytes] = {}
        frontier = TreeFrontier()
        for data in self.entries[: self.size]:
            for level, index, value in frontier.append(leaf_hash(data)):
                stored[level, index] = value
        return stored

    def root(self) -> bytes:
        frontier = TreeFrontier()
        for data in self.entries[: self.size]:
            frontier.push(leaf_hash(data))
        return frontier.root()

    def note(self) -> str:
        body = Checkpoint(self.origin, self.size, self.root()).body()
        note = sign_note(body, [self.signer])
        lines = [line for text, line in self.cosignatures if text == body]
        return add_signatures(note, lines) if lines else note


@dataclass
class FakeServer:
    logs: dict[str, FakeLog]
    posts: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 1
    base: str = ""

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes):
        prefix = "/api/v1/transparency/logs"
        if method == "GET" and path == prefix:
            ids = sorted(self.logs)
            start = int(query.get("page", "0"))
            items = [
                {"origin_id": i, "origin": self.logs[i].origin, "size": self.logs[i].size}
                for i in ids[start : start + self.page_size]
            ]
            more = start + self.page_size < len(ids)
            next_url = f"{self.base}{prefix}?page={start + self.page_size}" if more else None
            return 200, "application/json", json.dumps({"items": items, "next": next_url})
        parts = path[len(prefix) + 1 :].split("/", 1) if path.startswith(prefix + "/") else []
        if len(parts) != 2 or parts[0] not in self.logs:
            return 404, "text/plain", "not found"
        log, action = self.logs[parts[0]], parts[1]
        if method == "GET" and action == "checkpoint":
            return 200, "text/plain; charset=utf-8", log.note()
        if method == "GET" and action == "proof/consistency":
            nodes = log.nodes()
            first, second = int(query["first"]), int(query["second"])
            proof = consistency_proof(first, second, lambda lv, i: nodes[lv, i])
            return 200, "application/json", json.dumps({"path": [p.hex() for p in proof]})
        if method == "POST" and action == "cosignatures":
            payload = json.loads(body)
            self.posts.append({"origin_id": parts[0], **payload})
            text, _ = parse_note(payload["checkpoint"])
            log.cosignatures.append((text, payload["signature"]))
            return 201, "application/json", "{}"
        return 404, "text/plain", "not found"


@pytest.fixture
def server() -> Iterator[FakeServer]:
    log_skey, _ = generate_signer("city.example/log")
    fake = FakeServer({"poll-1": FakeLog("city.example/poll-1", Signer.from_skey(log_skey))})

    class Handler(BaseHTTPRequestHandler):
        def _serve(self, method: str) -> None:
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            length = int(self.headers.get("Content-Length") or 0)
            status, ctype, text = fake.handle(method, url.path, query, self.rfile.read(length))
            data = text.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield fake
    httpd.shutdown()
    httpd.server_close()


@dataclass
class WitnessSetup:
    key_file: Path
    vkey: str
    state: Path


@pytest.fixture
def setup(tmp_path) -> WitnessSetup:
    skey, vkey = generate_cosigner("witness.example/w1")
    key_file = tmp_path / "witness.key"
    key_file.write_text(skey + "\n")
    return WitnessSetup(key_file, vkey, tmp_path / "state")


def run_witness(server: FakeServer, setup: WitnessSetup, log_vkey: str | None = None) -> int:
    log_key = log_vkey or server.logs["poll-1"].signer.vkey
    return witness.main(
        [
            server.base,
            *("--key", str(setup.key_file), "--log-key", log_key),
            *("--state", str(setup.state), "--once", "--timeout", "5"),
        ]
    )


def grow(log: FakeLog, to: int, tag: str = "a") -> None:
    while len(log.entries) < to:
        log.entries.append(f"{tag}:{len(log.entries)}".encode())
    log.size = to


def saved_states(setup: WitnessSetup) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(setup.state.glob("state-*.json"))]


def test_cosigns_a_growing_log(server, setup, capsys):
    log = server.logs["poll-1"]
    grow(log, 3)
    assert run_witness(server, setup) == witness.EXIT_OK
    assert len(server.posts) == 1
    post = server.posts[0]
    body, _ = parse_note(post["checkpoint"])
    assert Checkpoint.parse(body).size == 3
    assert CosignatureVerifier.from_vkey(setup.vkey).verify_line(body, post["signature"])
    [state] = saved_states(setup)
    assert state["size"] == 3

    grow(log, 11)
    assert run_witness(server, setup) == witness.EXIT_OK
    assert len(server.posts) == 2
    body, _ = parse_note(server.posts[1]["checkpoint"])
    assert Checkpoint.parse(body).size == 11
    assert CosignatureVerifier.from_vkey(setup.vkey).verify_line(body, server.posts[1]["signature"])
    [state] = saved_states(setup)
    assert state["size"] == 11

    # Nothing new, and the server publishes our cosignature: nothing to post.
    assert run_witness(server, setup) == witness.EXIT_OK
    assert len(server.posts) == 2
    out = capsys.readouterr().out
    assert "city.example/poll-1: cosigned size 11 (from 3)" in out
    assert "city.example/poll-1: unchanged at size 11" in out


def test_follows_the_pages_of_the_log_list(server, setup):
    signer = server.logs["poll-1"].signer
    server.logs["poll-2"] = FakeLog("city.example/poll-2", signer)
    grow(server.logs["poll-1"], 2)
    grow(server.logs["poll-2"], 5)
    assert run_witness(server, setup) == witness.EXIT_OK
    assert sorted(p["origin_id"] for p in server.posts) == ["poll-1", "poll-2"]
    assert sorted(s["size"] for s in saved_states(setup)) == [2, 5]


def test_detects_a_fork_and_never_cosigns_it(server, setup, capsys):
    log = server.logs["poll-1"]
    grow(log, 5)
    assert run_witness(server, setup) == witness.EXIT_OK
    # The log rewrites entry 2 and grows: a correctly signed checkpoint of another history.
    log.entries[2] = b"rewritten"
    grow(log, 8)
    assert run_witness(server, setup) == witness.EXIT_FORK
    assert len(server.posts) == 1  # only the first, honest round
    err = capsys.readouterr().err
    assert "ALARM: FORK OR ROLLBACK of log city.example/poll-1" in err
    assert "consistency proof fails" in err
    [evidence_file] = setup.state.glob("fork-*.json")
    evidence = json.loads(evidence_file.read_text())
    assert evidence["cosigned_before"]["size"] == 5
    assert Checkpoint.parse(parse_note(evidence["now_served"])[0]).size == 8
    assert len(evidence["consistency_proof"]) > 0
    assert saved_states(setup)[0]["size"] == 5
    # Even if the log goes back to behaving, the witness keeps refusing until a person looks.
    log.entries[2] = b"a:2"
    assert run_witness(server, setup) == witness.EXIT_FORK
    assert len(server.posts) == 1


def test_detects_a_rollback(server, setup, capsys):
    log = server.logs["poll-1"]
    grow(log, 6)
    assert run_witness(server, setup) == witness.EXIT_OK
    log.size = 4
    assert run_witness(server, setup) == witness.EXIT_FORK
    assert len(server.posts) == 1
    assert "rolled back from 6 to 4" in capsys.readouterr().err


def test_detects_another_tree_of_the_same_size(server, setup, capsys):
    log = server.logs["poll-1"]
    grow(log, 6)
    assert run_witness(server, setup) == witness.EXIT_OK
    log.entries[5] = b"other"
    assert run_witness(server, setup) == witness.EXIT_FORK
    assert len(server.posts) == 1
    assert "two different trees of size 6" in capsys.readouterr().err


def test_rejects_a_checkpoint_with_a_bad_log_signature(server, setup, capsys):
    log = server.logs["poll-1"]
    grow(log, 4)
    log.signer = Signer.from_skey(generate_signer("city.example/log")[0])  # not the trusted key
    trusted = generate_signer("city.example/log")[1]
    assert run_witness(server, setup, log_vkey=trusted) == witness.EXIT_ERROR
    assert server.posts == []
    assert saved_states(setup) == []
    assert "not validly signed by the log key" in capsys.readouterr().err


def test_generate_key_prints_a_cosigner_key_pair(capsys):
    assert witness.main(["--generate-key", "witness.example/w9"]) == witness.EXIT_OK
    skey, vkey = capsys.readouterr().out.split()
    assert skey.startswith("PRIVATE+KEY+witness.example/w9+")
    assert CosignatureVerifier.from_vkey(vkey).name == "witness.example/w9"


def test_unreachable_server_is_an_error_not_a_fork(setup, capsys):
    code = witness.main(
        [
            "http://127.0.0.1:9",
            *("--key", str(setup.key_file), "--state", str(setup.state)),
            *("--log-key", generate_signer("x")[1], "--once", "--timeout", "2"),
        ]
    )
    assert code == witness.EXIT_ERROR
    assert "ERROR listing the logs" in capsys.readouterr().err
