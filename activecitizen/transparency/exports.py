"""A log's public export, format "activecitizen-export/1" (activecitizen/verify.py defines it):
a manifest, every entry in index order, every checkpoint by increasing size with its witnesses'
cosignatures, and, when the owner has published its results, the results line.

What the manifest says about the log's subject (a poll's questions and options) and the results
belong to the app that owns the log, which this app must not import (lower apps never import
higher ones): the owner registers builders per log kind from its AppConfig.ready(), and the
export looks them up by `Log.kind`. The builder's dict goes into the manifest under the kind's
name ("poll" for kind "poll").
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from activecitizen.core.errors import Conflict, NotFound
from activecitizen.transparency.models import Checkpoint, Entry, Log
from activecitizen.transparency.services import public_key

EXPORT_FORMAT = "activecitizen-export/1"

# Rows read per database round trip, and lines gathered before compressing: big enough that a
# million entries stream in seconds, small enough to keep a worker's memory flat.
CHUNK = 2000

ManifestBuilder = Callable[[Log], dict[str, Any] | None]
ResultsBuilder = Callable[[Log], dict[str, Any] | None]


@dataclass(frozen=True)
class _Builders:
    manifest: ManifestBuilder
    results: ResultsBuilder | None


_registry: dict[str, _Builders] = {}


def register_manifest(
    kind: str, build: ManifestBuilder, *, results: ResultsBuilder | None = None
) -> None:
    """Say how logs of `kind` are exported.

    `build(log)` returns the manifest's part about the log's subject, or None while the subject
    may not be exported yet (a poll still open); it may first seal what is queued. `results(log)`
    (optional) returns the "results" record without its "type", or None when none is published;
    it is called after `build`, with the log's size as it is then.
    """
    _registry[kind] = _Builders(build, results)


def _dumps(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


@dataclass
class Export:
    log: Log
    size: int
    manifest: dict[str, Any]
    results: dict[str, Any] | None

    def lines(self) -> Iterator[bytes]:
        """The export's JSON lines, read from the database as they are sent."""
        yield _dumps(self.manifest)
        entries = (
            Entry.objects.filter(log=self.log, index__lt=self.size)
            .order_by("index")
            .values_list("index", "data")
            .iterator(chunk_size=CHUNK)
        )
        b64 = base64.b64encode
        for index, data in entries:
            # Built by hand: a million json.dumps calls are the slowest part of the export, and
            # base64 text needs no escaping.
            yield f'{{"type":"entry","index":{index},"data":"{b64(data).decode()}"}}\n'.encode()
        checkpoints = (
            Checkpoint.objects.filter(log=self.log, size__lte=self.size)
            .order_by("size")
            .prefetch_related("cosignatures")
            # One per seal: a week-long poll may have hundreds of thousands.
            .iterator(chunk_size=CHUNK)
        )
        for checkpoint in checkpoints:
            yield _dumps({"type": "checkpoint", "note": note_with_cosignatures(checkpoint)})
        if self.results is not None:
            yield _dumps({"type": "results", **self.results})

    def gzipped(self) -> Iterator[bytes]:
        """The lines gzip-compressed on the fly (gzip framing: wbits 16 + 15)."""
        compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
        pending: list[bytes] = []
        for line in self.lines():
            pending.append(line)
            if len(pending) >= CHUNK:
                out = compressor.compress(b"".join(pending))
                pending.clear()
                if out:
                    yield out
        yield compressor.compress(b"".join(pending)) + compressor.flush()


def note_with_cosignatures(checkpoint: Checkpoint) -> str:
    """services.checkpoint_note for a checkpoint whose cosignatures were prefetched."""
    lines = sorted(checkpoint.cosignatures.all(), key=lambda c: c.pk)
    return checkpoint.note + "".join(c.line for c in lines)


def prepare_export(the_log: Log) -> Export:
    """Everything an export needs before its first byte is sent; NotFound when logs of this kind
    are not exported, Conflict while the builder says it is too early (nothing is sent then)."""
    builders = _registry.get(the_log.kind)
    if builders is None:
        raise NotFound(_("This log has no export."), code="export_not_found")
    subject = builders.manifest(the_log)
    if subject is None:
        raise Conflict(
            _("The export is available once the poll is closed."), code="poll_not_closed"
        )
    # The builder may have sealed what was queued: the export covers the log as it is now, and
    # entries sealed while it streams (there should be none) are left for the next export.
    the_log.refresh_from_db(fields=["size", "root"])
    results = builders.results(the_log) if builders.results is not None else None
    counted = results.get("checkpoint_size") if results is not None else None
    if (
        not isinstance(counted, int)
        or not Checkpoint.objects.filter(log=the_log, size=counted).exists()
    ):
        # Counts must be those of a signed checkpoint (an empty log has none): without one the
        # results line could not be checked, so it is left out.
        results = None
    manifest = {
        "type": "manifest",
        "format": EXPORT_FORMAT,
        "origin": the_log.origin,
        "log_key": public_key(),
        "witness_keys": list(settings.TRANSPARENCY_WITNESS_KEYS),
        the_log.kind: subject,
    }
    return Export(log=the_log, size=the_log.size, manifest=manifest, results=results)
