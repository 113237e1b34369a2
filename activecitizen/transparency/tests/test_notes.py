"""Signed notes, checkpoints, cosignatures and promises: published vectors, round trips and the
inputs that must be refused."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from activecitizen.transparency.notes import (
    Checkpoint,
    CosignatureSigner,
    CosignatureVerifier,
    InvalidSignatureError,
    NoteError,
    SignatureLine,
    Signer,
    UnverifiedNoteError,
    Verifier,
    add_signatures,
    cosignature_timestamp,
    generate_cosigner,
    generate_signer,
    key_id,
    open_note,
    open_promise,
    parse_note,
    parse_promise,
    promise_body,
    sign_note,
)

EM = "\u2014"

# --- Published vectors ----------------------------------------------------------------------------
# golang.org/x/mod/sumdb/note, note_test.go (TestNewSigner, TestSign, TestOpen) and the package
# documentation of note.go.
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
PETER_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    f"{EM} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdn"
    "gotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    f"{EM} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWL"
    "ox33WWd1RvMc+QQ=\n"
)

# The worked example of c2sp.org/signed-note (as quoted, with a link to C2SP commit d4c16da, by
# several independent implementations' tests; it verifies below).
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n"
    f"{EM} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFX"
    "mRKuwHjG1Yu72IneyaQM=\n"
)

# A real checkpoint of the Certificate Transparency staging log arche2025h1 with real witness
# cosignatures, and the keys of the log (type 0x01) and of the witness remora.n621.de (a
# cosignature/v1 vkey, type 0x04; also listed in transparency-dev/formats note_cosigv1_test.go,
# TestCoSigV1NewVerifier). The 0x05 (RFC 6962 STH) signature line and the other witnesses'
# lines are keys we do not know and must be ignored.
CT_NOTE = (
    "arche2025h1.staging.ct.transparency.dev\n"
    "1432088532\n"
    "U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n"
    "\n"
    f"{EM} arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6ho"
    "GREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=\n"
    f"{EM} arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUk"
    "zbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=\n"
    f"{EM} transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYT"
    "zwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==\n"
    f"{EM} witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/"
    "iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==\n"
    f"{EM} remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIob"
    "WX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==\n"
    f"{EM} witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+A"
    "JmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==\n"
)
CT_LOG_VKEY = (
    "arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f"
)
REMORA_VKEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"


def test_go_signer_key_signs_the_published_note():
    signer = Signer.from_skey(PETER_SKEY)
    assert signer.name == "PeterNeumann"
    assert signer.key_id == bytes.fromhex("c74f20a3")
    assert signer.vkey == PETER_VKEY
    # Ed25519 is deterministic: the exact bytes of Go's TestSign.
    assert sign_note(PETER_TEXT, [signer]) == PETER_TEXT + "\n" + PETER_SIG


def test_key_id_is_the_truncated_hash_of_name_type_and_key():
    public = base64.b64decode(PETER_VKEY.split("+", 2)[2])[1:]
    expected = hashlib.sha256(b"PeterNeumann\n\x01" + public).digest()[:4]
    assert key_id("PeterNeumann", 0x01, public) == expected == bytes.fromhex("c74f20a3")
    spec = Verifier.from_vkey(SPEC_VKEY)
    assert spec.key_id == bytes.fromhex("530d903a")
    assert spec.public_key == bytes.fromhex(
        "e932791ae6e7a840a46164c904786426d5e7821dd8b29a00d61cae72afdd4da4"
    )
    # The same name and key as a cosigner (type 0x04) get another ID: the types never mix.
    assert key_id("PeterNeumann", 0x04, public) != spec.key_id


def test_open_the_published_notes():
    peter = Verifier.from_vkey(PETER_VKEY)
    enoch = Verifier.from_vkey(ENOCH_VKEY)
    note = PETER_TEXT + "\n" + PETER_SIG + ENOCH_SIG
    opened = open_note(note, [peter])
    assert opened.text == PETER_TEXT
    assert [v for v, _ in opened.verified] == [peter]
    assert [s.name for s in opened.unknown] == ["EnochRoot"]
    both = open_note(note, [peter, enoch])
    assert [v.name for v, _ in both.verified] == ["PeterNeumann", "EnochRoot"]
    assert open_note(SPEC_NOTE, [Verifier.from_vkey(SPEC_VKEY)]).text == (
        "This is an example message.\n"
    )


def test_a_real_ct_checkpoint_and_its_witness_cosignature_verify():
    log = Verifier.from_vkey(CT_LOG_VKEY)
    witness = CosignatureVerifier.from_vkey(REMORA_VKEY)
    checkpoint, opened = Checkpoint.open(CT_NOTE, log, [witness])
    assert checkpoint.origin == "arche2025h1.staging.ct.transparency.dev"
    assert checkpoint.size == 1432088532
    assert checkpoint.body() == opened.text
    line = opened.verified_by(witness)
    assert line is not None
    assert cosignature_timestamp(line) == 1779573024
    assert witness.verify_line(opened.text, line.line)
    # The same cosignature does not cover another tree size.
    tampered = CT_NOTE.replace("1432088532", "1432088533")
    with pytest.raises(InvalidSignatureError):
        Checkpoint.open(tampered, log, [witness])
    assert not witness.verify_line(tampered.split("\n\n")[0] + "\n", line.line)


def test_cosignature_timestamps_of_published_signatures():
    # c2sp.org/tlog-cosignature's example: its time line reads "time 1679315147".
    spec_line = SignatureLine.parse(
        f"{EM} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dl"
        "rDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
    )
    assert cosignature_timestamp(spec_line) == 1679315147
    # transparency-dev/formats, TestCoSigV1Timestamp.
    go_line = SignatureLine.parse(
        f"{EM} w ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEH"
        "WWOworDcFiEBYJXORmnFBOBA=="
    )
    assert cosignature_timestamp(go_line) == 1727964367
    with pytest.raises(NoteError):
        cosignature_timestamp(SignatureLine.parse(PETER_SIG))


# --- Round trips ----------------------------------------------------------------------------------


def test_generated_keys_round_trip():
    skey, vkey = generate_signer("city.example/log")
    signer, verifier = Signer.from_skey(skey), Verifier.from_vkey(vkey)
    assert skey.startswith("PRIVATE+KEY+city.example/log+")
    assert signer.vkey == vkey == verifier.vkey
    assert signer.key_id == verifier.key_id
    note = sign_note("hello\n", [signer])
    assert open_note(note, [verifier]).text == "hello\n"
    # Blank lines inside the text are allowed: the last blank line ends the text.
    text = "first\n\nthird\n"
    assert open_note(sign_note(text, [signer]), [verifier]).text == text


def test_checkpoint_round_trip_and_cosignature():
    skey, vkey = generate_signer("city.example/log")
    log, log_verifier = Signer.from_skey(skey), Verifier.from_vkey(vkey)
    wskey, wvkey = generate_cosigner("witness.example/w1")
    witness = CosignatureSigner.from_skey(wskey)
    witness_verifier = CosignatureVerifier.from_vkey(wvkey)
    assert witness.vkey == wvkey
    assert base64.b64decode(wvkey.split("+", 2)[2])[0] == 0x04

    checkpoint = Checkpoint("city.example/poll-1", 3, hashlib.sha256(b"x").digest())
    body = checkpoint.body()
    assert body == f"city.example/poll-1\n3\n{base64.b64encode(checkpoint.root).decode()}\n"
    assert Checkpoint.parse(body) == checkpoint
    note = sign_note(body, [log])
    line = witness.cosign(body, 1_700_000_000)
    assert line.startswith(f"{EM} witness.example/w1 ") and line.endswith("\n")
    assert witness_verifier.verify_line(body, line)
    cosigned = add_signatures(note, [line])
    parsed, opened = Checkpoint.open(cosigned, log_verifier, [witness_verifier])
    assert parsed == checkpoint
    sig = opened.verified_by(witness_verifier)
    assert sig is not None and cosignature_timestamp(sig) == 1_700_000_000
    # The message a cosignature signs: header, time, then the checkpoint.
    public = Ed25519PublicKey.from_public_bytes(witness_verifier.public_key)
    public.verify(sig.signature[8:], b"cosignature/v1\ntime 1700000000\n" + body.encode())
    # Adding the same witness again keeps the first signature only.
    again = add_signatures(cosigned, [witness.cosign(body, 1_700_000_001)])
    assert again == cosigned
    # A cosignature is not a log signature, even with the same key and name.
    assert not witness_verifier.verify_line(body.replace("\n3\n", "\n4\n"), line)


def test_extension_lines_are_signed_too():
    wskey, wvkey = generate_cosigner("w")
    witness = CosignatureSigner.from_skey(wskey)
    root = bytes(32)
    body = Checkpoint("o", 1, root, ("ext",)).body()
    line = witness.cosign(body, 5)
    assert CosignatureVerifier.from_vkey(wvkey).verify_line(body, line)
    assert not CosignatureVerifier.from_vkey(wvkey).verify_line(body.replace("ext", "exu"), line)


def test_promise_round_trip():
    skey, vkey = generate_signer("city.example/log")
    leaf = hashlib.sha256(b"leaf").digest()
    body = promise_body("city.example/poll-7", "b-123", leaf, 1_700_000_000, 3600)
    assert body == (
        f"activecitizen promise v1\ncity.example/poll-7\nb-123\n{leaf.hex()}\n1700000000\n3600\n"
    )
    promise = open_promise(sign_note(body, [Signer.from_skey(skey)]), Verifier.from_vkey(vkey))
    assert promise.origin == "city.example/poll-7"
    assert promise.ballot_id == "b-123"
    assert promise.leaf_hash == leaf
    assert promise.deadline == 1_700_003_600
    assert parse_promise(body) == promise


# --- Tampering and malformed input ----------------------------------------------------------------


def test_tampered_text_or_signature_is_rejected():
    peter = Verifier.from_vkey(PETER_VKEY)
    with pytest.raises(InvalidSignatureError):
        open_note(PETER_TEXT.replace("answer", "Answer") + "\n" + PETER_SIG, [peter])
    # Go's TestOpen: "ABCD" spliced into the signature.
    with pytest.raises(InvalidSignatureError):
        open_note(PETER_TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:], [peter])
    # One known key's bad signature rejects the note even when another known key's is good.
    enoch = Verifier.from_vkey(ENOCH_VKEY)
    bad_enoch = ENOCH_SIG[:60] + "ABCD" + ENOCH_SIG[60:]
    with pytest.raises(InvalidSignatureError):
        open_note(PETER_TEXT + "\n" + PETER_SIG + bad_enoch, [peter, enoch])


def test_wrong_key_is_rejected():
    _, other_vkey = generate_signer("PeterNeumann")
    other = Verifier.from_vkey(other_vkey)
    # Same name, other key ID: an unknown key, so the note has no valid known signature.
    with pytest.raises(UnverifiedNoteError):
        open_note(PETER_TEXT + "\n" + PETER_SIG, [other])
    with pytest.raises(UnverifiedNoteError):
        open_note(PETER_TEXT + "\n" + PETER_SIG, [])
    # A required key must have signed even if another known key did.
    peter = Verifier.from_vkey(PETER_VKEY)
    with pytest.raises(UnverifiedNoteError):
        open_note(PETER_TEXT + "\n" + PETER_SIG, [peter, other], required=[other])


def test_a_signature_with_the_right_id_but_another_key_fails():
    # An attacker can make a key whose ID collides; all they get is a failed signature.
    skey, _ = generate_signer("PeterNeumann")
    forger = Signer.from_skey(skey)
    forged = SignatureLine(
        "PeterNeumann", bytes.fromhex("c74f20a3"), forger.sign(PETER_TEXT.encode())
    )
    with pytest.raises(InvalidSignatureError):
        open_note(PETER_TEXT + "\n" + forged.line, [Verifier.from_vkey(PETER_VKEY)])


@pytest.mark.parametrize(
    "note",
    [
        PETER_TEXT,  # no signatures
        PETER_TEXT + "\n",  # blank line, no signatures
        PETER_TEXT + "\n" + PETER_SIG[:-1],  # no final newline
        "\x01" + PETER_TEXT + "\n" + PETER_SIG,  # control character
        PETER_TEXT + "\n" + f"{EM} Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1"
        "FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",  # space in the name
        PETER_TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        PETER_TEXT + "\n" + PETER_SIG.replace(EM, "--"),  # not an em dash
        PETER_TEXT + "\n" + f"{EM} PeterNeumann AAAA\n",  # shorter than a key ID + 1 byte
        PETER_TEXT + "\n" + f"{EM} PeterNeumann not*base64\n",
        PETER_TEXT + "\n" + PETER_SIG * 101,  # too many signatures
    ],
)
def test_malformed_notes_are_rejected(note):
    with pytest.raises(NoteError) as excinfo:
        open_note(note, [Verifier.from_vkey(PETER_VKEY)])
    assert not isinstance(excinfo.value, InvalidSignatureError)
    assert isinstance(excinfo.value, ValueError)


def test_repeated_signatures_are_ignored():
    note = PETER_TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG
    opened = open_note(note, [Verifier.from_vkey(PETER_VKEY)])
    assert len(opened.verified) == 1
    assert len(opened.unknown) == 1
    assert parse_note(note)[1][0] == SignatureLine.parse(PETER_SIG)


def test_sign_refuses_bad_text():
    signer = Signer.from_skey(PETER_SKEY)
    for text in ["abc", "", "a\x00b\n", "tab\there\n"]:
        with pytest.raises(NoteError):
            sign_note(text, [signer])
    with pytest.raises(NoteError):
        sign_note("abc\n", [])


@pytest.mark.parametrize(
    "vkey",
    [
        PETER_VKEY[:-1],
        PETER_VKEY + "A",
        PETER_VKEY.replace("c74f20a3", "c74f20a4"),  # wrong ID
        PETER_VKEY.replace("c74f20a3", "0xc74f20"),  # int() would take it
        PETER_VKEY.replace("c74f20a3", "c74f_20a"),
        PETER_VKEY.replace("PeterNeumann", "Peter Neumann"),
        "PeterNeumann+c74f20a3",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        # Unknown algorithm (Go's test vector, with an adjusted key hash).
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        # Wrong key length (Go's test vector, with an adjusted key hash).
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        REMORA_VKEY,  # a cosignature key is not a note key
    ],
)
def test_malformed_verifier_keys_are_rejected(vkey):
    with pytest.raises(NoteError):
        Verifier.from_vkey(vkey)


def test_malformed_signer_keys_are_rejected():
    for skey in [
        PETER_SKEY[:-1],
        PETER_SKEY.replace("PRIVATE", "PUBLIC"),
        PETER_SKEY.replace("c74f20a3", "c74f20a4"),
        PETER_VKEY,
    ]:
        with pytest.raises(NoteError):
            Signer.from_skey(skey)
    with pytest.raises(NoteError):
        CosignatureSigner.from_skey(PETER_SKEY)  # a 0x01 key is not a 0x04 key
    with pytest.raises(NoteError):
        CosignatureVerifier.from_vkey(PETER_VKEY)
    with pytest.raises(NoteError):
        generate_signer("bad name")


@pytest.mark.parametrize(
    "body",
    [
        "origin\n3\n",  # no root
        "origin\n3\nAAAA\n",  # root not 32 bytes
        "origin\n03\n" + base64.b64encode(bytes(32)).decode() + "\n",  # leading zero
        "origin\n-3\n" + base64.b64encode(bytes(32)).decode() + "\n",
        "origin\n3_0\n" + base64.b64encode(bytes(32)).decode() + "\n",
        "origin\n٣\n" + base64.b64encode(bytes(32)).decode() + "\n",  # an Arabic-Indic 3
        "\n3\n" + base64.b64encode(bytes(32)).decode() + "\n",  # empty origin
        "origin\n3\n" + base64.b64encode(bytes(32)).decode(),  # no final newline
        "origin\n3\n" + base64.b64encode(bytes(32)).decode() + "\n\n",  # empty extension line
        "activecitizen promise v1\n3\n" + base64.b64encode(bytes(32)).decode() + "\n",
    ],
)
def test_malformed_checkpoints_are_rejected(body):
    with pytest.raises(NoteError):
        Checkpoint.parse(body)


def test_checkpoint_size_zero_is_allowed():
    assert Checkpoint.parse("o\n0\n" + base64.b64encode(bytes(32)).decode() + "\n").size == 0


@pytest.mark.parametrize(
    "body",
    [
        "activecitizen promise v2\no\nb\n" + "00" * 32 + "\n1\n2\n",
        "activecitizen promise v1\no\nb\n" + "AA" * 32 + "\n1\n2\n",  # uppercase hex
        "activecitizen promise v1\no\nb\n" + "00" * 31 + "\n1\n2\n",
        "activecitizen promise v1\no\nb c\n" + "00" * 32 + "\n1\n2\n",
        "activecitizen promise v1\no\nb\n" + "00" * 32 + "\n01\n2\n",
        "activecitizen promise v1\no\nb\n" + "00" * 32 + "\n1\n2\nextra\n",
        "activecitizen promise v1\no\nb\n" + "00" * 32 + "\n1\n2",
    ],
)
def test_malformed_promises_are_rejected(body):
    with pytest.raises(NoteError):
        parse_promise(body)


def test_cosignature_from_another_witness_or_time_fails():
    wskey, wvkey = generate_cosigner("w1")
    _, other_vkey = generate_cosigner("w1")
    body = Checkpoint("o", 1, bytes(32)).body()
    line = CosignatureSigner.from_skey(wskey).cosign(body, 10)
    assert not CosignatureVerifier.from_vkey(other_vkey).verify_line(body, line)
    sig = SignatureLine.parse(line)
    shifted = SignatureLine(sig.name, sig.key_id, (11).to_bytes(8, "big") + sig.signature[8:])
    assert not CosignatureVerifier.from_vkey(wvkey).verify_line(body, shifted.line)
    with pytest.raises(NoteError):
        CosignatureSigner.from_skey(wskey).cosign("not a checkpoint\n", 10)
    with pytest.raises(NoteError):
        CosignatureSigner.from_skey(wskey).cosign(body, -1)
