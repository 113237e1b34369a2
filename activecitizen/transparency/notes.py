"""Signed notes, checkpoints, witness cosignatures and promises of inclusion.

Standard library and `cryptography` (Ed25519) only, so that the offline verifier and the witness
run without Django. The formats are the C2SP ones, shared with the Go checksum database, Sigstore
and Sigsum, so that tools nobody here wrote can check what the city publishes:

- signed notes, https://c2sp.org/signed-note (golang.org/x/mod/sumdb/note is the reference
  implementation; its test key and note are checked in the tests);
- checkpoints, https://c2sp.org/tlog-checkpoint;
- Ed25519 cosignatures, https://c2sp.org/tlog-cosignature ("cosignature/v1").

A signed note is a text ending in a newline, a blank line, then one or more signature lines
"— <key name> <base64(4-byte key ID || signature)>\\n" (U+2014 em dash). The text is separated
from the signatures by the *last* blank line, so the text may itself contain blank lines (the
spec allows it; checkpoints and promises do not). Notes are UTF-8 without ASCII control
characters other than newline.

Key strings (the `vkey`/`skey` encodings of golang.org/x/mod/sumdb/note):

- log verifier key:   "<name>+<8 hex key ID>+<base64(0x01 || 32-byte Ed25519 public key)>"
- log signer key:     "PRIVATE+KEY+<name>+<8 hex key ID>+<base64(0x01 || 32-byte seed)>"
- witness verifier:   "<name>+<8 hex key ID>+<base64(0x04 || 32-byte Ed25519 public key)>"
  (c2sp.org/tlog-cosignature: "Ed25519 public keys MAY be encoded as vkeys with signature
  type 0x04")
- witness signer:     "PRIVATE+KEY+<name>+<8 hex key ID>+<base64(0x04 || 32-byte seed)>"
  (the form github.com/transparency-dev/formats/note.NewSignerForCosignatureV1 reads)

key ID = SHA-256(name || 0x0A || type byte || 32-byte public key)[:4], type 0x01 for note
signatures and 0x04 for cosignatures, so one name can never confuse the two.

A promise is this project's signed certificate of future inclusion (like CT's SCT): a note
signed by the log key whose text is exactly

    activecitizen promise v1
    <origin>
    <ballot id>
    <leaf hash, 64 lowercase hex digits>
    <unix time, seconds>
    <maximum merge delay, seconds>

Its first line can never be a checkpoint's size line, and no checkpoint may have that line as
its origin (`Checkpoint` refuses it), so a signature on one can never be passed off as the other.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

__all__ = [
    "ALG_COSIGNATURE_V1",
    "ALG_ED25519",
    "MAX_SIGNATURES",
    "PROMISE_HEADER",
    "Checkpoint",
    "CosignatureSigner",
    "CosignatureVerifier",
    "InvalidSignatureError",
    "NoteError",
    "NoteSigner",
    "NoteVerifier",
    "OpenedNote",
    "Promise",
    "SignatureLine",
    "Signer",
    "UnverifiedNoteError",
    "Verifier",
    "add_signatures",
    "cosignature_timestamp",
    "generate_cosigner",
    "generate_signer",
    "is_valid_key_name",
    "key_id",
    "open_note",
    "open_promise",
    "parse_note",
    "parse_promise",
    "promise_body",
    "sign_note",
]

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04

#: The spec asks verifiers to accept at least 16 signatures and to cap them; Go caps at 100.
MAX_SIGNATURES = 100

#: The largest timestamp a cosignature may carry (c2sp.org/tlog-cosignature: "MUST NOT
#: exceed 2^63 - 1").
MAX_TIMESTAMP = 2**63 - 1

PROMISE_HEADER = "activecitizen promise v1"

_SIGNATURE_PREFIX = "\u2014 "  # em dash, space
_HEX_KEY_ID = re.compile(r"[0-9a-fA-F]{8}")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_LOWER_HEX_HASH = re.compile(r"[0-9a-f]{64}")
_ED25519_SIGNATURE_SIZE = 64


class NoteError(ValueError):
    """A note, key or checkpoint that is malformed or does not verify."""


class UnverifiedNoteError(NoteError):
    """A well-formed note that carries no valid signature from any of the given keys."""


class InvalidSignatureError(NoteError):
    """A signature from a known key that does not verify: the whole note is rejected."""


# --- Names, key IDs, base64 ---------------------------------------------------------------------


def is_valid_key_name(name: str) -> bool:
    """Non-empty, no Unicode spaces, no "+" (the signed-note rule), no control characters."""
    return (
        bool(name)
        and "+" not in name
        and not any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name)
        and _is_utf8(name)
    )


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return False
    return True


def key_id(name: str, alg: int, public_key: bytes) -> bytes:
    """SHA-256(name || 0x0A || alg || public key)[:4], the recommended signed-note key ID."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([alg]) + public_key).digest()[:4]


