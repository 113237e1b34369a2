"""Races on PostgreSQL with real threads: twenty simultaneous ratings of one person make one
rating and one credit of points; many people at once are all counted in the totals."""

import pytest

from activecitizen.core.testing.concurrency import run_together
from activecitizen.novelties import services
from activecitizen.novelties.models import Rating
from activecitizen.novelties.tests.factories import kept, make_novelty, make_resident, recount
from activecitizen.rewards.models import LedgerEntry, PointsAccount

# serialized_rollback, like every transactional test here: the flush afterwards must not
# re-run post_migrate, or the next test's restore of the migrations' data would collide.
pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_twenty_simultaneous_ratings_of_one_person_make_one():
    novelty = make_novelty()
    person = make_resident()

    def rate(i):
        return services.rate_novelty(novelty_id=novelty.pk, user=person, stars=1 + i % 5)

    results, errors = run_together(20, rate)
    won = [r for r in results if r is not None]
    assert len(won) == 1
    assert len(errors) == 19
    assert all(isinstance(e, services.AlreadyRated) for e in errors)
    assert {e.rating.pk for e in errors} == {won[0].rating.pk}
    assert Rating.objects.count() == 1
    assert LedgerEntry.objects.count() == 1
    assert PointsAccount.objects.get(user=person).balance == 3
    assert kept(novelty) == recount(novelty)
    assert kept(novelty)["ratings_count"] == 1


def test_many_people_rating_at_once_are_all_counted_once():
    novelty = make_novelty()
    people = [make_resident(f"+7916200{i:04d}") for i in range(30)]

    def rate(i):
        return services.rate_novelty(novelty_id=novelty.pk, user=people[i], stars=1 + i % 5)

    _results, errors = run_together(30, rate)
    assert errors == []
    assert kept(novelty) == recount(novelty)
    assert kept(novelty)["ratings_count"] == 30
    assert kept(novelty)["stars_sum"] == sum(1 + i % 5 for i in range(30))
    assert sum(a.balance for a in PointsAccount.objects.all()) == 90
