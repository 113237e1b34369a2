"""Real concurrency for race tests on PostgreSQL: many threads, each on its own connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def run_together(
    n: int, work: Callable[[int], Any], *, connections: int | None = None
) -> tuple[list[Any], list[BaseException]]:
    """Run `work(i)` in n threads released at the same instant; return results and errors.

    `connections` caps how many threads hold a database connection at once (PostgreSQL allows
    100 by default, and parallel test workers share them): hundreds of threads then race in
    waves of that many, each wave as simultaneous as the server allows.
    """
    barrier = threading.Barrier(n)
    slots = threading.BoundedSemaphore(connections or n)
    results: list[Any] = [None] * n
    errors: list[BaseException] = []

    def runner(i: int) -> None:
        barrier.wait()
        with slots:
            try:
                results[i] = work(i)
            except Exception as exc:
                errors.append(exc)
            finally:
                connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results, errors
