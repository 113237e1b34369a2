"""Races on PostgreSQL with real threads, each on its own connection: a credit retried at once
from many places counts once; many debits of the last points never overdraw the account."""

import pytest
from django.db.models import Sum

from activecitizen.accounts.models import User
from activecitizen.core.errors import InvalidInput
from activecitizen.core.testing.concurrency import run_together
from activecitizen.rewards.models import LedgerEntry, PointsAccount
from activecitizen.rewards.services import credit_points, debit_points

# serialized_rollback: the flush after a transactional test would otherwise take the data the
# migrations loaded (districts, roles, status levels) away from the tests that run after it.
pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def assert_adds_up(user):
    account = PointsAccount.objects.get(pk=user.pk)
    total = LedgerEntry.objects.filter(account=account).aggregate(s=Sum("amount"))["s"]
    assert account.balance == total
    assert account.balance >= 0
    return account


def test_forty_simultaneous_credits_with_one_key_make_one_entry():
    person = User.objects.create_user("+79161110001")

    def credit(_i):
        return credit_points(
            user_id=person.pk,
            amount=20,
            reason="poll",
            reference="poll:1",
            idempotency_key=f"poll:1:user:{person.pk}",
        )

    results, errors = run_together(40, credit)
    assert errors == []
    assert sum(r.credited for r in results) == 1
    assert LedgerEntry.objects.count() == 1
    account = assert_adds_up(person)
    assert (account.balance, account.lifetime) == (20, 20)


def test_simultaneous_debits_of_the_last_points_never_overdraw():
    person = User.objects.create_user("+79161110002")
    balance, price, buyers = 170, 20, 30
    credit_points(
        user_id=person.pk, amount=balance, reason="campaign", reference="", idempotency_key="c"
    )

    def buy(i):
        return debit_points(
            user_id=person.pk,
            amount=price,
            reason="order",
            reference=f"order:{i}",
            idempotency_key=f"order:{i}",
        )

    results, errors = run_together(buyers, buy)
    sold = balance // price
    assert sum(1 for r in results if r is not None and r.debited) == sold
    assert len(errors) == buyers - sold
    assert all(isinstance(e, InvalidInput) and e.code == "insufficient_points" for e in errors)
    account = assert_adds_up(person)
    assert (account.balance, account.lifetime) == (balance - sold * price, balance)
    assert LedgerEntry.objects.filter(amount__lt=0).count() == sold


def test_credits_and_debits_of_one_account_at_once_keep_the_ledger_whole():
    person = User.objects.create_user("+79161110003")
    credit_points(
        user_id=person.pk, amount=50, reason="campaign", reference="", idempotency_key="c"
    )

    def move(i):
        if i % 2:
            return credit_points(
                user_id=person.pk,
                amount=5,
                reason="poll",
                reference="",
                idempotency_key=f"credit:{i % 10}",  # keys repeat: some are retries
            )
        return debit_points(
            user_id=person.pk, amount=15, reason="order", reference="", idempotency_key=f"d:{i}"
        )

    _results, errors = run_together(40, move)
    assert all(isinstance(e, InvalidInput) for e in errors)
    account = assert_adds_up(person)
    assert LedgerEntry.objects.filter(amount__gt=0).count() == 1 + 5  # keys credit:1,3,5,7,9
    assert account.lifetime == 50 + 25
