"""The offline verifier, `python -m activecitizen.verify`, against exports built here from the
Merkle and note primitives: a good export passes, and each way of cooking one is caught."""

from __future__ import annotations

import base64
import gzip
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from activecitizen import verify
from activecitizen.transparency.merkle import TreeFrontier, inclusion_proof, leaf_hash
from activecitizen.transparency.notes import (
    Checkpoint,
    CosignatureSigner,
    Signer,
    add_signatures,
    generate_cosigner,
    generate_signer,
    promise_body,
    sign_note,
)

ORIGIN = "city.example/poll-42"
POLL: dict[str, Any] = {
    "id": 42,
    "title": "Парк на набережной",
    "questions": [
        {
            "id": 1,
            "kind": "single",
            "min_choices": 1,
            "max_choices": 1,
            "required": True,
            "text": "Which park?",
            "options": [
                {"id": 11, "text": "North", "free_text": False},
                {"id": 12, "text": "South", "free_text": False},
                {"id": 13, "text": "Other", "free_text": True},
            ],
        },
        {
            "id": 2,
            "kind": "multiple",
            "min_choices": 1,
            "max_choices": 2,
            "required": False,
            "text": "What to build?",
            "options": [
                {"id": 21, "text": "Benches", "free_text": False},
                {"id": 22, "text": "Lights", "free_text": False},
                {"id": 23, "text": "Paths", "free_text": False},
            ],
        },
    ],
}


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def ballot(i: int, *, ballot_id: str | None = None, poll: str = ORIGIN) -> bytes:
    """A valid ballot whose answers vary with i."""
    answers: list[dict[str, Any]] = [{"o": [11 + i % 3], "q": 1}]
    if i % 3 == 2:
        answers[0]["t"] = 1
    if i % 2:
        answers.append({"o": sorted({21 + i % 3, 21 + (i // 2) % 3}), "q": 2})
    return canonical(
        {"answers": answers, "ballot": ballot_id or f"b-{i:05d}", "poll": poll, "v": 1}
    )


@dataclass
class Keys:
    log_skey: str
    log_vkey: str
    witness_skey: str
    witness_vkey: str

    @property
    def log(self) -> Signer:
        return Signer.from_skey(self.log_skey)

    @property
    def witness(self) -> CosignatureSigner:
        return CosignatureSigner.from_skey(self.witness_skey)


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys(*generate_signer("city.example/log"), *generate_cosigner("witness.example/w1"))


@dataclass
class Export:
    """An export under construction; every part can be replaced to cook it."""

    keys: Keys
    entries: list[bytes]
    checkpoint_sizes: list[int]
    manifest: dict[str, Any] = field(default_factory=dict)
    checkpoints: list[str] = field(default_factory=list)
    results: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.manifest = {
            "type": "manifest",
            "format": "activecitizen-export/1",
            "origin": ORIGIN,
            "log_key": self.keys.log_vkey,
            "witness_keys": [self.keys.witness_vkey],
            "poll": POLL,
        }
        self.checkpoints = [self.checkpoint(size) for size in self.checkpoint_sizes]
        self.results = self.tally(len(self.entries))

    def root(self, size: int) -> bytes:
        frontier = TreeFrontier()
        for data in self.entries[:size]:
            frontier.push(leaf_hash(data))
        return frontier.root()

    def nodes(self, size: int) -> Callable[[int, int], bytes]:
        stored: dict[tuple[int, int], bytes] = {}
        frontier = TreeFrontier()
        for data in self.entries[:size]:
            for level, index, value in frontier.append(leaf_hash(data)):
                stored[level, index] = value
        return lambda level, index: stored[level, index]

    def checkpoint(
        self,
        size: int,
        *,
        origin: str = ORIGIN,
        signer: Signer | None = None,
        root: bytes | None = None,
        cosign: bool = True,
    ) -> str:
        body = Checkpoint(origin, size, root if root is not None else self.root(size)).body()
        note = sign_note(body, [signer or self.keys.log])
        if cosign:
            note = add_signatures(note, [self.keys.witness.cosign(body, 1_700_000_000 + size)])
        return note

    def tally(self, size: int) -> dict[str, Any]:
        counts = {(q["id"], o["id"]): 0 for q in POLL["questions"] for o in q["options"]}
        for data in self.entries[:size]:
            for answer in json.loads(data)["answers"]:
                for o in answer["o"]:
                    if (answer["q"], o) in counts:
                        counts[answer["q"], o] += 1
        return {
            "type": "results",
            "checkpoint_size": size,
            "total": size,
            "questions": [
                {
                    "id": q["id"],
                    "options": [
                        {"id": o["id"], "count": counts[q["id"], o["id"]]} for o in q["options"]
                    ],
                }
                for q in POLL["questions"]
            ],
        }

    def entry_lines(self) -> list[dict[str, Any]]:
        return [
            {"type": "entry", "index": i, "data": base64.b64encode(data).decode()}
            for i, data in enumerate(self.entries)
        ]

    def lines(self) -> list[dict[str, Any]]:
        lines = [self.manifest, *self.entry_lines()]
        lines += [{"type": "checkpoint", "note": note} for note in self.checkpoints]
        if self.results is not None:
            lines.append(self.results)
        return lines

    def write(self, path: Path, lines: list[dict[str, Any]] | None = None, *, gz: bool = False):
        text = "".join(
            json.dumps(line, ensure_ascii=False) + "\n" for line in lines or self.lines()
        )
        path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
        return path

    def receipt(self, index: int, *, sealed: bool = True, **changes: Any) -> dict[str, Any]:
        data = self.entries[index]
        leaf = leaf_hash(data)
        ballot_id = json.loads(data)["ballot"]
        size = len(self.entries)
        promise = sign_note(
            promise_body(ORIGIN, ballot_id, leaf, 1_700_000_000, 60), [self.keys.log]
        )
        receipt: dict[str, Any] = {
            "format": "activecitizen-receipt/1",
            "origin": ORIGIN,
            "ballot_id": ballot_id,
            "leaf_hash": leaf.hex(),
            "promise": promise,
            "index": index if sealed else None,
            "tree_size": size if sealed else None,
            "inclusion_path": (
                [p.hex() for p in inclusion_proof(index, size, self.nodes(size))]
                if sealed
                else None
            ),
            "checkpoint": self.checkpoint(size, cosign=False) if sealed else None,
        }
        receipt.update(changes)
        return receipt


@pytest.fixture
def export(keys) -> Export:
    return Export(keys, [ballot(i) for i in range(23)], [1, 5, 16, 23])


def run(capsys, *args: str) -> tuple[int, str]:
    code = verify.main([str(a) for a in args])
    return code, capsys.readouterr().out


def fail_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("FAIL")]


# --- A good export ------------------------------------------------------------------------------


def test_a_good_export_passes(tmp_path, capsys, export, keys):
    path = export.write(tmp_path / "poll.jsonl")
    code, out = run(capsys, path, "--log-key", keys.log_vkey, "--witness-key", keys.witness_vkey)
    assert code == 0, out
    assert fail_lines(out) == []
    assert "OK   checkpoints: all 4 are signed by the log key" in out
    assert "OK   tally: the published results equal the recount of all ballots" in out
    assert "OK   witness witness.example/w1: cosigned 4 of 4 checkpoints" in out
    assert "RESULT: PASSED" in out


def test_a_gzipped_export_passes_and_quiet_prints_only_the_verdict(tmp_path, capsys, export):
    path = export.write(tmp_path / "poll.jsonl.gz", gz=True)
    code, out = run(capsys, path, "--quiet")
    assert code == 0, out
    assert out.splitlines() == [out.splitlines()[-1]]
    assert out.startswith("RESULT: PASSED")


def test_without_log_key_the_verifier_says_whose_key_it_used(tmp_path, capsys, export, keys):
    code, out = run(capsys, export.write(tmp_path / "poll.jsonl"))
    assert code == 0
    assert f"NOTE log key {keys.log_vkey} is the one the export declares" in out


def test_a_poll_without_published_results_passes(tmp_path, capsys, export):
    export.results = None
    code, out = run(capsys, export.write(tmp_path / "poll.jsonl"))
    assert code == 0, out
    assert "NOTE results: the export has no published results" in out


# --- Cooked exports -------------------------------------------------------------------------------


def test_a_changed_entry_byte_is_caught(tmp_path, capsys, export):
    lines = export.lines()
    data = bytearray(base64.b64decode(lines[1 + 7]["data"]))
    position = data.index(b"b-00007") + 6
    data[position] = ord("8")  # b-00007 -> b-00008: still a valid ballot, but not the one signed
    lines[1 + 7]["data"] = base64.b64encode(bytes(data)).decode()
    code, out = run(capsys, export.write(tmp_path / "poll.jsonl", lines))
    assert code == 1
    fails = fail_lines(out)
    # The checkpoints that include entry 7 no longer match; the earlier ones still do.
    assert any(
        "(size 16): root" in f and "differs from the root of the first 16" in f for f in fails
    )
    assert any("(size 23): root" in f for f in fails)
    assert not any("(size 5)" in f for f in fails)
    assert any("duplicate ballot: entry 8" in f for f in fails)


def test_a_non_canonical_entry_is_caught(tmp_path, capsys, export):
    lines = export.lines()
    lines[1 + 3]["data"] = base64.b64encode(
        json.dumps(json.loads(export.entries[3])).encode()
    ).decode()  # the same ballot with spaces
    code, out = run(capsys, export.write(tmp_path / "poll.jsonl", lines))
    assert code == 1
    assert any("entry 3 (line 5) is not in canonical (RFC 8785) form" in f for f in fail_lines(out))


def test_a_dropped_entry_is_caught(tmp_path, capsys, export):
    lines = export.lines()
    del lines[1 + 10]
    code, out = run(capsys, export.write(tmp_path / "poll.jsonl", lines))
    assert code == 1
    fails = fail_lines(out)
    assert fails[0] == (
        "FAIL entry order: line 12 has index 11 where 10 was expected "
        "(an entry is missing, repeated or out of order)"
    )
    assert any("claims 23 entries but the export has 22" in f for f in fails)


def test_two_swapped_entries_are_caught(tmp_path, capsys, export):
    lines = export.lines()
    lines[1 + 4], lines[1 + 5] = lines[1 + 5], lines[1 + 4]
    code, out = run(capsys, export.write(tmp_path / "poll.jsonl", lines))
    assert code == 1
    fails = fail_lines(out)
    assert any("line 6 has index 5 where 4 was expected" in f for f in fails)
    # Re-numbering the swapped entries does not help: the signed roots still differ.
    lines[1 + 4]["index"], lines[1 + 5]["index"] = 4, 5
    code, out = run(capsys, export.write(tmp_path / "poll.jsonl", lines))
    assert code == 1
    fails = fail_lines(out)
    assert not any("entry order" in f for f in fails)
    assert any("(size 16): root" in f for f in fails)
    assert any("(size 5): root" in f for f in fails)  # entry 4 is one of the first 5
    assert not any("(size 1)" in f for f in fails)


def test_a_duplicated_ballot_id_is_caught(tmp_path, capsys, keys):
    # The log signed it: only the ballot ids give it away.
    entries = [ballot(i) for i in range(10)] + [ballot(10, ballot_id="b-00003")]
    export = Export(keys, entries, [11])
    code, out = run(capsys, export.write(tmp_path / "poll.jsonl"))
    assert code == 1
    assert fail_lines(out)[0] == (
        "FAIL duplicate ballot: entry 10 (line 12) repeats ballot id b-00003"
    )
    assert "OK   checkpoints: all 1 are signed" in out


def test_a_forged_checkpoint_is_caught(tmp_path, capsys, export):
    forger = Signer.from_skey(generate_signer("city.example/log")[0])
    export.checkpoints[2] = export.checkpoint(16, signer=forger)
    code, out = run(capsys, export.write(tmp_path / "poll.jsonl"))
    assert code == 1
    assert any(
        "checkpoint on line 27: not signed by the log key city.example/log" in f
        for f in fail_lines(out)
    )


def test_a_checkpoint_with_a_wrong_root_is_caught(tmp_path, capsys, export):
    export.checkpoints[1] = export.checkpoint(5, root=export.root(6))
    code, out = run(capsys, export.write(tmp_path / "poll.jsonl"))
    assert code == 1
    assert any("(size 5): root" in f for f in fail_lines(out))
    assert "OK   consistency" not in out


def test_a_checkpoint_of_another_origin_is_caught(tmp_path, capsys, export):
    export.checkpoints[0] = export.checkpoint(1, origin="city.example/poll-41")
    code, out = run(capsys, export.write(tmp_path / "poll.jsonl"))
    assert code == 1
    assert any(
        "origin 'city.example/poll-41' is not this log's 'city.example/poll-42'" in f
        for f in fail_lines(out)
    )


def test_entries_beyond_the_last_checkpoint_are_caught(tmp_path, capsys, export):
    export.checkpoints.pop()
    code, out = run(capsys, export.write(tmp_path / "poll.jsonl"))
    assert code == 1
    assert any("entries 16…22 are in no signed checkpoint" in f for f in fail_lines(out))


def test_a_tally_that_does_not_follow_from_the_entries_is_caught(tmp_path, capsys, export):
    assert export.results is not None
    options = export.results["questions"][0]["options"]
    options[0]["count"] += 1
    options[1]["count"] -= 1
    code, out = run(capsys, export.write(tmp_path / "poll.jsonl"))
    assert code == 1
    fails = fail_lines(out)
    assert any("tally: question 1 option 11: published 9, the entries give 8" in f for f in fails)
    assert any("tally: question 1 option 12: published 7, the entries give 8" in f for f in fails)


def test_a_tally_of_an_unsigned_size_is_caught(tmp_path, capsys, export):
    export.results = export.tally(20)
    code, out = run(capsys, export.write(tmp_path / "poll.jsonl"))
    assert code == 1
    assert any("size 20 is not the size of any signed checkpoint" in f for f in fail_lines(out))


def test_a_tally_of_an_earlier_checkpoint_passes(tmp_path, capsys, export):
    export.results = export.tally(16)
    code, out = run(capsys, export.write(tmp_path / "poll.jsonl"))
    assert code == 0, out
    assert "recount of the first 16 of 23 ballots" in out


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        (ballot(1, poll="city.example/poll-41"), "belongs to 'city.example/poll-41'"),
        (
            canonical({"answers": [{"o": [99], "q": 1}], "ballot": "x", "poll": ORIGIN, "v": 1}),
            "chooses option 99, which question 1 does not have",
        ),
        (
            canonical(
                {"answers": [{"o": [11, 12], "q": 1}], "ballot": "x", "poll": ORIGIN, "v": 1}
            ),
            "chooses 2 options in single-choice question 1",
        ),
        (
            canonical({"answers": [{"o": [21], "q": 2}], "ballot": "x", "poll": ORIGIN, "v": 1}),
            "leaves required question 1 unanswered",
        ),
        (
            canonical(
                {
                    "answers": [{"o": [11], "q": 1}, {"o": [21, 22, 23], "q": 2}],
                    "ballot": "x",
                    "poll": ORIGIN,
                    "v": 1,
                }
            ),
            "chooses 3 options in question 2, which allows 1–2",
        ),
        (
            canonical(
                {"answers": [{"o": [11], "q": 1, "t": 1}], "ballot": "x", "poll": ORIGIN, "v": 1}
            ),
            "has an own-answer text in question 1 without an own-answer option",
        ),
        (
            canonical({"answers": [{"o": [11], "q": 1}], "ballot": "x", "poll": ORIGIN, "v": 2}),
            "has version 2, not 1",
        ),
    ],
)
def test_invalid_ballots_are_caught(tmp_path, capsys, keys, entry, problem):
    export = Export(keys, [ballot(0), entry, ballot(2)], [3])
    code, out = run(capsys, export.write(tmp_path / "poll.jsonl"))
    assert code == 1
    assert fail_lines(out)[0].startswith(f"FAIL entry 1 (line 3) {problem}")


# --- Receipts -------------------------------------------------------------------------------------


def test_a_good_receipt_passes_and_shows_the_ballot(tmp_path, capsys, export, keys):
    path = export.write(tmp_path / "poll.jsonl")
    receipt = tmp_path / "receipt.json"
    receipt.write_text(json.dumps(export.receipt(5)))
    code, out = run(capsys, path, "--receipt", receipt, "--log-key", keys.log_vkey)
    assert code == 0, out
    assert "OK   receipt: the ballot is entry 5 of the log" in out
    assert "OK   receipt: the inclusion proof shows entry 5 in the signed tree of size 23" in out
    assert "OK   receipt: its checkpoint is one of the export's checkpoints" in out
    assert "Which park?: Other (with an own answer; its text is not in the log)" in out
    assert "What to build?: Paths" in out
    assert "It does not show who cast it" in out


def test_a_receipt_taken_before_sealing_is_found_by_its_leaf(tmp_path, capsys, export):
    path = export.write(tmp_path / "poll.jsonl")
    receipt = tmp_path / "receipt.json"
    receipt.write_text(json.dumps(export.receipt(9, sealed=False)))
    code, out = run(capsys, path, "--receipt", receipt)
    assert code == 0, out
    assert "OK   receipt: the ballot is in the log, as entry 9" in out


def test_a_receipt_whose_leaf_is_not_in_the_log_is_caught(tmp_path, capsys, keys):
    full = Export(keys, [ballot(i) for i in range(12)], [12])
    published = Export(keys, full.entries[:11], [11])  # the log dropped the last ballot
    path = published.write(tmp_path / "poll.jsonl")
    receipt = tmp_path / "receipt.json"
    receipt.write_text(json.dumps(full.receipt(11, sealed=False)))
    code, out = run(capsys, path, "--receipt", receipt)
    assert code == 1
    assert "FAIL receipt: the ballot is not in the log: the log broke its promise" in out
    # With the proof the log once gave for it, the fork shows too.
    receipt.write_text(json.dumps(full.receipt(11)))
    code, out = run(capsys, path, "--receipt", receipt)
    assert code == 1
    assert "FAIL receipt: entry 11 of the log is not this ballot" in out
    assert "FAIL receipt: its checkpoint has 12 entries, the export only 11" in out


def test_a_receipt_with_a_bad_promise_signature_is_caught(tmp_path, capsys, export):
    path = export.write(tmp_path / "poll.jsonl")
    good = export.receipt(5)
    forger = Signer.from_skey(generate_signer("city.example/log")[0])
    body = promise_body(ORIGIN, good["ballot_id"], bytes.fromhex(good["leaf_hash"]), 1, 60)
    receipt = tmp_path / "receipt.json"
    receipt.write_text(json.dumps({**good, "promise": sign_note(body, [forger])}))
    code, out = run(capsys, path, "--receipt", receipt)
    assert code == 1
    assert any(
        f.startswith("FAIL receipt: the promise does not verify with the log key")
        for f in fail_lines(out)
    )


def test_a_receipt_whose_checkpoint_contradicts_the_export_is_caught(tmp_path, capsys, keys):
    shown = Export(keys, [ballot(i) for i in range(8)], [8])
    other = [*shown.entries[:5], ballot(100), ballot(101), ballot(102)]
    published = Export(keys, other, [8])
    path = published.write(tmp_path / "poll.jsonl")
    receipt = tmp_path / "receipt.json"
    receipt.write_text(json.dumps(shown.receipt(2)))  # entry 2 is in both histories
    code, out = run(capsys, path, "--receipt", receipt)
    assert code == 1
    assert "OK   receipt: the ballot is entry 2 of the log" in out
    assert any("its checkpoint contradicts the export" in f for f in fail_lines(out))


# --- Unusable input and keys ----------------------------------------------------------------------


def test_a_different_log_key_is_reported(tmp_path, capsys, export):
    other_vkey = generate_signer("city.example/log")[1]
    code, out = run(capsys, export.write(tmp_path / "poll.jsonl"), "--log-key", other_vkey)
    assert code == 1
    fails = fail_lines(out)
    assert fails[0].startswith("FAIL log key: the export declares")
    assert "not the key you trust" in fails[0]
    assert any("not signed by the log key" in f for f in fails)


def test_a_trusted_witness_that_cosigned_nothing_is_a_failure(tmp_path, capsys, export):
    other_witness = generate_cosigner("witness.example/w2")[1]
    code, out = run(capsys, export.write(tmp_path / "poll.jsonl"), "--witness-key", other_witness)
    assert code == 1
    assert "FAIL witness witness.example/w2: cosigned none of the checkpoints" in out


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json\n",
        b'{"type": "entry", "index": 0, "data": ""}\n',
        b'{"type": "manifest", "format": "activecitizen-export/0"}\n',
    ],
)
def test_unusable_input_exits_2(tmp_path, capsys, content):
    path = tmp_path / "poll.jsonl"
    path.write_bytes(content)
    code, out = run(capsys, path)
    assert code == 2
    assert out.startswith("UNUSABLE")


