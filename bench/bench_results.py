"""Full results of a big poll: time to compute them, and to serve them, as ballots grow to 1M.

Workload: one open city-wide poll, 2 questions (one single choice of 10 options, one multiple
choice of 6), ballots spread over Moscow's 146 districts, 7 age bands, 2 genders and 3 channels
with skewed answers. Ballots are inserted with SQL in stages up to 10,000, 100,000 and
1,000,000, queued in the poll's transparency log as casting queues them, and each stage is sealed
into the log (indexes, subtree hashes, a signed checkpoint per 20,000) and folded into the counts
by the real `tally()` (its speed is a figure too: the time to seal 1,000,000 ballots). At each stage:
- "compute": `compute_poll_results` from the counts, every breakdown with secondary
  suppression, nothing cached (median and p95 of 15 runs);
- "serve": `poll_results` as a page or the API gets it, from the cache (median of 200 runs).
Nothing here scans the ballots: the point is that both figures stay flat as ballots grow.

Database: $DATABASE_URL if it is PostgreSQL, else a fresh database on 127.0.0.1:5432 (dropped
afterwards). BENCH_RESULTS_STAGES=10000,100000,1000000 changes the stages.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
STAGES = [int(s) for s in os.environ.get("BENCH_RESULTS_STAGES", "10000,100000,1000000").split(",")]


def main() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from harness import postgres_database

    with postgres_database("results") as url:
        os.environ.update(
            DATABASE_URL=url,
            DJANGO_SETTINGS_MODULE="activecitizen.settings",
            POLLS_TALLY_ON_CAST="0",
            LOG_LEVEL="WARNING",
        )
        run()


def run() -> None:
    import django

    django.setup()
    from datetime import timedelta

    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from django.utils.translation import activate

    from activecitizen.geo.models import District
    from activecitizen.polls import results, services
    from activecitizen.polls.models import Option, Poll, Question
    from activecitizen.polls.selectors import poll_log

    sys.path.insert(0, str(ROOT / "bench"))
    from harness import Recorder, machine

    call_command("migrate", verbosity=0)
    activate("ru")
    now = timezone.now()
    poll = Poll.objects.create(
        title="Какие улучшения нужнее всего в вашем районе?",
        category="city",
        status="open",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
    )
    single = Question.objects.create(poll=poll, position=0, text="Что сделать первым?")
    options = [
        Option.objects.create(question=single, position=i, text=f"Вариант {i + 1}").pk
        for i in range(10)
    ]
    multiple = Question.objects.create(
        poll=poll, position=1, text="Что ещё важно?", kind="multiple", min_choices=1, max_choices=3
    )
    extras = [
        Option.objects.create(question=multiple, position=i, text=f"Пункт {i + 1}").pk
        for i in range(6)
    ]
    districts = list(District.objects.values_list("pk", "okrug_id"))
    origin = poll.origin
    log_id = poll_log(poll).pk
    print(f"machine: {machine()}")
    print(
        f"poll {poll.pk}: 2 questions (10 options single, 6 options multiple), "
        f"{len(districts)} districts\n"
    )

    recorder = Recorder(
        "results",
        workload={"questions": "10-option single + 6-option multiple", "districts": len(districts)},
    )
    inserted = 0
    header = (
        f"{'ballots':>10} {'seal+tally /s':>16} {'compute p50':>12} {'p95':>8} {'serve p50':>10}"
    )
    print(header)
    for target in STAGES:
        start_id = inserted
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMP TABLE IF NOT EXISTS d (n int, district int, okrug int)")
            cursor.execute("TRUNCATE d")
            cursor.executemany(
                "INSERT INTO d VALUES (%s, %s, %s)",
                [(n, d, o) for n, (d, o) in enumerate(districts)],
            )
            # Skewed choices: floor(10 * r²) favours the first options, as real polls do.
            cursor.execute(
                """
                WITH g AS (
                  SELECT i, md5(%s || i::text) AS pid,
                         floor(10 * random() ^ 2)::int AS a,
                         floor(6 * random())::int AS b,
                         floor(random() * %s)::int AS dn,
                         random() AS r
                  FROM generate_series(%s::int, %s::int) AS i
                ), ins AS (
                  INSERT INTO polls_ballot (poll_id, public_id, content, channel, okrug_id,
                                            district_id, age_band, gender, cast_at)
                  SELECT %s, g.pid,
                         '{"answers":[{"o":[' || (%s::int[])[g.a + 1] || '],"q":' || %s ||
                         '},{"o":[' || (%s::int[])[g.b + 1] || '],"q":' || %s ||
                         '}],"ballot":"' || g.pid || '","poll":"' || %s || '","v":1}',
                         (ARRAY['app','app','web','service_centre'])[1 + floor(g.r * 4)::int],
                         d.okrug, d.district,
                         (ARRAY['18-24','25-34','35-44','45-54','55-64','65+','<18'])
                           [1 + floor(random() * 7)::int],
                         (ARRAY['female','male'])[1 + floor(random() * 2)::int],
                         now()
                  FROM g JOIN d ON d.n = g.dn
                  RETURNING id, content, cast_at
                )
                INSERT INTO transparency_queuedentry (log_id, data, ref, queued_at, fold)
                SELECT %s, convert_to(content, 'UTF8'), id, cast_at, TRUE FROM ins ORDER BY id
                """,
                [
                    uuid.uuid4().hex,
                    len(districts),
                    start_id + 1,
                    target,
                    poll.pk,
                    options,
                    single.pk,
                    extras,
                    multiple.pk,
                    origin,
                    log_id,
                ],
            )
        inserted = target
        t0 = time.perf_counter()
        folded = services.tally(poll_id=poll.pk, batch=20000)
        tally_rate = folded / (time.perf_counter() - t0)
        poll.refresh_from_db()
        assert poll.ballots_counted == target, (poll.ballots_counted, target)

        computes = []
        for _ in range(15):
            t = time.perf_counter()
            results.compute_poll_results(poll)
            computes.append((time.perf_counter() - t) * 1000)
        computes.sort()
        cache.clear()
        results.poll_results(poll)  # fills the cache
        serves = []
        for _ in range(200):
            t = time.perf_counter()
            results.poll_results(poll)
            serves.append((time.perf_counter() - t) * 1000)
        p50 = statistics.median(computes)
        p95 = computes[int(len(computes) * 0.95) - 1]
        serve = statistics.median(serves)
        print(f"{target:>10,} {tally_rate:>16,.0f} {p50:>10.1f} ms {p95:>6.1f} ms {serve:>8.3f} ms")
        recorder.figure(f"seal and tally speed at {target} ballots", round(tally_rate), "ballots/s")
        recorder.figure(f"results compute p50 at {target} ballots", round(p50, 2), "ms")
        recorder.figure(f"results compute p95 at {target} ballots", round(p95, 2), "ms")
        recorder.figure(f"results served from cache p50 at {target} ballots", round(serve, 3), "ms")


if __name__ == "__main__":
    main()
