"""The property: any sequence of orders, cancels, expiries and issues by a few people keeps the
shop's books (invariants 5 and 6), checked against a model of what should have happened."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activecitizen.core.errors import DomainError
from activecitizen.rewards import services
from activecitizen.rewards.models import LedgerEntry, Order, PointsAccount, Stock
from activecitizen.rewards.tests.shop_fixtures import (
    new_cashier,
    new_person,
    new_reward,
    point_of,
)


@pytest.fixture(autouse=True)
def _no_order_rate_limit(settings):
    """These tests order far faster than a person could; the limit has its own test."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "orders_per_person": (10**6, 60)}


STEPS = st.lists(
    st.tuples(
        st.sampled_from(["order", "order", "cancel", "expire", "issue"]),
        st.integers(min_value=0, max_value=2),  # whose
        st.integers(min_value=0, max_value=5),  # which of their orders
    ),
    max_size=25,
)
START_POINTS = (0, 70, 200)
PRICE, UNITS, LIMIT = 30, 4, 3


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_any_sequence_keeps_stock_points_and_refunds_in_step(steps):
    with transaction.atomic():
        people = [new_person(points=p) for p in START_POINTS]
        reward = new_reward(price=PRICE, units=UNITS, per_person_limit=LIMIT)
        point = point_of(reward)
        cashier = new_cashier(reward.partner)
        # The model: each person's balance, their orders' states, the units left.
        balance = dict(enumerate(START_POINTS))
        mine: dict[int, list[tuple[Order, str]]] = {0: [], 1: [], 2: []}
        left = UNITS
        clock = timezone.now()
        for step, who, which in steps:
            clock += timedelta(minutes=1)
            person = people[who]
            if step == "order":
                taken = sum(1 for _o, state in mine[who] if state in {"ready", "issued"})
                # The service's order of refusals: limit, then stock, then points.
                expected = (
                    "limit_reached"
                    if taken >= LIMIT
                    else "sold_out"
                    if left == 0
                    else "insufficient_points"
                    if balance[who] < PRICE
                    else None
                )
                try:
                    placed = services.place_order(
                        user=person, reward_id=reward.pk, issue_point_id=point, now=clock
                    ).order
                except DomainError as refused:
                    assert refused.code == expected
                    continue
                assert expected is None
                mine[who].append((placed, "ready"))
                balance[who] -= PRICE
                left -= 1
                continue
            if not mine[who]:
                continue
            index = which % len(mine[who])
            target, state = mine[who][index]
            try:
                if step == "cancel":
                    services.cancel_order(order_id=target.pk, by=person, now=clock)
                    new_state = "cancelled"
                elif step == "issue":
                    services.issue_voucher(code=target.voucher_code, by=cashier, now=clock)
                    new_state = "issued"
                else:
                    # Its deadline passes now; the task expires it if it is still open.
                    Order.objects.filter(pk=target.pk).update(valid_until=clock)
                    expired = services.expire_order(order_id=target.pk, now=clock)
                    new_state = "expired" if expired is not None else state
            except DomainError:
                assert state != "ready", f"{step} of an open order was refused"
                continue
            assert state == "ready" or new_state == state, f"{step} changed a closed order"
            if new_state in {"cancelled", "expired"} and state == "ready":
                balance[who] += PRICE
                left += 1
            mine[who][index] = (target, new_state)

        assert Stock.objects.get(reward=reward).quantity == left >= 0
        for who, person in enumerate(people):
            account = PointsAccount.objects.filter(pk=person.pk).first()
            assert (account.balance if account else 0) == balance[who] >= 0
            entries = LedgerEntry.objects.filter(account_id=person.pk)
            assert (entries.aggregate(s=Sum("amount"))["s"] or 0) == balance[who]
            for order, state in mine[who]:
                order.refresh_from_db()
                assert order.status == state
                refunds = entries.filter(reason="refund", reference=f"order:{order.pk}").count()
                assert refunds == (1 if state in {"cancelled", "expired"} else 0)
        transaction.set_rollback(True)
