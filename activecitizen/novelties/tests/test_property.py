"""Properties: whatever ratings distinct people give, the totals kept on the novelty equal a
recount of the ratings, and the average shown is the exact average rounded half-up."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activecitizen.accounts.models import User
from activecitizen.novelties import selectors, services
from activecitizen.novelties.models import Novelty
from activecitizen.novelties.tests.factories import kept, make_novelty, recount

pytestmark = pytest.mark.django_db


def exact_half_up(stars: list[int]) -> Fraction:
    """The mean rounded half-up to tenths, by the schoolbook rule on exact fractions."""
    mean = Fraction(sum(stars), len(stars))
    tenths = mean * 10
    whole = tenths.numerator // tenths.denominator
    if tenths - whole >= Fraction(1, 2):
        whole += 1
    return Fraction(whole, 10)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(stars=st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=25))
def test_kept_totals_equal_a_recount_and_the_average_is_exact_half_up(stars):
    novelty = make_novelty()
    people = User.objects.bulk_create(
        [User(phone=f"+7916{novelty.pk % 1000:03d}{i:04d}") for i in range(len(stars))]
    )
    for person, n in zip(people, stars, strict=True):
        services.rate_novelty(novelty_id=novelty.pk, user=person, stars=n)
    assert kept(novelty) == recount(novelty)
    summary = selectors.summary_of(Novelty.objects.get(pk=novelty.pk))
    assert summary.count == len(stars)
    assert Fraction(summary.average) == exact_half_up(stars)
    assert str(summary.average) == f"{float(exact_half_up(stars)):.1f}"
    assert sum(s.count for s in summary.distribution) == len(stars)


@given(
    total=st.integers(min_value=0, max_value=10**12),
    count=st.integers(min_value=1, max_value=10**11),
)
def test_half_up_rounding_is_exact_for_any_totals(total, count):
    average = selectors.average_stars(stars_sum=total, count=count)
    assert abs(Fraction(average) - Fraction(total, count)) <= Fraction(1, 20)
    # Half-up: a value exactly halfway rounds away from zero.
    if Fraction(total, count) * 20 % 2 == 1:
        assert Fraction(average) > Fraction(total, count)
