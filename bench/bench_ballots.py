"""Ballots per second through the API, on PostgreSQL with gunicorn and production settings.

Workload: BENCH_VOTERS distinct residents (default 60,000), each with a bearer token, half of
them with points from an earlier poll, and one open city-wide poll of two questions. `wrk` (C, on this machine, 2 threads) sends POST
/api/v1/polls/{id}/ballots over BENCH_CONNECTIONS connections (default 16) for BENCH_SECONDS
(default 30) to gunicorn with BENCH_WORKERS (default 4) sync workers (BENCH_WORKER_CLASS=gthread
and BENCH_THREADS to try threads); every request takes the next unused token, so every ballot is a
different person's first. In the same run, against the same server, GET /livez (one
`SELECT 1`) gives the ceiling of this server on this machine. Afterwards the database is
counted: ballots, participations, ledger entries and points must equal the 201 answers, with no
duplicates (the figures say so, and the run fails loudly if not).

Database: $DATABASE_URL if it is PostgreSQL, else the server on 127.0.0.1:5432 (a fresh database,
dropped afterwards). Redis on 127.0.0.1:6379 (db 9, flushed) as the cache when it answers.
Needs `wrk` (Debian package; `make bench` installs it when missing).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from harness import ROOT, Recorder, describe, gunicorn, postgres_database

SECONDS = int(os.environ.get("BENCH_SECONDS", "30"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
VOTERS = int(os.environ.get("BENCH_VOTERS", "60000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
WORKER_CLASS = os.environ.get("BENCH_WORKER_CLASS", "sync")
# gunicorn turns "sync" with more than one thread into gthread: sync means one thread.
THREADS = int(os.environ.get("BENCH_THREADS", "4" if WORKER_CLASS == "gthread" else "1"))
WRK_THREADS = 2
# "warm": each voter's token was used a moment before (the app loaded the poll), as in real use;
# "cold": never used, so each ballot's statement also marks its token used (one more row update).
# A ballot reads its token inside its own statement, so the cache plays no part either way.
CACHE_STATE = os.environ.get("BENCH_CACHE", "warm")
# BENCH_SEALING=0 leaves the queued ballots unsealed during the load (for comparison).
SEALING = os.environ.get("BENCH_SEALING", "1") != "0"

PREPARE = textwrap.dedent(
    """
    import json, os, secrets, sys
    from datetime import timedelta
    import django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "activecitizen.settings")
    django.setup()
    from django.utils import timezone
    from activecitizen.accounts.models import ApiToken, User
    from activecitizen.accounts.services import hash_token
    from activecitizen.geo.models import District
    from activecitizen.polls.models import Option, Poll, Question

    voters, tokens_path, warm = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "warm"
    districts = list(District.objects.values_list("pk", flat=True))
    users = [
        User(phone=f"+7990{i:07d}", first_name="Житель", home_district_id=districts[i % len(districts)],
             birth_date=timezone.localdate() - timedelta(days=365 * (18 + i % 60)),
             gender=("female", "male")[i % 2], password="!")
        for i in range(voters)
    ]
    User.objects.bulk_create(users, batch_size=5000)
    ids = list(User.objects.filter(phone__startswith="+7990").order_by("pk").values_list("pk", flat=True))
    raw = [secrets.token_urlsafe(32) for _ in ids]
    ApiToken.objects.bulk_create(
        # warm: the app used its token a moment ago (loading the poll), so the ballot need not
        # mark it used; cold: never used, so every ballot also updates its token's row.
        [ApiToken(user_id=u, key_hash=hash_token(t), prefix=t[:8], device="bench",
                  last_used_at=timezone.now() if warm else None) for u, t in zip(ids, raw)],
        batch_size=5000,
    )
    # Half of them have taken part before: a points account with an earlier poll's 20 points,
    # as most people in a city-wide vote have. (All new, the accounts table was analysed empty
    # and each ballot's foreign-key check on it became a sequential scan, slower with every
    # ballot until autovacuum's next analyse; see BENCHMARKS.md.)
    from activecitizen.rewards.models import LedgerEntry, PointsAccount
    earlier = ids[::2]
    PointsAccount.objects.bulk_create(
        [PointsAccount(user_id=u, balance=20, lifetime=20) for u in earlier], batch_size=5000
    )
    LedgerEntry.objects.bulk_create(
        [LedgerEntry(account_id=u, amount=20, reason="poll", reference="poll:earlier",
                     idempotency_key=f"poll:earlier:user:{u}") for u in earlier],
        batch_size=5000,
    )
    now = timezone.now()
    poll = Poll.objects.create(title="Какой маршрут трамвая открыть первым?", category="transport",
                               status="open", opens_at=now - timedelta(hours=1),
                               closes_at=now + timedelta(days=7), points=20)
    answers = []
    for position, (text, options) in enumerate([
        ("Какой маршрут открыть первым?", ["№ 3 до Сокольников", "№ 17 до ВДНХ", "№ 39 до Университета"]),
        ("Как часто ездите на трамвае?", ["Каждый день", "Раз в неделю", "Реже"]),
    ]):
        q = Question.objects.create(poll=poll, position=position, text=text)
        opts = [Option.objects.create(question=q, position=i, text=t) for i, t in enumerate(options)]
        answers.append((q.pk, [o.pk for o in opts]))
    # Start both loads from a steady database: statistics fresh and the bulk load's dirty pages
    # written, so that neither autovacuum nor a checkpoint triggered by the set-up lands inside
    # the measured seconds.
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        try:
            cursor.execute("CHECKPOINT")
        except Exception:
            pass  # CHECKPOINT needs a superuser or pg_checkpoint; the figures are noisier then
    with open(tokens_path, "w") as fh:
        fh.write("\\n".join(raw))
    print(json.dumps({"poll_id": poll.pk, "answers": answers}))
    """
)

SEALER = textwrap.dedent(
    """
    import os, signal, sys, time
    import django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "activecitizen.settings")
    django.setup()
    from activecitizen.polls.services import tally
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    sealed = runs = 0
    while not stop:
        started = time.monotonic()
        sealed += tally()
        runs += 1
        time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
    print(f"{sealed} ballots sealed and counted in {runs} runs during the load", flush=True)
    """
)

COUNT = textwrap.dedent(
    """
    import json, os, sys
    import django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "activecitizen.settings")
    django.setup()
    from django.db import connection
    from activecitizen.polls.models import Ballot, Participation
    from activecitizen.rewards.models import LedgerEntry, PointsAccount
    from django.db.models import Count, Sum
    poll_id = int(sys.argv[1])
    dup_people = Participation.objects.filter(poll_id=poll_id).values("user_id").annotate(
        n=Count("id")).filter(n__gt=1).count()
    dup_ballots = Ballot.objects.filter(poll_id=poll_id).values("public_id").annotate(
        n=Count("id")).filter(n__gt=1).count()
    print(json.dumps({
        "ballots": Ballot.objects.filter(poll_id=poll_id).count(),
        "participations": Participation.objects.filter(poll_id=poll_id).count(),
        "ledger_entries": LedgerEntry.objects.filter(reference=f"poll:{poll_id}").count(),
        # Points this poll credited: all balances less what the earlier poll gave.
        "points": (PointsAccount.objects.aggregate(s=Sum("balance"))["s"] or 0)
        - (LedgerEntry.objects.filter(reference="poll:earlier").aggregate(s=Sum("amount"))["s"] or 0),
        "people_with_two_ballots": dup_people,
        "duplicate_ballot_ids": dup_ballots,
    }))
    """
)

# Shared by both runs: count statuses per thread, merge them at the end, print latencies.
COUNTING_LUA = """
local thread_index = 0
local threads = {}
statuses = {}

