"""Logs as DESIGN.md "Seal a log" says: entries are queued with what they record (a ballot, in
its own statement), and a sealer, one at a time per log, gives them their indexes, stores the
subtree hashes proofs need, and signs a checkpoint. The owner of a log (polls) may fold the
sealed entries into its counts in the same transaction, so that published counts always equal
the tally of a signed checkpoint.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from activecitizen.core.errors import InvalidInput, NotFound
from activecitizen.transparency import merkle
from activecitizen.transparency.models import (
    LOWEST_STORED_LEVEL,
    Checkpoint,
    Cosignature,
    Entry,
    Log,
    Node,
    QueuedEntry,
)
from activecitizen.transparency.notes import (
    Checkpoint as CheckpointNote,
)
from activecitizen.transparency.notes import (
    CosignatureVerifier,
    NoteError,
    SignatureLine,
    Signer,
    cosignature_timestamp,
    generate_signer,
    promise_body,
    sign_note,
)

log = logging.getLogger(__name__)

# How many queued entries one seal takes at most (the rest go in the next, at once).
SEAL_BATCH = 50_000


# --- Keys --------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def log_signer() -> Signer:
    """The log's Ed25519 note key: TRANSPARENCY_SIGNING_KEY (a C2SP signer key string), else a
    key file under VAR_DIR, generated on first use (a development site's key)."""
    configured = settings.TRANSPARENCY_SIGNING_KEY.strip()
    if configured:
        return Signer.from_skey(configured)
    path = Path(settings.TRANSPARENCY_SIGNING_KEY_FILE)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        skey, _vkey = generate_signer(settings.TRANSPARENCY_KEY_NAME)
        # Exclusive create: two workers starting at once keep the first one's key.
        try:
            with path.open("x") as fh:
                fh.write(skey + "\n")
            path.chmod(0o600)
            log.warning("generated a transparency signing key at %s (development only)", path)
        except FileExistsError:
            pass
    return Signer.from_skey(path.read_text())


def public_key() -> str:
    """The log's verifier key (c2sp.org/signed-note vkey), as /.well-known publishes it."""
    return log_signer().vkey


@lru_cache(maxsize=1)
def witness_verifiers() -> tuple[CosignatureVerifier, ...]:
    return tuple(CosignatureVerifier.from_vkey(k) for k in settings.TRANSPARENCY_WITNESS_KEYS)


# --- Logs and the queue ------------------------------------------------------------------------


def ensure_log(*, origin: str, origin_id: str, kind: str) -> Log:
    """The log named `origin`, created empty the first time it is asked for."""
    found, _created = Log.objects.get_or_create(
        origin=origin, defaults={"origin_id": origin_id, "kind": kind}
    )
    return found


# Appended to a writer's own statement (polls: the ballot's), so that the entry is queued
# atomically with what it records. Parameters: log id, data, queued at; `ref_sql` names the id
# of the recorded row in that statement.
def queue_cte(ref_sql: str, source: str) -> str:
    table = QueuedEntry._meta.db_table
    return (
        f"log_queue AS (INSERT INTO {table} (log_id, data, ref, queued_at, fold) "  # noqa: S608
        f"SELECT %s, %s, {ref_sql}, %s, TRUE FROM {source})"
    )


def queue_entry(*, log_id: int, data: bytes, ref: int, queued_at: datetime) -> None:
    """Queue one entry (SQLite's ballots, and anything that is not one statement)."""
    QueuedEntry.objects.create(log_id=log_id, data=data, ref=ref, queued_at=queued_at)


# --- Sealing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sealed:
    """What one seal did: how many entries it sealed, and the refs of those to fold into their
    owner's counts (all but entries counted before they had a log)."""

    count: int
    refs_to_fold: list[int]


# Called inside the seal's transaction with the refs of the newly sealed entries.
Fold = Callable[[Log, list[int]], None]


def seal(
    log_id: int, *, fold: Fold | None = None, wait: bool = False, batch: int = SEAL_BATCH
) -> Checkpoint | None:
    """Seal what is queued for one log and sign a checkpoint; None when nothing was queued or
    another sealer holds the log (`wait=False`).

    One transaction: the per-log lock (a PostgreSQL advisory lock; SQLite has one writer at a
    time), the entries at their indexes in queue order, the new complete subtrees, the log's
    new size, root and frontier, the checkpoint, the queue rows deleted, and `fold` of the
    sealed entries.
    """
    with transaction.atomic():
        if not _lock(log_id, wait=wait):
            return None
        the_log = Log.objects.get(pk=log_id)
        old_size = the_log.size
        now = timezone.now()
        if connection.vendor == "postgresql":
            sealed = _seal_in_sql(the_log, batch, now)
        else:
            sealed = _seal_in_python(the_log, batch, now)
        if not sealed.count:
            return None
        size = old_size + sealed.count
        # The new right edge, read back from what was just stored: at most log2(size) hashes.
        edge = merkle.TreeFrontier.frontier_nodes(size)
        lookup = _node_lookup(the_log, edge)
        frontier = merkle.TreeFrontier(size, [lookup(level, i) for level, i in edge])
        root = frontier.root()
        Log.objects.filter(pk=log_id).update(
            size=size, root=root, frontier=b"".join(frontier.hashes)
        )
        the_log.size, the_log.root, the_log.frontier = size, root, b"".join(frontier.hashes)
        checkpoint = Checkpoint.objects.create(
            log_id=log_id,
            size=size,
            root=root,
            note=sign_note(CheckpointNote(the_log.origin, size, root).body(), [log_signer()]),
            created_at=now,
        )
        if fold is not None and sealed.refs_to_fold:
            fold(the_log, sealed.refs_to_fold)
    return checkpoint


def _seal_in_sql(the_log: Log, batch: int, now: datetime) -> Sealed:
    """PostgreSQL: set-based, the leaves hashed by the server's sha256(), so that a million
    entries take seconds rather than the minute a row-by-row loop in Python takes."""
    queue, entries, nodes = (
        QueuedEntry._meta.db_table,
        Entry._meta.db_table,
        Node._meta.db_table,
    )
    old_size = the_log.size
    with connection.cursor() as cursor:
        # A batch's sort of 50,000 rows spills to disk with the default 4 MB.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(
            f"""
            WITH last_taken AS (
              -- The batch is the log's oldest `batch` entries: those up to this one's id. (A
              -- range on the primary key: `id IN (the batch)` was planned as a join.)
              SELECT id FROM {queue} WHERE log_id = %(log)s ORDER BY id OFFSET %(skip)s LIMIT 1
            ), taken AS (
              DELETE FROM {queue} WHERE log_id = %(log)s
                AND id <= coalesce((SELECT id FROM last_taken), 9223372036854775807)
              RETURNING id, data, ref, fold
            ), numbered AS (
              SELECT data, ref, fold, sha256('\\x00'::bytea || data) AS h,
                %(base)s::bigint + row_number() OVER (ORDER BY id) - 1 AS i
              FROM taken
            ), stored AS (
              INSERT INTO {entries} (log_id, index, data, leaf_hash, ref, sealed_at)
              SELECT %(log)s, i, data, encode(h, 'hex'), ref, %(now)s FROM numbered
            )
            -- One row back, not one per entry: the count, the refs to fold (an array) and the
            -- leaf hashes in index order (one string of 32 bytes each).
            SELECT count(*), coalesce(array_agg(ref) FILTER (WHERE fold), '{{}}'),
              coalesce(string_agg(h, ''::bytea ORDER BY i), ''::bytea)
            FROM numbered
            """,  # noqa: S608
            {"log": the_log.pk, "skip": batch - 1, "base": old_size, "now": now},
        )
        count, refs, leaves = cursor.fetchone()
        # The subtrees the new leaves complete are hashed here (hashlib, a level at a time),
        # not by sha256() in SQL: PostgreSQL's costs a microsecond or two a call, a third of
        # the statement for a batch's 50,000 nodes.
        formed = merkle.new_complete_subtrees(
            old_size, _split(bytes(the_log.frontier)), _split(bytes(leaves)), LOWEST_STORED_LEVEL
        )
        if formed:
            # Each level's new nodes are consecutive: one row of (level, first index, count,
            # where its hashes start) per level, and the hashes as one string, rather than
            # arrays of thousands of values to quote and parse.
            runs: list[tuple[int, int, int, int]] = []
            for n, (level, index, _hash) in enumerate(formed):
                if runs and runs[-1][0] == level:
                    runs[-1] = (*runs[-1][:2], runs[-1][2] + 1, runs[-1][3])
                else:
                    runs.append((level, index, 1, n))
            cursor.execute(
                f"INSERT INTO {nodes} (log_id, level, index, hash) "  # noqa: S608
                "SELECT %s, run.level, run.first + k, "
                "substring(%s::bytea from 32 * (run.at + k) + 1 for 32) "
                f"FROM (VALUES {', '.join(['(%s, %s::bigint, %s, %s)'] * len(runs))}) "
                "AS run(level, first, count, at), generate_series(0, run.count - 1) AS k",
                [
                    the_log.pk,
                    b"".join(h for _level, _index, h in formed),
                    *(v for run in runs for v in run),
                ],
            )
    return Sealed(count=count, refs_to_fold=list(refs))


