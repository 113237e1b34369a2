"""Sealing: whatever the batches, the stored log is the RFC 9162 tree of its entries in queue
order, every checkpoint is signed and consistent with the next, proofs built from the stored
subtree hashes verify, concurrent sealers never give two entries one index, and on PostgreSQL
nothing sealed can be changed."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activecitizen.core.testing.concurrency import run_together
from activecitizen.transparency import merkle, services
from activecitizen.transparency.models import (
    LOWEST_STORED_LEVEL,
    Checkpoint,
    Entry,
    Log,
    Node,
    QueuedEntry,
)
from activecitizen.transparency.notes import Checkpoint as CheckpointNote
from activecitizen.transparency.notes import Verifier

pytestmark = pytest.mark.django_db
_examples = itertools.count()


def _queue(the_log: Log, datas: list[bytes]) -> None:
    now = timezone.now()
    for n, data in enumerate(datas):
        services.queue_entry(log_id=the_log.pk, data=data, ref=n, queued_at=now)


@given(
    batches=st.lists(st.integers(1, 9), min_size=1, max_size=6),
    seal_size=st.integers(1, 7),
)
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_batches_give_the_tree_of_the_entries_in_queue_order(batches, seal_size):
    # Hypothesis runs every example in the test's one transaction: each gets a log of its own.
    n = next(_examples)
    the_log = services.ensure_log(origin=f"test.example/h/{n}", origin_id=f"h-{n}", kind="test")
    verifier = Verifier.from_vkey(services.public_key())
    datas: list[bytes] = []
    sizes: list[int] = []
    for batch in batches:
        new = [f"entry {len(datas) + i}".encode() for i in range(batch)]
        _queue(the_log, new)
        datas.extend(new)
        while (checkpoint := services.seal(the_log.pk, batch=seal_size)) is not None:
            sizes.append(checkpoint.size)
    the_log.refresh_from_db()
    expected = merkle.root_from_leaf_hashes([merkle.leaf_hash(d) for d in datas])
    assert the_log.size == len(datas)
    assert bytes(the_log.root) == expected
    assert [
        bytes(d)
        for d in Entry.objects.filter(log=the_log).order_by("index").values_list("data", flat=True)
    ] == datas
    assert not QueuedEntry.objects.filter(log=the_log).exists()
    # Every checkpoint is signed by the log key, names its tree truthfully, and each is
    # consistent with the next, proved from the stored subtree hashes.
    checkpoints = list(Checkpoint.objects.filter(log=the_log).order_by("size"))
    assert [c.size for c in checkpoints] == sizes
    for c in checkpoints:
        parsed, _opened = CheckpointNote.open(c.note, verifier)
        assert (parsed.origin, parsed.size) == (the_log.origin, c.size)
        assert (
            parsed.root
            == bytes(c.root)
            == merkle.root_from_leaf_hashes([merkle.leaf_hash(d) for d in datas[: c.size]])
        )
    for first, second in itertools.pairwise(checkpoints):
        proof = services.consistency_proof(the_log, first=first.size, second=second.size)
        assert merkle.verify_consistency(
            first.size, second.size, bytes(first.root), bytes(second.root), proof
        )
    # And every entry's inclusion proof in the final tree.
    for index, data in enumerate(datas):
        proof = services.inclusion_proof(the_log, tree_size=len(datas), index=index)
        assert proof.leaf_hash == merkle.leaf_hash(data)
        assert merkle.verify_inclusion(
            index, len(datas), merkle.leaf_hash(data), proof.path, expected
        )


def test_proofs_and_sizes_out_of_range_are_refused():
    the_log = services.ensure_log(origin="test.example/poll/2", origin_id="poll-2", kind="test")
    _queue(the_log, [b"a", b"b", b"c"])
    services.seal(the_log.pk)
    the_log.refresh_from_db()
    from activecitizen.core.errors import InvalidInput, NotFound

    with pytest.raises(InvalidInput):
        services.inclusion_proof(the_log, tree_size=4, index=0)
    with pytest.raises(InvalidInput):
        services.inclusion_proof(the_log, tree_size=2, index=2)
    with pytest.raises(NotFound):
        services.inclusion_proof(the_log, tree_size=3, leaf_hash=merkle.leaf_hash(b"zzz"))
    with pytest.raises(InvalidInput):
        services.consistency_proof(the_log, first=3, second=2)
    with pytest.raises(InvalidInput):
        services.consistency_proof(the_log, first=0, second=3)


def test_the_oldest_unsealed_entry_has_an_age():
    the_log = services.ensure_log(origin="test.example/poll/3", origin_id="poll-3", kind="test")
    assert services.oldest_unsealed_age() == 0
    services.queue_entry(
        log_id=the_log.pk, data=b"x", ref=1, queued_at=timezone.now() - timedelta(seconds=30)
    )
    assert 29 < services.oldest_unsealed_age() < 60
    services.seal(the_log.pk)
    assert services.oldest_unsealed_age() == 0


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_sealers_and_writers_give_every_entry_one_index():
    the_log = services.ensure_log(origin="test.example/poll/4", origin_id="poll-4", kind="test")

    def work(i: int) -> None:
        # Eight threads each queue entries and seal, interleaved.
        for n in range(10):
            services.queue_entry(
                log_id=the_log.pk, data=f"{i}:{n}".encode(), ref=n, queued_at=timezone.now()
            )
            services.seal(the_log.pk, batch=3, wait=n % 2 == 0)

    _results, errors = run_together(8, work)
    assert errors == []
    while services.seal(the_log.pk) is not None:
        pass
    the_log.refresh_from_db()
    indexes = list(Entry.objects.filter(log=the_log).values_list("index", flat=True))
    assert sorted(indexes) == list(range(80))
    datas = [
        bytes(d)
        for d in Entry.objects.filter(log=the_log).order_by("index").values_list("data", flat=True)
    ]
    assert sorted(datas) == sorted(f"{i}:{n}".encode() for i in range(8) for n in range(10))
    assert bytes(the_log.root) == merkle.root_from_leaf_hashes([merkle.leaf_hash(d) for d in datas])
    sizes = list(Checkpoint.objects.filter(log=the_log).values_list("size", flat=True))
    assert len(sizes) == len(set(sizes))


@pytest.mark.postgres_only
def test_sealed_rows_cannot_be_changed_and_a_log_cannot_shrink():
    the_log = services.ensure_log(origin="test.example/poll/5", origin_id="poll-5", kind="test")
    # Enough entries for a stored node (the lowest levels are not stored).
    _queue(the_log, [f"{i}".encode() for i in range(2**LOWEST_STORED_LEVEL)])
    services.seal(the_log.pk)
    assert Node.objects.filter(log=the_log).exists()
    for change in (
        lambda: Entry.objects.filter(log=the_log).update(data=b"forged"),
        lambda: Entry.objects.filter(log=the_log).delete(),
        lambda: Node.objects.filter(log=the_log).update(hash=b"0" * 32),
        lambda: Checkpoint.objects.filter(log=the_log).update(note="forged"),
        lambda: Checkpoint.objects.filter(log=the_log).delete(),
        lambda: Log.objects.filter(pk=the_log.pk).update(size=1),
        lambda: Log.objects.filter(pk=the_log.pk).delete(),
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            change()
    assert Entry.objects.filter(log=the_log).count() == 2**LOWEST_STORED_LEVEL


def test_stored_nodes_are_the_complete_subtrees_from_the_lowest_stored_level():
    # Batches that start and end inside blocks of 2**LOWEST_STORED_LEVEL leaves and inside
    # higher subtrees, so that a seal completes nodes from leaves and nodes sealed before.
    the_log = services.ensure_log(origin="test.example/poll/6", origin_id="poll-6", kind="test")
    datas = [f"entry {i}".encode() for i in range(300)]
    _queue(the_log, datas)
    for batch in (1, 15, 17, 31, 64, 100, 72):
        assert services.seal(the_log.pk, batch=batch) is not None
    leaves = [merkle.leaf_hash(d) for d in datas]
    expected = {
        (level, j, merkle.root_from_leaf_hashes(leaves[j << level : (j + 1) << level]))
        for level in range(LOWEST_STORED_LEVEL, len(datas).bit_length())
        for j in range(len(datas) >> level)
    }
    stored = {
        (level, index, bytes(h))
        for level, index, h in Node.objects.filter(log=the_log).values_list(
            "level", "index", "hash"
        )
    }
    assert stored == expected
    the_log.refresh_from_db()
    assert bytes(the_log.root) == merkle.root_from_leaf_hashes(leaves)
    # Proofs need the levels that are not stored: computed from the leaves.
    for index in (0, 17, 150, 255, 256, 299):
        proof = services.inclusion_proof(the_log, tree_size=300, index=index)
        assert merkle.verify_inclusion(index, 300, leaves[index], proof.path, bytes(the_log.root))


def test_a_seal_takes_the_oldest_entries_of_its_own_log_only():
    first = services.ensure_log(origin="test.example/poll/7", origin_id="poll-7", kind="test")
    second = services.ensure_log(origin="test.example/poll/8", origin_id="poll-8", kind="test")
    now = timezone.now()
    for n in range(6):  # the two logs' entries interleaved in the queue
        for the_log in (first, second):
            services.queue_entry(
                log_id=the_log.pk, data=f"{the_log.pk}:{n}".encode(), ref=n, queued_at=now
            )
    checkpoint = services.seal(first.pk, batch=4)
    assert checkpoint is not None and checkpoint.size == 4
    sealed = Entry.objects.filter(log=first).order_by("index").values_list("data", flat=True)
    assert [bytes(d) for d in sealed] == [f"{first.pk}:{n}".encode() for n in range(4)]
    assert QueuedEntry.objects.filter(log=first).count() == 2
    assert QueuedEntry.objects.filter(log=second).count() == 6
    assert not Entry.objects.filter(log=second).exists()


@pytest.mark.postgres_only
def test_leaf_hashes_are_found_through_a_hash_index_on_postgresql():
    # A B-tree of 64-character keys was most of the cost of writing an entry; equality is all
    # that receipts and proofs ask of it.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'entry_leaf_hash'")
        (definition,) = cursor.fetchone()
    assert "USING hash (leaf_hash)" in definition
