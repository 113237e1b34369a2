"""Foundation benchmark: what one small machine serves with gunicorn (2 sync workers).

Workload, for each endpoint in turn: 4 clients on loopback (separate processes), each sending
its next request as soon as the previous answer arrived, for BENCH_SECONDS (default 10) after a
1 s warm-up; a new TCP connection per request, as gunicorn's sync workers close them.
- GET /livez              the trivial baseline (one `SELECT 1`)
- GET /api/v1/districts   every okrug with its districts, as the mobile app loads them
- GET /                   the home page, anonymous, in Russian
- POST /api/v1/auth/code  a sign-in code to a new phone each time (rate limit per address
                          raised; the SMS goes to a file): a write, an HMAC and a cache check
Database: $DATABASE_URL when set, else SQLite (WAL) in a temporary VAR_DIR, migrated (which
loads Moscow's okrugs and districts). DEBUG off, static files collected, whitenoise.
"""

from __future__ import annotations

import json
import os

from harness import Recorder, Request, describe, gunicorn, load, table

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "4"))
WORKERS = 2


def livez(client: int, n: int) -> Request:
    return Request("GET", "/livez")


def districts(client: int, n: int) -> Request:
    return Request("GET", "/api/v1/districts")


def home(client: int, n: int) -> Request:
    return Request("GET", "/")


def new_phone_code(client: int, n: int) -> Request:
    # +7 916 CC NNNNN: distinct for every request of every client (the warm-up's clients are
    # numbered after the measured ones), so the one-code-a-minute rule never answers 429.
    phone = f"+7916{client:02d}{n % 100_000:05d}"
    return Request("POST", "/api/v1/auth/code", json.dumps({"phone": phone}).encode())


def main() -> None:
    limits = {
        "RATE_CODES_PER_IP_PER_HOUR": "1000000000",
        "RATE_CODES_PER_PHONE_PER_HOUR": "1000000",
    }
    workload = {"gunicorn_workers": WORKERS, "clients": CONCURRENCY, "seconds": SECONDS}
    with gunicorn(workers=WORKERS, **limits) as server:
        workload["database"] = server.database
        describe(server, "foundation")
        print(f"{CONCURRENCY} clients, {SECONDS:g} s per endpoint, gunicorn {WORKERS} workers\n")
        recorder = Recorder("foundation", workload=workload)
        measure = {"concurrency": CONCURRENCY, "seconds": SECONDS}
        baseline = load(server, "GET /livez", livez, **measure)
        rows = [
            baseline,
            load(server, "GET /api/v1/districts", districts, **measure),
            load(server, "GET / (home page)", home, **measure),
            load(server, "POST /api/v1/auth/code", new_phone_code, expected=202, **measure),
        ]
        for row in rows:
            recorder.figures(row, baseline=baseline)
        print(table(rows, baseline))
        print(f"\nappended to {recorder.path.relative_to(recorder.path.parents[2])}")


if __name__ == "__main__":
    main()
