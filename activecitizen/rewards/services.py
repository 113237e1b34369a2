"""Every write of points and of the shop: credits for taking part, debits for orders, staff
corrections; orders placed, made ready, issued at a desk, cancelled and expired with their refunds;
promo codes uploaded."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from activecitizen.accounts.models import ApiToken, User
from activecitizen.accounts.services import TOKEN_TOUCH_INTERVAL, touch_token
from activecitizen.core import ratelimit
from activecitizen.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    NotSignedIn,
    PermissionDenied,
)
from activecitizen.notifications.services import notify
from activecitizen.rewards.models import (
    Adjustment,
    Donation,
    IssuePoint,
    LedgerEntry,
    Order,
    OrderEvent,
    Partner,
    PartnerMember,
    PointsAccount,
    PromoCode,
    Reward,
    Stock,
)
from activecitizen.rewards.selectors import status_for

NOTE_MAX_LENGTH = Adjustment._meta.get_field("note").max_length or 500
# The largest correction staff can make in one go: a typo of three extra zeros is refused.
ADJUSTMENT_LIMIT = 100_000
# Reason.values builds a new list on every call, and every ballot's credit checks its reason.
REASONS = frozenset(LedgerEntry.Reason.values)


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
    if reason not in REASONS:
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
    if reason not in REASONS:
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


# --- The shop ------------------------------------------------------------------------------------

# Crockford's base 32: no I, L, O or U, so a code read aloud or typed from paper survives.
VOUCHER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
VOUCHER_LENGTH = 16  # 16 × 5 bits = 80 random bits
IDEMPOTENCY_KEY_MAX = Order._meta.get_field("idempotency_key").max_length or 200
# The ways people mistype Crockford codes, mapped to what they meant.
_VOUCHER_TYPOS = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Orders still open and the points they hold: the limits count these and the ones issued.
_COUNTED = (Order.Status.RESERVED, Order.Status.READY, Order.Status.ISSUED)
REMIND_BEFORE = timedelta(hours=24)
PROMO_CODES_PER_UPLOAD = 100_000


def new_voucher_code() -> str:
    return "".join(secrets.choice(VOUCHER_ALPHABET) for _ in range(VOUCHER_LENGTH))


def normalize_voucher_code(text: str) -> str:
    """What a person typed or a camera read, as stored: upper case, no spaces or dashes."""
    cleaned = "".join(ch for ch in (text or "").upper() if ch not in " -\t\r\n")
    return cleaned.translate(_VOUCHER_TYPOS)


@dataclass(frozen=True)
class PlacedOrder:
    order: Order
    created: bool  # False: the same Idempotency-Key found the order placed before


def place_order(
    *,
    user: User | None = None,
    token_hash: str | None = None,
    reward_id: int,
    issue_point_id: int | None = None,
    idempotency_key: str = "",
    now: datetime | None = None,
) -> PlacedOrder:
    """Order a reward for points, as DESIGN.md "Place an order" says.

    Refusals that need no lock come first and write nothing: an unknown or unpublished reward,
    outside the sale window, a status too low, a campaign the person does not qualify for, an
    issue point that does not give this reward, sold out, not enough points. Then one
    transaction locks the person's points account (so one person's orders queue and the limits
    cannot be raced), checks the limits, creates the order, debits the price once (ledger key
    `order:<id>`), and last takes a unit: the stock row only if it is above zero, or a free
    promo code. Taking the unit last keeps the hot stock row locked for the shortest time in a
    flash sale; when there is none, everything is rolled back and the answer is `sold_out`.

    The person is `user`, or whoever holds the live bearer token whose SHA-256 is `token_hash`
    (the app's orders: the token is read inside the first statement rather than looked up
    before it, so a flash crowd's refusals cost one round trip each).
    """
    if (user is None) == (token_hash is None):
        raise ValueError("an order names its person by user or by token_hash")
    now = now or timezone.now()
    idempotency_key = (idempotency_key or "").strip()
    if len(idempotency_key) > IDEMPOTENCY_KEY_MAX:
        raise InvalidInput(
            _("The Idempotency-Key is longer than %(n)s characters.") % {"n": IDEMPOTENCY_KEY_MAX},
            field="Idempotency-Key",
        )
    # Every refusal that needs no lock is decided from one read (a flash crowd's late comers
    # cost one round trip each); only an attempt that may succeed loads the reward's objects.
    sale = _sale_snapshot(user, token_hash, reward_id, issue_point_id, idempotency_key, now)
    if sale is None:
        raise NotSignedIn(_("Sign in first."))
    if token_hash is not None and sale.token_stale:
        touch_token(token_hash)
    if sale.reward_missing:
        raise NotFound(_("There is no such reward."), code="reward_not_found")
    if sale.earlier_order_id is None:
        _refuse_early(user, sale.user_id, reward_id, sale, issue_point_id)
    user = user or _person(sale.user_id)  # only attempts that may succeed, and replays
    reward = Reward.objects.select_related("partner", "campaign", "min_status").get(pk=reward_id)
    if sale.earlier_order_id is not None:
        earlier = _order_by_key(user, idempotency_key, reward)
        if earlier is not None:
            return PlacedOrder(order=earlier, created=False)
    if reward.delivery != Reward.Delivery.PICK_UP:
        issue_point_id = None  # codes and donations come from no issue point
    # Counted only for orders that would be placed: a retry of one order (the replay above) and
    # a refusal that writes nothing (a flash crowd's late comers told `sold_out` from a read)
    # cost no round trips to the cache.
    ratelimit.hit_named(
        "orders_per_person",
        str(user.pk),
        message=_("Too many orders at once. Try again in a minute."),
    )

    try:
        with transaction.atomic():
            balance = (
                PointsAccount.objects.select_for_update()
                .filter(pk=user.pk)
                .values_list("balance", flat=True)
                .first()
            )
            if idempotency_key:
                # Two requests with one key: the second waited for the account lock above and
                # now sees the order the first committed.
                earlier = _order_by_key(user, idempotency_key, reward)
                if earlier is not None:
                    return PlacedOrder(order=earlier, created=False)
            if (balance or 0) < reward.price:
                raise _insufficient(balance=balance or 0, amount=reward.price)
            _check_limits(user=user, reward=reward)
            order = _create_order(user, reward, issue_point_id, idempotency_key, now)
            debit_points(
                user_id=user.pk,
                amount=reward.price,
                reason=LedgerEntry.Reason.ORDER,
                reference=f"order:{order.pk}",
                idempotency_key=f"order:{order.pk}",
            )
            OrderEvent.objects.create(order=order, action=OrderEvent.Action.PLACED, by=user, at=now)
            # Last, so that the hot stock row stays locked only until the commit right after.
            _take_unit(order, reward, issue_point_id, now)
    except IntegrityError:
        # Only a concurrent request with the same Idempotency-Key can get here (the account
        # lock serializes everything else): answer with the order it created.
        earlier = _order_by_key(user, idempotency_key, reward) if idempotency_key else None
        if earlier is None:
            raise
        return PlacedOrder(order=earlier, created=False)
    return PlacedOrder(order=order, created=True)


def _order_by_key(user: User, key: str, reward: Reward) -> Order | None:
    earlier = Order.objects.filter(user=user, idempotency_key=key).first()
    if earlier is not None and earlier.reward_id != reward.pk:
        raise Conflict(
            _("This Idempotency-Key was already used for another order."),
            code="idempotency_key_reused",
            field="Idempotency-Key",
        )
    return earlier


@dataclass(frozen=True)
class _Sale:
    """What one read tells about an attempt to order (see `_sale_snapshot`)."""

    user_id: int
    token_stale: bool  # the token was last marked used over an hour ago
    reward_missing: bool
    earlier_order_id: int | None
    price: int
    delivery: str
    not_yet: bool
    over: bool
    min_status_id: int | None
    campaign_id: int | None
    per_person_limit: int | None
    taken_by_person: int
    units_left: int | None  # at the chosen issue point; None: it does not give this reward
    codes_left: bool
    balance: int


def _sale_snapshot(
    user: User | None,
    token_hash: str | None,
    reward_id: int,
    issue_point_id: int | None,
    key: str,
    now: datetime,
) -> _Sale | None:
    """The person (by user or token), the reward (published, its partner active), the person's
    order with this key, their orders of it, the units left at the issue point, free codes and
    the balance, in one statement; None when the token names nobody active."""
    params: dict[str, Any] = {
        "reward": reward_id,
        "point": issue_point_id,
        "key": key,
        "now": connection.ops.adapt_datetimefield_value(now),
        "stale": connection.ops.adapt_datetimefield_value(now - TOKEN_TOUCH_INTERVAL),
        "codes": Reward.Delivery.PROMO_CODE.value,
    }
    if user is not None:
        person = "SELECT %(user)s AS id, FALSE AS stale"
        params["user"] = user.pk
    else:
        person = _PERSON_BY_TOKEN
        params["hash"] = token_hash
    with connection.cursor() as cursor:
        cursor.execute(_SALE_SQL.format(person=person), params)
        row = cursor.fetchone()
    if row is None:
        return None
    return _Sale(
        user_id=row[0],
        token_stale=bool(row[1]),
        reward_missing=row[2] is None,
        earlier_order_id=row[3],
        price=row[4] or 0,
        delivery=row[5] or "",
        not_yet=bool(row[6]),
        over=bool(row[7]),
        min_status_id=row[8],
        campaign_id=row[9],
        per_person_limit=row[10],
        taken_by_person=row[11] or 0,
        units_left=row[12],
        codes_left=bool(row[13]),
        balance=row[14] or 0,
    )


def _person(user_id: int) -> User:
    return User.objects.get(pk=user_id)


_PERSON_BY_TOKEN = (
    f"SELECT t.user_id AS id, (t.last_used_at IS NULL OR t.last_used_at < %(stale)s) AS stale "  # noqa: S608
    f"FROM {ApiToken._meta.db_table} t JOIN {User._meta.db_table} u ON u.id = t.user_id "
    "WHERE t.key_hash = %(hash)s AND t.revoked_at IS NULL AND u.is_active"
)
_SALE_SQL = (  # noqa: S608 - table names from the models; every value is a parameter
    "WITH person AS ({{person}}) SELECT person.id, person.stale, r.id, "
    "(SELECT o.id FROM {orders} o WHERE %(key)s <> '' AND o.user_id = person.id "
    "AND o.idempotency_key = %(key)s), "
    "r.price, r.delivery, "
    "(r.sale_starts_at IS NOT NULL AND %(now)s < r.sale_starts_at), "
    "(r.sale_ends_at IS NOT NULL AND %(now)s >= r.sale_ends_at), "
    "r.min_status_id, r.campaign_id, r.per_person_limit, "
    "(SELECT count(*) FROM {orders} o WHERE r.per_person_limit IS NOT NULL "
    "AND o.user_id = person.id AND o.reward_id = r.id AND o.status IN ({counted})), "
    "(SELECT s.quantity FROM {stock} s JOIN {points} ip ON ip.id = s.issue_point_id "
    "WHERE s.reward_id = r.id AND s.issue_point_id = %(point)s AND ip.is_active), "
    "EXISTS (SELECT 1 FROM {codes} c WHERE r.delivery = %(codes)s AND c.reward_id = r.id "
    "AND c.order_id IS NULL), "
    "(SELECT a.balance FROM {accounts} a WHERE a.user_id = person.id) "
    "FROM person LEFT JOIN ({rewards} r JOIN {partners} p ON p.id = r.partner_id "
    "AND p.is_active) ON r.id = %(reward)s AND r.is_published"
).format(
    orders=Order._meta.db_table,
    stock=Stock._meta.db_table,
    points=IssuePoint._meta.db_table,
    codes=PromoCode._meta.db_table,
    accounts=PointsAccount._meta.db_table,
    rewards=Reward._meta.db_table,
    partners=Partner._meta.db_table,
    counted=", ".join(f"'{status}'" for status in _COUNTED),
)


def _refuse_early(
    user: User | None, user_id: int, reward_id: int, sale: _Sale, issue_point_id: int | None
) -> None:
    """The refusals of `place_order` before its transaction, in the order it gives them: the
    sale window, the status and the campaign, the limits, the unit, the points."""
    if sale.not_yet:
        raise Conflict(_("This reward is not on sale yet."), code="not_on_sale")
    if sale.over:
        raise Conflict(_("This reward is no longer on sale."), code="not_on_sale")
    if sale.min_status_id is not None or sale.campaign_id is not None:
        # Rare rewards with a status or campaign rule: their checks read more.
        reward = Reward.objects.select_related("campaign", "min_status").get(pk=reward_id)
        person = user or _person(user_id)
        _check_can_order(user=person, reward=reward, now=timezone.now())
        _check_limits(user=person, reward=reward)
    elif sale.per_person_limit is not None and sale.taken_by_person >= sale.per_person_limit:
        raise _limit_reached(sale.per_person_limit)
    if sale.delivery == Reward.Delivery.PICK_UP:
        if issue_point_id is None:
            raise InvalidInput(
                _("Choose where to pick it up."), code="required", field="issue_point_id"
            )
        if sale.units_left is None:
            raise _not_given_there()
        if sale.units_left <= 0:
            raise _sold_out()
    elif sale.delivery == Reward.Delivery.PROMO_CODE and not sale.codes_left:
        raise _sold_out()
    if sale.balance < sale.price:
        raise _insufficient(balance=sale.balance, amount=sale.price)


def _check_can_order(*, user: User, reward: Reward, now: datetime) -> None:
    """The rules about the person and the moment; nothing about stock or points."""
    if not reward.on_sale(now):
        if reward.sale_starts_at and now < reward.sale_starts_at:
            raise Conflict(_("This reward is not on sale yet."), code="not_on_sale")
        raise Conflict(_("This reward is no longer on sale."), code="not_on_sale")
    if reward.min_status is not None:
        lifetime = (
            PointsAccount.objects.filter(pk=user.pk).values_list("lifetime", flat=True).first() or 0
        )
        if status_for(lifetime).min_lifetime_points < reward.min_status.min_lifetime_points:
            raise PermissionDenied(
                _('This reward is for people with the status "%(status)s" and above.')
                % {"status": reward.min_status.name},
                code="status_too_low",
            )
    campaign = reward.campaign
    if campaign is not None:
        if not campaign.is_running(now):
            raise Conflict(
                _('The campaign "%(title)s" is not running now.') % {"title": campaign.title},
                code="not_on_sale",
            )
        qualified = LedgerEntry.objects.filter(
            account_id=user.pk, reference__in=campaign.references, amount__gt=0
        ).exists()
        if not qualified:
            raise PermissionDenied(
                _('The campaign "%(title)s" is for people who took part in its polls.')
                % {"title": campaign.title},
                code="not_eligible",
            )


def _not_given_there() -> InvalidInput:
    return InvalidInput(
        _("This reward is not given at that issue point."), code="invalid", field="issue_point_id"
    )


def _limit_reached(n: int) -> Conflict:
    return Conflict(
        _("You have ordered this reward as many times as one person may (%(n)d).") % {"n": n},
        code="limit_reached",
    )


def _check_limits(*, user: User, reward: Reward) -> None:
    if reward.per_person_limit is not None:
        taken = Order.objects.filter(user=user, reward=reward, status__in=_COUNTED).count()
        if taken >= reward.per_person_limit:
            raise _limit_reached(reward.per_person_limit)
    if reward.campaign is not None:
        taken = Order.objects.filter(
            user=user, campaign=reward.campaign, status__in=_COUNTED
        ).count()
        if taken >= reward.campaign.per_person_limit:
            raise Conflict(
                _('You have ordered as many rewards of "%(title)s" as one person may (%(n)d).')
                % {"title": reward.campaign.title, "n": reward.campaign.per_person_limit},
                code="limit_reached",
            )


def _create_order(
    user: User, reward: Reward, issue_point_id: int | None, key: str, now: datetime
) -> Order:
    pick_up = reward.delivery == Reward.Delivery.PICK_UP
    if not pick_up:
        status = Order.Status.ISSUED  # a code is shown, a donation made, at once
    elif reward.needs_preparation:
        status = Order.Status.RESERVED
    else:
        status = Order.Status.READY
    ready = status == Order.Status.READY
    return Order.objects.create(
        user=user,
        reward=reward,
        issue_point_id=issue_point_id,
        campaign=reward.campaign,
        price=reward.price,
        status=status,
        voucher_code=new_voucher_code(),
        idempotency_key=key,
        created_at=now,
        ready_at=now if ready else None,
        valid_until=now + timedelta(days=reward.voucher_valid_days) if ready else None,
        issued_at=now if not pick_up else None,
    )


def _take_unit(order: Order, reward: Reward, issue_point_id: int | None, now: datetime) -> None:
    if reward.delivery == Reward.Delivery.PICK_UP:
        taken = Stock.objects.filter(
            reward=reward, issue_point_id=issue_point_id, quantity__gt=0
        ).update(quantity=F("quantity") - 1)
        if not taken:
            raise _sold_out()
    elif reward.delivery == Reward.Delivery.PROMO_CODE:
        # SKIP LOCKED: buyers racing for codes each take a different free one instead of
        # queueing on the first.
        code = (
            PromoCode.objects.select_for_update(skip_locked=True)
            .filter(reward=reward, order__isnull=True)
            .order_by("pk")
            .first()
        )
        if code is None:
            raise _sold_out()
        taken = PromoCode.objects.filter(pk=code.pk, order__isnull=True).update(order=order)
        if not taken:  # SQLite has no row locks; its writers are serialized anyway
            raise _sold_out()
    else:
        Donation.objects.create(
            order=order, partner=reward.partner, amount=order.price, created_at=now
        )
        Partner.objects.filter(pk=reward.partner_id).update(
            points_received=F("points_received") + order.price
        )


def _sold_out() -> Conflict:
    return Conflict(_("Sold out: there are no units left."), code="sold_out")


def cancel_order(*, order_id: int, by: User, now: datetime | None = None) -> Order:
    """Cancel an order before pick-up: the unit goes back, the points come back once.

    The person who ordered may cancel it; so may the partner's manager (an event called off,
    a reward that cannot be given) and city staff allowed to cancel any order, and then the
    person is told. Anyone else is told there is no such order.
    """
    order = Order.objects.select_related("reward").filter(pk=order_id).first()
    if order is None or not _may_cancel(by, order):
        raise NotFound(_("There is no such order."), code="order_not_found")
    closed = _close_order(order, to=Order.Status.CANCELLED, by=by, now=now or timezone.now())
    if by.pk != order.user_id:
        notify(
            user_id=order.user_id,
            kind="order_cancelled",
            params={"order_id": order.pk, "reward": order.reward.title},
            url=reverse("rewards:order", args=[order.pk]),
            key=f"order:{order.pk}:cancelled",
        )
    return closed


def _may_cancel(user: User, order: Order) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.pk == order.user_id:
        return True
    if partner_role(user, order.reward.partner_id) == PartnerMember.Role.MANAGER:
        return True
    return user.is_staff and user.has_perm("rewards.cancel_any_order")


def expire_order(*, order_id: int, now: datetime | None = None) -> Order | None:
    """Close an order nobody collected by its deadline, and refund it once. None when the order
    was collected, cancelled or expired meanwhile, or its deadline has not passed."""
    now = now or timezone.now()
    order = Order.objects.filter(pk=order_id, status__in=Order.OPEN, valid_until__lte=now).first()
    if order is None:
        return None
    try:
        return _close_order(order, to=Order.Status.EXPIRED, by=None, now=now)
    except Conflict:
        return None


def expire_orders(*, now: datetime | None = None, batch: int = 1000) -> int:
    """Expire every order past its pick-up deadline (the scheduled task); returns how many.

    Each order closes in its own transaction, so one slow account does not hold the rest."""
    now = now or timezone.now()
    due = Order.objects.filter(status__in=Order.OPEN, valid_until__lte=now).order_by("valid_until")
    expired = 0
    for order_id in due.values_list("pk", flat=True)[:batch]:
        if expire_order(order_id=order_id, now=now) is not None:
            expired += 1
    return expired


def _close_order(order: Order, *, to: str, by: User | None, now: datetime) -> Order:
    """Cancel or expire: status, unit back to stock, refund, events, all in one transaction.

    The person's account is locked first, as placing an order does, so the two never deadlock.
    The status moves only from an open one (one UPDATE decides), and the refund's ledger key is
    `order:<id>:refund`: a second close, or a retried task, refunds nothing.
    """
    with transaction.atomic():
        PointsAccount.objects.select_for_update().filter(pk=order.user_id).first()
        condition = {"valid_until__lte": now} if to == Order.Status.EXPIRED else {}
        moved = Order.objects.filter(pk=order.pk, status__in=Order.OPEN, **condition).update(
            status=to, closed_at=now
        )
        if not moved:
            order.refresh_from_db()
            raise _not_open(order)
        if order.issue_point_id is not None:
            Stock.objects.filter(
                reward_id=order.reward_id, issue_point_id=order.issue_point_id
            ).update(quantity=F("quantity") + 1)
        refund = credit_points(
            user_id=order.user_id,
            amount=order.price,
            reason=LedgerEntry.Reason.REFUND,
            reference=f"order:{order.pk}",
            idempotency_key=f"order:{order.pk}:refund",
        )
        action = (
            OrderEvent.Action.CANCELLED
            if to == Order.Status.CANCELLED
            else OrderEvent.Action.EXPIRED
        )
        OrderEvent.objects.create(order=order, action=action, by=by, at=now)
        if refund.credited:
            OrderEvent.objects.create(order=order, action=OrderEvent.Action.REFUNDED, by=by, at=now)
    order.refresh_from_db()
    return order


def _not_open(order: Order) -> Conflict:
    if order.status == Order.Status.ISSUED:
        return Conflict(_("This order has already been issued."), code="already_issued")
    if order.status == Order.Status.CANCELLED:
        return Conflict(_("This order was cancelled."), code="order_cancelled")
    if order.status == Order.Status.EXPIRED:
        return Conflict(
            _("This order expired: it was not picked up in time."), code="order_expired"
        )
    return Conflict(_("This order cannot change now."), code="order_not_open")


# --- The partner's side: preparing and issuing orders ------------------------------------------


def partner_role(user: User, partner_id: int) -> str | None:
    """The person's role at a partner ("manager", "cashier"), or None."""
    if not user.is_authenticated or not user.is_active:
        return None
    return (
        PartnerMember.objects.filter(user=user, partner_id=partner_id)
        .values_list("role", flat=True)
        .first()
    )


