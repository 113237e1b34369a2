"""Rate limits: exactly `limit` hits pass per window, and the wait told is the real one."""

import time
from unittest import mock

import pytest
from django.core.cache import cache
from hypothesis import given, settings
from hypothesis import strategies as st

from activecitizen.core import ratelimit
from activecitizen.core.errors import RateLimited


@given(limit=st.integers(1, 20), hits=st.integers(0, 40), window=st.integers(2, 3600))
@settings(max_examples=60, deadline=None)
def test_exactly_limit_hits_pass_in_a_window(limit, hits, window):
    cache.clear()
    passed = refused = 0
    for _ in range(hits):
        try:
            ratelimit.hit("prop", limit=limit, window=window)
            passed += 1
        except RateLimited as error:
            refused += 1
            assert 1 <= error.retry_after <= window
    assert passed == min(hits, limit)
    assert refused == max(0, hits - limit)


def test_the_window_ends_when_told():
    cache.clear()
    start = time.time()
    with mock.patch("activecitizen.core.ratelimit.time.time", return_value=start):
        ratelimit.hit("w", limit=1, window=60)
    later = mock.patch("activecitizen.core.ratelimit.time.time", return_value=start + 45)
    with later, pytest.raises(RateLimited) as error:
        ratelimit.hit("w", limit=1, window=60)
    assert error.value.retry_after == 15


def test_cooldown_is_taken_once():
    cache.clear()
    assert ratelimit.cooldown_remaining("c") == 0
    assert ratelimit.start_cooldown("c", seconds=30) is True
    assert ratelimit.start_cooldown("c", seconds=30) is False
    assert 29 <= ratelimit.cooldown_remaining("c") <= 30
