"""Rate limits over the Django cache (local memory in dev, Redis in production).

A bucket allows `limit` hits in a window that starts at the bucket's first hit, so a person who
asked once is told exactly how long to wait. `cache.add` and `cache.incr` are atomic on Redis,
which makes the count exact across web workers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from activecitizen.core.errors import RateLimited


@dataclass(frozen=True)
class Allowance:
    remaining: int
    retry_after: int


def _keys(bucket: str) -> tuple[str, str]:
    return f"rl:{bucket}:start", f"rl:{bucket}:count"


def hit(
    bucket: str,
    *,
    limit: int,
    window: int,
    message: str | Promise | None = None,
    code: str = "rate_limited",
) -> Allowance:
    """Count one hit in `bucket`; raise `RateLimited` when it is over `limit` per `window` s."""
    start_key, count_key = _keys(bucket)
    now = time.time()
    cache.add(start_key, now, timeout=window)
    started = cache.get(start_key, now)
    cache.add(count_key, 0, timeout=window)
    try:
        count = cache.incr(count_key)
    except ValueError:  # the key expired between add and incr
        cache.set(count_key, 1, timeout=window)
        count = 1
    retry_after = max(1, int(started + window - now + 0.999))
    if count > limit:
        raise RateLimited(
            message
            or _("Too many requests. Try again in %(seconds)s s.") % {"seconds": retry_after},
            retry_after=retry_after,
            code=code,
        )
    return Allowance(remaining=limit - count, retry_after=retry_after)


def hit_named(name: str, subject: str, **kwargs) -> Allowance:
    """`hit` with the limit and window configured in settings.RATE_LIMITS[name]."""
    limit, window = settings.RATE_LIMITS[name]
    return hit(f"{name}:{subject}", limit=limit, window=window, **kwargs)


def reset(bucket: str) -> None:
    cache.delete_many(list(_keys(bucket)))


def cooldown_remaining(bucket: str) -> int:
    """Seconds left of a cooldown started with `start_cooldown`, 0 when there is none."""
    started_until = cache.get(f"cd:{bucket}")
    if started_until is None:
        return 0
    return max(0, int(started_until - time.time() + 0.999))


def start_cooldown(bucket: str, *, seconds: int) -> bool:
    """Start a cooldown; False when one is already running (another request won the race)."""
    return cache.add(f"cd:{bucket}", time.time() + seconds, timeout=seconds)


def stop_cooldown(bucket: str) -> None:
    cache.delete(f"cd:{bucket}")