def _b64decode(text: str) -> bytes:
    """Standard base64 with padding, canonical only (re-encoding gives back the same text).

    Canonical-only keeps one signature from having several spellings (which would defeat
    de-duplication) and rejects the characters `b64decode` would otherwise skip.
    """
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NoteError("invalid base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise NoteError("non-canonical base64")
    return raw


def _b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _private_seed(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def _parse_vkey(vkey: str, alg: int) -> tuple[str, bytes, bytes]:
    """(name, key ID, public key) of "<name>+<hex id>+<base64(alg || key)>", checked."""
    name, _, rest = vkey.partition("+")
    hex_id, _, key64 = rest.partition("+")
    if not is_valid_key_name(name) or not _HEX_KEY_ID.fullmatch(hex_id):
        raise NoteError("malformed verifier key")
    raw = _b64decode(key64)
    if len(raw) != 33 or raw[0] != alg:
        raise NoteError(f"not an algorithm {alg:#04x} Ed25519 verifier key")
    public = raw[1:]
    kid = bytes.fromhex(hex_id)
    if kid != key_id(name, alg, public):
        raise NoteError("verifier key ID does not match its name and key")
    return name, kid, public


def _parse_skey(skey: str, alg: int) -> tuple[str, bytes, Ed25519PrivateKey]:
    """(name, key ID, private key) of "PRIVATE+KEY+<name>+<hex id>+<base64(alg || seed)>"."""
    parts = skey.split("+", 4)
    if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
        raise NoteError("malformed signer key")
    name, hex_id, key64 = parts[2], parts[3], parts[4]
    if not is_valid_key_name(name) or not _HEX_KEY_ID.fullmatch(hex_id):
        raise NoteError("malformed signer key")
    raw = _b64decode(key64)
    if len(raw) != 33 or raw[0] != alg:
        raise NoteError(f"not an algorithm {alg:#04x} Ed25519 signer key")
    private = Ed25519PrivateKey.from_private_bytes(raw[1:])
    kid = bytes.fromhex(hex_id)
    # The ID is of the public key: derive it, then check (as Go's NewSigner does).
    if kid != key_id(name, alg, _public_bytes(private.public_key())):
        raise NoteError("signer key ID does not match its name and key")
    return name, kid, private


def _key_strings(name: str, alg: int, private: Ed25519PrivateKey) -> tuple[str, str]:
    if not is_valid_key_name(name):
        raise NoteError(f"invalid key name {name!r}")
    public = _public_bytes(private.public_key())
    kid = key_id(name, alg, public).hex()
    skey = f"PRIVATE+KEY+{name}+{kid}+{_b64encode(bytes([alg]) + _private_seed(private))}"
    vkey = f"{name}+{kid}+{_b64encode(bytes([alg]) + public)}"
    return skey, vkey


# --- Signers and verifiers ------------------------------------------------------------------------


class NoteSigner(Protocol):
    """Anything that signs note texts: a log key or a witness key."""

    @property
    def name(self) -> str: ...
    @property
    def key_id(self) -> bytes: ...
    def sign(self, text: bytes) -> bytes: ...


class NoteVerifier(Protocol):
    """Anything that checks a signature line's payload (after the key ID) over a note text."""

    @property
    def name(self) -> str: ...
    @property
    def key_id(self) -> bytes: ...
    def verify(self, text: bytes, signature: bytes) -> bool: ...


def generate_signer(name: str) -> tuple[str, str]:
    """A new Ed25519 note key: (signer key string, verifier key string)."""
    return _key_strings(name, ALG_ED25519, Ed25519PrivateKey.generate())


def generate_cosigner(name: str) -> tuple[str, str]:
    """A new witness key for cosignature/v1: (signer key string, verifier key string)."""
    return _key_strings(name, ALG_COSIGNATURE_V1, Ed25519PrivateKey.generate())


@dataclass(frozen=True, eq=False)
class Signer:
    """An Ed25519 note signer (signature type 0x01): the log's key."""

    name: str
    key_id: bytes
    _private: Ed25519PrivateKey = field(repr=False)

    @classmethod
    def from_skey(cls, skey: str) -> Signer:
        name, kid, private = _parse_skey(skey.strip(), ALG_ED25519)
        return cls(name, kid, private)

    def sign(self, text: bytes) -> bytes:
        return self._private.sign(text)

    @property
    def vkey(self) -> str:
        return _key_strings(self.name, ALG_ED25519, self._private)[1]

    def verifier(self) -> Verifier:
        return Verifier.from_vkey(self.vkey)


@dataclass(frozen=True, eq=False)
class Verifier:
    """An Ed25519 note verifier (signature type 0x01)."""

    name: str
    key_id: bytes
    _public: Ed25519PublicKey = field(repr=False)

    @classmethod
    def from_vkey(cls, vkey: str) -> Verifier:
        name, kid, public = _parse_vkey(vkey.strip(), ALG_ED25519)
        return cls(name, kid, Ed25519PublicKey.from_public_bytes(public))

    @property
    def vkey(self) -> str:
        alg = bytes([ALG_ED25519])
        return f"{self.name}+{self.key_id.hex()}+{_b64encode(alg + self.public_key)}"

    @property
    def public_key(self) -> bytes:
        return _public_bytes(self._public)

    def verify(self, text: bytes, signature: bytes) -> bool:
        if len(signature) != _ED25519_SIGNATURE_SIZE:
            return False
        try:
            self._public.verify(signature, text)
        except InvalidSignature:
            return False
        return True


def _cosigned_message(body: bytes, timestamp: int) -> bytes:
    # c2sp.org/tlog-cosignature, "Ed25519 signed message": header line, time line, the whole
    # checkpoint text (extension lines included).
    return b"cosignature/v1\ntime %d\n" % timestamp + body


@dataclass(frozen=True, eq=False)
class CosignatureSigner:
    """A witness's timestamped Ed25519 cosigner (cosignature/v1, signature type 0x04)."""

    name: str
    key_id: bytes
    _private: Ed25519PrivateKey = field(repr=False)

    @classmethod
    def from_skey(cls, skey: str) -> CosignatureSigner:
        name, kid, private = _parse_skey(skey.strip(), ALG_COSIGNATURE_V1)
        return cls(name, kid, private)

    @property
    def vkey(self) -> str:
        return _key_strings(self.name, ALG_COSIGNATURE_V1, self._private)[1]

    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier.from_vkey(self.vkey)

    def sign_at(self, text: bytes, timestamp: int) -> bytes:
        """The signature line payload after the key ID: 8-byte big-endian time || signature."""
        if not 0 <= timestamp <= MAX_TIMESTAMP:
            raise NoteError("a cosignature timestamp is between 0 and 2^63 - 1")
        # The Go implementation refuses to cosign fewer than three lines; we insist on a
        # well-formed checkpoint, which is what a cosignature vouches for.
        try:
            Checkpoint.parse(text.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise NoteError("a checkpoint is UTF-8") from exc
        signature = self._private.sign(_cosigned_message(text, timestamp))
        return timestamp.to_bytes(8, "big") + signature

    def sign(self, text: bytes) -> bytes:
        """NoteSigner: cosign at the current time."""
        return self.sign_at(text, int(time.time()))

    def cosign(self, checkpoint_body: str, timestamp: int) -> str:
        """The signature line "— <name> <base64(key ID || time || signature)>\\n"."""
        payload = self.sign_at(checkpoint_body.encode("utf-8"), timestamp)
        return f"{_SIGNATURE_PREFIX}{self.name} {_b64encode(self.key_id + payload)}\n"


@dataclass(frozen=True, eq=False)
class CosignatureVerifier:
    """Checks cosignature/v1 signature lines of one witness."""

    name: str
    key_id: bytes
    _public: Ed25519PublicKey = field(repr=False)

    @classmethod
    def from_vkey(cls, vkey: str) -> CosignatureVerifier:
        name, kid, public = _parse_vkey(vkey.strip(), ALG_COSIGNATURE_V1)
        return cls(name, kid, Ed25519PublicKey.from_public_bytes(public))

    @property
    def vkey(self) -> str:
        alg = bytes([ALG_COSIGNATURE_V1])
        return f"{self.name}+{self.key_id.hex()}+{_b64encode(alg + self.public_key)}"

    @property
    def public_key(self) -> bytes:
        return _public_bytes(self._public)

    def verify(self, text: bytes, signature: bytes) -> bool:
        if len(signature) != 8 + _ED25519_SIGNATURE_SIZE:
            return False
        timestamp = int.from_bytes(signature[:8], "big")
        if timestamp > MAX_TIMESTAMP:
            return False
        try:
            self._public.verify(signature[8:], _cosigned_message(text, timestamp))
        except InvalidSignature:
            return False
        return True

    def verify_line(self, checkpoint_body: str, line: str) -> bool:
        """Whether `line` is a valid cosignature of this witness on `checkpoint_body`."""
        try:
            sig = SignatureLine.parse(line)
        except NoteError:
            return False
        if sig.name != self.name or sig.key_id != self.key_id:
            return False
        return self.verify(checkpoint_body.encode("utf-8"), sig.signature)


def cosignature_timestamp(signature: SignatureLine) -> int:
    """The time (Unix seconds) a cosignature/v1 signature line says it was made."""
    if len(signature.signature) != 8 + _ED25519_SIGNATURE_SIZE:
        raise NoteError("not a cosignature/v1 signature")
    return int.from_bytes(signature.signature[:8], "big")


# --- Notes ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureLine:
    """One "— <name> <base64(key ID || signature)>" line, parsed but not verified."""

    name: str
    key_id: bytes
    signature: bytes

    @classmethod
    def parse(cls, line: str) -> SignatureLine:
        """Parse a line, with or without its final newline."""
        if line.endswith("\n"):
            line = line[:-1]
        if not line.startswith(_SIGNATURE_PREFIX) or "\n" in line:
            raise NoteError("malformed signature line")
        name, sep, b64 = line[len(_SIGNATURE_PREFIX) :].partition(" ")
        if not sep or not is_valid_key_name(name) or not b64:
            raise NoteError("malformed signature line")
        raw = _b64decode(b64)
        if len(raw) < 5:
            raise NoteError("malformed signature line")
        return cls(name, raw[:4], raw[4:])

    @property
    def line(self) -> str:
        return f"{_SIGNATURE_PREFIX}{self.name} {_b64encode(self.key_id + self.signature)}\n"


# Control characters other than newline; a regular expression, not a loop over characters:
# every ballot's signed promise passes through here.
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f]")


def _check_note_text(text: str) -> None:
    if not _is_utf8(text):
        raise NoteError("a note is UTF-8")
    if _CONTROL.search(text):
        raise NoteError("a note contains no control characters other than newline")


def parse_note(note: str) -> tuple[str, list[SignatureLine]]:
    """Split a signed note into its text and signature lines, checking syntax only."""
    _check_note_text(note)
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("malformed note: no blank line before the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block or not block.endswith("\n"):
        raise NoteError("malformed note: no signature lines")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"malformed note: more than {MAX_SIGNATURES} signatures")
    return text, [SignatureLine.parse(line) for line in lines]


@dataclass(frozen=True)
class OpenedNote:
    """A note whose signatures were checked against known keys.

    `verified` pairs each known key whose signature verified with its line (one per key);
    `unknown` holds the lines of keys that were not given, which the spec says to ignore but
    which a server keeps (e.g. cosignatures of witnesses it has not been told about).
    """

    text: str
    verified: list[tuple[NoteVerifier, SignatureLine]]
    unknown: list[SignatureLine]

    def verified_by(self, verifier: NoteVerifier) -> SignatureLine | None:
        for v, line in self.verified:
            if v is verifier:
                return line
        return None


def open_note(
    note: str, verifiers: Iterable[NoteVerifier], *, required: Sequence[NoteVerifier] = ()
) -> OpenedNote:
    """Parse `note` and verify its signatures from the known `verifiers` (c2sp.org/signed-note).

    - A signature whose (name, key ID) matches no verifier is ignored (listed in `unknown`).
    - A signature from a known key that fails to verify rejects the whole note
      (InvalidSignatureError), as the spec recommends and Go's note.Open does.
    - A repeated signature by one key is ignored after the first (as in Go).
    - No valid signature from a known key: UnverifiedNoteError. Every key in `required`
      (which must also be in `verifiers`) must have signed, or UnverifiedNoteError too: the
      log's own signature on a checkpoint is required; witnesses' are a bonus.
    All errors are NoteError, a ValueError.
    """
    text, lines = parse_note(note)
    known: dict[tuple[str, bytes], NoteVerifier] = {}
    ambiguous: set[tuple[str, bytes]] = set()
    for v in verifiers:
        k = (v.name, v.key_id)
        if k in known and known[k] is not v:
            ambiguous.add(k)
        known[k] = v
    text_bytes = text.encode("utf-8")
    verified: list[tuple[NoteVerifier, SignatureLine]] = []
    unknown: list[SignatureLine] = []
    seen: set[tuple[str, bytes]] = set()
    for line in lines:
        k = (line.name, line.key_id)
        verifier = known.get(k)
        if verifier is None:
            if line not in unknown:
                unknown.append(line)
            continue
        if k in ambiguous:
            raise NoteError(f"ambiguous key {line.name}+{line.key_id.hex()}")
        if k in seen:
            continue
        seen.add(k)
        if not verifier.verify(text_bytes, line.signature):
            raise InvalidSignatureError(
                f"invalid signature for key {line.name}+{line.key_id.hex()}"
            )
        verified.append((verifier, line))
    if not verified:
        raise UnverifiedNoteError("note has no valid signature from a known key")
    signed = {id(v) for v, _ in verified}
    for v in required:
        if id(v) not in signed:
            raise UnverifiedNoteError(f"note is not signed by {v.name}+{v.key_id.hex()}")
    return OpenedNote(text, verified, unknown)


def sign_note(text: str, signers: Iterable[NoteSigner]) -> str:
    """The note `text` signed by each of `signers`.

    `text` must end with a newline; blank lines inside are allowed by the spec (the last blank
    line of a note separates the text from the signatures).
    """
    if not text.endswith("\n"):
        raise NoteError("a note text ends with a newline")
    _check_note_text(text)
    lines = []
    raw = text.encode("utf-8")
    for signer in signers:
        if not is_valid_key_name(signer.name):
            raise NoteError(f"invalid signer name {signer.name!r}")
        lines.append(SignatureLine(signer.name, signer.key_id, signer.sign(raw)).line)
    if not lines:
        raise NoteError("a signed note has at least one signature")
    return text + "\n" + "".join(lines)


def add_signatures(note: str, lines: Iterable[str | SignatureLine]) -> str:
    """`note` with more signature lines appended (e.g. witness cosignatures).

    Only syntax is checked: verify a cosignature (CosignatureVerifier.verify_line) before
    adding it. A line for a key (name, key ID) that already signed is dropped, so the first
    signature of each key stays, and a note never grows past MAX_SIGNATURES.
    """
    text, existing = parse_note(note)
    keys = {(s.name, s.key_id) for s in existing}
    result = list(existing)
    for item in lines:
        sig = item if isinstance(item, SignatureLine) else SignatureLine.parse(item)
        if (sig.name, sig.key_id) in keys:
            continue
        keys.add((sig.name, sig.key_id))
        result.append(sig)
    if len(result) > MAX_SIGNATURES:
        raise NoteError(f"a note carries at most {MAX_SIGNATURES} signatures")
    return text + "\n" + "".join(s.line for s in result)


# --- Checkpoints ----------------------------------------------------------------------------------


def _check_line(value: str, what: str) -> None:
    if not value or "\n" in value or any(ord(ch) < 0x20 for ch in value) or not _is_utf8(value):
        raise NoteError(f"{what} is a non-empty line of text")


def _parse_decimal(value: str, what: str) -> int:
    if not _DECIMAL.fullmatch(value):
        raise NoteError(f"{what} is a decimal number without leading zeros")
    number = int(value)
    if number > MAX_TIMESTAMP:
        raise NoteError(f"{what} is too large")
    return number


@dataclass(frozen=True)
class Checkpoint:
    """A tree head as c2sp.org/tlog-checkpoint writes it: origin, size, base64 root, extensions."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "the origin")
        if self.origin == PROMISE_HEADER:
            raise NoteError("that origin is reserved for promises")
        if not isinstance(self.size, int) or isinstance(self.size, bool):
            raise NoteError("the tree size is an integer")
        if not 0 <= self.size <= MAX_TIMESTAMP:
            raise NoteError("the tree size is out of range")
        if not isinstance(self.root, bytes) or len(self.root) != 32:
            raise NoteError("the root hash is 32 bytes")
        for line in self.extensions:
            _check_line(line, "an extension line")

    def body(self) -> str:
        """The note text: "<origin>\\n<size>\\n<base64 root>\\n" and any extension lines."""
        lines = [self.origin, str(self.size), _b64encode(self.root), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        """Parse a checkpoint's note text (not a whole signed note: see `Checkpoint.open`)."""
        if not body.endswith("\n"):
            raise NoteError("a checkpoint ends with a newline")
        lines = body[:-1].split("\n")
        if len(lines) < 3:
            raise NoteError("a checkpoint has an origin, a size and a root hash")
        origin, size, root64, *extensions = lines
        _check_line(origin, "the origin")
        try:
            root = _b64decode(root64)
        except NoteError as exc:
            raise NoteError("the root hash is base64") from exc
        return cls(origin, _parse_decimal(size, "the tree size"), root, tuple(extensions))

    @classmethod
    def open(
        cls, note: str, log: NoteVerifier, witnesses: Iterable[NoteVerifier] = ()
    ) -> tuple[Checkpoint, OpenedNote]:
        """Verify a signed checkpoint: the log's signature is required, witnesses' optional."""
        opened = open_note(note, [log, *witnesses], required=[log])
        return cls.parse(opened.text), opened


# --- Promises -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Promise:
    """The log's signed promise to include a ballot's leaf within `max_merge_delay` seconds."""

    origin: str
    ballot_id: str
    leaf_hash: bytes
    timestamp: int
    max_merge_delay: int

    @property
    def deadline(self) -> int:
        """The Unix time by which a checkpoint must include the leaf."""
        return self.timestamp + self.max_merge_delay


def _check_ballot_id(ballot_id: str) -> None:
    if (
        not ballot_id
        or not ballot_id.isascii()
        or any(ch.isspace() or not ch.isprintable() for ch in ballot_id)
    ):
        raise NoteError("a ballot id is printable ASCII without spaces")


def promise_body(
    origin: str, ballot_id: str, leaf_hash: bytes, timestamp: int, max_merge_delay: int
) -> str:
    """The note text of a promise (see the module docstring); sign it with `sign_note`."""
    _check_line(origin, "the origin")
    _check_ballot_id(ballot_id)
    if not isinstance(leaf_hash, bytes) or len(leaf_hash) != 32:
        raise NoteError("a leaf hash is 32 bytes")
    for value in (timestamp, max_merge_delay):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TIMESTAMP:
            raise NoteError("times are non-negative integers")
    return (
        f"{PROMISE_HEADER}\n{origin}\n{ballot_id}\n{leaf_hash.hex()}\n"
        f"{timestamp}\n{max_merge_delay}\n"
    )


def parse_promise(body: str) -> Promise:
    """Parse a promise's note text, exactly as `promise_body` writes it."""
    if not body.endswith("\n"):
        raise NoteError("a promise ends with a newline")
    lines = body[:-1].split("\n")
    if len(lines) != 6 or lines[0] != PROMISE_HEADER:
        raise NoteError("not an activecitizen promise v1")
    _, origin, ballot_id, leaf_hex, timestamp, delay = lines
    _check_line(origin, "the origin")
    _check_ballot_id(ballot_id)
    if not _LOWER_HEX_HASH.fullmatch(leaf_hex):
        raise NoteError("the leaf hash is 64 lowercase hex digits")
    return Promise(
        origin,
        ballot_id,
        bytes.fromhex(leaf_hex),
        _parse_decimal(timestamp, "the time"),
        _parse_decimal(delay, "the maximum merge delay"),
    )


def open_promise(note: str, log: NoteVerifier) -> Promise:
    """Verify a signed promise with the log's key and parse it."""
    return parse_promise(open_note(note, [log], required=[log]).text)