function setup(thread)
  thread:set("id", thread_index)
  thread_index = thread_index + 1
  table.insert(threads, thread)
end

response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("statuses")) do merged[code] = (merged[code] or 0) + n end
  end
  local parts = {}
  for code, n in pairs(merged) do parts[#parts + 1] = '"' .. code .. '":' .. n end
  io.write("STATUSES {" .. table.concat(parts, ",") .. "}\\n")
  io.write(string.format("LATENCY p50=%.3f p90=%.3f p99=%.3f\\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("TOTAL requests=%d seconds=%.3f\\n", summary.requests, summary.duration / 1e6))
end
"""

# Thread i takes tokens i, i + T, i + 2T …: no two requests share a voter.
BALLOT_LUA = """
local tokens = {{}}
for line in io.lines("{tokens}") do tokens[#tokens + 1] = line end
local counter = 0

request = function()
  local index = id + 1 + counter * {threads}
  counter = counter + 1
  local token = tokens[index] or tokens[1]
  return wrk.format("POST", "{path}", {{
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = "bench-" .. index,
  }}, '{body}')
end
"""


def redis_url() -> str:
    done = subprocess.run(["redis-cli", "-n", "9", "flushdb"], capture_output=True, text=True)
    return "redis://127.0.0.1:6379/9" if done.returncode == 0 else ""


def run_wrk(server, script: Path, path: str) -> dict:
    done = subprocess.run(
        [
            "wrk",
            f"-t{WRK_THREADS}",
            f"-c{CONNECTIONS}",
            f"-d{SECONDS}s",
            "--latency",
            "-s",
            str(script),
            f"http://{server.host}:{server.port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    out = done.stdout
    statuses = json.loads(re.search(r"STATUSES (\{.*\})", out).group(1))
    p = re.search(r"LATENCY p50=([\d.]+) p90=([\d.]+) p99=([\d.]+)", out)
    total = re.search(r"TOTAL requests=(\d+) seconds=([\d.]+)", out)
    requests, seconds = int(total.group(1)), float(total.group(2))
    return {
        "requests": requests,
        "seconds": seconds,
        "per_s": requests / seconds,
        "p50_ms": float(p.group(1)),
        "p90_ms": float(p.group(2)),
        "p99_ms": float(p.group(3)),
        "statuses": statuses,
    }


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: `apt-get install wrk` (make bench does it)")
    with postgres_database("bench") as url:
        measure(url)


def measure(url: str) -> None:
    cache = redis_url()
    scratch = Path(tempfile.mkdtemp(prefix="ballots-bench-"))
    try:
        settings = {"DATABASE_URL": url, "POLLS_TALLY_ON_CAST": "0"}
        if cache:
            settings["REDIS_URL"] = cache
        with gunicorn(
            workers=WORKERS, worker_class=WORKER_CLASS, threads=THREADS, **settings
        ) as server:
            describe(server, "ballots")
            tokens = scratch / "tokens.txt"
            prepared = subprocess.run(
                [sys.executable, "-c", PREPARE, str(VOTERS), str(tokens), CACHE_STATE],
                env=server.env,
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            if prepared.returncode:
                sys.exit(f"preparing the voters failed:\n{prepared.stderr[-3000:]}")
            setup = json.loads(prepared.stdout.strip().splitlines()[-1])
            poll_id = setup["poll_id"]
            body = json.dumps(
                {"answers": [{"question_id": q, "option_ids": [o[0]]} for q, o in setup["answers"]]}
            )
            ballot_script = scratch / "ballot.lua"
            ballot_script.write_text(
                COUNTING_LUA
                + BALLOT_LUA.format(
                    tokens=tokens,
                    threads=WRK_THREADS,
                    body=body,
                    path=f"/api/v1/polls/{poll_id}/ballots",
                )
            )
            plain_script = scratch / "plain.lua"
            plain_script.write_text(COUNTING_LUA)
            workload = {
                "voters": VOTERS,
                "connections": CONNECTIONS,
                "seconds": SECONDS,
                "gunicorn": f"{WORKERS} {WORKER_CLASS} workers"
                + (f" × {THREADS} threads" if WORKER_CLASS == "gthread" else ""),
                "database": "PostgreSQL",
                "cache": "Redis" if cache else "local memory",
                "tokens": CACHE_STATE,
                "sealing": "every second during the load" if SEALING else "off",
            }
            print(f"workload: {workload}")
            ceiling = run_wrk(server, plain_script, "/livez")
            # The sealer runs during the load as Celery beat runs it in production: every
            # second it seals the queued ballots into the poll's log and folds them into counts.
            sealer = (
                subprocess.Popen(
                    [sys.executable, "-c", SEALER],
                    env=server.env,
                    cwd=ROOT,
                    text=True,
                    stdout=subprocess.PIPE,
                )
                if SEALING
                else None
            )
            try:
                ballots = run_wrk(server, ballot_script, f"/api/v1/polls/{poll_id}/ballots")
            finally:
                if sealer is not None:
                    sealer.terminate()
                    sealed_during_load = sealer.communicate(timeout=30)[0].strip().splitlines()
                    print(f"sealer: {sealed_during_load[-1] if sealed_during_load else 'nothing'}")
            counted = json.loads(
                subprocess.run(
                    [sys.executable, "-c", COUNT, str(poll_id)],
                    env=server.env,
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
        accepted = ballots["statuses"].get("201", 0)
        print(
            f"GET /livez        {ceiling['per_s']:8.0f} req/s  p50 {ceiling['p50_ms']:.2f} ms  "
            f"p99 {ceiling['p99_ms']:.2f} ms  {ceiling['statuses']}"
        )
        print(
            f"POST ballots      {ballots['per_s']:8.0f} req/s  p50 {ballots['p50_ms']:.2f} ms  "
            f"p99 {ballots['p99_ms']:.2f} ms  {ballots['statuses']}"
        )
        print(f"ballots/s ÷ ceiling: {ballots['per_s'] / ceiling['per_s']:.2f}")
        print(f"counted afterwards: {counted} (201 answers: {accepted})")
        # wrk stops counting at the deadline while up to one request per connection is still
        # in flight: those ballots are stored but their 201 is not seen. A ballot that was
        # answered 201 and is missing would be lost.
        lost = max(0, accepted - counted["ballots"])
        consistent = (
            counted["ballots"] == counted["participations"] == counted["ledger_entries"]
            and accepted <= counted["ballots"] <= accepted + CONNECTIONS
            and counted["points"] == 20 * counted["ballots"]
            and counted["people_with_two_ballots"] == 0
            and counted["duplicate_ballot_ids"] == 0
        )
        recorder = Recorder("ballots", workload=workload)
        recorder.figure("GET /livez requests/s (ceiling)", round(ceiling["per_s"], 1), "req/s")
        recorder.figure(
            "ballots/s", round(ballots["per_s"], 1), "ballots/s", statuses=ballots["statuses"]
        )
        recorder.figure("ballot p50", ballots["p50_ms"], "ms")
        recorder.figure("ballot p99", ballots["p99_ms"], "ms")
        recorder.figure(
            "ballots/s ÷ ceiling", round(ballots["per_s"] / ceiling["per_s"], 3), "ratio"
        )
        recorder.figure(
            "ballots lost or duplicated",
            lost + counted["people_with_two_ballots"] + counted["duplicate_ballot_ids"],
            "ballots",
            counted=counted,
        )
        if not consistent:
            sys.exit(f"INCONSISTENT: {counted} for {accepted} accepted ballots")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