def _seal_in_python(the_log: Log, batch: int, now: datetime) -> Sealed:
    """SQLite (no sha256 in SQL): the same result, the entries row by row."""
    queued = list(
        QueuedEntry.objects.filter(log_id=the_log.pk)
        .order_by("id")
        .values_list("id", "data", "ref", "fold")[:batch]
    )
    entries: list[Entry] = []
    leaves: list[bytes] = []
    refs: list[int] = []
    for _id, data, ref, to_fold in queued:
        data = bytes(data)
        leaf = merkle.leaf_hash(data)
        leaves.append(leaf)
        entries.append(
            Entry(
                log_id=the_log.pk,
                index=the_log.size + len(entries),
                data=data,
                leaf_hash=leaf.hex(),
                ref=ref,
                sealed_at=now,
            )
        )
        if to_fold:
            refs.append(ref)
    formed = merkle.new_complete_subtrees(
        the_log.size, _split(bytes(the_log.frontier)), leaves, LOWEST_STORED_LEVEL
    )
    Entry.objects.bulk_create(entries, batch_size=500)
    Node.objects.bulk_create(
        [Node(log_id=the_log.pk, level=level, index=i, hash=h) for level, i, h in formed],
        batch_size=500,
    )
    ids = [q[0] for q in queued]
    for start in range(0, len(ids), 500):  # SQLite's limit on parameters
        QueuedEntry.objects.filter(pk__in=ids[start : start + 500]).delete()
    return Sealed(count=len(queued), refs_to_fold=refs)


