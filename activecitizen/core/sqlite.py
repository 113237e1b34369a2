"""SQLite's LIKE made to fold case beyond ASCII, so searching "музей" finds "Музей" in the
embedded mode as it does on PostgreSQL.

SQLite folds only A–Z in LIKE, and Django's `contains`/`icontains` are LIKE there. SQLite lets a
connection replace the function behind the operator; ours compares Unicode case-folded text and
honours the ESCAPE character Django passes. Used on SQLite connections only (the embedded mode
and the SQLite test run); PostgreSQL's ILIKE already folds Unicode.
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=256)
def _compiled(pattern: str, escape: str | None) -> re.Pattern[str]:
    parts: list[str] = []
    chars = iter(pattern)
    for ch in chars:
        if escape is not None and ch == escape:
            parts.append(re.escape(next(chars, "")))
        elif ch == "%":
            parts.append(".*")
        elif ch == "_":
            parts.append(".")
        else:
            parts.append(re.escape(ch))
    return re.compile("".join(parts).casefold(), re.DOTALL)


def unicode_like(pattern: str | None, value: object, escape: str | None = None) -> bool | None:
    """SQLite's like(X, Y[, Z]): does Y match the pattern X (with escape character Z)?"""
    if pattern is None or value is None:
        return None
    return _compiled(pattern, escape).fullmatch(str(value).casefold()) is not None


def install_unicode_like(sender, connection, **kwargs) -> None:
    """A `connection_created` receiver: give SQLite connections the Unicode LIKE."""
    if connection.vendor != "sqlite":
        return
    raw = connection.connection
    raw.create_function("like", 2, unicode_like, deterministic=True)
    raw.create_function("like", 3, unicode_like, deterministic=True)
