"""Check a poll's public export offline: `python -m activecitizen.verify EXPORT [options]`.

Anyone can run this on their own computer with Python 3.11+ and the `cryptography` package: it
imports nothing else (no Django, no database, no network). It recomputes the Merkle tree of the
poll's transparency log from the ballots in the export, checks every signed checkpoint against
it, recounts the published results, and, given a receipt, shows whether that ballot is in the
log and counted.

    python -m activecitizen.verify poll-42.jsonl.gz
    python -m activecitizen.verify poll-42.jsonl.gz --receipt my-receipt.json \\
        --log-key 'city.example/log+1a2b3c4d+AbC…' --witness-key 'witness.example/w1+…'

Options:
    --receipt FILE     also check a receipt bundle (see below) against the export
    --log-key VKEY     the log's verifier key as the city publishes it; without it the key the
                       export itself declares is used, which proves only self-consistency
    --witness-key VKEY a witness's cosignature key you trust (repeatable); each must have
                       cosigned at least one checkpoint
    --quiet            print only FAIL lines and the verdict

Exit codes: 0 every check passed; 1 at least one check failed (each printed as a "FAIL" line);
2 the input is unusable (a file cannot be read, a line is not JSON, the manifest is missing or
malformed, a key cannot be parsed).

Export format "activecitizen-export/1"
--------------------------------------
JSON Lines: UTF-8, one JSON object per line, optionally gzip-compressed (detected by the gzip
magic bytes 1f 8b). In this order:

1. One manifest:
   {"type": "manifest", "format": "activecitizen-export/1", "origin": "<log origin>",
    "log_key": "<the log's Ed25519 verifier key, c2sp.org/signed-note vkey>",
    "witness_keys": ["<cosignature/v1 verifier key>", ...],
    "poll": {"id": int, "title": str, "questions": [
        {"id": int, "kind": "single" | "multiple", "min_choices": int, "max_choices": int,
         "required": bool, "text": str,
         "options": [{"id": int, "text": str, "free_text": bool}, ...]}, ...]}}
2. Every log entry in index order, indexes 0, 1, 2, … without gaps:
   {"type": "entry", "index": i, "data": "<base64 of the entry bytes>"}
   The entry bytes (the Merkle leaf is SHA-256(0x00 || bytes)) are the RFC 8785 (JCS) JSON of
   one ballot:
   {"answers": [{"o": [option ids, ascending], "q": question id, "t": 1}, ...],
    "ballot": "<ballot id>", "poll": "<log origin>", "v": 1}
   with answers in the manifest's question order, unanswered questions left out, and "t": 1
   present only when an own-answer text was given (the text itself is not in the log); keys
   sorted, no whitespace, integers only, ASCII strings. For this content JCS equals
   json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False), which is how the
   verifier checks that the bytes are canonical.
3. Every checkpoint the log published, by increasing size:
   {"type": "checkpoint", "note": "<the signed note: c2sp.org/tlog-checkpoint body, the log's
    signature line, witnesses' cosignature/v1 lines>"}
4. Only for a poll whose results are published, last:
   {"type": "results", "checkpoint_size": n, "total": n, "questions": [
       {"id": q, "options": [{"id": o, "count": c}, ...]}, ...]}
   the tally of the first n entries (n the size of one of the checkpoints), listing every
   question and every option of the manifest, zero counts included.

Receipt format "activecitizen-receipt/1"
----------------------------------------
{"format": "activecitizen-receipt/1", "origin": "<log origin>", "ballot_id": "<ballot id>",
 "leaf_hash": "<hex>", "promise": "<signed promise note, see activecitizen.transparency.notes>",
 "index": int | null, "tree_size": int | null, "inclusion_path": ["<hex>", ...] | null,
 "checkpoint": "<signed checkpoint note>" | null}
The last four are null until the ballot has been sealed into the log.

What is checked
---------------
The manifest; entry indexes contiguous from 0 (a dropped, duplicated or reordered entry is
caught); every entry is a canonical ballot of this poll (origin, version, known questions and
options, choice counts within the question's limits); no ballot id twice; every checkpoint is
signed by the log key, has the manifest's origin, and its root equals the root recomputed from
the first `size` entries, which makes all checkpoints consistent with each other; the last
checkpoint covers every entry; witnesses' cosignatures; the published tally equals the recount;
and the receipt: the promise's signature and fields, the ballot in the log, its inclusion proof
against the receipt's checkpoint, and that checkpoint against the export.
"""

from __future__ import annotations

import argparse
import binascii
import gzip
import hashlib
import io
import json
import re
import sys
import zlib
from array import array
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, TextIO, TypeGuard

from activecitizen.transparency.merkle import (
    EMPTY_ROOT,
    TreeFrontier,
    verify_inclusion,
)
from activecitizen.transparency.notes import (
    Checkpoint,
    CosignatureVerifier,
    InvalidSignatureError,
    NoteError,
    UnverifiedNoteError,
    Verifier,
    cosignature_timestamp,
    open_promise,
    parse_note,
)

EXPORT_FORMAT = "activecitizen-export/1"
RECEIPT_FORMAT = "activecitizen-receipt/1"

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_UNUSABLE = 2

#: How many individual failures of one kind are printed before they are only counted.
MAX_LISTED = 10