def seal_all(*, kind: str, fold: Fold | None = None, batch: int = SEAL_BATCH) -> int:
    """Seal every log of `kind` with queued entries; return how many entries were sealed.

    A log is sealed again only while its batches come out full (a backlog): entries that arrive
    during a seal wait for the next call, a second later, so that a busy log is sealed in
    batches of a second's ballots instead of one small checkpoint after another."""
    sealed = 0
    log_ids = (
        QueuedEntry.objects.filter(log__kind=kind)
        .values_list("log_id", flat=True)
        .distinct()
        .order_by("log_id")
    )
    for log_id in list(log_ids):
        while True:
            before = Log.objects.filter(pk=log_id).values_list("size", flat=True).first() or 0
            checkpoint = seal(log_id, fold=fold, batch=batch)
            if checkpoint is None:
                break
            sealed += checkpoint.size - before
            if checkpoint.size - before < batch:
                break
    return sealed


def _lock(log_id: int, *, wait: bool) -> bool:
    if connection.vendor != "postgresql":
        return True  # SQLite: the transaction took the database's one write lock
    # Two keys: a namespace for transparency logs and the log id.
    namespace = zlib.crc32(b"activecitizen.transparency.seal") & 0x7FFFFFFF
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [namespace, log_id])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [namespace, log_id])
        return bool(cursor.fetchone()[0])


def _split(frontier: bytes) -> list[bytes]:
    return [frontier[i : i + merkle.HASH_SIZE] for i in range(0, len(frontier), merkle.HASH_SIZE)]


