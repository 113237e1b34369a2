"""Sealing a ballot log of 1,000,000 entries, and serving proofs from it.

Workload: one log; BENCH_LOG_ENTRIES (default 1,000,000) entries shaped like ballots (~120
bytes of canonical JSON each) are queued with SQL, as casting would have queued them, then:
- "seal": the real `transparency.services.seal_all` gives them indexes, stores the subtree hashes
  and signs a checkpoint per batch of 10,000 (no tally folded in: that is bench_results);
- "inclusion proof": `services.inclusion_proof` for random leaves of the whole tree, by index
  and by leaf hash (median and p99 of 1,000 each), which is what the API endpoint runs;
- "consistency proof": between random sizes (1,000 runs);
- "verifier": the log written out as a poll's export (activecitizen-export/1: manifest, every
  entry, every checkpoint, the published tally) and checked by `python -m activecitizen.verify`
  in a fresh process, as an observer would run it (wall time, exit code 0 required).
Each proof is checked with the client-side verification, outside the timing.

Database: $DATABASE_URL if it is PostgreSQL, else a fresh database on 127.0.0.1:5432 (dropped
afterwards).
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ENTRIES = int(os.environ.get("BENCH_LOG_ENTRIES", "1000000"))


def main() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from harness import postgres_database

    with postgres_database("log") as url:
        os.environ.update(
            DATABASE_URL=url, DJANGO_SETTINGS_MODULE="activecitizen.settings", LOG_LEVEL="WARNING"
        )
        run()


def timed(work, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        work()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def run() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from activecitizen.transparency import merkle, services
    from activecitizen.transparency.models import Entry

    sys.path.insert(0, str(ROOT / "bench"))
    from harness import Recorder, machine

    call_command("migrate", verbosity=0)
    print(f"machine: {machine()}")
    the_log = services.ensure_log(origin="bench.example/poll/1", origin_id="poll-1", kind="bench")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO transparency_queuedentry (log_id, data, ref, queued_at, fold) "
            'SELECT %s, convert_to(\'{"answers":[{"o":[\' || (1 + i %% 10) || \'],"q":1},'
            '{"o":[\' || (11 + i %% 6) || \'],"q":2}],"ballot":"\' || md5(i::text) || '
            '\'","poll":"bench.example/poll/1","v":1}\', \'UTF8\'), i, now(), TRUE '
            "FROM generate_series(1, %s::int) AS i",
            [the_log.pk, ENTRIES],
        )
        # The queue of a real site is a second's ballots; one of a million needs statistics
        # for the sealer's "oldest first" read to use its index.
        cursor.execute("ANALYZE transparency_queuedentry")
    recorder = Recorder("transparency", workload={"entries": ENTRIES})

    t = time.perf_counter()
    sealed = services.seal_all(kind="bench")
    seal_seconds = time.perf_counter() - t
    assert sealed == ENTRIES, sealed
    print(f"sealed {sealed:,} entries in {seal_seconds:.1f} s ({sealed / seal_seconds:,.0f}/s)")
    recorder.figure(f"seal {ENTRIES} entries", round(seal_seconds, 2), "s")

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum does after a bulk load
    the_log.refresh_from_db()
    root, size = bytes(the_log.root), the_log.size
    rng = random.Random(7)
    leaves = dict(
        Entry.objects.filter(
            log=the_log, index__in=[rng.randrange(size) for _ in range(1000)]
        ).values_list("index", "leaf_hash")
    )
    picks = list(leaves.items())

    def by_index() -> None:
        index, _leaf = rng.choice(picks)
        services.inclusion_proof(the_log, tree_size=size, index=index)

    def by_leaf() -> None:
        _index, leaf = rng.choice(picks)
        services.inclusion_proof(the_log, tree_size=size, leaf_hash=bytes.fromhex(leaf))

    def consistency() -> None:
        first = rng.randrange(1, size)
        services.consistency_proof(the_log, first=first, second=size)

    for index, leaf in picks[:50]:  # the proofs are right (outside the timing)
        proof = services.inclusion_proof(the_log, tree_size=size, index=index)
        assert merkle.verify_inclusion(index, size, bytes.fromhex(leaf), proof.path, root)
    for name, work in (
        ("inclusion proof by index", by_index),
        ("inclusion proof by leaf hash", by_leaf),
        ("consistency proof", consistency),
    ):
        p50, p99 = timed(work, 1000)
        print(f"{name} on {size:,} entries: p50 {p50:.2f} ms, p99 {p99:.2f} ms")
        recorder.figure(f"{name} p50", round(p50, 3), "ms")
        recorder.figure(f"{name} p99", round(p99, 3), "ms")

    export = Path(tempfile.mkdtemp(prefix="log-export-")) / "poll-1.jsonl.gz"
    write_export(the_log, export)
    t = time.perf_counter()
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "activecitizen.verify",
            str(export),
            "--quiet",
            "--log-key",
            services.public_key(),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    verify_seconds = time.perf_counter() - t
    print(
        f"offline verifier over {size:,} ballots: {verify_seconds:.1f} s, exit {checked.returncode}"
    )
    print(checked.stdout.strip()[-500:])
    assert checked.returncode == 0, checked.stdout + checked.stderr
    recorder.figure(f"verify an export of {size} ballots", round(verify_seconds, 2), "s")
    shutil.rmtree(export.parent, ignore_errors=True)


def write_export(the_log, path: Path) -> None:
    """The log as the export of a closed two-question poll whose results were published."""
    import base64
    import gzip
    import json

    from activecitizen.transparency import services
    from activecitizen.transparency.models import Checkpoint, Entry

    manifest = {
        "type": "manifest",
        "format": "activecitizen-export/1",
        "origin": the_log.origin,
        "log_key": services.public_key(),
        "witness_keys": [],
        "poll": {
            "id": 1,
            "title": "Benchmark poll",
            "questions": [
                {
                    "id": 1,
                    "kind": "single",
                    "min_choices": 1,
                    "max_choices": 1,
                    "required": True,
                    "text": "Q1",
                    "options": [
                        {"id": o, "text": f"O{o}", "free_text": False} for o in range(1, 11)
                    ],
                },
                {
                    "id": 2,
                    "kind": "single",
                    "min_choices": 1,
                    "max_choices": 1,
                    "required": True,
                    "text": "Q2",
                    "options": [
                        {"id": o, "text": f"O{o}", "free_text": False} for o in range(11, 17)
                    ],
                },
            ],
        },
    }
    counts: dict[int, int] = {}
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as out:
        out.write(json.dumps(manifest) + "\n")
        entries = Entry.objects.filter(log=the_log).order_by("index").values_list("index", "data")
        for index, data in entries.iterator(chunk_size=5000):
            data = bytes(data)
            for answer in json.loads(data)["answers"]:
                for o in answer["o"]:
                    counts[o] = counts.get(o, 0) + 1
            out.write(
                json.dumps(
                    {"type": "entry", "index": index, "data": base64.b64encode(data).decode()}
                )
                + "\n"
            )
        for note in (
            Checkpoint.objects.filter(log=the_log).order_by("size").values_list("note", flat=True)
        ):
            out.write(json.dumps({"type": "checkpoint", "note": note}) + "\n")
        results = {
            "type": "results",
            "checkpoint_size": the_log.size,
            "total": the_log.size,
            "questions": [
                {"id": 1, "options": [{"id": o, "count": counts.get(o, 0)} for o in range(1, 11)]},
                {"id": 2, "options": [{"id": o, "count": counts.get(o, 0)} for o in range(11, 17)]},
            ],
        }
        out.write(json.dumps(results) + "\n")


if __name__ == "__main__":
    main()
