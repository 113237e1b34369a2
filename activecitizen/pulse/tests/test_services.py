"""Rating a facility: once per calendar month, validated scores, aspects and comments, totals
kept in the same transaction, the Bayesian index; moderation of comments."""

from datetime import UTC, date, datetime

import pytest

from activecitizen.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    NotSignedIn,
    PermissionDenied,
    RateLimited,
)
from activecitizen.pulse import selectors, services
from activecitizen.pulse.models import (
    Category,
    Facility,
    FacilityMonth,
    FacilityMonthAspect,
    FacilityRating,
)
from activecitizen.pulse.tests.factories import (
    make_facility,
    make_moderator,
    make_resident,
)

pytestmark = pytest.mark.django_db

MAY = datetime(2025, 5, 14, 12, 0, tzinfo=UTC)
JUNE = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)


def rate(facility, user, score=5, aspects=None, comment="", now=MAY):
    return services.rate_facility(
        facility_id=facility.pk,
        user=user,
        score=score,
        aspects=aspects or {},
        comment=comment,
        now=now,
    )


def snapshot():
    return (
        FacilityRating.objects.count(),
        sorted(Facility.objects.values_list("pk", "ratings_count", "score_sum")),
        sorted(
            FacilityMonth.objects.values_list("facility_id", "month", "ratings_count", "score_sum")
        ),
        FacilityMonthAspect.objects.count(),
    )


def test_a_rating_is_counted_in_the_totals_and_the_month():
    park = make_facility()
    rating = rate(park, make_resident(), score=4, aspects={"cleanliness": 5, "safety": 3})
    park.refresh_from_db()
    assert (park.ratings_count, park.score_sum) == (1, 4)
    assert rating.month == date(2025, 5, 1)
    month = FacilityMonth.objects.get(facility=park)
    assert (month.month, month.ratings_count, month.score_sum) == (date(2025, 5, 1), 1, 4)
    assert dict(
        FacilityMonthAspect.objects.filter(facility=park).values_list("aspect_code", "score_sum")
    ) == {"cleanliness": 5, "safety": 3}


def test_once_per_facility_per_month_and_again_next_month():
    park = make_facility()
    anna = make_resident()
    rate(park, anna, score=5)
    before = snapshot()
    with pytest.raises(services.AlreadyRatedThisMonth) as refused:
        rate(park, anna, score=1, now=MAY.replace(day=31, hour=20))
    assert refused.value.status == 409
    assert refused.value.code == "already_rated_this_month"
    assert refused.value.next_from == date(2025, 6, 1)
    assert snapshot() == before
    # Another facility the same month, and the same one next month, are fine.
    rate(make_facility("Парк «Сокольники»"), anna, score=3)
    rate(park, anna, score=1, now=JUNE)
    park.refresh_from_db()
    assert (park.ratings_count, park.score_sum) == (2, 6)


def test_the_month_is_the_citys_calendar_month():
    # 30 April 22:30 UTC is already 1 May in Moscow.
    rating = rate(make_facility(), make_resident(), now=datetime(2025, 4, 30, 22, 30, tzinfo=UTC))
    assert rating.month == date(2025, 5, 1)


@pytest.mark.parametrize("score", [0, 6, -1, "5", 4.5, True, None])
def test_a_score_outside_one_to_five_is_refused(score):
    park = make_facility()
    before = snapshot()
    with pytest.raises(InvalidInput) as refused:
        rate(park, make_resident(), score=score)
    assert (refused.value.status, refused.value.field) == (422, "score")
    assert snapshot() == before


@pytest.mark.parametrize(
    "aspects",
    [
        {"waiting_time": 4},  # a clinic's aspect, not a park's
        {"nonsense": 3},
        {"cleanliness": 0},
        {"cleanliness": 6},
        {"cleanliness": "5"},
        ["cleanliness"],
    ],
)
def test_aspects_must_be_the_categorys_and_one_to_five(aspects):
    park = make_facility(category=Category.PARK)
    with pytest.raises(InvalidInput) as refused:
        rate(park, make_resident(), aspects=aspects)
    assert (refused.value.status, refused.value.field) == (422, "aspects")
    assert not FacilityRating.objects.exists()


def test_a_clinic_is_rated_on_waiting_time():
    clinic = make_facility("Поликлиника № 2", category=Category.CLINIC)
    rate(clinic, make_resident(), aspects={"waiting_time": 2})
    assert FacilityMonthAspect.objects.get(facility=clinic).aspect_code == "waiting_time"


def test_comment_length_and_nul():
    park = make_facility()
    with pytest.raises(InvalidInput) as too_long:
        rate(park, make_resident(), comment="а" * 1001)
    assert (too_long.value.field, too_long.value.code) == ("comment", "too_long")
    with pytest.raises(InvalidInput) as nul:
        rate(park, make_resident(), comment="хорошо\x00")
    assert nul.value.field == "comment"
    assert not FacilityRating.objects.exists()
    accepted = rate(park, make_resident(), comment="  " + "а" * 1000 + "  ")
    assert len(accepted.comment) == 1000
    assert accepted.comment_status == FacilityRating.CommentStatus.PENDING
    silent = rate(park, make_resident())
    assert silent.comment_status == FacilityRating.CommentStatus.NONE


def test_an_unknown_or_closed_facility_is_404():
    closed = make_facility(is_active=False)
    for facility_id in (closed.pk, closed.pk + 1000):
        with pytest.raises(NotFound) as refused:
            services.rate_facility(facility_id=facility_id, user=make_resident(), score=5)
        assert refused.value.status == 404


def test_nobody_signed_in_cannot_rate():
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(NotSignedIn):
        services.rate_facility(facility_id=make_facility().pk, user=AnonymousUser(), score=5)