def oldest_unsealed_age(now: datetime | None = None) -> float:
    """Seconds since the oldest queued entry of any log was queued (0 when none waits)."""
    # The lowest id is the first queued (ids are handed out in order), found on the primary
    # key's index; a MIN over queued_at would read the whole queue.
    oldest = QueuedEntry.objects.order_by("id").values_list("queued_at", flat=True).first()
    if oldest is None:
        return 0.0
    return max(0.0, ((now or timezone.now()) - oldest).total_seconds())


# --- Promises ----------------------------------------------------------------------------------


def promise(*, origin: str, ballot_id: str, leaf_hash: bytes, at: datetime) -> str:
    """The log's signed promise to include this leaf within the maximum merge delay. Ed25519
    signing is deterministic, so the promise of a receipt shown again later is the same text."""
    return sign_note(
        promise_body(
            origin, ballot_id, leaf_hash, int(at.timestamp()), settings.TRANSPARENCY_MERGE_DELAY
        ),
        [log_signer()],
    )


# --- Reading: checkpoints and proofs -----------------------------------------------------------


def log_by_origin_id(origin_id: str) -> Log:
    found = Log.objects.filter(origin_id=origin_id).first()
    if found is None:
        raise NotFound(_("There is no such log."), code="log_not_found")
    return found


def latest_checkpoint(the_log: Log) -> Checkpoint | None:
    return Checkpoint.objects.filter(log=the_log).order_by("-size").first()


def checkpoint_note(checkpoint: Checkpoint) -> str:
    """The checkpoint's signed note with every witness's cosignature appended."""
    lines = list(checkpoint.cosignatures.order_by("pk").values_list("line", flat=True))
    return checkpoint.note + "".join(lines)


def _node_lookup(the_log: Log, needed: list[tuple[int, int]]) -> Callable[[int, int], bytes]:
    """The hashes of these (level, index) complete subtrees, in one query: stored nodes from
    LOWEST_STORED_LEVEL up, and below it the leaf hashes each one covers, hashed here. Plain
    SQL: compiling the ORM's filter of twenty (level, index) pairs took longer than the query."""
    # The leaves below the unstored levels, as ranges [start, end) of consecutive indexes.
    ranges: list[list[int]] = []
    for start, end in sorted(
        {(i << level, (i + 1) << level) for level, i in needed if level < LOWEST_STORED_LEVEL}
    ):
        if ranges and start <= ranges[-1][1]:
            ranges[-1][1] = max(ranges[-1][1], end)
        else:
            ranges.append([start, end])
    inner = sorted({(level, i) for level, i in needed if level >= LOWEST_STORED_LEVEL})
    parts: list[str] = []
    params: list[int] = []
    if ranges:
        spans = " OR ".join(['("index" >= %s AND "index" < %s)'] * len(ranges))
        parts.append(
            f'SELECT 0, "index", leaf_hash, NULL FROM {Entry._meta.db_table} '  # noqa: S608
            f"WHERE log_id = %s AND ({spans})"
        )
        params += [the_log.pk, *(v for span in ranges for v in span)]
    if inner:
        # Joined to a list of pairs, not `(level = … AND index = …) OR …`: PostgreSQL took
        # longer to plan that than to run it.
        pairs = ", ".join(["(%s, %s)"] * len(inner))
        parts.append(
            f'SELECT n."level", n."index", NULL, n.hash FROM {Node._meta.db_table} n '  # noqa: S608
            f"JOIN (VALUES {pairs}) AS wanted "
            'ON n.log_id = %s AND n."level" = wanted.column1 AND n."index" = wanted.column2'
        )
        params += [*(v for pair in inner for v in pair), the_log.pk]
    found: dict[tuple[int, int], bytes] = {}
    if parts:
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            for level, index, leaf, node in cursor.fetchall():
                found[(level, index)] = bytes.fromhex(leaf) if level == 0 else bytes(node)

    def lookup(level: int, index: int) -> bytes:
        if level == 0 or level >= LOWEST_STORED_LEVEL:
            return found[(level, index)]
        return merkle.root_from_leaf_hashes(
            [found[(0, leaf)] for leaf in range(index << level, (index + 1) << level)]
        )

    return lookup


