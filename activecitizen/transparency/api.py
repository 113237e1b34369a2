"""Transparency logs in public (API.md: /transparency/...; docs/verification.md): the signed
checkpoints, the entries, RFC 9162 proofs, witnesses' cosignatures and a closed poll's export.

Nothing here needs signing in: the point of the log is that anyone, the city's opponents
included, can check it. Everything reads sealed rows, which never change, so a client may cache
any answer except the latest checkpoint and the lists.
"""

from __future__ import annotations

import base64
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status

from activecitizen.core.api import COMMON_ERRORS, Error
from activecitizen.core.errors import InvalidInput, NotFound
from activecitizen.transparency import exports, services
from activecitizen.transparency.models import Checkpoint, Entry, Log

router = Router(tags=["Transparency"], auth=None)

# Beyond any real list, and small enough for every database's integers.
MAX_OFFSET = 1_000_000
# Tree sizes and indexes: far beyond any log, and within a 64-bit integer.
MAX_SIZE = 2**62
# Entries per JSON request; entries.jsonl streams any range.
MAX_ENTRIES = 1000
# Rows per database round trip while streaming, and lines per chunk sent.
STREAM_CHUNK = 2000
# A checkpoint note is a few hundred bytes even with many witnesses.
MAX_NOTE = 10_000
MAX_SIGNATURE_LINE = 1000

HEX_HASH = r"^[0-9a-fA-F]{64}$"
ORIGIN_ID = Path(..., max_length=100, description='The log\'s name in URLs, such as "poll-42".')
TEXT_NOTE = {"text/plain": {"schema": {"type": "string"}}}


class LogOut(Schema):
    origin_id: str
    origin: str
    size: int


class LogList(Schema):
    count: int
    items: list[LogOut]
    next: str | None = Field(..., description="The absolute URL of the next page, or null.")


class CosignatureOut(Schema):
    witness: str
    timestamp: int = Field(..., description="When the witness cosigned (Unix time).")


class CheckpointOut(Schema):
    size: int
    root: str = Field(..., description="The tree's root hash (hex).")
    note: str = Field(..., description="The signed note with witnesses' cosignatures appended.")
    created_at: datetime
    cosignatures: list[CosignatureOut]


class CheckpointList(Schema):
    count: int
    items: list[CheckpointOut]
    next: str | None


class EntryOut(Schema):
    index: int
    data: str = Field(..., description="The entry's bytes, base64.")
    leaf_hash: str = Field(..., description="SHA-256(0x00 ‖ bytes), hex.")


class EntryList(Schema):
    size: int = Field(..., description="The log's size now.")
    entries: list[EntryOut]


class InclusionOut(Schema):
    index: int
    tree_size: int
    leaf_hash: str
    path: list[str] = Field(..., description="RFC 9162 §2.1.3 inclusion path, hex.")


class ConsistencyOut(Schema):
    first: int
    second: int
    path: list[str] = Field(..., description="RFC 9162 §2.1.4 consistency path, hex.")


class CosignatureIn(Schema):
    checkpoint: str = Field(..., max_length=MAX_NOTE, description="The note as fetched.")
    signature: str = Field(
        ..., max_length=MAX_SIGNATURE_LINE, description="The cosignature/v1 line: — name base64"
    )


class CosignatureStored(Schema):
    witness: str
    size: int


class KeyOut(Schema):
    vkey: str = Field(..., description="The log's Ed25519 verifier key (c2sp.org/signed-note).")
    origin_prefix: str
    witness_keys: list[str]


def _next_page(request: HttpRequest, *, limit: int, offset: int, count: int) -> str | None:
    if offset + limit >= count:
        return None
    query = urlencode({"limit": limit, "offset": offset + limit})
    return request.build_absolute_uri(f"{request.path}?{query}")


def _cosignatures(checkpoint: Checkpoint) -> list:
    return sorted(checkpoint.cosignatures.all(), key=lambda c: c.pk)


@router.get(
    "/transparency/logs",
    response={200: LogList, 422: Error},
    summary="Logs that have signed a checkpoint, oldest first",
)
def list_logs(
    request: HttpRequest,
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
):
    # An empty log has no checkpoint to witness or check yet: listed from its first seal on.
    logs = Log.objects.filter(size__gt=0).order_by("pk")
    count = logs.count()
    items = list(logs.values("origin_id", "origin", "size")[offset : offset + limit])
    return {
        "count": count,
        "items": items,
        "next": _next_page(request, limit=limit, offset=offset, count=count),
    }