def _order_at_desk(code: str, by: User, *, lock: bool = False) -> Order:
    normalized = normalize_voucher_code(code)
    if len(normalized) != VOUCHER_LENGTH or any(ch not in VOUCHER_ALPHABET for ch in normalized):
        raise InvalidInput(
            _("A voucher code has 16 letters and digits."), code="invalid", field="code"
        )
    orders = Order.objects.select_related("reward", "reward__partner", "issue_point", "user")
    if lock:
        orders = orders.select_for_update(of=("self",))
    order = orders.filter(voucher_code=normalized).first()
    if order is None:
        raise NotFound(_("There is no voucher with this code."), code="voucher_not_found")
    if partner_role(by, order.reward.partner_id) is None:
        raise PermissionDenied(
            _("This voucher is for another partner's reward."), code="other_partner"
        )
    return order


def find_voucher(*, code: str, by: User, now: datetime | None = None) -> Order:
    """A cashier looks a voucher up (scanned or typed); the look-up is logged."""
    order = _order_at_desk(code, by)
    OrderEvent.objects.create(
        order=order, action=OrderEvent.Action.CHECKED, by=by, at=now or timezone.now()
    )
    return order


def issue_voucher(*, code: str, by: User, now: datetime | None = None) -> Order:
    """The cashier hands the reward over: a ready order becomes issued, once.

    A used, cancelled or expired voucher, or one not ready yet, is refused with its reason and
    nothing changes. A voucher past its deadline is refused even before the expiry task has
    run: the refund belongs to that task.
    """
    now = now or timezone.now()
    with transaction.atomic():
        order = _order_at_desk(code, by, lock=True)
        if order.status == Order.Status.RESERVED:
            raise Conflict(
                _("This order is not ready for pick-up yet: mark it ready first."),
                code="order_not_ready",
            )
        if order.status != Order.Status.READY:
            raise _not_open(order)
        if order.valid_until is not None and order.valid_until <= now:
            raise Conflict(
                _("This order expired: it was not picked up in time."), code="order_expired"
            )
        Order.objects.filter(pk=order.pk).update(
            status=Order.Status.ISSUED, issued_at=now, issued_by=by
        )
        OrderEvent.objects.create(order=order, action=OrderEvent.Action.ISSUED, by=by, at=now)
    order.refresh_from_db()
    return order


