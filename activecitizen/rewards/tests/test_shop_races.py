"""Flash-crowd races on PostgreSQL with real threads, each on its own connection (invariants
5 and 6): no unit sold twice, no negative balance, no refund twice, ledger sum = balance."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from activecitizen.core.errors import DomainError
from activecitizen.core.testing.concurrency import run_together
from activecitizen.rewards import services
from activecitizen.rewards.models import LedgerEntry, Order, PointsAccount, PromoCode, Stock
from activecitizen.rewards.tests.shop_fixtures import (
    new_cashier,
    new_person,
    new_reward,
    point_of,
)

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _no_order_rate_limit(settings):
    """These tests order far faster than a person could; the limit has its own test."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "orders_per_person": (10**6, 60)}


# Threads holding a connection at once: PostgreSQL's default limit is 100 for all test workers.
AT_ONCE = 30


def assert_ledgers_add_up() -> None:
    sums = dict(
        LedgerEntry.objects.values("account_id")
        .annotate(s=Sum("amount"))
        .values_list("account_id", "s")
    )
    balances = dict(PointsAccount.objects.values_list("user_id", "balance"))
    assert sums == balances
    assert min(balances.values(), default=0) >= 0


def codes_of(errors: list[BaseException]) -> list[str]:
    assert all(isinstance(e, DomainError) for e in errors), errors
    return sorted({e.code for e in errors})  # type: ignore[attr-defined]


def test_three_hundred_people_race_for_the_last_twenty_units():
    reward = new_reward(price=50, units=20)
    point = point_of(reward)
    people = [new_person(points=50) for _ in range(300)]

    def buy(i):
        return services.place_order(user=people[i], reward_id=reward.pk, issue_point_id=point)

    results, errors = run_together(300, buy, connections=AT_ONCE)
    placed = [r for r in results if r is not None]
    assert len(placed) == 20
    assert len(errors) == 280 and codes_of(errors) == ["sold_out"]
    assert Stock.objects.get(reward=reward).quantity == 0
    assert Order.objects.filter(reward=reward).count() == 20
    assert len({r.order.voucher_code for r in placed}) == 20
    # Exactly the buyers paid: 20 balances at 0, the 280 others untouched.
    balances = sorted(PointsAccount.objects.values_list("balance", flat=True))
    assert balances == [0] * 20 + [50] * 280
    assert_ledgers_add_up()


def test_one_account_spent_from_many_places_at_once_never_goes_below_zero():
    person = new_person(points=170)
    reward = new_reward(price=50, units=100)
    point = point_of(reward)

    def buy(i):
        return services.place_order(
            user=person, reward_id=reward.pk, issue_point_id=point, idempotency_key=f"k{i}"
        )

    results, errors = run_together(100, buy, connections=AT_ONCE)
    assert sum(r is not None for r in results) == 3
    assert codes_of(errors) == ["insufficient_points"]
    assert PointsAccount.objects.get(pk=person.pk).balance == 20
    assert Stock.objects.get(reward=reward).quantity == 97
    assert_ledgers_add_up()


def test_a_per_person_limit_holds_against_simultaneous_orders():
    person = new_person(points=1000)
    reward = new_reward(price=10, units=100, per_person_limit=2)
    point = point_of(reward)

    def buy(i):
        return services.place_order(
            user=person, reward_id=reward.pk, issue_point_id=point, idempotency_key=f"k{i}"
        )

    results, errors = run_together(60, buy, connections=AT_ONCE)
    assert sum(r is not None for r in results) == 2
    assert codes_of(errors) == ["limit_reached"]
    assert Order.objects.filter(user=person).count() == 2
    assert_ledgers_add_up()


def test_one_idempotency_key_sent_from_many_places_is_one_order():
    person = new_person(points=1000)
    reward = new_reward(price=10, units=100)
    point = point_of(reward)

    def buy(i):
        return services.place_order(
            user=person, reward_id=reward.pk, issue_point_id=point, idempotency_key="one"
        )

    results, errors = run_together(50, buy, connections=AT_ONCE)
    assert errors == []
    assert len({r.order.pk for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert PointsAccount.objects.get(pk=person.pk).balance == 990
    assert_ledgers_add_up()


def test_promo_codes_racing_buyers_each_get_a_different_code():
    reward = new_reward(price=10, units=25, category="promo_codes", delivery="promo_code")
    people = [new_person(points=10) for _ in range(120)]

    def buy(i):
        return services.place_order(user=people[i], reward_id=reward.pk)

    results, errors = run_together(120, buy, connections=AT_ONCE)
    placed = [r.order for r in results if r is not None]
    assert len(placed) == 25 and codes_of(errors) == ["sold_out"]
    assert PromoCode.objects.filter(order__isnull=False).count() == 25
    assert len({o.promo_code.code for o in placed}) == 25
    assert_ledgers_add_up()


def test_cancel_and_issue_of_one_voucher_at_once_one_wins():
    person = new_person(points=100)
    reward = new_reward(price=40, units=5)
    cashier = new_cashier(reward.partner)
    target = services.place_order(
        user=person, reward_id=reward.pk, issue_point_id=point_of(reward)
    ).order

    def act(i):
        if i % 2:
            return services.issue_voucher(code=target.voucher_code, by=cashier)
        return services.cancel_order(order_id=target.pk, by=person)

    _results, errors = run_together(24, act, connections=AT_ONCE)
    assert len(errors) == 23
    assert set(codes_of(errors)) <= {"already_issued", "order_cancelled"}
    target.refresh_from_db()
    refunds = LedgerEntry.objects.filter(reason="refund", reference=f"order:{target.pk}").count()
    assert refunds == (1 if target.status == "cancelled" else 0)
    assert Stock.objects.get(reward=reward).quantity == (5 if target.status == "cancelled" else 4)
    assert_ledgers_add_up()


def test_cancel_and_the_expiry_task_at_once_refund_once():
    person = new_person(points=100)
    reward = new_reward(price=40, units=5)
    target = services.place_order(
        user=person, reward_id=reward.pk, issue_point_id=point_of(reward)
    ).order
    Order.objects.filter(pk=target.pk).update(valid_until=target.created_at)  # overdue

    def act(i):
        if i % 2:
            return services.expire_orders()
        return services.cancel_order(order_id=target.pk, by=person)

    _results, errors = run_together(24, act, connections=AT_ONCE)
    target.refresh_from_db()
    assert target.status in {"cancelled", "expired"}
    assert set(codes_of(errors)) <= {"order_cancelled", "order_expired"}
    assert LedgerEntry.objects.filter(reason="refund").count() == 1
    assert Stock.objects.get(reward=reward).quantity == 5
    assert PointsAccount.objects.get(pk=person.pk).balance == 100
    assert_ledgers_add_up()
