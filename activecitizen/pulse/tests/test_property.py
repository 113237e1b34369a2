"""Properties: the Bayesian index does not let a couple of perfect ratings beat a facility
with hundreds of good ones; the kept totals equal a recount after any sequence of ratings."""

import contextlib
from datetime import UTC, datetime

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activecitizen.pulse import services
from activecitizen.pulse.models import Facility, FacilityMonth, FacilityMonthAspect
from activecitizen.pulse.tests.factories import make_facility, make_resident


@given(
    prior_mean=st.floats(min_value=1.0, max_value=4.5),
    weight=st.integers(min_value=5, max_value=100),
)
def test_two_perfect_ratings_never_beat_two_hundred_averaging_4_8(prior_mean, weight):
    two_perfect = services.bayesian_index(
        score_sum=10, ratings_count=2, prior_mean=prior_mean, weight=weight
    )
    many_good = services.bayesian_index(
        score_sum=960, ratings_count=200, prior_mean=prior_mean, weight=weight
    )
    assert two_perfect < many_good


@given(
    score_sum=st.integers(min_value=0, max_value=5_000_000),
    extra=st.integers(min_value=0, max_value=4_000_000),
    prior_mean=st.floats(min_value=1.0, max_value=5.0),
    weight=st.integers(min_value=1, max_value=1000),
)
def test_the_index_stays_on_the_scale(score_sum, extra, prior_mean, weight):
    count = max(score_sum // 5, 0) + extra  # a sum a real set of 1..5 scores can have
    # No ratings sum to 0; n ratings of 1..5 sum to between n and 5n (hypothesis once tried a
    # sum of 1 over no ratings, which no facility can have).
    if not count <= score_sum <= 5 * count:
        return
    index = services.bayesian_index(
        score_sum=score_sum, ratings_count=count, prior_mean=prior_mean, weight=weight
    )
    assert 1.0 - 1e-9 <= index <= 5.0 + 1e-9


RATING = st.tuples(
    st.integers(0, 3),  # who
    st.integers(0, 2),  # which facility
    st.integers(0, 3),  # which month
    st.integers(1, 5),  # score
    st.dictionaries(st.sampled_from(["cleanliness", "safety", "comfort"]), st.integers(1, 5)),
)
MONTHS = [datetime(2025, m, 10, 12, tzinfo=UTC) for m in (3, 4, 5, 6)]


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(sequence=st.lists(RATING, max_size=25))
def test_totals_equal_a_recount_for_any_sequence(sequence, django_settings_rate_limit):
    with transaction.atomic():
        people = [make_resident() for _ in range(4)]
        parks = [make_facility(f"Парк {i}") for i in range(3)]
        for who, which, month, score, aspects in sequence:
            with contextlib.suppress(services.AlreadyRatedThisMonth):
                services.rate_facility(
                    facility_id=parks[which].pk,
                    user=people[who],
                    score=score,
                    aspects=aspects,
                    now=MONTHS[month],
                )

        def state():
            return (
                sorted(Facility.objects.values_list("pk", "ratings_count", "score_sum")),
                sorted(
                    FacilityMonth.objects.values_list(
                        "facility_id", "month", "ratings_count", "score_sum"
                    )
                ),
                sorted(
                    FacilityMonthAspect.objects.values_list(
                        "facility_id", "month", "aspect_code", "ratings_count", "score_sum"
                    )
                ),
            )

        kept = state()
        services.recount_totals(facility_ids=[p.pk for p in parks])
        assert state() == kept
        transaction.set_rollback(True)


@pytest.fixture
def django_settings_rate_limit(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "pulse_ratings_per_person": (10_000, 60)}
