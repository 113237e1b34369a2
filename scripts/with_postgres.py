#!/usr/bin/env python3
"""Run a command with DATABASE_URL pointing at a PostgreSQL server (DESIGN.md "Tests").

    scripts/with_postgres.py [--] COMMAND [ARG …]

The server, in order of preference:
1. $DATABASE_URL, when it is a postgres:// URL;
2. the local server on 127.0.0.1:5432 (user $PGUSER or postgres, no password), when it answers;
3. a throwaway cluster made with the installed PostgreSQL binaries (initdb/pg_ctl under
   /usr/lib/postgresql/*/bin or on PATH) in a temporary directory, on a free port, stopped and
   deleted afterwards, also when the command fails or is interrupted.
With none of these, it says so loudly and exits 0 without running the command.

WITH_POSTGRES=throwaway (or =local) forces one way, to try it out.
Uses only the standard library, so it runs before the virtualenv has psycopg.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

LOCAL_HOST, LOCAL_PORT = "127.0.0.1", 5432


def say(message: str) -> None:
    print(f"[with_postgres] {message}", file=sys.stderr, flush=True)


def warn_loudly(message: str) -> None:
    bar = "!" * 78
    print(f"\n{bar}\n!! {message}\n{bar}\n", file=sys.stderr, flush=True)


def answers(host: str, port: int, timeout: float = 2.0) -> bool:
    """Whether a PostgreSQL server accepts a connection there (pg_isready, else a TCP probe)."""
    pg_isready = find_binary("pg_isready")
    if pg_isready:
        user = os.environ.get("PGUSER", "postgres")
        probe = [pg_isready, "-q", "-h", host, "-p", str(port), "-U", user, "-t", str(int(timeout))]
        return subprocess.run(probe, check=False).returncode == 0
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def can_connect(url: str) -> bool:
    """A real sign-in with psql when it is installed (pg_isready does not check credentials)."""
    psql = find_binary("psql")
    if not psql:
        return True
    probe = subprocess.run(
        [psql, url.rsplit("/", 1)[0] + "/postgres", "-Atqc", "select 1"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PGCONNECT_TIMEOUT": "3"},
    )
    if probe.returncode != 0:
        say(f"the server answers but refuses us: {probe.stderr.strip()}")
    return probe.returncode == 0


def find_binary(name: str) -> str | None:
    """The newest PostgreSQL's `name`: /usr/lib/postgresql/<version>/bin first, then PATH."""

    def version(path: str) -> tuple[int, ...]:
        match = re.search(r"/postgresql/([\d.]+)/", path)
        return tuple(int(part) for part in match.group(1).split(".")) if match else ()

    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version, reverse=True)
    candidates += [found for found in [shutil.which(name)] if found]
    return next((c for c in candidates if os.access(c, os.X_OK)), None)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_as(user: str | None, command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as another user then."""
    if user is None:
        return command
    if shutil.which("runuser"):
        return ["runuser", "-u", user, "--", *command]
    return ["su", user, "-s", "/bin/sh", "-c", shlex.join(command)]


def cluster_owner() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError("running as root and there is no 'postgres' or 'nobody' user to run as")


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[str]:
    """initdb into a temporary directory, start on a free port, yield its URL; always clean up."""
    initdb, pg_ctl = find_binary("initdb"), find_binary("pg_ctl")
    if not (initdb and pg_ctl):
        raise RuntimeError("no initdb/pg_ctl under /usr/lib/postgresql/*/bin or on PATH")
    owner = cluster_owner()
    root = Path(tempfile.mkdtemp(prefix="activecitizen-pg-"))
    data, log = root / "data", root / "postgres.log"
    if owner:
        entry = pwd.getpwnam(owner)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    port = free_port()
    started = False
    try:
        say(f"initdb into {data} (PostgreSQL binaries in {Path(initdb).parent})")
        make_cluster = [initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8"]
        make_cluster += ["--no-locale", "--no-sync"]
        subprocess.run(run_as(owner, make_cluster), check=True, stdout=subprocess.DEVNULL)
        # Speed over durability: the cluster dies with the test run.
        options = (
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        start = [pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "-t", "60", "start"]
        subprocess.run(run_as(owner, start), check=True, stdout=subprocess.DEVNULL)
        started = True
        say(f"throwaway cluster on 127.0.0.1:{port}")
        yield f"postgres://postgres@127.0.0.1:{port}/activecitizen"
    except subprocess.CalledProcessError:
        if log.exists():
            say("the server's log:\n" + log.read_text(errors="replace")[-4000:])
        raise
    finally:
        if started:
            subprocess.run(
                run_as(owner, [pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]),
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            say("throwaway cluster stopped")
        shutil.rmtree(root, ignore_errors=True)


def run(command: list[str], database_url: str) -> int:
    shown = re.sub(r"//([^:@/]+):[^@/]*@", r"//\1:***@", database_url)
    say(f"DATABASE_URL={shown}: {' '.join(command)}")
    process = subprocess.Popen(command, env={**os.environ, "DATABASE_URL": database_url})
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        return 130


def main(argv: list[str]) -> int:
    command = argv[1:] if argv[:1] == ["--"] else argv
    if not command:
        print(__doc__, file=sys.stderr)
        return 2

    # SIGTERM becomes an exception, like Ctrl-C, so that a throwaway cluster is still removed.
    def terminate(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, terminate)
    try:
        return choose_and_run(command)
    except KeyboardInterrupt:
        say("interrupted")
        return 130


def choose_and_run(command: list[str]) -> int:
    forced = os.environ.get("WITH_POSTGRES", "").strip().lower()

    given = os.environ.get("DATABASE_URL", "")
    if not forced and given.startswith(("postgres://", "postgresql://", "pgsql://")):
        say("using $DATABASE_URL")
        return run(command, given)

    if forced in ("", "local"):
        user = os.environ.get("PGUSER", "postgres")
        # A database name of its own per run: two runs on one server must not drop each
        # other's test database (Django's is test_<name>, dropped at the end).
        url = f"postgres://{user}@{LOCAL_HOST}:{LOCAL_PORT}/activecitizen_{uuid.uuid4().hex[:8]}"
        if answers(LOCAL_HOST, LOCAL_PORT) and can_connect(url):
            say(f"using the local server on {LOCAL_HOST}:{LOCAL_PORT}")
            return run(command, url)
        say(f"no usable PostgreSQL on {LOCAL_HOST}:{LOCAL_PORT}")
        if forced == "local":
            return 1

    try:
        with throwaway_cluster() as url:
            return run(command, url)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as error:
        warn_loudly(
            f"NO POSTGRESQL: {error}. The PostgreSQL suite did NOT run (this step passes "
            "without testing anything). Set DATABASE_URL=postgres://…, start a server on "
            "127.0.0.1:5432, or install PostgreSQL (apt-get install postgresql)."
        )
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
