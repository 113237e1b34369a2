"""PostgreSQL as Django's backend has it, with a health check that costs no round trip.

With CONN_HEALTH_CHECKS Django sends `SELECT 1` before each request's first query on a kept
connection, so that a database restart costs no failed request. On the ballot endpoint that
round trip took as long as the ballot's own statement (py-spy, BENCHMARKS.md). An idle
connection has nothing to read; when the server ends it (a restart, an idle timeout,
pg_terminate_backend) it sends a last message and closes the socket, which then reads as
ready. So: a socket with nothing waiting is usable; one with something waiting, or a
connection psycopg already knows is closed or broken, gets Django's `SELECT 1` verdict.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        try:
            waiting, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        if waiting:
            return super().is_usable()
        return True
