"""Every write of points: credits for taking part, and (with the shop) debits and refunds."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from activecitizen.rewards.models import LedgerEntry, PointsAccount


@dataclass(frozen=True)
class Credit:
    credited: bool  # False: the idempotency key had been used, nothing changed
    amount: int


def credit_points(
    *, user_id: int, amount: int, reason: str, reference: str, idempotency_key: str
) -> Credit:
    """Add `amount` points to a person's account exactly once per `idempotency_key`.

    Two statements in the caller's transaction (or a new one): the ledger entry, refused by the
    unique key if it exists, then the balance, only when the entry was new. Both statements
    work on PostgreSQL and SQLite, and neither reads before it writes, so concurrent credits
    for one person queue on the account row instead of deadlocking.
    """
    if amount <= 0:
        raise ValueError("a credit is a positive number of points")
    if reason not in LedgerEntry.Reason.values:
        raise ValueError(f"unknown reason {reason!r}")
    now = timezone.now()
    entries = LedgerEntry._meta.db_table
    accounts = PointsAccount._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        # The account must exist before its entry (foreign key); a no-op when it does.
        cursor.execute(
            f"INSERT INTO {accounts} (user_id, balance, lifetime, updated_at) "  # noqa: S608
            "VALUES (%s, 0, 0, %s) ON CONFLICT (user_id) DO NOTHING",
            [user_id, now],
        )
        cursor.execute(
            f"INSERT INTO {entries} "  # noqa: S608 - table names come from our models
            "(account_id, amount, reason, reference, idempotency_key, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (idempotency_key) DO NOTHING "
            "RETURNING id",
            [user_id, amount, reason, reference[:100], idempotency_key, now],
        )
        if cursor.fetchone() is None:
            return Credit(credited=False, amount=0)
        cursor.execute(
            f"UPDATE {accounts} SET balance = balance + %s, lifetime = lifetime + %s, "  # noqa: S608
            "updated_at = %s WHERE user_id = %s",
            [amount, amount, now, user_id],
        )
    return Credit(credited=True, amount=amount)
