"""An independent witness of the city's transparency logs.

    python -m activecitizen.witness URL --key SKEY_FILE --log-key VKEY --state DIR
        [--once] [--interval SECONDS] [--timeout SECONDS]
    python -m activecitizen.witness --generate-key NAME

Run by someone other than the city (a newspaper, a university, an NGO) on their own machine, it
makes sure the city shows everyone one and the same append-only history of every poll's ballots:
for each log it fetches the latest signed checkpoint, checks the log's signature, and checks
that the checkpoint extends the last one it cosigned (a consistency proof, RFC 9162 §2.1.4).
Only then does it cosign the checkpoint (c2sp.org/tlog-cosignature, cosignature/v1) and hand
the cosignature back to the server, which publishes it next to the log's own signature. A
verifier that trusts this witness's key then knows that the witness saw the same tree.

If a checkpoint is *not* consistent with what the witness cosigned before (a smaller tree, the
same size with another root, or a consistency proof that fails), the log has forked or rolled
back: the witness prints an alarm to stderr, writes the evidence (both signed checkpoints and the
proof) into the state directory, never cosigns, and exits with code 3. It refuses that log on
every later run too, until a person has looked at the evidence and removed the file.

It needs only the standard library, `cryptography` and activecitizen.transparency.{merkle,notes}
(no Django). Server API used (JSON unless said otherwise):

    GET  {URL}/api/v1/transparency/logs
         -> {"items": [{"origin_id": "poll-42", "origin": "<origin>", "size": n}, ...],
             "next": "<absolute URL of the next page>" | null}
    GET  {URL}/api/v1/transparency/logs/{origin_id}/checkpoint        -> the signed note (text)
    GET  {URL}/api/v1/transparency/logs/{origin_id}/proof/consistency?first=M&second=N
         -> {"path": ["<hex>", ...]}
    POST {URL}/api/v1/transparency/logs/{origin_id}/cosignatures
         {"checkpoint": "<the note as fetched>", "signature": "— <name> <base64>\\n"}
         -> 201 or 200

State: one JSON file per log origin in the state directory, {"size", "root_b64", "checkpoint"}
(the last checkpoint this witness cosigned), replaced atomically.

Exit codes: 0 all logs witnessed; 1 some log could not be witnessed this round (network, a
missing or bad log signature, a malformed answer: nothing was cosigned for it); 2 usage; 3 a fork
or rollback was detected.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import os
import re
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from activecitizen.transparency.merkle import EMPTY_ROOT, verify_consistency
from activecitizen.transparency.notes import (
    Checkpoint,
    CosignatureSigner,
    NoteError,
    Verifier,
    generate_cosigner,
)

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_FORK = 3

USER_AGENT = "activecitizen-witness/1"
MAX_RESPONSE = 1 << 20  # no honest answer of this API is anywhere near 1 MiB
MAX_PAGES = 10_000
_ORIGIN_ID = re.compile(r"[A-Za-z0-9._~-]{1,200}")


class WitnessError(Exception):
    """This log cannot be witnessed this round; nothing was cosigned."""


class Fork(Exception):
    """The log showed a history inconsistent with one this witness cosigned."""

    def __init__(self, origin: str, reason: str, evidence: dict[str, Any]) -> None:
        super().__init__(reason)
        self.origin = origin
        self.reason = reason
        self.evidence = evidence


@dataclass(frozen=True)
class State:
    """The last checkpoint this witness cosigned for one origin."""

    size: int
    root: bytes
    checkpoint: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "root_b64": base64.b64encode(self.root).decode("ascii"),
            "checkpoint": self.checkpoint,
        }

    @classmethod
    def from_json(cls, obj: Any) -> State:
        try:
            size, root = obj["size"], base64.b64decode(obj["root_b64"], validate=True)
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            raise WitnessError(f"the saved state is corrupt ({exc})") from exc
        checkpoint = obj.get("checkpoint")
        if type(size) is not int or size < 0 or len(root) != 32:
            raise WitnessError("the saved state is corrupt")
        return cls(size, root, checkpoint if isinstance(checkpoint, str) else None)


# --- HTTP -----------------------------------------------------------------------------------------


Opener = Callable[..., Any]


class Client:
    """Just enough HTTP for the four calls, with size limits and clear errors."""

    def __init__(self, base_url: str, *, timeout: float, opener: Opener | None = None) -> None:
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"not an http(s) URL: {base_url}")
        self.base = base_url.rstrip("/")
        self._site = (parts.scheme, parts.netloc)
        self.timeout = timeout
        self._open = opener or urllib.request.urlopen

    def url(self, path: str, **query: int) -> str:
        url = f"{self.base}{path}"
        return f"{url}?{urllib.parse.urlencode(query)}" if query else url

    def same_site(self, url: str) -> bool:
        parts = urllib.parse.urlsplit(url)
        return (parts.scheme, parts.netloc) == self._site

    def request(self, url: str, *, body: dict[str, Any] | None = None) -> tuple[int, bytes]:
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"User-Agent": USER_AGENT}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - http(s) checked in __init__
        try:
            with self._open(request, timeout=self.timeout) as response:
                content = response.read(MAX_RESPONSE + 1)
                status = response.status
        except urllib.error.HTTPError as exc:
            raise WitnessError(f"{url}: HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            raise WitnessError(f"{url}: {getattr(exc, 'reason', exc)}") from exc
        if len(content) > MAX_RESPONSE:
            raise WitnessError(f"{url}: the answer is larger than {MAX_RESPONSE} bytes")
        return status, content

    def get_json(self, url: str) -> Any:
        _, content = self.request(url)
        try:
            return json.loads(content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise WitnessError(f"{url}: the answer is not JSON") from exc

    def get_text(self, url: str) -> str:
        _, content = self.request(url)
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WitnessError(f"{url}: the answer is not UTF-8") from exc


# --- The witness ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogRef:
    origin_id: str
    origin: str


class Witness:
    def __init__(
        self,
        client: Client,
        cosigner: CosignatureSigner,
        log_key: Verifier,
        state_dir: Path,
        *,
        clock: Callable[[], float] = time.time,
        out: TextIO | None = None,
        err: TextIO | None = None,
    ) -> None:
        self.client = client
        self.cosigner = cosigner
        self.own = cosigner.verifier()
        self.log_key = log_key
        self.state_dir = state_dir
        self.clock = clock
        self.out = out or sys.stdout
        self.err = err or sys.stderr

    # One round ------------------------------------------------------------------------------------

    def run_once(self) -> int:
        try:
            logs = self.list_logs()
        except WitnessError as exc:
            print(f"ERROR listing the logs: {exc}", file=self.err)
            return EXIT_ERROR
        errors = 0
        for ref in logs:
            try:
                self.witness(ref)
            except Fork as fork:
                self.alarm(fork)
                return EXIT_FORK
            except WitnessError as exc:
                errors += 1
                print(f"ERROR {ref.origin}: {exc}", file=self.err)
        return EXIT_ERROR if errors else EXIT_OK

    def list_logs(self) -> list[LogRef]:
        logs: list[LogRef] = []
        url: str | None = self.client.url("/api/v1/transparency/logs")
        seen: set[str] = set()
        while url is not None:
            if url in seen or len(seen) >= MAX_PAGES:
                raise WitnessError("the list of logs does not end")
            seen.add(url)
            page = self.client.get_json(url)
            if not isinstance(page, dict) or not isinstance(page.get("items"), list):
                raise WitnessError(f"{url}: not a list of logs")
            for item in page["items"]:
                origin_id = item.get("origin_id") if isinstance(item, dict) else None
                origin = item.get("origin") if isinstance(item, dict) else None
                if not isinstance(origin_id, str) or not _ORIGIN_ID.fullmatch(origin_id):
                    raise WitnessError(f"{url}: a log without a plain origin_id")
                if not isinstance(origin, str) or not origin:
                    raise WitnessError(f"{url}: log {origin_id} has no origin")
                logs.append(LogRef(origin_id, origin))
            url = page.get("next")
            if url is not None and (not isinstance(url, str) or not self.client.same_site(url)):
                raise WitnessError(f"the next page {url!r} is not on {self.client.base}")
        return logs

    def witness(self, ref: LogRef) -> None:
        """Check and cosign the latest checkpoint of one log; Fork or WitnessError otherwise."""
        evidence_path = self._path("fork", ref.origin)
        if evidence_path.exists():
            raise Fork(
                ref.origin,
                f"a fork of this log was detected earlier; see {evidence_path}",
                {},
            )
        base = f"/api/v1/transparency/logs/{urllib.parse.quote(ref.origin_id, safe='')}"
        note = self.client.get_text(self.client.url(f"{base}/checkpoint"))
        try:
            checkpoint, opened = Checkpoint.open(note, self.log_key)
        except NoteError as exc:
            raise WitnessError(
                f"the checkpoint is not validly signed by the log key: {exc}"
            ) from exc
        if checkpoint.origin != ref.origin:
            raise WitnessError(f"the checkpoint is of {checkpoint.origin!r}, not {ref.origin!r}")
        if checkpoint.size == 0 and checkpoint.root != EMPTY_ROOT:
            raise WitnessError("a signed empty tree with a root other than SHA-256('')")

        old = self.load_state(ref.origin)
        proof: list[str] | None = None
        if old is None:
            print(f"{ref.origin}: first sight, size {checkpoint.size}", file=self.out)
        elif checkpoint.size < old.size:
            raise self._fork(
                ref, old, note, None, f"rolled back from {old.size} to {checkpoint.size}"
            )
        elif checkpoint.size == old.size:
            if checkpoint.root != old.root:
                raise self._fork(ref, old, note, None, f"two different trees of size {old.size}")
            # Already cosigned and published: nothing to do. (If the server lost our
            # cosignature, cosign again below.)
            mine = [
                s for s in opened.unknown if (s.name, s.key_id) == (self.own.name, self.own.key_id)
            ]
            if mine and self.own.verify(opened.text.encode("utf-8"), mine[0].signature):
                print(f"{ref.origin}: unchanged at size {old.size}", file=self.out)
                return
        elif old.size == 0:
            if old.root != EMPTY_ROOT:
                raise WitnessError("the saved state has an impossible empty tree")
        else:
            proof = self._consistency_path(base, old.size, checkpoint.size)
            path = [bytes.fromhex(p) for p in proof]
            if not verify_consistency(old.size, checkpoint.size, old.root, checkpoint.root, path):
                raise self._fork(
                    ref,
                    old,
                    note,
                    proof,
                    f"size {checkpoint.size} is not an extension of size {old.size} "
                    "(the consistency proof fails)",
                )

        line = self.cosigner.cosign(opened.text, int(self.clock()))
        status, _ = self.client.request(
            self.client.url(f"{base}/cosignatures"), body={"checkpoint": note, "signature": line}
        )
        if status not in (200, 201):
            raise WitnessError(f"the server did not take the cosignature (HTTP {status})")
        self.save_state(ref.origin, State(checkpoint.size, checkpoint.root, note))
        grown = "" if old is None else f" (from {old.size})"
        print(f"{ref.origin}: cosigned size {checkpoint.size}{grown}", file=self.out)

    def _consistency_path(self, base: str, first: int, second: int) -> list[str]:
        url = self.client.url(f"{base}/proof/consistency", first=first, second=second)
        answer = self.client.get_json(url)
        path = answer.get("path") if isinstance(answer, dict) else None
        if not isinstance(path, list) or not all(
            isinstance(p, str) and re.fullmatch(r"[0-9a-fA-F]{64}", p) for p in path
        ):
            raise WitnessError(f"{url}: not a consistency proof")
        return path

    def _fork(
        self, ref: LogRef, old: State, note: str, proof: list[str] | None, reason: str
    ) -> Fork:
        evidence = {
            "origin": ref.origin,
            "origin_id": ref.origin_id,
            "detected_at": int(self.clock()),
            "reason": reason,
            "log_key": self.log_key.vkey,
            "cosigned_before": old.to_json(),
            "now_served": note,
            "consistency_proof": proof,
        }
        return Fork(ref.origin, reason, evidence)

    def alarm(self, fork: Fork) -> None:
        where = self._path("fork", fork.origin)
        if fork.evidence:
            _write_atomically(where, fork.evidence)
        print(
            f"ALARM: FORK OR ROLLBACK of log {fork.origin}: {fork.reason}.\n"
            f"ALARM: the log signed a history inconsistent with one this witness cosigned. "
            f"Nothing was cosigned. Evidence: {where}\n"
            "ALARM: this witness will refuse the log until a person has examined the evidence "
            "and removed that file.",
            file=self.err,
        )

    # State ---------------------------------------------------------------------------------------

    def _path(self, kind: str, origin: str) -> Path:
        readable = re.sub(r"[^A-Za-z0-9._-]", "_", origin)[:80]
        digest = hashlib.sha256(origin.encode("utf-8")).hexdigest()[:12]
        return self.state_dir / f"{kind}-{readable}-{digest}.json"

    def load_state(self, origin: str) -> State | None:
        path = self._path("state", origin)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise WitnessError(f"cannot read {path}: {exc}") from exc
        try:
            return State.from_json(json.loads(text))
        except ValueError as exc:
            raise WitnessError(f"{path} is not JSON") from exc

    def save_state(self, origin: str, state: State) -> None:
        _write_atomically(self._path("state", origin), state.to_json())


def _write_atomically(path: Path, obj: dict[str, Any]) -> None:
    """Write, flush to disk, then rename over the old file: a crash leaves old or new, not half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=2, ensure_ascii=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