_INVALID = 0xFFFFFFFF  # the choice-set id of an entry that is not a valid ballot
_MAX_EXACT = 2**53 - 1
_BALLOT_ID = re.compile(r"[\x21-\x7e]{1,200}")


class Unusable(Exception):
    """The input cannot be checked at all (exit code 2)."""


class EntryProblem(Exception):
    """Why one entry is not a valid ballot of this poll."""


# --- Output ---------------------------------------------------------------------------------------


class Report:
    """Prints "OK …", "FAIL …" and "NOTE …" lines and remembers whether anything failed."""

    def __init__(self, out: TextIO, *, quiet: bool = False) -> None:
        self.out = out
        self.quiet = quiet
        self.failures = 0
        self.passed = 0
        self._listed: Counter[str] = Counter()

    def ok(self, message: str) -> None:
        self.passed += 1
        if not self.quiet:
            print(f"OK   {message}", file=self.out)

    def fail(self, message: str) -> None:
        self.failures += 1
        print(f"FAIL {message}", file=self.out)

    def note(self, message: str) -> None:
        if not self.quiet:
            print(f"NOTE {message}", file=self.out)

    def text(self, message: str) -> None:
        if not self.quiet:
            print(f"     {message}", file=self.out)

    def fail_listed(self, kind: str, message: str) -> None:
        """A failure that may repeat for many entries: the first MAX_LISTED are printed."""
        self._listed[kind] += 1
        if self._listed[kind] <= MAX_LISTED:
            self.fail(message)
        else:
            self.failures += 1

    def listed(self, kind: str) -> int:
        return self._listed[kind]

    def more(self, kind: str, what: str) -> None:
        extra = self._listed[kind] - MAX_LISTED
        if extra > 0:
            print(f"FAIL … and {extra} more {what}", file=self.out)


# --- The manifest ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    id: int
    text: str
    free_text: bool


@dataclass(frozen=True)
class Question:
    id: int
    position: int
    kind: str
    min_choices: int
    max_choices: int
    required: bool
    text: str
    options: dict[int, Option]


@dataclass
class Manifest:
    origin: str
    log_key: str
    witness_keys: list[str]
    poll_id: int
    title: str
    questions: dict[int, Question]  # in the manifest's order


def _is_int(value: object) -> TypeGuard[int]:
    """An integer and not a boolean (JSON true is not 1 here)."""
    return type(value) is int


def _is_id(value: object) -> TypeGuard[int]:
    """A non-negative integer that JSON numbers (IEEE doubles, as in RFC 8785) hold exactly."""
    return type(value) is int and 0 <= value <= _MAX_EXACT


def parse_manifest(obj: object) -> Manifest:
    """The manifest line, or Unusable: without it nothing else can be checked."""
    if not isinstance(obj, dict) or obj.get("type") != "manifest":
        raise Unusable("the first line is not a manifest")
    if obj.get("format") != EXPORT_FORMAT:
        raise Unusable(f"unknown export format {obj.get('format')!r} (expected {EXPORT_FORMAT})")
    origin, log_key, witness_keys = obj.get("origin"), obj.get("log_key"), obj.get("witness_keys")
    if not isinstance(origin, str) or not origin or "\n" in origin:
        raise Unusable("the manifest has no origin")
    if not isinstance(log_key, str):
        raise Unusable("the manifest has no log key")
    if not isinstance(witness_keys, list) or not all(isinstance(k, str) for k in witness_keys):
        raise Unusable("the manifest's witness_keys is not a list of strings")
    poll = obj.get("poll")
    if not isinstance(poll, dict):
        raise Unusable("the manifest has no poll")
    poll_id, title, raw_questions = poll.get("id"), poll.get("title"), poll.get("questions")
    if not _is_int(poll_id) or not isinstance(title, str) or not isinstance(raw_questions, list):
        raise Unusable("the manifest's poll needs an integer id, a title and a list of questions")
    questions: dict[int, Question] = {}
    for position, q in enumerate(raw_questions):
        questions_problem = f"question #{position + 1} of the manifest"
        if not isinstance(q, dict):
            raise Unusable(f"{questions_problem} is not an object")
        qid, kind = q.get("id"), q.get("kind")
        lo, hi, required, text = (
            q.get("min_choices"),
            q.get("max_choices"),
            q.get("required"),
            q.get("text"),
        )
        if not _is_id(qid) or qid in questions:
            raise Unusable(f"{questions_problem} has no id or a repeated one")
        if kind not in ("single", "multiple"):
            raise Unusable(f"{questions_problem} has an unknown kind {kind!r}")
        if not (_is_id(lo) and _is_id(hi) and lo <= hi and hi >= 1):
            raise Unusable(f"{questions_problem} has invalid min_choices/max_choices")
        if not isinstance(required, bool) or not isinstance(text, str):
            raise Unusable(f"{questions_problem} needs `required` (boolean) and `text`")
        raw_options = q.get("options")
        if not isinstance(raw_options, list):
            raise Unusable(f"{questions_problem} has no list of options")
        options: dict[int, Option] = {}
        for o in raw_options:
            if not isinstance(o, dict):
                raise Unusable(f"an option of {questions_problem} is not an object")
            oid, otext, free = o.get("id"), o.get("text"), o.get("free_text")
            if not _is_id(oid) or oid in options:
                raise Unusable(f"an option of {questions_problem} has no id or a repeated one")
            if not isinstance(otext, str) or not isinstance(free, bool):
                raise Unusable(f"an option of {questions_problem} needs `text` and `free_text`")
            options[oid] = Option(oid, otext, free)
        questions[qid] = Question(qid, position, kind, lo, hi, required, text, options)
    return Manifest(origin, log_key, witness_keys, poll_id, title, questions)