def test_a_missing_file_or_corrupt_gzip_exits_2(tmp_path, capsys, export):
    code, _ = run(capsys, tmp_path / "missing.jsonl")
    assert code == 2
    path = export.write(tmp_path / "poll.jsonl.gz", gz=True)
    path.write_bytes(path.read_bytes()[:200])
    code, out = run(capsys, path)
    assert code == 2
    assert "UNUSABLE cannot read" in out


def test_the_verifier_runs_without_django(tmp_path, export):
    path = export.write(tmp_path / "poll.jsonl")
    root = Path(verify.__file__).resolve().parent.parent
    script = (
        "import sys, runpy\n"
        f"sys.argv = ['verify', {str(path)!r}, '--quiet']\n"
        "try:\n"
        "    runpy.run_module('activecitizen.verify', run_name='__main__')\n"
        "except SystemExit as exit:\n"
        "    code = exit.code\n"
        "heavy = {'django', 'celery', 'rfc8785', 'ninja', 'pydantic'}\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in heavy)\n"
        "print('HEAVY', heavy)\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=root, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "RESULT: PASSED" in result.stdout
    assert "HEAVY []" in result.stdout
    # And as the documented command.
    result = subprocess.run(
        [sys.executable, "-m", "activecitizen.verify", str(path)],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
