"""Every write of points: credits for taking part, debits for the shop, staff corrections."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from activecitizen.accounts.models import User
from activecitizen.core.errors import Conflict, InvalidInput, PermissionDenied
from activecitizen.rewards.models import Adjustment, LedgerEntry, PointsAccount

NOTE_MAX_LENGTH = Adjustment._meta.get_field("note").max_length or 500
# The largest correction staff can make in one go: a typo of three extra zeros is refused.
ADJUSTMENT_LIMIT = 100_000


@dataclass(frozen=True)
class Credit:
    credited: bool  # False: the idempotency key had been used, nothing changed
    amount: int


@dataclass(frozen=True)
class CreditStatement:
    """The writes of a credit as common table expressions, for one PostgreSQL statement.

    `ctes` defines `credit_entry` (the ledger entry, refused by its unique key) and
    `credit_account` (the balance upsert, only when the entry is new); `params` fill them in
    order. `credit_points` runs them alone; casting a ballot runs them inside its own statement,
    for the person its participation CTE yields (none when the ballot was refused), so that a
    ballot and its points are written in one round trip.
    """

    ctes: str
    params: list[Any]


def credit_statement(
    *,
    user_id: int | None = None,
    user_from: str | None = None,
    amount: int,
    reason: str,
    reference: str,
    idempotency_key: str,
) -> CreditStatement:
    """The credit's writes for `user_id`, or for the person in the `user_id` column of the
    calling statement's CTE `user_from` (at most one row; no row, no credit). With
    `user_from`, `idempotency_key` is a prefix that the person's id completes, as
    `f"{idempotency_key}{user_id}"` would."""
    if amount <= 0:
        raise ValueError("a credit is a positive number of points")
    if reason not in LedgerEntry.Reason.values:
        raise ValueError(f"unknown reason {reason!r}")
    if (user_id is None) == (user_from is None):
        raise ValueError("name the person either by user_id or by user_from")
    if user_from is not None and not user_from.isidentifier():
        raise ValueError("user_from names a CTE of the calling statement")
    now = timezone.now()
    entries = LedgerEntry._meta.db_table
    accounts = PointsAccount._meta.db_table
    if user_from is None:
        person, key, source = "%s", "%s", ""
        person_params: list[Any] = [user_id]
    else:
        person = f"{user_from}.user_id"
        key = f"CAST(%s AS text) || CAST({user_from}.user_id AS text)"
        source = f"FROM {user_from} "
        person_params = []
    ctes = (
        f"credit_entry AS (INSERT INTO {entries} "  # noqa: S608 - names come from our models
        "(account_id, amount, reason, reference, idempotency_key, created_at) "
        f"SELECT {person}, %s, %s, %s, {key}, %s {source}"
        "ON CONFLICT (idempotency_key) DO NOTHING RETURNING account_id, amount), "
        f"credit_account AS (INSERT INTO {accounts} (user_id, balance, lifetime, updated_at) "
        "SELECT account_id, amount, amount, %s FROM credit_entry "
        f"ON CONFLICT (user_id) DO UPDATE SET balance = {accounts}.balance + excluded.balance, "
        f"lifetime = {accounts}.lifetime + excluded.lifetime, updated_at = excluded.updated_at "
        "RETURNING balance)"
    )
    params: list[Any] = [
        *person_params,
        amount,
        reason,
        reference[:100],
        idempotency_key,
        now,
        now,
    ]
    return CreditStatement(ctes=ctes, params=params)


def credit_points(
    *, user_id: int, amount: int, reason: str, reference: str, idempotency_key: str
) -> Credit:
    """Add `amount` points to a person's account exactly once per `idempotency_key`.

    The ledger entry is refused by the unique key if it exists; the balance moves only when the
    entry is new. Nothing reads before it writes, so concurrent credits for one person queue on
    the account row instead of deadlocking. On PostgreSQL both writes are one statement;
    SQLite, which has no INSERT inside WITH, takes two. The account is created by the same
    upsert that moves its balance: foreign keys are checked at commit, so the entry may come
    first.
    """
    statement = credit_statement(
        user_id=user_id,
        amount=amount,
        reason=reason,
        reference=reference,
        idempotency_key=idempotency_key,
    )
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH {statement.ctes} SELECT balance FROM credit_account",  # noqa: S608
                statement.params,
            )
            credited = cursor.fetchone() is not None
        else:
            credited = _credit_on_sqlite(statement.params)
    return Credit(credited=credited, amount=amount if credited else 0)


def _credit_on_sqlite(params: list[Any]) -> bool:
    user_id, amount, reason, reference, key, now = params[:6]
    entries = LedgerEntry._meta.db_table
    accounts = PointsAccount._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {entries} "  # noqa: S608
            "(account_id, amount, reason, reference, idempotency_key, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (idempotency_key) DO NOTHING "
            "RETURNING amount",
            [user_id, amount, reason, reference, key, now],
        )
        if cursor.fetchone() is None:
            return False
        cursor.execute(
            f"INSERT INTO {accounts} (user_id, balance, lifetime, updated_at) "
            # WHERE true: SQLite's parser needs it before ON CONFLICT in INSERT … SELECT.
            "SELECT %s, %s, %s, %s WHERE true "
            f"ON CONFLICT (user_id) DO UPDATE SET balance = {accounts}.balance + excluded.balance, "
            f"lifetime = {accounts}.lifetime + excluded.lifetime, updated_at = excluded.updated_at",
            [user_id, amount, amount, now],
        )
    return True


@dataclass(frozen=True)
class Debit:
    debited: bool  # False: the idempotency key had been used, nothing changed
    amount: int


def debit_points(
    *, user_id: int, amount: int, reason: str, reference: str, idempotency_key: str
) -> Debit:
    """Take `amount` points from a person's account exactly once per `idempotency_key`.

    Refused with `insufficient_points` (and nothing written) when the balance is smaller.
    The entry goes in first, as in `credit_points`, so that both take their locks in the same
    order (key, then account row) and never deadlock each other. The balance then falls only
    `WHERE balance >= amount`: on PostgreSQL a concurrent debit waits for the row and re-checks
    that condition against the committed balance, so racing debits can never overdraw it.
    """
    if amount <= 0:
        raise ValueError("a debit is a positive number of points")
    if reason not in LedgerEntry.Reason.values:
        raise ValueError(f"unknown reason {reason!r}")
    now = timezone.now()
    entries = LedgerEntry._meta.db_table
    accounts = PointsAccount._meta.db_table
    # A savepoint inside the caller's transaction: refusing undoes this function's entry only.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {entries} "  # noqa: S608 - table names come from our models
            "(account_id, amount, reason, reference, idempotency_key, created_at) "
            f"SELECT user_id, %s, %s, %s, %s, %s FROM {accounts} WHERE user_id = %s "
            "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            [-amount, reason, reference[:100], idempotency_key, now, user_id],
        )
        if cursor.fetchone() is None:
            # Either the key was used (a retry) or the person has no account (no points).
            earlier = (
                LedgerEntry.objects.filter(idempotency_key=idempotency_key)
                .values_list("account_id", "amount")
                .first()
            )
            if earlier is None:
                raise _insufficient(balance=0, amount=amount)
            if earlier != (user_id, -amount):
                raise Conflict(
                    _("This operation was already done with other points."),
                    code="idempotency_key_reused",
                )
            return Debit(debited=False, amount=0)
        cursor.execute(
            f"UPDATE {accounts} SET balance = balance - %s, updated_at = %s "  # noqa: S608
            "WHERE user_id = %s AND balance >= %s RETURNING balance",
            [amount, now, user_id, amount],
        )
        if cursor.fetchone() is None:
            balance = (
                PointsAccount.objects.filter(pk=user_id).values_list("balance", flat=True).first()
            )
            # Raised inside the atomic block: the entry inserted above is rolled back with it.
            raise _insufficient(balance=balance or 0, amount=amount)
    return Debit(debited=True, amount=amount)


def _insufficient(*, balance: int, amount: int) -> InvalidInput:
    return InvalidInput(
        _("Not enough points: this needs %(amount)d, the balance is %(balance)d.")
        % {"amount": amount, "balance": balance},
        code="insufficient_points",
    )


def adjust_points(
    *, user_id: int, amount: int, by: User, note: str, idempotency_key: str = ""
) -> LedgerEntry:
    """A staff correction of a balance: a new ADJUSTMENT entry, never an edit of an old one.

    `by` needs the "adjust points" permission. A negative correction obeys the same rule as any
    debit: the balance never goes below zero. `idempotency_key` (e.g. a token in the admin form)
    makes a double submission correct once.
    """
    if not (by.is_active and by.is_staff and by.has_perm("rewards.adjust_points")):
        raise PermissionDenied(_("You may not correct points balances."))
    note = (note or "").strip()
    if not note:
        raise InvalidInput(_("Say why the balance is corrected."), code="required", field="note")
    if len(note) > NOTE_MAX_LENGTH:
        raise InvalidInput(
            _("Keep the note to %(n)d characters at most.") % {"n": NOTE_MAX_LENGTH},
            code="too_long",
            field="note",
        )
    if not isinstance(amount, int) or amount == 0 or abs(amount) > ADJUSTMENT_LIMIT:
        raise InvalidInput(
            _("A correction is a whole number of points from %(low)d to %(high)d, not zero.")
            % {"low": -ADJUSTMENT_LIMIT, "high": ADJUSTMENT_LIMIT},
            code="invalid",
            field="amount",
        )
    if not User.objects.filter(pk=user_id).exists():
        raise InvalidInput(_("No such person."), code="not_found", field="user")
    key = f"adjustment:{idempotency_key or uuid.uuid4().hex}"
    with transaction.atomic():
        move = credit_points if amount > 0 else debit_points
        move(
            user_id=user_id,
            amount=abs(amount),
            reason=LedgerEntry.Reason.ADJUSTMENT,
            reference="",
            idempotency_key=key,
        )
        entry = LedgerEntry.objects.get(idempotency_key=key)
        if entry.account_id != user_id or entry.amount != amount:
            raise Conflict(
                _("This form was already used for another correction."),
                code="idempotency_key_reused",
            )
        Adjustment.objects.get_or_create(entry=entry, defaults={"made_by": by, "note": note})
    return entry