# --- Entries --------------------------------------------------------------------------------------


class BallotRules:
    """Decides whether entry bytes are a canonical, valid ballot of the poll.

    A poll has few distinct answer combinations and many ballots, so each distinct canonical
    "answers" array is validated once and given a small choice-set id; the tally then counts
    ids. The fast path accepts an entry without parsing it only when its bytes are exactly
    `{"answers":<an already validated canonical array>,"ballot":"<plain id>","poll":<origin>,
    "v":1}`, which is precisely a canonical valid ballot; everything else takes the full path.
    """

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        self._encode = json.JSONEncoder(
            sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode
        self._known: dict[bytes, int] = {}
        self.choice_sets: list[tuple[tuple[int, int], ...]] = []
        origin_json = self._encode(manifest.origin).encode("utf-8")
        self._fast = re.compile(
            rb'\{"answers":(\[.*?\]),"ballot":"([!#-\[\]-~]{1,200})","poll":'
            + re.escape(origin_json)
            + rb',"v":1\}',
            re.DOTALL,
        ).fullmatch
        self._required = [q for q in manifest.questions.values() if q.required]

    def check(self, data: bytes) -> tuple[str, int]:
        """(ballot id, choice-set id) of a valid entry; EntryProblem otherwise."""
        m = self._fast(data)
        if m is not None:
            cid = self._known.get(m.group(1))
            if cid is not None:
                return m.group(2).decode("ascii"), cid
        return self._check_slowly(data)

    def _check_slowly(self, data: bytes) -> tuple[str, int]:
        try:
            obj = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise EntryProblem("is not UTF-8 JSON") from exc
        if not isinstance(obj, dict) or set(obj) != {"answers", "ballot", "poll", "v"}:
            raise EntryProblem('is not an object with exactly "answers", "ballot", "poll", "v"')
        if not _is_int(obj["v"]) or obj["v"] != 1:
            raise EntryProblem(f"has version {obj['v']!r}, not 1")
        if obj["poll"] != self.manifest.origin:
            raise EntryProblem(f"belongs to {obj['poll']!r}, not to {self.manifest.origin!r}")
        ballot = obj["ballot"]
        if not isinstance(ballot, str) or not _BALLOT_ID.fullmatch(ballot):
            raise EntryProblem("has no ballot id of printable ASCII without spaces")
        answers = obj["answers"]
        pairs = self._validate_answers(answers)
        if self._encode(obj).encode("utf-8") != data:
            raise EntryProblem("is not in canonical (RFC 8785) form")
        key = self._encode(answers).encode("utf-8")
        cid = self._known.get(key)
        if cid is None:
            cid = len(self.choice_sets)
            self._known[key] = cid
            self.choice_sets.append(pairs)
        return ballot, cid

    def _validate_answers(self, answers: object) -> tuple[tuple[int, int], ...]:
        if not isinstance(answers, list):
            raise EntryProblem('has no list of "answers"')
        questions = self.manifest.questions
        answered: set[int] = set()
        last_position = -1
        pairs: list[tuple[int, int]] = []
        for answer in answers:
            if not isinstance(answer, dict) or not {"o", "q"} <= set(answer) <= {"o", "q", "t"}:
                raise EntryProblem('has an answer that is not {"o", "q"[, "t"]}')
            qid, chosen = answer["q"], answer["o"]
            question = questions.get(qid) if _is_int(qid) else None
            if question is None:
                raise EntryProblem(f"answers question {qid!r}, which the poll does not have")
            if question.position <= last_position:
                raise EntryProblem("lists answers out of question order, or one twice")
            last_position = question.position
            answered.add(qid)
            if not isinstance(chosen, list) or not all(_is_int(o) for o in chosen):
                raise EntryProblem(f"has no list of option ids for question {qid}")
            if any(a >= b for a, b in pairwise(chosen)):
                raise EntryProblem(f"lists the options of question {qid} unsorted or repeated")
            for o in chosen:
                if o not in question.options:
                    raise EntryProblem(f"chooses option {o}, which question {qid} does not have")
            count = len(chosen)
            if question.kind == "single":
                if count != 1:
                    raise EntryProblem(f"chooses {count} options in single-choice question {qid}")
            elif not max(1, question.min_choices) <= count <= question.max_choices:
                raise EntryProblem(
                    f"chooses {count} options in question {qid}, which allows "
                    f"{question.min_choices}–{question.max_choices}"
                )
            if "t" in answer:
                if not _is_int(answer["t"]) or answer["t"] != 1:
                    raise EntryProblem(f'has "t" other than 1 in question {qid}')
                if not any(question.options[o].free_text for o in chosen):
                    raise EntryProblem(
                        f"has an own-answer text in question {qid} without an own-answer option"
                    )
            pairs.extend((qid, o) for o in chosen)
        for question in self._required:
            if question.id not in answered:
                raise EntryProblem(f"leaves required question {question.id} unanswered")
        return tuple(pairs)


# --- Reading --------------------------------------------------------------------------------------


@contextmanager
def open_lines(path: str) -> Iterator[Iterator[bytes]]:
    """The lines of a file, gunzipped when it starts with the gzip magic bytes."""
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed below, wrapped by gzip when needed
    except OSError as exc:
        raise Unusable(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        stream: io.BufferedIOBase = raw
        if raw.peek(2)[:2] == b"\x1f\x8b":
            stream = io.BufferedReader(gzip.GzipFile(fileobj=raw, mode="rb"), 1 << 20)
        yield _guarded(stream, path)
    finally:
        raw.close()


def _guarded(stream: io.BufferedIOBase, path: str) -> Iterator[bytes]:
    try:
        yield from stream
    except (OSError, EOFError, zlib.error) as exc:
        raise Unusable(f"cannot read {path}: {exc}") from exc


def _load_json_file(path: str, what: str) -> Any:
    try:
        with open(path, "rb") as f:
            return json.loads(f.read())
    except OSError as exc:
        raise Unusable(f"cannot read the {what} {path}: {exc.strerror or exc}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unusable(f"the {what} {path} is not JSON") from exc


# --- The receipt ----------------------------------------------------------------------------------


@dataclass
class Receipt:
    origin: str
    ballot_id: str
    leaf_hash: bytes
    promise: str
    index: int | None
    tree_size: int | None
    inclusion_path: list[bytes] | None
    checkpoint: str | None
    # Filled while reading the export:
    found_at: int | None = None
    data_at_index: bytes | None = None
    data_found: bytes | None = None


def parse_receipt(obj: Any) -> Receipt:
    if not isinstance(obj, dict) or obj.get("format") != RECEIPT_FORMAT:
        raise Unusable(f"the receipt is not a {RECEIPT_FORMAT} bundle")
    try:
        origin, ballot_id, promise = obj["origin"], obj["ballot_id"], obj["promise"]
        leaf = bytes.fromhex(obj["leaf_hash"])
        index, tree_size = obj.get("index"), obj.get("tree_size")
        raw_path, checkpoint = obj.get("inclusion_path"), obj.get("checkpoint")
        path = None if raw_path is None else [bytes.fromhex(p) for p in raw_path]
    except (KeyError, TypeError, ValueError) as exc:
        raise Unusable(f"the receipt is malformed ({exc})") from exc
    if not all(isinstance(v, str) for v in (origin, ballot_id, promise)) or len(leaf) != 32:
        raise Unusable("the receipt needs origin, ballot_id, promise and a 32-byte leaf_hash")
    for name, value in (("index", index), ("tree_size", tree_size)):
        if value is not None and not (_is_int(value) and value >= 0):
            raise Unusable(f"the receipt's {name} is not a non-negative integer")
    if checkpoint is not None and not isinstance(checkpoint, str):
        raise Unusable("the receipt's checkpoint is not a note")
    return Receipt(origin, ballot_id, leaf, promise, index, tree_size, path, checkpoint)


# --- The verification -----------------------------------------------------------------------------


@dataclass
class SeenCheckpoint:
    line: int
    checkpoint: Checkpoint
    signed: bool
    cosigned_by: list[tuple[str, int]] = field(default_factory=list)  # (witness vkey, time)


@dataclass
class Verification:
    report: Report
    manifest: Manifest
    log: Verifier
    trusted_witnesses: list[CosignatureVerifier]
    declared_witnesses: list[CosignatureVerifier]
    receipt: Receipt | None
    rules: BallotRules
    entries: int = 0
    leaves: bytearray = field(default_factory=bytearray)
    choice_ids: array[int] = field(default_factory=lambda: array("I"))
    ballots: set[str] = field(default_factory=set)
    checkpoints: list[SeenCheckpoint] = field(default_factory=list)
    results: dict[str, Any] | None = None
    results_line: int = 0

    # Pass 1: stream the file ---------------------------------------------------------------------

    def read(self, lines: Iterator[bytes]) -> None:
        report = self.report
        section = 0  # 0 entries, 1 checkpoints, 2 results
        section_names = ("entries", "checkpoints", "results")
        loads = json.loads
        a2b = binascii.a2b_base64
        sha = hashlib.sha256
        leaves = self.leaves
        choice_ids = self.choice_ids
        ballots = self.ballots
        check = self.rules.check
        receipt = self.receipt
        receipt_leaf = receipt.leaf_hash if receipt is not None else None
        receipt_index = receipt.index if receipt is not None else None
        n = 0  # entries read: the position of the next leaf in the tree
        expected = 0  # the index the next entry line should carry
        for lineno, raw in enumerate(lines, start=2):
            try:
                obj = loads(raw)
            except (ValueError, UnicodeDecodeError) as exc:
                if not raw.strip():
                    continue  # a blank line carries nothing
                raise Unusable(f"line {lineno} is not JSON") from exc
            kind = obj.get("type") if isinstance(obj, dict) else None
            if kind == "entry":
                if section != 0:
                    report.fail_listed(
                        "structure",
                        f"structure: line {lineno} is an entry after the {section_names[section]}",
                    )
                index = obj.get("index")
                if index != expected or type(index) is not int:
                    report.fail_listed(
                        "index",
                        f"entry order: line {lineno} has index {index!r} where {expected} was "
                        "expected (an entry is missing, repeated or out of order)",
                    )
                    # Report each break once: continue from the index found.
                    expected = index if type(index) is int else expected
                expected += 1
                try:
                    data = a2b(obj.get("data"), strict_mode=True)
                except (binascii.Error, TypeError, ValueError):
                    report.fail_listed("entry", f"entry {n} (line {lineno}): data is not base64")
                    data = None
                if data is None:
                    leaf = bytes(32)
                    cid = _INVALID
                else:
                    leaf = sha(b"\x00" + data).digest()
                    try:
                        ballot, cid = check(data)
                    except EntryProblem as problem:
                        report.fail_listed("entry", f"entry {n} (line {lineno}) {problem}")
                        cid = _INVALID
                    else:
                        if ballot in ballots:
                            report.fail_listed(
                                "duplicate",
                                f"duplicate ballot: entry {n} (line {lineno}) repeats "
                                f"ballot id {ballot}",
                            )
                        else:
                            ballots.add(ballot)
                    if receipt is not None:
                        if n == receipt_index:
                            receipt.data_at_index = data
                        if leaf == receipt_leaf and receipt.found_at is None:
                            receipt.found_at = n
                            receipt.data_found = data
                leaves += leaf
                choice_ids.append(cid)
                n += 1
            elif kind == "checkpoint":
                if section > 1:
                    report.fail_listed(
                        "structure", f"structure: line {lineno} is a checkpoint after the results"
                    )
                section = max(section, 1)
                self._read_checkpoint(lineno, obj.get("note"))
            elif kind == "results":
                if self.results is not None:
                    report.fail_listed("structure", f"structure: line {lineno} repeats the results")
                section = 2
                self.results = obj
                self.results_line = lineno
            elif kind == "manifest":
                report.fail_listed("structure", f"structure: line {lineno} repeats the manifest")
            else:
                report.fail_listed(
                    "structure", f"structure: line {lineno} has unknown type {kind!r}"
                )
        self.entries = n

    def _read_checkpoint(self, lineno: int, note: object) -> None:
        report = self.report
        where = f"checkpoint on line {lineno}"
        if not isinstance(note, str):
            report.fail(f"{where}: no signed note")
            return
        try:
            # The log's signature alone decides whether the checkpoint is the log's; witness
            # lines are unknown keys to it and are checked one by one below.
            checkpoint, opened = Checkpoint.open(note, self.log)
        except NoteError as exc:
            if isinstance(exc, UnverifiedNoteError):
                report.fail(
                    f"{where}: not signed by the log key {self.log.name}+{self.log.key_id.hex()}"
                )
            elif isinstance(exc, InvalidSignatureError):
                report.fail(f"{where}: the log signature does not verify ({exc})")
            else:
                report.fail(f"{where}: malformed ({exc})")
            # Still read what it claims, so that its other problems show too.
            try:
                claimed = Checkpoint.parse(parse_note(note)[0])
            except NoteError:
                return
            self.checkpoints.append(SeenCheckpoint(lineno, claimed, signed=False))
            return
        seen = SeenCheckpoint(lineno, checkpoint, signed=True)
        text = opened.text.encode("utf-8")
        for witness in [*self.trusted_witnesses, *self.declared_witnesses]:
            line = next(
                (s for s in opened.unknown if (s.name, s.key_id) == (witness.name, witness.key_id)),
                None,
            )
            if line is None:
                continue
            if witness.verify(text, line.signature):
                seen.cosigned_by.append((witness.vkey, cosignature_timestamp(line)))
            else:
                report.fail(f"{where}: the cosignature of witness {witness.name} does not verify")
        self.checkpoints.append(seen)

    # After the pass ------------------------------------------------------------------------------

    def prefix_roots(self, sizes: set[int]) -> dict[int, bytes]:
        """The root of the first k entries for every k in `sizes` (each <= the entry count)."""
        roots: dict[int, bytes] = {0: EMPTY_ROOT}
        frontier = TreeFrontier()
        push = frontier.push
        buf = bytes(self.leaves)
        i = 0
        for target in sorted(sizes):
            end = target * 32
            while i < end:
                push(buf[i : i + 32])
                i += 32
            roots[target] = frontier.root()
        return roots

    def conclude(self) -> None:
        report = self.report
        n = self.entries
        if report.listed("structure"):
            report.more("structure", "structure problems")
        else:
            report.ok("structure: entries, then checkpoints, then results")
        if report.listed("index"):
            report.more("index", "breaks in the entry order")
        else:
            report.ok(
                f"entries: {n} entries with indexes 0…{n - 1} in order" if n else "entries: none"
            )
        if report.listed("entry"):
            report.more("entry", "invalid entries")
        else:
            report.ok(f"ballots: every entry is a canonical ballot of poll {self.manifest.poll_id}")
        if report.listed("duplicate"):
            report.more("duplicate", "duplicate ballots")
        else:
            report.ok(f"ballot ids: {len(self.ballots)} distinct, none repeated")

        wanted = {c.checkpoint.size for c in self.checkpoints if c.checkpoint.size <= n}
        wanted.add(n)
        receipt = self.receipt
        if receipt is not None and receipt.tree_size is not None and receipt.tree_size <= n:
            wanted.add(receipt.tree_size)
        roots = self.prefix_roots(wanted)
        self._check_checkpoints(roots)
        self._check_witnesses()
        self._check_results()
        if receipt is not None:
            self._check_receipt(receipt, roots)

    def _check_checkpoints(self, roots: dict[int, bytes]) -> None:
        report = self.report
        n = self.entries
        origin = self.manifest.origin
        good = True
        previous = -1
        for seen in self.checkpoints:
            cp = seen.checkpoint
            where = f"checkpoint on line {seen.line} (size {cp.size})"
            good &= seen.signed
            if cp.origin != origin:
                report.fail(f"{where}: origin {cp.origin!r} is not this log's {origin!r}")
                good = False
            if cp.size < previous:
                report.fail(f"{where}: comes after a checkpoint of size {previous}")
                good = False
            previous = max(previous, cp.size)
            if cp.size > n:
                report.fail(f"{where}: claims {cp.size} entries but the export has {n}")
                good = False
            elif cp.root != roots[cp.size]:
                report.fail(
                    f"{where}: root {cp.root.hex()} differs from the root of the first "
                    f"{cp.size} entries, {roots[cp.size].hex()}"
                )
                good = False
        count = len(self.checkpoints)
        if not count:
            if n:
                report.fail("checkpoints: the export has entries but no checkpoint")
            else:
                report.note("checkpoints: none (the log is empty)")
            return
        if good:
            sizes = sorted({s.checkpoint.size for s in self.checkpoints})
            report.ok(
                f"checkpoints: all {count} are signed by the log key, belong to {origin}, and "
                f"their roots equal the roots recomputed from the entries (sizes {sizes[0]}…"
                f"{sizes[-1]})"
            )
            report.ok(
                "consistency: every checkpoint is a prefix of the next — all are trees of the "
                "same sequence of entries, so the log only grew"
            )
        last = max(s.checkpoint.size for s in self.checkpoints)
        if last == n:
            report.ok(f"coverage: the latest checkpoint covers all {n} entries")
        elif last < n:
            report.fail(
                f"coverage: the latest checkpoint covers {last} entries; entries {last}…{n - 1} "
                "are in no signed checkpoint"
            )

    def _check_witnesses(self) -> None:
        report = self.report
        for witness, trusted in [
            *((w, True) for w in self.trusted_witnesses),
            *((w, False) for w in self.declared_witnesses),
        ]:
            sizes = [
                s.checkpoint.size
                for s in self.checkpoints
                if any(vkey == witness.vkey for vkey, _ in s.cosigned_by)
            ]
            name = f"witness {witness.name}"
            if sizes:
                message = (
                    f"{name}: cosigned {len(sizes)} of {len(self.checkpoints)} checkpoints, "
                    f"the largest of size {max(sizes)}"
                )
                if trusted:
                    report.ok(message)
                else:
                    report.note(
                        message + " (a key the export declares; pass --witness-key to rely on it)"
                    )
            elif trusted:
                report.fail(f"{name}: cosigned none of the checkpoints")
            else:
                report.note(f"{name}: declared by the export but cosigned none of the checkpoints")

    def _check_results(self) -> None:
        report = self.report
        results = self.results
        if results is None:
            report.note("results: the export has no published results")
            return
        where = f"results (line {self.results_line})"
        size, total = results.get("checkpoint_size"), results.get("total")
        if not _is_int(size) or not _is_int(total):
            report.fail(f"{where}: checkpoint_size and total must be integers")
            return
        if size > self.entries or size < 0:
            report.fail(f"{where}: counts {size} entries but the export has {self.entries}")
            return
        signed_sizes = {s.checkpoint.size for s in self.checkpoints if s.signed}
        if size not in signed_sizes:
            report.fail(f"{where}: size {size} is not the size of any signed checkpoint")
        if total != size:
            report.fail(f"{where}: total {total} is not the number of ballots counted, {size}")
        published: dict[tuple[int, int], int] = {}
        questions = results.get("questions")
        malformed = not isinstance(questions, list)
        for q in questions if isinstance(questions, list) else []:
            qid = q.get("id") if isinstance(q, dict) else None
            options = q.get("options") if isinstance(q, dict) else None
            if not _is_int(qid) or not isinstance(options, list):
                malformed = True
                break
            for o in options:
                oid = o.get("id") if isinstance(o, dict) else None
                count = o.get("count") if isinstance(o, dict) else None
                if not _is_int(oid) or not _is_int(count) or (qid, oid) in published:
                    malformed = True
                    continue
                published[qid, oid] = count
        if malformed:
            report.fail(f"{where}: malformed question/option counts")
            return
        computed: dict[tuple[int, int], int] = {
            (q.id, o): 0 for q in self.manifest.questions.values() for o in q.options
        }
        choice_sets = self.rules.choice_sets
        for cid, times in Counter(self.choice_ids[:size]).items():
            if cid != _INVALID:
                for pair in choice_sets[cid]:
                    computed[pair] += times
        differences = [
            (key, published.get(key), computed.get(key))
            for key in sorted(set(published) | set(computed))
            if published.get(key) != computed.get(key)
        ]
        for (qid, oid), claimed, actual in differences[:MAX_LISTED]:
            report.fail(
                f"tally: question {qid} option {oid}: published {_count(claimed)}, "
                f"the entries give {_count(actual)}"
            )
        if len(differences) > MAX_LISTED:
            report.fail(f"tally: … and {len(differences) - MAX_LISTED} more differences")
        if not differences:
            scope = "all" if size == self.entries else f"the first {size} of {self.entries}"
            report.ok(
                f"tally: the published results equal the recount of {scope} ballots "
                f"({len(computed)} options)"
            )

    def _check_receipt(self, receipt: Receipt, roots: dict[int, bytes]) -> None:
        report = self.report
        origin = self.manifest.origin
        if receipt.origin != origin:
            report.fail(f"receipt: it is for log {receipt.origin!r}, not {origin!r}")
        try:
            promise = open_promise(receipt.promise, self.log)
        except NoteError as exc:
            report.fail(f"receipt: the promise does not verify with the log key ({exc})")
            promise = None
        if promise is not None:
            mismatched = [
                name
                for name, same in (
                    ("origin", promise.origin == receipt.origin),
                    ("ballot id", promise.ballot_id == receipt.ballot_id),
                    ("leaf hash", promise.leaf_hash == receipt.leaf_hash),
                )
                if not same
            ]
            if mismatched:
                report.fail(
                    f"receipt: the promise's {', '.join(mismatched)} differ from the receipt"
                )
            else:
                report.ok(
                    f"receipt: the log promised (signed) at {promise.timestamp} to include ballot "
                    f"{promise.ballot_id} within {promise.max_merge_delay} s"
                )
        # The ballot in the log.
        index = receipt.index
        data: bytes | None = None
        if index is not None:
            if (
                index < self.entries
                and self.leaves[index * 32 : index * 32 + 32] == receipt.leaf_hash
            ):
                data = receipt.data_at_index
                report.ok(f"receipt: the ballot is entry {index} of the log")
            else:
                where = (
                    f"; that leaf is entry {receipt.found_at}"
                    if receipt.found_at is not None
                    else ""
                )
                report.fail(f"receipt: entry {index} of the log is not this ballot{where}")
        elif receipt.found_at is not None:
            data = receipt.data_found
            index = receipt.found_at
            report.ok(f"receipt: the ballot is in the log, as entry {index}")
        else:
            report.fail(
                "receipt: the ballot is not in the log: the log broke its promise"
                if promise is not None
                else "receipt: the ballot is not in the log"
            )
        if data is not None:
            try:
                ballot_id = json.loads(data).get("ballot")
            except (ValueError, AttributeError):
                ballot_id = None
            if ballot_id != receipt.ballot_id:
                report.fail(
                    f"receipt: the entry's ballot id is {ballot_id!r}, not {receipt.ballot_id!r}"
                )
        self._check_receipt_proof(receipt, roots)
        if data is not None and index is not None:
            self._show_ballot(data, index)

    def _check_receipt_proof(self, receipt: Receipt, roots: dict[int, bytes]) -> None:
        report = self.report
        if (
            receipt.checkpoint is None
            or receipt.tree_size is None
            or receipt.inclusion_path is None
        ):
            report.note(
                "receipt: no inclusion proof (the receipt was taken before the ballot was "
                "sealed); the signed promise and the export above are what show inclusion"
            )
            return
        if receipt.index is None:
            report.fail("receipt: an inclusion proof without the entry index")
            return
        try:
            checkpoint, _ = Checkpoint.open(receipt.checkpoint, self.log)
        except NoteError as exc:
            report.fail(f"receipt: its checkpoint does not verify with the log key ({exc})")
            return
        if checkpoint.origin != self.manifest.origin or checkpoint.size != receipt.tree_size:
            report.fail("receipt: its checkpoint is of another log or another size than the proof")
            return
        if verify_inclusion(
            receipt.index,
            checkpoint.size,
            receipt.leaf_hash,
            receipt.inclusion_path,
            checkpoint.root,
        ):
            report.ok(
                f"receipt: the inclusion proof shows entry {receipt.index} in the signed tree of "
                f"size {checkpoint.size}"
            )
        else:
            report.fail("receipt: the inclusion proof does not verify against its checkpoint")
        same = [s for s in self.checkpoints if s.checkpoint.size == checkpoint.size]
        if checkpoint.size > self.entries:
            report.fail(
                f"receipt: its checkpoint has {checkpoint.size} entries, the export only "
                f"{self.entries}: the export is missing entries"
            )
        elif any(s.checkpoint.root == checkpoint.root for s in same):
            report.ok("receipt: its checkpoint is one of the export's checkpoints")
        elif roots.get(checkpoint.size) == checkpoint.root:
            report.ok(
                "receipt: its checkpoint is consistent with the export (the export's first "
                f"{checkpoint.size} entries give the same root)"
            )
        else:
            report.fail(
                "receipt: its checkpoint contradicts the export — the log showed you a "
                "different history than it published (a fork)"
            )

    def _show_ballot(self, data: bytes, index: int) -> None:
        report = self.report
        try:
            answers = json.loads(data).get("answers")
        except (ValueError, AttributeError):
            return
        questions = self.manifest.questions
        report.text(f"The receipt's ballot (entry {index}), as recorded in the log:")
        for answer in answers if isinstance(answers, list) else []:
            qid = answer.get("q") if isinstance(answer, dict) else None
            question = questions.get(qid) if _is_int(qid) else None
            if question is None:
                continue
            chosen = [
                question.options[o].text for o in answer.get("o", []) if o in question.options
            ]
            own = " (with an own answer; its text is not in the log)" if answer.get("t") else ""
            report.text(f"  {question.text}: {'; '.join(chosen)}{own}")
        counted = self.results is not None and index < _as_int(self.results.get("checkpoint_size"))
        report.text(
            "It shows: this exact ballot is in the public log"
            + (" and is counted in the published results." if counted else ".")
        )
        report.text(
            "It does not show who cast it (entries carry no name, phone or account), nor "
            "that it was you: keep the receipt private if you do not want it linked to you."
        )
        if not self.trusted_witnesses:
            report.text(
                "Without --witness-key it does not show that everyone else was shown the same "
                "log; independent witnesses' cosignatures do."
            )


def _count(value: int | None) -> str:
    return "nothing" if value is None else str(value)


def _as_int(value: object) -> int:
    return value if isinstance(value, int) else -1


# --- Command line ---------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m activecitizen.verify",
        description="Check a poll's transparency export offline (see the module docstring).",
    )
    parser.add_argument("export", help="the export file (JSON Lines, optionally gzip)")
    parser.add_argument("--receipt", metavar="FILE", help="a receipt bundle to check")
    parser.add_argument("--log-key", metavar="VKEY", help="the log's verifier key you trust")
    parser.add_argument(
        "--witness-key",
        metavar="VKEY",
        action="append",
        default=[],
        help="a witness cosignature key you trust (repeatable)",
    )
    parser.add_argument("--quiet", action="store_true", help="print only failures and the verdict")
    return parser


def run(args: argparse.Namespace, out: TextIO) -> int:
    report = Report(out, quiet=args.quiet)
    try:
        trusted = [_cosigner_key(k, "--witness-key") for k in args.witness_key]
        user_log = _log_key(args.log_key, "--log-key") if args.log_key else None
        receipt = parse_receipt(_load_json_file(args.receipt, "receipt")) if args.receipt else None
        with open_lines(args.export) as lines:
            first = next(lines, None)
            if first is None:
                raise Unusable(f"{args.export} is empty")
            try:
                manifest = parse_manifest(json.loads(first))
            except (ValueError, UnicodeDecodeError) as exc:
                raise Unusable("the first line is not JSON") from exc
            log = _choose_log_key(report, manifest, user_log)
            declared = _declared_witnesses(report, manifest, trusted)
            verification = Verification(
                report, manifest, log, trusted, declared, receipt, BallotRules(manifest)
            )
            verification.read(lines)
        verification.conclude()
    except Unusable as exc:
        print(f"UNUSABLE {exc}", file=out)
        return EXIT_UNUSABLE
    if report.failures:
        print(f"RESULT: FAILED — {report.failures} problem(s) found", file=out)
        return EXIT_FAILED
    print(f"RESULT: PASSED — all {report.passed} checks passed", file=out)
    return EXIT_OK


def _log_key(vkey: str, where: str) -> Verifier:
    try:
        return Verifier.from_vkey(vkey)
    except NoteError as exc:
        raise Unusable(f"{where}: not an Ed25519 note verifier key ({exc})") from exc


def _cosigner_key(vkey: str, where: str) -> CosignatureVerifier:
    try:
        return CosignatureVerifier.from_vkey(vkey)
    except NoteError as exc:
        raise Unusable(f"{where}: not a cosignature/v1 verifier key ({exc})") from exc


def _choose_log_key(report: Report, manifest: Manifest, user_log: Verifier | None) -> Verifier:
    if user_log is None:
        log = _log_key(manifest.log_key, "the manifest's log_key")
        report.ok(
            f"manifest: {EXPORT_FORMAT}, log {manifest.origin}, poll {manifest.poll_id} "
            f"“{manifest.title}”, {len(manifest.questions)} question(s)"
        )
        report.note(
            f"log key {log.vkey} is the one the export declares. Anyone can make an export "
            "that checks out with its own key: compare it with the key the city publishes, or "
            "pass it with --log-key."
        )
        return log
    report.ok(
        f"manifest: {EXPORT_FORMAT}, log {manifest.origin}, poll {manifest.poll_id} "
        f"“{manifest.title}”, {len(manifest.questions)} question(s)"
    )
    try:
        declared: Verifier | None = Verifier.from_vkey(manifest.log_key)
    except NoteError:
        declared = None
    if declared is None or declared.vkey != user_log.vkey:
        report.fail(
            f"log key: the export declares {manifest.log_key!r}, not the key you trust "
            f"{user_log.vkey!r}; checking signatures with yours"
        )
    else:
        report.ok(f"log key: the export declares the key you trust, {user_log.name}")
    return user_log


def _declared_witnesses(
    report: Report, manifest: Manifest, trusted: list[CosignatureVerifier]
) -> list[CosignatureVerifier]:
    declared: list[CosignatureVerifier] = []
    known = {w.vkey for w in trusted}
    for vkey in manifest.witness_keys:
        try:
            witness = CosignatureVerifier.from_vkey(vkey)
        except NoteError as exc:
            report.fail(f"manifest: witness key {vkey!r} is malformed ({exc})")
            continue
        if witness.vkey not in known:
            known.add(witness.vkey)
            declared.append(witness)
    return declared


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    out = sys.stdout
    if isinstance(out, io.TextIOWrapper):
        out.reconfigure(errors="backslashreplace")
    return run(args, out)


if __name__ == "__main__":
    sys.exit(main())