def _check_size(the_log: Log, size: int, field: str) -> None:
    if size < 1 or size > the_log.size:
        raise InvalidInput(
            _("The tree size must be between 1 and %(n)s.") % {"n": the_log.size}, field=field
        )


@dataclass(frozen=True)
class Inclusion:
    index: int
    tree_size: int
    leaf_hash: bytes
    path: list[bytes]


def inclusion_proof(
    the_log: Log, *, tree_size: int, index: int | None = None, leaf_hash: bytes | None = None
) -> Inclusion:
    """RFC 9162 §2.1.3 inclusion proof of a leaf (by index or by leaf hash) in a tree size."""
    _check_size(the_log, tree_size, "tree_size")
    if leaf_hash is not None:
        # Plain SQL, as in _node_lookup: through the ORM this one-row query took six times as long.
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT "index" FROM {Entry._meta.db_table} '  # noqa: S608
                'WHERE log_id = %s AND leaf_hash = %s ORDER BY "index" LIMIT 1',
                [the_log.pk, leaf_hash.hex()],
            )
            found = cursor.fetchone()
        if found is None:
            raise NotFound(_("No sealed entry has this leaf hash."), code="entry_not_found")
        index = found[0]
    if index is None or not 0 <= index < tree_size:
        raise InvalidInput(
            _("The leaf is not in a tree of this size."), field="index", code="not_in_tree"
        )
    needed = merkle.nodes_needed_for_inclusion(index, tree_size)
    lookup = _node_lookup(the_log, [*needed, (0, index)])
    path = merkle.inclusion_proof(index, tree_size, lookup)
    return Inclusion(index=index, tree_size=tree_size, leaf_hash=lookup(0, index), path=path)


def consistency_proof(the_log: Log, *, first: int, second: int) -> list[bytes]:
    """RFC 9162 §2.1.4 proof that the tree of `first` entries is a prefix of `second`."""
    _check_size(the_log, second, "second")
    if not 1 <= first <= second:
        raise InvalidInput(_("The first size must be between 1 and the second."), field="first")
    needed = merkle.nodes_needed_for_consistency(first, second)
    return merkle.consistency_proof(first, second, _node_lookup(the_log, needed))


# --- Witnesses ---------------------------------------------------------------------------------


def add_cosignature(
    *, origin_id: str, checkpoint_note_text: str, line: str
) -> tuple[Cosignature, bool]:
    """Keep a witness's cosignature on one of this log's checkpoints, if it is from a configured
    witness key and valid for that checkpoint; the same witness twice keeps the first. Returns
    the kept cosignature and whether this call stored it."""
    the_log = log_by_origin_id(origin_id)
    try:
        text = checkpoint_note_text[: checkpoint_note_text.index("\n\n") + 1]
        parsed = CheckpointNote.parse(text)
        signature = SignatureLine.parse(line)
    except (ValueError, NoteError):
        raise InvalidInput(
            _("This is not a checkpoint and a cosignature line."), field="signature"
        ) from None
    if parsed.origin != the_log.origin:
        raise InvalidInput(_("The checkpoint is of another log."), field="checkpoint")
    checkpoint = Checkpoint.objects.filter(log=the_log, size=parsed.size).first()
    if checkpoint is None or bytes(checkpoint.root) != parsed.root:
        raise NotFound(_("This log signed no such checkpoint."), code="checkpoint_not_found")
    witness = next(
        (
            w
            for w in witness_verifiers()
            if w.name == signature.name and w.key_id == signature.key_id
        ),
        None,
    )
    if witness is None:
        raise InvalidInput(_("This witness key is not configured here."), field="signature")
    if not witness.verify_line(text, line):
        raise InvalidInput(_("The cosignature does not verify."), field="signature")
    fields = {"line": signature.line, "timestamp": cosignature_timestamp(signature)}
    try:
        # A savepoint: a witness posting twice at once loses the unique race in one request,
        # which then finds the other's row.
        with transaction.atomic():
            return Cosignature.objects.get_or_create(
                checkpoint=checkpoint, witness=witness.name, defaults=fields
            )
    except IntegrityError:
        return Cosignature.objects.get(checkpoint=checkpoint, witness=witness.name), False