def mark_ready(*, order_id: int, by: User, now: datetime | None = None) -> Order:
    """The partner has the reward prepared: the pick-up deadline starts, the person is told."""
    now = now or timezone.now()
    order = Order.objects.select_related("reward").filter(pk=order_id).first()
    if order is None or partner_role(by, order.reward.partner_id) is None:
        raise NotFound(_("There is no such order."), code="order_not_found")
    with transaction.atomic():
        moved = Order.objects.filter(pk=order.pk, status=Order.Status.RESERVED).update(
            status=Order.Status.READY,
            ready_at=now,
            valid_until=now + timedelta(days=order.reward.voucher_valid_days),
        )
        if not moved:
            order.refresh_from_db()
            if order.status == Order.Status.READY:
                return order
            raise _not_open(order)
        OrderEvent.objects.create(order=order, action=OrderEvent.Action.READY, by=by, at=now)
        notify(
            user_id=order.user_id,
            kind="order_ready",
            params={"order_id": order.pk, "reward": order.reward.title},
            url=reverse("rewards:order", args=[order.pk]),
            key=f"order:{order.pk}:ready",
        )
    order.refresh_from_db()
    return order


def remind_expiring_orders(*, now: datetime | None = None, batch: int = 1000) -> int:
    """Tell people whose vouchers expire within a day to pick them up; once per order."""
    now = now or timezone.now()
    due = (
        Order.objects.filter(
            status=Order.Status.READY,
            valid_until__gt=now,
            valid_until__lte=now + REMIND_BEFORE,
            reminded_at__isnull=True,
        )
        .select_related("reward")
        .order_by("valid_until")[:batch]
    )
    reminded = 0
    for order in due:
        assert order.valid_until is not None  # the filter above
        with transaction.atomic():
            if not Order.objects.filter(pk=order.pk, reminded_at__isnull=True).update(
                reminded_at=now
            ):
                continue
            OrderEvent.objects.create(order=order, action=OrderEvent.Action.REMINDED, at=now)
            notify(
                user_id=order.user_id,
                kind="order_expiring",
                params={
                    "order_id": order.pk,
                    "reward": order.reward.title,
                    # Never None here (the query asks for valid_until > now); mypy cannot know.
                    "valid_until": order.valid_until.isoformat(),
                },
                url=reverse("rewards:order", args=[order.pk]),
                key=f"order:{order.pk}:expiring",
            )
            reminded += 1
    return reminded