@router.get(
    "/transparency/logs/{origin_id}/checkpoint",
    response={404: Error, 422: Error},
    summary="The latest signed checkpoint with witnesses' cosignatures (text/plain)",
    openapi_extra={
        "responses": {
            200: {"description": "A c2sp.org/tlog-checkpoint signed note.", "content": TEXT_NOTE}
        }
    },
)
def checkpoint(request: HttpRequest, origin_id: str = ORIGIN_ID):
    the_log = services.log_by_origin_id(origin_id)
    latest = services.latest_checkpoint(the_log)
    if latest is None:
        raise NotFound(_("This log has signed no checkpoint yet."), code="checkpoint_not_found")
    response = HttpResponse(
        services.checkpoint_note(latest), content_type="text/plain; charset=utf-8"
    )
    # The latest changes with every seal and every cosignature.
    response["Cache-Control"] = "no-cache"
    return response


@router.get(
    "/transparency/logs/{origin_id}/checkpoints",
    response={200: CheckpointList, 404: Error, 422: Error},
    summary="Every checkpoint the log signed, by increasing size",
)
def list_checkpoints(
    request: HttpRequest,
    origin_id: str = ORIGIN_ID,
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
):
    the_log = services.log_by_origin_id(origin_id)
    found = Checkpoint.objects.filter(log=the_log).order_by("size")
    count = found.count()
    page = found.prefetch_related("cosignatures")[offset : offset + limit]
    return {
        "count": count,
        "items": [
            {
                "size": c.size,
                "root": bytes(c.root).hex(),
                "note": exports.note_with_cosignatures(c),
                "created_at": c.created_at,
                "cosignatures": [
                    {"witness": s.witness, "timestamp": s.timestamp} for s in _cosignatures(c)
                ],
            }
            for c in page
        ],
        "next": _next_page(request, limit=limit, offset=offset, count=count),
    }


def _entry_range(the_log: Log, start: int, end: int | None, cap: int | None) -> tuple[int, int]:
    """[start, end) within the log (and at most `cap` long): the end is clamped, never refused."""
    if end is not None and end < start:
        raise InvalidInput(_("The end must not be before the start."), field="end")
    stop = the_log.size if end is None else min(end, the_log.size)
    if cap is not None:
        stop = min(stop, start + cap)
    return start, max(start, stop)


@router.get(
    "/transparency/logs/{origin_id}/entries",
    response={200: EntryList, 404: Error, 422: Error},
    summary=f"Entries start…end-1 in index order, at most {MAX_ENTRIES} per request",
    description=(
        f"`end` is exclusive and is clamped to the log's size and to start + {MAX_ENTRIES}: "
        "fewer entries than asked for mean ask again from the next index. "
        "For a whole log use `entries.jsonl`."
    ),
)
def entries(
    request: HttpRequest,
    origin_id: str = ORIGIN_ID,
    start: int = Query(0, ge=0, le=MAX_SIZE),
    end: int | None = Query(None, ge=0, le=MAX_SIZE),
):
    the_log = services.log_by_origin_id(origin_id)
    start, stop = _entry_range(the_log, start, end, MAX_ENTRIES)
    rows = (
        Entry.objects.filter(log=the_log, index__gte=start, index__lt=stop)
        .order_by("index")
        .values_list("index", "data", "leaf_hash")
    )
    return {
        "size": the_log.size,
        "entries": [
            {"index": i, "data": base64.b64encode(data).decode(), "leaf_hash": h}
            for i, data, h in rows
        ],
    }


def _jsonl(the_log: Log, start: int, stop: int):
    rows = (
        Entry.objects.filter(log=the_log, index__gte=start, index__lt=stop)
        .order_by("index")
        .values_list("index", "data", "leaf_hash")
        .iterator(chunk_size=STREAM_CHUNK)
    )
    b64 = base64.b64encode
    pending: list[str] = []
    for i, data, h in rows:
        # By hand rather than json.dumps: base64 and hex need no escaping, and this is the
        # loop a million entries go through.
        pending.append(f'{{"index":{i},"data":"{b64(data).decode()}","leaf_hash":"{h}"}}\n')
        if len(pending) >= STREAM_CHUNK:
            yield "".join(pending).encode()
            pending.clear()
    if pending:
        yield "".join(pending).encode()


@router.get(
    "/transparency/logs/{origin_id}/entries.jsonl",
    response={404: Error, 422: Error},
    summary="Entries start…end-1 as JSON Lines, streamed (any range)",
    description=(
        '`{"index", "data", "leaf_hash"}` per line; `end` (exclusive) defaults to, and is '
        "clamped to, the log's size when the request arrives."
    ),
    openapi_extra={
        "responses": {
            200: {
                "description": "One JSON object per line.",
                "content": {"application/jsonl": {"schema": {"type": "string"}}},
            }
        }
    },
)
def entries_jsonl(
    request: HttpRequest,
    origin_id: str = ORIGIN_ID,
    start: int = Query(0, ge=0, le=MAX_SIZE),
    end: int | None = Query(None, ge=0, le=MAX_SIZE),
):
    the_log = services.log_by_origin_id(origin_id)
    start, stop = _entry_range(the_log, start, end, None)
    return StreamingHttpResponse(
        _jsonl(the_log, start, stop), content_type="application/jsonl; charset=utf-8"
    )


