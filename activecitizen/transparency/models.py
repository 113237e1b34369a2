"""Append-only logs: what was queued, what was sealed at which index, the stored subtree hashes
that make proofs O(log n), and the signed checkpoints with their witnesses' cosignatures.

Nothing here is updated or deleted once sealed (on PostgreSQL, triggers refuse it); a queued
entry is deleted only by the seal that gives it its index, in the same transaction.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from activecitizen.transparency.merkle import EMPTY_ROOT


class Log(models.Model):
    """One append-only Merkle log: a poll's ballots (later an owners' meeting's decisions)."""

    origin = models.CharField(_("origin"), max_length=200, unique=True)
    # The origin's short name in URLs: "poll-42".
    origin_id = models.SlugField(_("name in URLs"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, db_index=True)
    size = models.BigIntegerField(_("entries"), default=0)
    root = models.BinaryField(_("root hash"), max_length=32, default=EMPTY_ROOT)
    # The hashes of TreeFrontier.frontier_nodes(size), concatenated: all the next seal needs.
    frontier = models.BinaryField(default=b"")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("transparency log")
        verbose_name_plural = _("transparency logs")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.origin


class QueuedEntry(models.Model):
    """An entry written with its ballot, waiting for the sealer to give it an index."""

    id = models.BigAutoField(primary_key=True)
    # No foreign key constraint: its check on every row cost more than the rest of writing one
    # (a million per sealed million). Only the sealer (and casting, for the queue) writes these,
    # with the id of a log it holds; logs are never deleted (a trigger refuses it).
    log = models.ForeignKey(
        Log, on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    data = models.BinaryField()
    # What the entry stands for in its owner's tables (a ballot's id), handed to the seal's fold.
    ref = models.BigIntegerField()
    queued_at = models.DateTimeField()
    # False only for ballots counted before they had a log (moved in by a migration).
    fold = models.BooleanField(default=True)

    # No index beyond the primary key: the queue holds about a second of ballots, which the
    # sealer reads in id order, and every index would cost each ballot one more write.

    def __str__(self) -> str:
        return f"{self.log_id}: #{self.pk}"


class LeafHashIndex(models.Index):
    """A hash index on PostgreSQL, a plain one elsewhere: leaf hashes are only ever looked up
    by equality, and a hash index keeps 4 bytes per entry where a B-tree keeps the 64
    characters (a third of the size), so that inserting a batch's random keys touches fewer
    pages. (Not `db_index`: on PostgreSQL that adds a pattern-matching index nothing uses.)"""

    def create_sql(self, model, schema_editor, using="", **kwargs):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            using = " USING hash"
        return super().create_sql(model, schema_editor, using=using, **kwargs)


class Entry(models.Model):
    """A sealed entry: its place in the log, its bytes and its leaf hash."""

    # The place in the log is the key: no surrogate id and its index to maintain per entry.
    pk = models.CompositePrimaryKey("log", "index")
    # No foreign key constraint: its check on every row cost more than the rest of writing one
    # (a million per sealed million). Only the sealer (and casting, for the queue) writes these,
    # with the id of a log it holds; logs are never deleted (a trigger refuses it).
    log = models.ForeignKey(
        Log, on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    index = models.BigIntegerField()
    data = models.BinaryField()
    # Hex, as receipts show it: a person's receipt finds its entry by this alone.
    leaf_hash = models.CharField(max_length=64)
    ref = models.BigIntegerField()
    sealed_at = models.DateTimeField()

    class Meta:
        indexes = [LeafHashIndex(fields=["leaf_hash"], name="entry_leaf_hash")]

    def __str__(self) -> str:
        return f"{self.log_id}[{self.index}]"


# Nodes are stored from this level up; a proof computes one below it from the leaf hashes it
# covers (at most 2**LOWEST_STORED_LEVEL of them, next to each other). Storing every level
# wrote as many nodes as entries, a quarter of the sealing time. Raising it later is safe (the
# lower nodes stay, unused); lowering it needs the missing levels formed for existing logs.
LOWEST_STORED_LEVEL = 4


class Node(models.Model):
    """The hash of a complete subtree of 2**level leaves starting at leaf index * 2**level
    (level ≥ LOWEST_STORED_LEVEL; logs sealed before it was introduced also have levels 1 to
    3; level 0 is Entry.leaf_hash). Formed once, never changed."""

    pk = models.CompositePrimaryKey("log", "level", "index")
    # No foreign key constraint: its check on every row cost more than the rest of writing one
    # (a million per sealed million). Only the sealer (and casting, for the queue) writes these,
    # with the id of a log it holds; logs are never deleted (a trigger refuses it).
    log = models.ForeignKey(
        Log, on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.BinaryField(max_length=32)

    def __str__(self) -> str:
        return f"{self.log_id}({self.level}, {self.index})"


class Checkpoint(models.Model):
    """A signed tree head (C2SP signed note); every seal publishes one."""

    log = models.ForeignKey(Log, on_delete=models.PROTECT, related_name="checkpoints")
    size = models.BigIntegerField(_("entries"))
    root = models.BinaryField(_("root hash"), max_length=32)
    note = models.TextField(_("signed note"))
    created_at = models.DateTimeField(_("signed"))

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        ordering = ["log", "-size"]
        constraints = [
            models.UniqueConstraint(fields=["log", "size"], name="checkpoint_size_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.log_id} @ {self.size}"


class Cosignature(models.Model):
    """A witness's cosignature/v1 line on a checkpoint, checked against a configured key."""

    checkpoint = models.ForeignKey(
        Checkpoint, on_delete=models.PROTECT, related_name="cosignatures"
    )
    witness = models.CharField(_("witness"), max_length=200)
    line = models.TextField(_("signature line"))
    timestamp = models.BigIntegerField(_("cosigned at (Unix time)"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("cosignature")
        verbose_name_plural = _("cosignatures")
        constraints = [
            models.UniqueConstraint(
                fields=["checkpoint", "witness"], name="one_cosignature_per_witness"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.witness} on {self.checkpoint}"
