"""Rating a novelty: once per person, +3 points once, totals that equal a recount, and refusals
that write nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from activecitizen.core.errors import InvalidInput, NotFound, NotSignedIn, RateLimited
from activecitizen.novelties import selectors, services
from activecitizen.novelties.models import Rating
from activecitizen.novelties.tests.factories import kept, make_novelty, make_resident, recount
from activecitizen.rewards.models import LedgerEntry, PointsAccount

pytestmark = pytest.mark.django_db


def balance(person) -> int:
    account = PointsAccount.objects.filter(user=person).first()
    return account.balance if account else 0


def nothing_written(novelty, person) -> bool:
    return (
        not Rating.objects.exists()
        and not LedgerEntry.objects.exists()
        and kept(novelty)["ratings_count"] == 0
        and balance(person) == 0
    )


def test_a_rating_is_kept_credits_three_points_and_moves_the_totals():
    novelty = make_novelty()
    person = make_resident()
    rated = services.rate_novelty(
        novelty_id=novelty.pk, user=person, stars=4, feedback="  Удобно  "
    )
    assert rated.created and rated.points == 3
    assert rated.rating.stars == 4 and rated.rating.feedback == "Удобно"
    assert rated.novelty.ratings_count == 1 and rated.novelty.stars_sum == 4
    assert balance(person) == 3
    entry = LedgerEntry.objects.get()
    assert (entry.amount, entry.reason, entry.reference) == (
        3,
        "novelty_rating",
        f"novelty:{novelty.pk}",
    )
    assert entry.idempotency_key == f"novelty:{novelty.pk}:user:{person.pk}"
    assert kept(novelty) == recount(novelty)


def test_a_second_rating_is_refused_with_the_first_and_credits_nothing():
    novelty = make_novelty()
    person = make_resident()
    services.rate_novelty(novelty_id=novelty.pk, user=person, stars=5)
    with pytest.raises(services.AlreadyRated) as refused:
        services.rate_novelty(novelty_id=novelty.pk, user=person, stars=1, feedback="передумал")
    assert refused.value.status == 409 and refused.value.code == "already_rated"
    assert refused.value.rating.stars == 5 and not refused.value.replay
    assert Rating.objects.count() == 1
    assert balance(person) == 3
    assert kept(novelty) == recount(novelty) == {**recount(novelty), "stars_5": 1, "stars_1": 0}


def test_a_retry_with_the_same_key_is_a_replay_of_the_first():
    novelty = make_novelty()
    person = make_resident()
    services.rate_novelty(novelty_id=novelty.pk, user=person, stars=2, idempotency_key="k1")
    with pytest.raises(services.AlreadyRated) as again:
        services.rate_novelty(novelty_id=novelty.pk, user=person, stars=2, idempotency_key="k1")
    assert again.value.replay
    with pytest.raises(services.AlreadyRated) as other:
        services.rate_novelty(novelty_id=novelty.pk, user=person, stars=2, idempotency_key="k2")
    assert not other.value.replay
    assert balance(person) == 3


def test_the_database_refuses_a_second_rating_even_past_the_check(monkeypatch):
    """As when two requests pass the check together: the unique constraint decides."""
    novelty = make_novelty()
    person = make_resident()
    services.rate_novelty(novelty_id=novelty.pk, user=person, stars=3)

    class NoEarlier:
        def filter(self, **kwargs):
            return self

        def first(self):
            return None

    real = Rating.objects.filter
    calls = {"n": 0}

    def first_lookup_misses(*args, **kwargs):
        calls["n"] += 1
        return NoEarlier() if calls["n"] == 1 else real(*args, **kwargs)

    monkeypatch.setattr(Rating.objects, "filter", first_lookup_misses)
    with pytest.raises(services.AlreadyRated) as refused:
        services.rate_novelty(novelty_id=novelty.pk, user=person, stars=1)
    assert refused.value.rating.stars == 3
    monkeypatch.undo()
    assert Rating.objects.count() == 1
    assert LedgerEntry.objects.count() == 1
    assert kept(novelty) == recount(novelty)


@pytest.mark.parametrize("stars", [0, 6, -1, 3.0, "3", True, None, 10**20])
def test_bad_stars_are_refused_naming_the_field_and_nothing_is_written(stars):
    novelty = make_novelty()
    person = make_resident()
    with pytest.raises(InvalidInput) as refused:
        services.rate_novelty(novelty_id=novelty.pk, user=person, stars=stars)
    assert (refused.value.status, refused.value.field) == (422, "stars")
    assert nothing_written(novelty, person)


@pytest.mark.parametrize("feedback", ["я" * 501, "нормально\x00", 42])
def test_bad_feedback_is_refused_naming_the_field_and_nothing_is_written(feedback):
    novelty = make_novelty()
    person = make_resident()
    with pytest.raises(InvalidInput) as refused:
        services.rate_novelty(novelty_id=novelty.pk, user=person, stars=4, feedback=feedback)
    assert (refused.value.status, refused.value.field) == (422, "feedback")
    assert nothing_written(novelty, person)


def test_feedback_of_exactly_500_characters_is_kept():
    novelty = make_novelty()
    rated = services.rate_novelty(
        novelty_id=novelty.pk, user=make_resident(), stars=4, feedback="я" * 500
    )
    assert len(rated.rating.feedback) == 500


def test_an_unpublished_or_missing_novelty_is_not_found():
    draft = make_novelty(is_published=False)
    person = make_resident()
    for novelty_id in (draft.pk, draft.pk + 1000):
        with pytest.raises(NotFound) as refused:
            services.rate_novelty(novelty_id=novelty_id, user=person, stars=5)
        assert refused.value.status == 404
    assert nothing_written(draft, person)


def test_an_anonymous_person_may_not_rate():
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(NotSignedIn):
        services.rate_novelty(novelty_id=make_novelty().pk, user=AnonymousUser(), stars=5)
    assert not Rating.objects.exists()


def test_ratings_are_rate_limited_per_person(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, services.RATE_LIMIT_NAME: (2, 60)}
    person = make_resident()
    novelties = [make_novelty(f"Новинка {i}") for i in range(3)]
    for novelty in novelties[:2]:
        services.rate_novelty(novelty_id=novelty.pk, user=person, stars=5)
    with pytest.raises(RateLimited) as limited:
        services.rate_novelty(novelty_id=novelties[2].pk, user=person, stars=5)
    assert limited.value.status == 429 and limited.value.retry_after >= 1
    assert Rating.objects.count() == 2 and balance(person) == 6
    # Someone else is not held back by it.
    services.rate_novelty(novelty_id=novelties[2].pk, user=make_resident("+79160000077"), stars=1)


def test_no_points_when_staff_set_none():
    novelty = make_novelty(points=0)
    person = make_resident()
    rated = services.rate_novelty(novelty_id=novelty.pk, user=person, stars=5)
    assert rated.points == 0 and balance(person) == 0 and Rating.objects.count() == 1


def test_the_summary_shows_the_average_rounded_half_up_and_the_distribution():
    novelty = make_novelty()
    # 5, 4, 4, 4: average 4.25 → 4.3 (half-up, not banker's 4.2)
    for i, stars in enumerate([5, 4, 4, 4]):
        services.rate_novelty(
            novelty_id=novelty.pk, user=make_resident(f"+7916000010{i}"), stars=stars
        )
    novelty.refresh_from_db()
    summary = selectors.summary_of(novelty)
    assert summary.count == 4
    assert summary.average == Decimal("4.3")
    assert [(s.stars, s.count, s.percent) for s in summary.distribution] == [
        (5, 1, Decimal("25.0")),
        (4, 3, Decimal("75.0")),
        (3, 0, Decimal("0.0")),
        (2, 0, Decimal("0.0")),
        (1, 0, Decimal("0.0")),
    ]


def test_a_novelty_without_ratings_has_no_average():
    summary = selectors.summary_of(make_novelty())
    assert summary.average is None and summary.count == 0
    assert all(s.percent == 0 for s in summary.distribution)


def test_best_rated_prefers_many_good_ratings_to_a_few_perfect_ones():
    few = make_novelty("Две пятёрки")
    many = make_novelty("Много четвёрок")
    unrated = make_novelty("Без оценок")
    for i in range(2):
        services.rate_novelty(novelty_id=few.pk, user=make_resident(f"+7916000020{i}"), stars=5)
    for i in range(30):
        services.rate_novelty(
            novelty_id=many.pk, user=make_resident(f"+791600003{i:02d}"), stars=5 if i % 3 else 4
        )
    best = list(selectors.novelty_list(sort="best"))
    assert best == [many, few, unrated]
    newest = list(selectors.novelty_list(sort="new"))
    assert newest == [unrated, many, few]
    assert best[0].score == selectors.bayesian_score(stars_sum=140, count=30)


def test_lists_filter_by_category_and_district_and_hide_drafts():
    from activecitizen.geo.models import District

    district = District.objects.order_by("pk").first()
    park = make_novelty("Парк", category="parks", district=district)
    make_novelty("Автобус", category="transport")
    make_novelty("Черновик", category="parks", is_published=False)
    assert list(selectors.novelty_list(category="parks")) == [park]
    assert list(selectors.novelty_list(district_id=district.pk)) == [park]
    assert selectors.novelty_list().count() == 2