@router.get(
    "/transparency/logs/{origin_id}/proof/inclusion",
    response={200: InclusionOut, 404: Error, 422: Error},
    summary="Proof that an entry (by leaf hash or index) is in a tree size (RFC 9162 §2.1.3)",
    description="Give `leaf_hash` or `index`; `tree_size` defaults to the log's size.",
)
def inclusion(
    request: HttpRequest,
    origin_id: str = ORIGIN_ID,
    leaf_hash: str | None = Query(None, pattern=HEX_HASH, description="The receipt's leaf hash."),
    index: int | None = Query(None, ge=0, le=MAX_SIZE),
    tree_size: int | None = Query(None, ge=1, le=MAX_SIZE),
):
    if (leaf_hash is None) == (index is None):
        raise InvalidInput(
            _("Give either the leaf hash or the index."), code="required", field="leaf_hash"
        )
    the_log = services.log_by_origin_id(origin_id)
    if tree_size is None:
        if the_log.size == 0:
            raise NotFound(_("This log has signed no checkpoint yet."), code="checkpoint_not_found")
        tree_size = the_log.size
    proof = services.inclusion_proof(
        the_log,
        tree_size=tree_size,
        index=index,
        leaf_hash=bytes.fromhex(leaf_hash) if leaf_hash is not None else None,
    )
    return {
        "index": proof.index,
        "tree_size": proof.tree_size,
        "leaf_hash": proof.leaf_hash.hex(),
        "path": [p.hex() for p in proof.path],
    }


@router.get(
    "/transparency/logs/{origin_id}/proof/consistency",
    response={200: ConsistencyOut, 404: Error, 422: Error},
    summary="Proof that the tree of `first` entries is a prefix of `second` (RFC 9162 §2.1.4)",
)
def consistency(
    request: HttpRequest,
    origin_id: str = ORIGIN_ID,
    first: int = Query(..., ge=1, le=MAX_SIZE),
    second: int = Query(..., ge=1, le=MAX_SIZE),
):
    the_log = services.log_by_origin_id(origin_id)
    path = services.consistency_proof(the_log, first=first, second=second)
    return {"first": first, "second": second, "path": [p.hex() for p in path]}


@router.post(
    "/transparency/logs/{origin_id}/cosignatures",
    response={200: CosignatureStored, 201: CosignatureStored, 404: Error, **COMMON_ERRORS},
    summary="A witness hands back its cosignature of a checkpoint (201; 200 if already kept)",
    description=(
        "Only witness keys the city has configured are accepted (`GET /transparency/key`); "
        "the signature must verify for a checkpoint this log signed."
    ),
)
def add_cosignature(request: HttpRequest, payload: CosignatureIn, origin_id: str = ORIGIN_ID):
    stored, created = services.add_cosignature(
        origin_id=origin_id, checkpoint_note_text=payload.checkpoint, line=payload.signature
    )
    size = Checkpoint.objects.values_list("size", flat=True).get(pk=stored.checkpoint_id)
    return Status(201 if created else 200, {"witness": stored.witness, "size": size})


@router.get(
    "/transparency/key",
    response={200: KeyOut},
    summary="The log's verifier key and the witness keys the city accepts",
)
def key(request: HttpRequest):
    return {
        "vkey": services.public_key(),
        "origin_prefix": settings.TRANSPARENCY_ORIGIN_PREFIX,
        "witness_keys": list(settings.TRANSPARENCY_WITNESS_KEYS),
    }


@router.get(
    "/transparency/logs/{origin_id}/export",
    response={404: Error, 409: Error, 422: Error},
    summary="A closed poll's whole log for offline checking (gzip JSON Lines)",
    description=(
        'Format "activecitizen-export/1" (see `python -m activecitizen.verify --help`). '
        "409 `poll_not_closed` while the poll is open."
    ),
    openapi_extra={
        "responses": {
            200: {
                "description": "activecitizen-export/1, gzip-compressed JSON Lines.",
                "content": {"application/gzip": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def export(request: HttpRequest, origin_id: str = ORIGIN_ID):
    the_log = services.log_by_origin_id(origin_id)
    prepared = exports.prepare_export(the_log)
    response = StreamingHttpResponse(prepared.gzipped(), content_type="application/gzip")
    response["Content-Disposition"] = f'attachment; filename="{the_log.origin_id}.jsonl.gz"'
    return response