# --- Promo code pools ----------------------------------------------------------------------------


@dataclass
class PromoUpload:
    added: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line number, why)


def upload_promo_codes(*, reward_id: int, text: str, by: User) -> PromoUpload:
    """Add a list of e-promo codes (one per line) to a reward's pool.

    Blank lines are skipped; a code already in the pool, or twice in the list, is counted as a
    duplicate; a line too long or with spaces inside is rejected with its number. May be done by
    the partner's manager or by staff allowed to add promo codes.
    """
    reward = Reward.objects.filter(pk=reward_id).first()
    if reward is None:
        raise NotFound(_("There is no such reward."), code="reward_not_found")
    if not (
        partner_role(by, reward.partner_id) == PartnerMember.Role.MANAGER
        or (by.is_staff and by.has_perm("rewards.add_promocode"))
    ):
        raise PermissionDenied(_("You may not add promo codes to this reward."))
    if reward.delivery != Reward.Delivery.PROMO_CODE:
        raise InvalidInput(
            _("This reward is not given as promo codes."), code="invalid", field="reward"
        )
    lines = (text or "").splitlines()
    if len(lines) > PROMO_CODES_PER_UPLOAD:
        raise InvalidInput(
            _("Upload at most %(n)d codes at a time.") % {"n": PROMO_CODES_PER_UPLOAD},
            code="too_long",
            field="codes",
        )
    max_length = PromoCode._meta.get_field("code").max_length or 100
    report = PromoUpload()
    wanted: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        code = line.strip()
        if not code:
            continue
        if len(code) > max_length:
            report.rejected.append((number, _("longer than %(n)d characters") % {"n": max_length}))
        elif any(ch.isspace() for ch in code) or not code.isprintable():
            report.rejected.append((number, _("spaces or invisible characters inside")))
        elif code in wanted:
            report.duplicates += 1
        else:
            wanted[code] = number
    if not wanted and not report.duplicates and not report.rejected:
        raise InvalidInput(_("The list has no codes."), code="required", field="codes")
    existing = set(
        PromoCode.objects.filter(reward=reward, code__in=list(wanted)).values_list(
            "code", flat=True
        )
    )
    report.duplicates += len(existing)
    fresh = [PromoCode(reward=reward, code=c) for c in wanted if c not in existing]
    with transaction.atomic():
        # ignore_conflicts: a concurrent upload of the same codes adds each once.
        PromoCode.objects.bulk_create(fresh, batch_size=5000, ignore_conflicts=True)
    report.added = len(fresh)
    return report
