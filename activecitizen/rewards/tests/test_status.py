"""Status levels follow lifetime points: "Active citizen" from exactly 1,000."""

import pytest
from django.utils import translation

from activecitizen.rewards.models import StatusLevel
from activecitizen.rewards.selectors import next_level, points_summary, status_for
from activecitizen.rewards.services import credit_points, debit_points

from .conftest import seed

pytestmark = pytest.mark.django_db


def test_the_seeded_ladder_has_active_citizen_at_1000(levels):
    assert [(lvl.code, lvl.min_lifetime_points) for lvl in levels] == [
        (code, points) for code, _ru, _en, points in seed.LEVELS
    ]
    active = StatusLevel.objects.get(code="active_citizen")
    assert (active.name_ru, active.name_en, active.min_lifetime_points) == (
        "Активный гражданин",
        "Active citizen",
        1000,
    )
    assert levels[0].min_lifetime_points == 0


@pytest.mark.parametrize(
    ("lifetime", "status", "following"),
    [
        (0, "newcomer", "participant"),
        (99, "newcomer", "participant"),
        (100, "participant", "engaged_resident"),
        (999, "engaged_resident", "active_citizen"),
        (1000, "active_citizen", "honoured_citizen"),
        (1001, "active_citizen", "honoured_citizen"),
        (4999, "active_citizen", "honoured_citizen"),
        (5000, "honoured_citizen", None),
        (10**12, "honoured_citizen", None),
    ],
)
def test_status_boundaries(levels, lifetime, status, following):
    assert status_for(lifetime).code == status
    upcoming = next_level(lifetime)
    assert (upcoming.code if upcoming else None) == following


def test_staff_can_move_a_threshold(levels):
    StatusLevel.objects.filter(code="active_citizen").update(min_lifetime_points=800)
    assert status_for(800).code == "active_citizen"
    assert status_for(799).code == "engaged_resident"


def test_below_the_lowest_threshold_the_lowest_level_is_shown_and_the_next_is_the_one_after():
    ladder = [
        StatusLevel(code="bronze", name_ru="Бронза", name_en="Bronze", min_lifetime_points=50),
        StatusLevel(code="silver", name_ru="Серебро", name_en="Silver", min_lifetime_points=200),
    ]
    assert status_for(10, ladder).code == "bronze"
    assert next_level(10, ladder).code == "silver"


def test_without_any_level_everybody_is_a_newcomer():
    StatusLevel.objects.all().delete()
    assert status_for(5000).code == "newcomer"
    assert next_level(5000) is None


def test_spending_does_not_lower_the_status(levels, person):
    credit_points(
        user_id=person.pk, amount=1000, reason="campaign", reference="", idempotency_key="c"
    )
    debit_points(user_id=person.pk, amount=990, reason="order", reference="", idempotency_key="d")
    summary = points_summary(person.pk)
    assert (summary.balance, summary.lifetime) == (10, 1000)
    assert summary.status.code == "active_citizen"
    assert summary.points_to_next == 4000


def test_the_status_name_follows_the_language(levels):
    active = status_for(1000)
    with translation.override("ru"):
        assert active.name == "Активный гражданин"
    with translation.override("en"):
        assert active.name == "Active citizen"


@pytest.mark.parametrize(
    ("lifetime", "percent"), [(100, 0), (250, 50), (399, 99), (4000, 75), (5000, 100)]
)
def test_progress_towards_the_next_status(levels, person, lifetime, percent):
    credit_points(
        user_id=person.pk, amount=lifetime, reason="campaign", reference="", idempotency_key="c"
    )
    assert points_summary(person.pk).progress_percent == percent