# --- Command line ---------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m activecitizen.witness",
        description="Cosign a city's transparency logs after checking they only grow.",
    )
    parser.add_argument("url", nargs="?", help="the site, e.g. https://city.example")
    parser.add_argument("--key", metavar="SKEY_FILE", help="file with this witness's signer key")
    parser.add_argument("--log-key", metavar="VKEY", help="the log's verifier key")
    parser.add_argument("--state", metavar="DIR", help="directory for the witness's state")
    parser.add_argument("--once", action="store_true", help="one round, then exit")
    parser.add_argument(
        "--interval", metavar="S", type=float, default=60.0, help="seconds between rounds"
    )
    parser.add_argument("--timeout", metavar="S", type=float, default=30.0, help="HTTP timeout")
    parser.add_argument(
        "--generate-key", metavar="NAME", help="print a new signer key and verifier key, then exit"
    )
    return parser


def main(argv: Sequence[str] | None = None, *, opener: Opener | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.generate_key:
        try:
            skey, vkey = generate_cosigner(args.generate_key)
        except NoteError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        print(skey)
        print(vkey)
        return EXIT_OK
    if not (args.url and args.key and args.log_key and args.state):
        parser.print_usage(sys.stderr)
        print("error: URL, --key, --log-key and --state are required", file=sys.stderr)
        return EXIT_USAGE
    try:
        cosigner = CosignatureSigner.from_skey(Path(args.key).read_text(encoding="utf-8"))
        log_key = Verifier.from_vkey(args.log_key)
        client = Client(args.url, timeout=args.timeout, opener=opener)
    except (OSError, NoteError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    state_dir = Path(args.state)
    state_dir.mkdir(parents=True, exist_ok=True)
    witness = Witness(client, cosigner, log_key, state_dir)
    while True:
        code = witness.run_once()
        if args.once or code == EXIT_FORK:
            return code
        try:
            time.sleep(max(args.interval, 1.0))
        except KeyboardInterrupt:
            return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
