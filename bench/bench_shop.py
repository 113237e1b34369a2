"""The rewards shop under a flash crowd, and its catalogue with 10,000 rewards.

Flash sale: BENCH_BUYERS distinct residents (default 2,000), each with 100 points and a bearer
token, each make exactly one attempt to order a reward with BENCH_UNITS units (default 100) at
one issue point: POST /api/v1/rewards/{id}/orders through gunicorn (BENCH_WORKERS sync workers,
default 4, as bench_ballots) on PostgreSQL with production settings and Redis as the cache. The
client is one Python process with asyncio, BENCH_CONNECTIONS requests in flight (default 32),
a new connection per request (sync workers close them); all attempts are queued at once.
Measured: attempts/s over the whole sale (first request sent to last answer), how soon the last
unit's order was answered and the orders/s until then, p50/p99 latency, and in the same run the server's ceiling on GET /livez with the
same client. Afterwards the database is checked: exactly BENCH_UNITS orders, the rest a clean
409 `sold_out`, no other answer, stock 0, and for every person the ledger sums to the balance,
never below zero.

Catalogue: 10,000 published rewards of 200 partners with stock at 500 issue points across the
city's districts, on the same PostgreSQL database; the page /rewards/ and GET /api/v1/rewards
(24 and 20 per page) with the default sort and with filters, 200 requests each, timed on the
server side (in-process, Django's test client, DEBUG off): p50/p95.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from harness import ROOT, Recorder, describe, gunicorn, percentile, postgres_database

BUYERS = int(os.environ.get("BENCH_BUYERS", "2000"))
UNITS = int(os.environ.get("BENCH_UNITS", "100"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
CATALOGUE = int(os.environ.get("BENCH_CATALOGUE", "10000"))
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "200"))
# BENCH_WARM=1: before the sale each buyer checks their balance in the app (GET /me/points with
# their token), as people do while waiting for a sale, so their token is not looked up cold.
WARM = os.environ.get("BENCH_WARM", "0") == "1"

SETUP = """
import os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "activecitizen.settings")
django.setup()
"""

PREPARE_SALE = SETUP + textwrap.dedent(
    """
    import json, secrets, sys
    from django.db import connection
    from django.utils import timezone
    from activecitizen.accounts.models import ApiToken, User
    from activecitizen.accounts.services import hash_token
    from activecitizen.geo.models import District
    from activecitizen.rewards.models import (IssuePoint, LedgerEntry, Partner, PointsAccount,
                                              Reward, Stock)

    buyers, units, tokens_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    User.objects.bulk_create(
        [User(phone=f"+7991{i:07d}", first_name="Житель", password="!") for i in range(buyers)],
        batch_size=5000,
    )
    ids = list(User.objects.filter(phone__startswith="+7991").order_by("pk")
               .values_list("pk", flat=True))
    raw = [secrets.token_urlsafe(32) for _ in ids]
    now = timezone.now()
    ApiToken.objects.bulk_create(
        [ApiToken(user_id=u, key_hash=hash_token(t), prefix=t[:8], device="bench",
                  last_used_at=now) for u, t in zip(ids, raw)], batch_size=5000)
    # 100 points each, as a poll would have credited them: the ledger sums to the balance.
    PointsAccount.objects.bulk_create(
        [PointsAccount(user_id=u, balance=100, lifetime=100) for u in ids], batch_size=5000)
    LedgerEntry.objects.bulk_create(
        [LedgerEntry(account_id=u, amount=100, reason="poll", reference="poll:1",
                     idempotency_key=f"poll:1:user:{u}") for u in ids], batch_size=5000)
    district = District.objects.order_by("pk").first()
    partner = Partner.objects.create(name="Театр «Премьера»")
    point = IssuePoint.objects.create(partner=partner, name="Касса", address="Тверская, 1",
                                      district=district, lat=district.centre_lat,
                                      lon=district.centre_lon)
    reward = Reward.objects.create(partner=partner, title="Билет на премьеру",
                                   category="tickets", price=50, is_published=True)
    Stock.objects.create(reward=reward, issue_point=point, quantity=units)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        try:
            cursor.execute("CHECKPOINT")
        except Exception:
            pass
    with open(tokens_path, "w") as fh:
        fh.write("\\n".join(raw))
    print(json.dumps({"reward_id": reward.pk, "issue_point_id": point.pk}))
    """
)

CHECK_SALE = SETUP + textwrap.dedent(
    """
    import json, sys
    from django.db.models import Sum
    from activecitizen.rewards.models import LedgerEntry, Order, PointsAccount, Stock
    reward_id = int(sys.argv[1])
    sums = dict(LedgerEntry.objects.values("account_id").annotate(s=Sum("amount"))
                .values_list("account_id", "s"))
    balances = dict(PointsAccount.objects.values_list("user_id", "balance"))
    print(json.dumps({
        "orders": Order.objects.filter(reward_id=reward_id).count(),
        "people_with_two_orders": Order.objects.filter(reward_id=reward_id).values("user_id")
            .annotate(n=Sum(1)).filter(n__gt=1).count(),
        "stock_left": Stock.objects.get(reward_id=reward_id).quantity,
        "ledgers_equal_balances": sums == balances,
        "lowest_balance": min(balances.values()),
        "paid": sum(100 - b for b in balances.values()),
    }))
    """
)

CATALOGUE_TIMING = SETUP + textwrap.dedent(
    """
    import json, random, statistics, sys, time
    from datetime import timedelta
    from django.db import connection
    from django.test import Client
    from django.utils import timezone
    from activecitizen.geo.models import District
    from activecitizen.rewards.models import IssuePoint, Partner, Reward, Stock

    count, samples = int(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(7)
    districts = list(District.objects.values_list("pk", "centre_lat", "centre_lon"))
    partners = Partner.objects.bulk_create(
        [Partner(name=f"Партнёр каталога {i}") for i in range(200)])
    points = IssuePoint.objects.bulk_create([
        IssuePoint(partner=partners[i % 200], name=f"Пункт {i}", address=f"ул. Пример, {i}",
                   district_id=d[0], lat=d[1], lon=d[2])
        for i, d in ((i, districts[i % len(districts)]) for i in range(500))])
    categories = ["tickets", "transport", "bikes", "souvenirs"]
    words = ["Театр", "Музей", "Велопрокат", "Парковка", "Сувенир", "Экскурсия", "Концерт"]
    now = timezone.now()
    rewards = Reward.objects.bulk_create([
        Reward(partner=partners[i % 200], title=f"{rng.choice(words)} № {i}",
               description="Описание поощрения " * 5, category=categories[i % 4],
               price=rng.randint(50, 3000), is_published=True,
               created_at=now - timedelta(minutes=i))
        for i in range(count)], batch_size=2000)
    Stock.objects.bulk_create([
        Stock(reward=r, issue_point=points[(r.pk * 7 + k) % 500], quantity=rng.randint(0, 20))
        for r in rewards for k in range(2)], batch_size=5000, ignore_conflicts=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    district = districts[3][0]
    client = Client(HTTP_HOST="127.0.0.1")
    cases = [
        ("page /rewards/", "/rewards/"),
        ("page, sorted by price", "/rewards/?sort=price"),
        ("page, category + district", f"/rewards/?category=tickets&district={district}"),
        ("page, search", "/rewards/?q=музей"),
        ("page 200", "/rewards/?page=200"),
        ("API /rewards", "/api/v1/rewards?limit=24"),
        ("API, price sort + available", "/api/v1/rewards?limit=24&sort=-price&available=true"),
        ("API, category + district", f"/api/v1/rewards?limit=24&category=bikes&district={district}"),
    ]
    results = []
    for name, url in cases:
        for _ in range(5):
            assert client.get(url).status_code == 200, url
        times = []
        for _ in range(samples):
            started = time.perf_counter()
            answer = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200
        times.sort()
        results.append({"name": name, "url": url, "p50_ms": round(times[len(times) // 2], 2),
                        "p95_ms": round(times[int(len(times) * 0.95) - 1], 2)})
    print(json.dumps(results))
    """
)


async def _attempt(host: str, port: int, request: bytes) -> tuple[int, float, bytes]:
    began = time.perf_counter()
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(request)
    await writer.drain()
    raw = await reader.read()
    writer.close()
    status = int(raw.split(b" ", 2)[1])
    body = raw.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in raw else b""
    return status, time.perf_counter() - began, body


async def _storm(host: str, port: int, requests: list[bytes]) -> tuple[list, float]:
    slots = asyncio.Semaphore(CONNECTIONS)

    async def one(request: bytes):
        async with slots:
            try:
                status, latency, body = await _attempt(host, port, request)
            except OSError:
                return 0, 0.0, b"", time.perf_counter() - started
            return status, latency, body, time.perf_counter() - started

    started = time.perf_counter()
    answers = await asyncio.gather(*(one(r) for r in requests))
    return answers, time.perf_counter() - started


def _http(method: str, path: str, host: str, headers: dict, body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _summary(answers: list, seconds: float) -> dict:
    latencies = sorted(a[1] for a in answers if a[0])
    statuses: dict[str, int] = {}
    for status, _latency, _body, _done in answers:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {
        "requests": len(answers),
        "seconds": round(seconds, 3),
        "per_s": round(len(answers) / seconds, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "statuses": statuses,
    }


def main() -> None:
    with postgres_database("shop") as url:
        measure(url)


def _run(script: str, env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script, *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"a step failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip().splitlines()[-1]


def measure(url: str) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="shop-bench-"))
    redis = subprocess.run(["redis-cli", "-n", "9", "flushdb"], capture_output=True, text=True)
    settings = {"DATABASE_URL": url}
    if redis.returncode == 0:
        settings["REDIS_URL"] = "redis://127.0.0.1:6379/9"
    workload = {
        "buyers": BUYERS,
        "units": UNITS,
        "in_flight": CONNECTIONS,
        "gunicorn": f"{WORKERS} sync workers",
        "database": "PostgreSQL",
        "cache": "Redis" if redis.returncode == 0 else "local memory",
        "catalogue_rewards": CATALOGUE,
        "buyers_opened_the_reward_first": WARM,
    }
    try:
        with gunicorn(workers=WORKERS, **settings) as server:
            describe(server, "shop")
            print(f"workload: {workload}")
            tokens_path = scratch / "tokens.txt"
            sale = json.loads(
                _run(PREPARE_SALE, server.env, str(BUYERS), str(UNITS), str(tokens_path))
            )
            tokens = tokens_path.read_text().split("\n")
            host = f"{server.host}:{server.port}"
            body = json.dumps({"issue_point_id": sale["issue_point_id"]}).encode()
            path = f"/api/v1/rewards/{sale['reward_id']}/orders"
            orders = [
                _http(
                    "POST",
                    path,
                    host,
                    {
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json",
                        "Idempotency-Key": f"sale-{i}",
                    },
                    body,
                )
                for i, token in enumerate(tokens)
            ]
            livez = [_http("GET", "/livez", host, {}) for _ in range(len(orders))]
            if WARM:
                looks = [
                    _http(
                        "GET",
                        f"/api/v1/rewards/{sale['reward_id']}",
                        host,
                        {"Authorization": f"Bearer {token}"},
                    )
                    for token in tokens
                ]
                asyncio.run(_storm(server.host, server.port, looks))
            ceiling = _summary(*asyncio.run(_storm(server.host, server.port, livez)))
            answers, seconds = asyncio.run(_storm(server.host, server.port, orders))
            flash = _summary(answers, seconds)
            codes: dict[str, int] = {}
            for status, _latency, raw, _done in answers:
                if status == 409:
                    code = json.loads(raw.decode() or "{}").get("code", "?")
                    codes[code] = codes.get(code, 0) + 1
            sold = [latency for status, latency, _raw, _done in answers if status == 201]
            # When the last unit's order was answered: how fast the stock actually sold.
            sold_out_after = max(
                (done for status, _l, _r, done in answers if status == 201), default=0.0
            )
            checked = json.loads(_run(CHECK_SALE, server.env, str(sale["reward_id"])))
            catalogue = json.loads(_run(CATALOGUE_TIMING, server.env, str(CATALOGUE), str(SAMPLES)))

        print(f"GET /livez (ceiling)   {ceiling['per_s']:8.0f} req/s  p50 {ceiling['p50_ms']} ms")
        print(
            f"flash sale attempts    {flash['per_s']:8.0f} /s     p50 {flash['p50_ms']} ms  "
            f"p99 {flash['p99_ms']} ms  {flash['statuses']} 409 codes {codes}"
        )
        sale_span = max(sold) if sold else 0.0
        print(
            f"sold {len(sold)} units in {sold_out_after:.2f} s "
            f"({len(sold) / sold_out_after if sold_out_after else 0:.0f} orders/s); "
            f"database afterwards: {checked}"
        )
        for row in catalogue:
            print(f"{row['name']:<32} p50 {row['p50_ms']:7.2f} ms  p95 {row['p95_ms']:7.2f} ms")

        recorder = Recorder("shop", workload=workload)
        recorder.figure("GET /livez requests/s (ceiling)", ceiling["per_s"], "req/s")
        recorder.figure(
            "flash sale attempts/s", flash["per_s"], "req/s", statuses=flash["statuses"]
        )
        recorder.figure(
            "flash sale attempts/s ÷ ceiling", round(flash["per_s"] / ceiling["per_s"], 3), "ratio"
        )
        recorder.figure("flash sale p50", flash["p50_ms"], "ms")
        recorder.figure("flash sale p99", flash["p99_ms"], "ms")
        recorder.figure("flash sale orders", checked["orders"], "orders", checked=checked)
        recorder.figure("flash sale sold out after", round(sold_out_after, 3), "s")
        recorder.figure(
            "flash sale orders/s until sold out",
            round(len(sold) / sold_out_after, 1) if sold_out_after else 0,
            "orders/s",
        )
        recorder.figure(
            "order p50 (201 answers)",
            round(statistics.median(sold) * 1000, 2) if sold else 0,
            "ms",
            slowest_s=round(sale_span, 3),
        )
        for row in catalogue:
            recorder.figure(f"catalogue {row['name']} p50", row["p50_ms"], "ms", url=row["url"])
            recorder.figure(f"catalogue {row['name']} p95", row["p95_ms"], "ms", url=row["url"])
        clean = (
            checked["orders"] == UNITS
            and flash["statuses"].get("201", 0) == UNITS
            and codes.get("sold_out", 0) == BUYERS - UNITS
            and flash["statuses"].get("409", 0) == BUYERS - UNITS
            and checked["stock_left"] == 0
            and checked["ledgers_equal_balances"]
            and checked["lowest_balance"] >= 0
            and checked["paid"] == 50 * UNITS
            and checked["people_with_two_orders"] == 0
        )
        if not clean:
            sys.exit(f"INCONSISTENT: {flash['statuses']} {codes} {checked}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
