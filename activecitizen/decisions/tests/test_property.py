"""Properties of the progress: within 0..100, 100 when every step is done, and never going
down when a step is completed."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from activecitizen.decisions.selectors import round_half_up, weighted_percent

steps = st.lists(
    st.tuples(st.integers(min_value=1, max_value=10_000), st.integers(min_value=0, max_value=100)),
    max_size=30,
)


@given(steps)
def test_progress_is_between_0_and_100(pairs):
    exact = weighted_percent(pairs)
    assert 0 <= exact <= 100
    assert 0 <= round_half_up(exact) <= 100


@given(steps.filter(bool))
def test_progress_is_100_when_every_step_is_done(pairs):
    assert round_half_up(weighted_percent([(w, 100) for w, _p in pairs])) == 100


@given(steps.filter(bool), st.data())
def test_completing_a_step_never_lowers_progress(pairs, data):
    i = data.draw(st.integers(min_value=0, max_value=len(pairs) - 1))
    after = list(pairs)
    after[i] = (after[i][0], 100)
    assert weighted_percent(after) >= weighted_percent(pairs)
    assert round_half_up(weighted_percent(after)) >= round_half_up(weighted_percent(pairs))


def test_rounding_is_half_up():
    assert round_half_up(Fraction(125, 10)) == 13
    assert round_half_up(Fraction(249, 10)) == 25
    assert round_half_up(Fraction(2, 3)) == 1
    assert round_half_up(Fraction(1, 3)) == 0
