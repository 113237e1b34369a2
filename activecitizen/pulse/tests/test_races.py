"""Races on PostgreSQL with real threads: a person's twenty simultaneous ratings of a facility
make one; many people rating one facility at once are all counted, exactly once."""

import pytest

from activecitizen.core.testing.concurrency import run_together
from activecitizen.pulse import services
from activecitizen.pulse.models import Facility, FacilityMonth, FacilityMonthAspect, FacilityRating
from activecitizen.pulse.tests.factories import make_facility, make_resident

# serialized_rollback, like every transactional test here: the flush afterwards must not
# re-run post_migrate, or the next test's restore of the migrations' data would collide.
pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_twenty_simultaneous_ratings_of_one_person_make_one():
    park = make_facility()
    anna = make_resident()

    def rate(i):
        return services.rate_facility(
            facility_id=park.pk, user=anna, score=1 + i % 5, aspects={"comfort": 1 + i % 5}
        )

    results, errors = run_together(20, rate)
    won = [r for r in results if r is not None]
    assert len(won) == 1
    assert len(errors) == 19
    assert all(isinstance(e, services.AlreadyRatedThisMonth) for e in errors)
    park.refresh_from_db()
    assert FacilityRating.objects.count() == 1
    assert (park.ratings_count, park.score_sum) == (1, won[0].score)
    assert FacilityMonth.objects.get().ratings_count == 1
    assert FacilityMonthAspect.objects.get().ratings_count == 1


def test_many_people_rating_at_once_are_all_counted():
    park = make_facility()
    people = [make_resident() for _ in range(30)]

    def rate(i):
        return services.rate_facility(
            facility_id=park.pk, user=people[i], score=1 + i % 5, aspects={"safety": 5}
        )

    _results, errors = run_together(30, rate)
    assert errors == []
    park.refresh_from_db()
    expected = sum(1 + i % 5 for i in range(30))
    assert (park.ratings_count, park.score_sum) == (30, expected)
    month = FacilityMonth.objects.get(facility=park)
    assert (month.ratings_count, month.score_sum) == (30, expected)
    assert FacilityMonthAspect.objects.get(facility=park).score_sum == 150
    assert Facility.objects.get(pk=park.pk).ratings_count == FacilityRating.objects.count()
