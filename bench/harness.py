"""What every benchmark needs: a real server (gunicorn) on a prepared database, a bounded load
generator on loopback, the machine's description, and one JSON line per figure in bench/results/.

Benchmarks print figures; they assert nothing about time.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import multiprocessing
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
VENV_BIN = Path(sys.executable).parent


# --- A PostgreSQL database to measure on ----------------------------------------------------------


def psql(database: str, sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-qc", sql],
        check=True,
        stdout=subprocess.DEVNULL,
    )


@contextlib.contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """$DATABASE_URL when it is PostgreSQL; else a fresh database on the local server, dropped
    afterwards (with whatever connections this process still holds to it)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        yield url
        return
    name = f"activecitizen_{prefix}_{secrets.token_hex(4)}"
    psql("postgres", f"CREATE DATABASE {name}")
    try:
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        psql("postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# --- The machine ---------------------------------------------------------------------------------


def machine() -> dict:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_gib = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gib": memory_gib,
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def git_commit() -> str:
    found = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return found.stdout.strip() or "unknown"


# --- The server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    host: str
    port: int
    env: dict
    database: str

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()


def production_env(var_dir: Path, **extra: str) -> dict:
    """Settings of a production-like site (DEBUG off) on this machine, without TLS."""
    env = {
        **os.environ,
        "VAR_DIR": str(var_dir),
        "STATIC_ROOT": str(var_dir / "static"),
        "SECRET_KEY": secrets.token_urlsafe(64),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SMS_BACKEND": "file",
        "SMS_FILE": str(var_dir / "sms.jsonl"),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("CELERY_BROKER_URL", None)  # tasks inline: the benchmark measures the web tier
    env.update(extra)
    return env


# BENCH_SERVER=granian serves the same application with granian instead of gunicorn.
SERVER = os.environ.get("BENCH_SERVER", "gunicorn")


@contextlib.contextmanager
def gunicorn(
    *, workers: int = 2, worker_class: str = "sync", threads: int = 1, **settings: str
) -> Iterator[Server]:
    """Migrate a database ($DATABASE_URL, else SQLite in a temp VAR_DIR), collect static files,
    and serve the site with gunicorn's sync workers on a free loopback port."""
    var_dir = Path(tempfile.mkdtemp(prefix="activecitizen-bench-"))
    env = production_env(var_dir, **settings)
    database = "PostgreSQL ($DATABASE_URL)" if env.get("DATABASE_URL") else "SQLite (WAL)"
    manage = [sys.executable, str(ROOT / "manage.py")]
    port = free_port()
    process = None
    try:
        for step in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
            subprocess.run(
                [*manage, *step, "-v", "0"],
                env=env,
                cwd=ROOT,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        command = [
            str(VENV_BIN / "gunicorn"),
            "activecitizen.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--backlog",
            "2048",
            "--worker-class",
            worker_class,
            "--threads",
            str(threads),
        ]
        if SERVER == "granian":
            # The same WSGI application under granian (Rust HTTP, connections kept alive); an
            # experiment, not a dependency: `.venv/bin/pip install granian` first.
            if not (VENV_BIN / "granian").exists():
                raise SystemExit("BENCH_SERVER=granian: run `.venv/bin/pip install granian` first")
            command = [
                str(VENV_BIN / "granian"),
                "--interface",
                "wsgi",
                "--workers",
                str(workers),
                "--blocking-threads",
                str(threads),
                "--runtime-threads",
                "1",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--backlog",
                "2048",
                "--no-ws",
                "activecitizen.wsgi:application",
            ]
        process = subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
        )
        server = Server("127.0.0.1", port, env, database)
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError):
                if server.request("GET", "/healthz")[0] == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not come up")
            time.sleep(0.2)
        yield server
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(var_dir, ignore_errors=True)


# --- The load ------------------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    body: bytes | None = None


# A workload makes the n-th request of client c; it must be picklable (a module-level function).
Workload = Callable[[int, int], Request]


@dataclass
class Figures:
    name: str
    requests: int
    errors: int
    seconds: float
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    statuses: dict = field(default_factory=dict)


def _client(args: tuple) -> tuple[list[float], dict[int, int], int]:
    host, port, workload, client, start_at, stop_at, expected = args
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    n = 0
    while time.time() < start_at:
        time.sleep(0.001)
    while time.time() < stop_at:
        request = workload(client, n)
        n += 1
        began = time.perf_counter()
        try:
            connection = http.client.HTTPConnection(host, port, timeout=30)
            headers = {"Content-Type": "application/json"} if request.body is not None else {}
            connection.request(request.method, request.path, body=request.body, headers=headers)
            response = connection.getresponse()
            response.read()
            status = response.status
            connection.close()
        except OSError:
            errors += 1
            continue
        latencies.append(time.perf_counter() - began)
        statuses[status] = statuses.get(status, 0) + 1
        if status != expected:
            errors += 1
    return latencies, statuses, errors


def percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


def load(
    server: Server,
    name: str,
    workload: Workload,
    *,
    expected: int = 200,
    concurrency: int = 4,
    seconds: float = 10.0,
    warmup: float = 1.0,
    first_client: int = 0,
) -> Figures:
    """`concurrency` clients (separate processes, so the client is not GIL-bound), each sending
    its next request as soon as the previous answer arrived, for `seconds` after a warm-up.

    Clients are numbered from `first_client`; the warm-up's come after the measured ones, so
    that a workload that makes every request distinct stays so."""
    if warmup:
        load(
            server,
            name,
            workload,
            expected=expected,
            concurrency=concurrency,
            seconds=warmup,
            warmup=0,
            first_client=first_client + concurrency,
        )
    start_at = time.time() + 0.5
    stop_at = start_at + seconds
    jobs = [
        (server.host, server.port, workload, first_client + c, start_at, stop_at, expected)
        for c in range(concurrency)
    ]
    context = multiprocessing.get_context("fork")
    with context.Pool(concurrency) as pool:
        results = pool.map(_client, jobs)
    latencies = sorted(latency for part, _statuses, _errors in results for latency in part)
    statuses: dict[int, int] = {}
    for _part, part_statuses, _errors in results:
        for status, count in part_statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    errors = sum(part_errors for _part, _statuses, part_errors in results)
    return Figures(
        name=name,
        requests=len(latencies),
        errors=errors,
        seconds=seconds,
        requests_per_s=round(len(latencies) / seconds, 1),
        p50_ms=round(percentile(latencies, 0.50) * 1000, 2),
        p95_ms=round(percentile(latencies, 0.95) * 1000, 2),
        p99_ms=round(percentile(latencies, 0.99) * 1000, 2),
        statuses={str(k): v for k, v in sorted(statuses.items())},
    )


# --- The results ---------------------------------------------------------------------------------


class Recorder:
    """Appends one JSON line per figure to bench/results/<benchmark>.jsonl."""

    def __init__(self, benchmark: str, *, workload: dict) -> None:
        self.benchmark = benchmark
        self.context = {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "commit": git_commit(),
            "machine": machine(),
            "workload": workload,
        }
        RESULTS.mkdir(parents=True, exist_ok=True)
        self.path = RESULTS / f"{benchmark}.jsonl"

    def figure(self, name: str, value: float, unit: str, **details) -> None:
        line = {"benchmark": self.benchmark, "figure": name, "value": value, "unit": unit}
        line.update(details)
        line.update(self.context)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")

    def figures(self, measured: Figures, *, baseline: Figures | None = None) -> None:
        details = {
            "requests": measured.requests,
            "errors": measured.errors,
            "statuses": measured.statuses,
        }
        self.figure(f"{measured.name} requests/s", measured.requests_per_s, "req/s", **details)
        self.figure(f"{measured.name} p50", measured.p50_ms, "ms", **details)
        self.figure(f"{measured.name} p95", measured.p95_ms, "ms", **details)
        if baseline is not None and baseline is not measured and baseline.requests_per_s:
            ratio = round(measured.requests_per_s / baseline.requests_per_s, 3)
            self.figure(f"{measured.name} requests/s ÷ {baseline.name}", ratio, "ratio")


def table(rows: list[Figures], baseline: Figures | None = None) -> str:
    head = f"{'endpoint':<34} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}"
    lines = [head, "-" * len(head)]
    for row in rows:
        ratio = ""
        if baseline is not None and row is not baseline and baseline.requests_per_s:
            ratio = f"  ({row.requests_per_s / baseline.requests_per_s:.0%} of {baseline.name})"
        lines.append(
            f"{row.name:<34} {row.requests_per_s:>8.1f} {row.p50_ms:>8.2f} {row.p95_ms:>8.2f} "
            f"{row.p99_ms:>8.2f} {row.errors:>7}{ratio}"
        )
    return "\n".join(lines)


def describe(server: Server, benchmark: str) -> dict:
    info = machine()
    print(
        f"{benchmark}: {info['cpus']} CPU ({info['cpu_model']}), {info['memory_gib']} GiB, "
        f"Python {info['python']}; database {server.database}; commit {git_commit()}"
    )
    return info