def test_rating_too_fast_is_429(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "pulse_ratings_per_person": (2, 60)}
    anna = make_resident()
    rate(make_facility("Один"), anna)
    rate(make_facility("Два"), anna)
    with pytest.raises(RateLimited) as refused:
        rate(make_facility("Три"), anna)
    assert refused.value.status == 429 and refused.value.retry_after >= 1
    assert FacilityRating.objects.count() == 2


def test_totals_equal_a_recount():
    parks = [make_facility(f"Парк {i}") for i in range(3)]
    people = [make_resident() for _ in range(5)]
    for i, person in enumerate(people):
        for j, park in enumerate(parks):
            when = [MAY, JUNE][(i + j) % 2]
            rate(park, person, score=1 + (i * 3 + j) % 5, aspects={"comfort": 1 + i % 5}, now=when)
    kept = snapshot()
    kept_aspects = sorted(
        FacilityMonthAspect.objects.values_list(
            "facility_id", "month", "aspect_code", "ratings_count", "score_sum"
        )
    )
    services.recount_totals()
    assert snapshot() == kept
    assert (
        sorted(
            FacilityMonthAspect.objects.values_list(
                "facility_id", "month", "aspect_code", "ratings_count", "score_sum"
            )
        )
        == kept_aspects
    )


def test_the_index_formula():
    assert services.bayesian_index(
        score_sum=10, ratings_count=2, prior_mean=4.0, weight=20
    ) == pytest.approx((20 * 4.0 + 10) / 22)
    assert services.bayesian_index(
        score_sum=0, ratings_count=0, prior_mean=3.7, weight=20
    ) == pytest.approx(3.7)


def test_two_perfect_ratings_do_not_top_the_ranking(settings):
    settings.PULSE_PRIOR_WEIGHT = 20
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "pulse_ratings_per_person": (1000, 60)}
    newcomer = make_facility("Новый сквер")
    favourite = make_facility("Любимый парк")
    # 200 ratings averaging 4.8 for the favourite, written as the totals would hold them.
    Facility.objects.filter(pk=favourite.pk).update(ratings_count=200, score_sum=960)
    # The rest of the city's parks: 300 ratings averaging 3.5, so the parks' mean is about 4.
    make_facility("Обычный парк", ratings_count=300, score_sum=1050)
    for person in (make_resident(), make_resident()):
        rate(newcomer, person, score=5)
    ranked = list(selectors.rankings(category=Category.PARK))
    assert [f.name for f in ranked] == ["Любимый парк", "Новый сквер", "Обычный парк"]
    means = selectors.category_means()
    assert means[Category.PARK] == pytest.approx(2020 / 502)
    assert ranked[1].index == pytest.approx((20 * 2020 / 502 + 10) / 22)
    newcomer.refresh_from_db()
    assert ranked[1].index == pytest.approx(selectors.index_of(newcomer))
    by_name = list(selectors.rankings(sort="name"))
    assert [f.name for f in by_name] == ["Любимый парк", "Новый сквер", "Обычный парк"]


def test_trend_has_twelve_months_with_gaps():
    park = make_facility()
    rate(park, make_resident(), score=4, now=MAY)
    rate(park, make_resident(), score=2, now=MAY)
    rate(park, make_resident(), score=5, now=JUNE)
    points = selectors.trend(park.pk, now=JUNE)
    assert len(points) == 12
    assert points[0].month == date(2024, 7, 1) and points[-1].month == date(2025, 6, 1)
    assert (points[-2].ratings_count, points[-2].average) == (2, 3.0)
    assert (points[-1].ratings_count, points[-1].average) == (1, 5.0)
    assert points[0].average is None


# --- Moderation --------------------------------------------------------------------------------


def test_a_moderator_publishes_or_rejects_once():
    park = make_facility()
    first = rate(park, make_resident(), comment="Чисто и светло")
    second = rate(park, make_resident(), comment="Купите https://spam.example")
    moderator = make_moderator()
    services.moderate_comment(rating=first, decision="publish", by=moderator)
    services.moderate_comment(rating=second.pk, decision="reject", by=moderator)
    first.refresh_from_db()
    assert first.comment_status == "published" and first.moderated_by == moderator
    assert [r.comment for r in selectors.published_comments(park.pk)] == ["Чисто и светло"]
    with pytest.raises(Conflict):
        services.moderate_comment(rating=first, decision="reject", by=moderator)
    with pytest.raises(InvalidInput):
        services.moderate_comment(
            rating=rate(park, make_resident(), comment="x"), decision="hide", by=moderator
        )


def test_only_moderators_moderate_not_the_facilitys_staff():
    park = make_facility()
    rating = rate(park, make_resident(), comment="Грязно")
    staff = make_resident(is_staff=True)
    park.responsible.add(staff)
    for person in (staff, make_resident()):
        with pytest.raises(PermissionDenied):
            services.moderate_comment(rating=rating, decision="reject", by=person)
    rating.refresh_from_db()
    assert rating.comment_status == "pending"


def test_the_staff_dashboard_shows_only_their_facilities():
    mine = make_facility("Мой парк")
    make_facility("Чужой парк")
    staff = make_resident(is_staff=True)
    mine.responsible.add(staff)
    rate(mine, make_resident(), score=4, aspects={"safety": 5}, comment="Хорошо", now=JUNE)
    rows = selectors.staff_dashboard(staff, now=JUNE)
    assert [row.facility.name for row in rows] == ["Мой парк"]
    assert rows[0].pending_comments == 1
    assert rows[0].trend[-1].ratings_count == 1
    assert {a.code: a.average for a in rows[0].aspects}["safety"] == 5
    assert selectors.staff_dashboard(make_resident()) == []
