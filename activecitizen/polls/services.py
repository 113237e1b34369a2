"""Every write about votes: casting a ballot, folding ballots into the counts, a poll's life."""

from __future__ import annotations

import json
import secrets
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from activecitizen.accounts.models import User
from activecitizen.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from activecitizen.polls.audience import reasons_not_in_audience
from activecitizen.polls.ballots import (
    age_band,
    ballot_hash,
    canonical_bytes,
    check_answers,
    leaf_hash,
)
from activecitizen.polls.models import (
    Ballot,
    Channel,
    FreeTextAnswer,
    Participation,
    PendingTally,
    Poll,
    Tally,
)
from activecitizen.polls.selectors import forget_poll, person_of, poll_shape
from activecitizen.rewards.services import CreditStatement, credit_points, credit_statement

IDEMPOTENCY_KEY_MAX = 200


# --- Casting -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    """What a voter keeps: enough to find their ballot in the public log and check it."""

    poll_id: int
    ballot_id: str
    ballot_hash: str
    leaf_hash: str
    cast_at: datetime
    channel: str
    promise: str | None = None  # the log's signed promise of inclusion, once the log exists

    @classmethod
    def of(cls, participation: Participation) -> Receipt:
        return cls(
            poll_id=participation.poll_id,
            ballot_id=participation.ballot_public_id,
            ballot_hash=participation.ballot_hash,
            leaf_hash=participation.leaf_hash,
            cast_at=participation.cast_at,
            channel=participation.channel,
        )


class AlreadyVoted(Conflict):
    """The person has a ballot in this poll. Carries the original receipt.

    `replay` is True when the request repeats the original one (same Idempotency-Key): the
    caller should answer as the original request was answered.
    """

    code = "already_voted"

    def __init__(self, receipt: Receipt, *, replay: bool) -> None:
        super().__init__(_("You have already voted in this poll."))
        self.receipt = receipt
        self.replay = replay


def cast_ballot(
    *,
    poll_id: int,
    user: User,
    answers: list[dict],
    channel: str,
    idempotency_key: str = "",
    assisted_by: User | None = None,
) -> Receipt:
    """Cast `user`'s ballot in a poll, exactly once, as DESIGN.md "Cast a ballot" says.

    Checks come first and write nothing; then one transaction inserts the participation (the
    unique pair refuses a second ballot, whatever the channel), the anonymous ballot, its place
    in the tally queue and any own-answer texts, and credits the poll's points once.
    """
    if channel not in Channel.values:
        raise InvalidInput(_("Unknown channel."), field="channel")
    idempotency_key = (idempotency_key or "").strip()
    if len(idempotency_key) > IDEMPOTENCY_KEY_MAX:
        raise InvalidInput(
            _("The Idempotency-Key is longer than %(n)s characters.") % {"n": IDEMPOTENCY_KEY_MAX},
            field="Idempotency-Key",
        )
    shape = poll_shape(poll_id)
    if shape is None or (
        shape.status in {Poll.Status.DRAFT, Poll.Status.SCHEDULED}
        and (assisted_by is None and not user.is_staff)
    ):
        raise NotFound(_("There is no such poll."), code="poll_not_found")
    now = timezone.now()
    if not shape.accepts_ballots(now):
        if now < shape.opens_at or shape.status in {Poll.Status.DRAFT, Poll.Status.SCHEDULED}:
            raise Conflict(_("Voting has not started yet."), code="poll_not_open")
        raise Conflict(_("Voting is over."), code="poll_closed")

    today = timezone.localdate()
    person = person_of(user)
    reasons = reasons_not_in_audience(shape.audience, person, today)
    if reasons:
        # Someone who voted and then moved away still gets their receipt back on a retry.
        existing = Participation.objects.filter(poll_id=poll_id, user=user).first()
        if existing is not None:
            raise _already_voted(existing, idempotency_key)
        raise PermissionDenied(reasons[0], code="not_in_audience")
    checked = check_answers(shape.questions, answers)

    public_id = secrets.token_hex(16)
    content = canonical_bytes(origin=shape.origin, public_id=public_id, answers=checked)
    receipt = Receipt(
        poll_id=poll_id,
        ballot_id=public_id,
        ballot_hash=ballot_hash(content),
        leaf_hash=leaf_hash(content),
        cast_at=now,
        channel=channel,
    )
    snapshot = (
        person.home_okrug_id,
        person.home_district_id,
        age_band(person.birth_date, today),
        person.gender or "unknown",
    )
    texts = [a for a in checked if a.text]
    credit = (
        credit_statement(
            user_id=user.pk,
            amount=shape.points,
            reason="poll",
            reference=f"poll:{poll_id}",
            idempotency_key=f"poll:{poll_id}:user:{user.pk}",
            only_if="p",
        )
        if shape.points
        else None
    )
    one_statement = connection.vendor == "postgresql"
    # On PostgreSQL the ballot and its points are one statement, atomic by itself; own-answer
    # texts (rare) and SQLite's several statements need a transaction around them.
    with transaction.atomic() if texts or not one_statement else nullcontext():
        recorded = _record_ballot(
            receipt=receipt,
            user_id=user.pk,
            content=content.decode(),
            snapshot=snapshot,
            idempotency_key=idempotency_key,
            assisted_by_id=assisted_by.pk if assisted_by else None,
            credit=credit if one_statement else None,
        )
        if recorded:
            if texts:
                free_options = {o.id for q in shape.questions for o in q.options if o.free_text}
                FreeTextAnswer.objects.bulk_create(
                    FreeTextAnswer(
                        poll_id=poll_id,
                        option_id=next(o for o in a.option_ids if o in free_options),
                        text=a.text or "",
                    )
                    for a in texts
                )
            if credit is not None and not one_statement:
                credit_points(
                    user_id=user.pk,
                    amount=shape.points,
                    reason="poll",
                    reference=f"poll:{poll_id}",
                    idempotency_key=f"poll:{poll_id}:user:{user.pk}",
                )
            if settings.POLLS_TALLY_ON_CAST:
                transaction.on_commit(lambda: tally(poll_id=poll_id))
    if not recorded:
        # A second device, a retry, a double click: the ballot that won stands.
        won = Participation.objects.get(poll_id=poll_id, user=user)
        raise _already_voted(won, idempotency_key)
    return receipt


def _already_voted(participation: Participation, idempotency_key: str) -> AlreadyVoted:
    replay = bool(idempotency_key) and participation.idempotency_key == idempotency_key
    return AlreadyVoted(Receipt.of(participation), replay=replay)


PARTICIPATION_COLUMNS = (
    "poll_id, user_id, cast_at, channel, ballot_public_id, ballot_hash, leaf_hash, "
    "idempotency_key, assisted_by_id"
)
BALLOT_COLUMNS = (
    "poll_id, public_id, content, channel, okrug_id, district_id, age_band, gender, cast_at"
)


def _record_ballot(
    *,
    receipt: Receipt,
    user_id: int,
    content: str,
    snapshot: tuple[int | None, int | None, str, str],
    idempotency_key: str,
    assisted_by_id: int | None,
    credit: CreditStatement | None = None,
) -> bool:
    """Write the participation, the anonymous ballot and its place in the tally queue, unless
    the person already has a participation in this poll; True when this call wrote them.

    INSERT … ON CONFLICT DO NOTHING rather than catching IntegrityError: no savepoint, and on
    PostgreSQL a concurrent insert of the same pair waits for the other transaction and then
    does nothing, so exactly one of two racing requests wins. On PostgreSQL the three inserts
    are one statement (one round trip), with the points when `credit` is given; SQLite, which
    has no INSERT in WITH, takes three.
    """
    participations = Participation._meta.db_table
    ballots = Ballot._meta.db_table
    queue = PendingTally._meta.db_table
    participation: list[Any] = [
        receipt.poll_id,
        user_id,
        receipt.cast_at,
        receipt.channel,
        receipt.ballot_id,
        receipt.ballot_hash,
        receipt.leaf_hash,
        idempotency_key,
        assisted_by_id,
    ]
    ballot = [
        receipt.poll_id,
        receipt.ballot_id,
        content,
        receipt.channel,
        *snapshot,
        receipt.cast_at,
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH p AS (INSERT INTO {participations} ({PARTICIPATION_COLUMNS}) "  # noqa: S608
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (poll_id, user_id) DO NOTHING RETURNING poll_id), "
                f"b AS (INSERT INTO {ballots} ({BALLOT_COLUMNS}) "
                "SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s FROM p RETURNING id, poll_id), "
                f"q AS (INSERT INTO {queue} (ballot_id, poll_id) SELECT id, poll_id FROM b)"
                + (f", {credit.ctes}" if credit else "")
                + " SELECT EXISTS (SELECT 1 FROM p)",
                [*participation, *ballot, *(credit.params if credit else [])],
            )
            return bool(cursor.fetchone()[0])
        cursor.execute(
            f"INSERT INTO {participations} ({PARTICIPATION_COLUMNS}) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (poll_id, user_id) DO NOTHING RETURNING id",
            participation,
        )
        if cursor.fetchone() is None:
            return False
        cursor.execute(
            f"INSERT INTO {ballots} ({BALLOT_COLUMNS}) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            ballot,
        )
        (ballot_id,) = cursor.fetchone()
        cursor.execute(
            f"INSERT INTO {queue} (ballot_id, poll_id) VALUES (%s, %s)",  # noqa: S608
            [ballot_id, receipt.poll_id],
        )
        return True


# --- Counting ----------------------------------------------------------------------------------

TALLY_DIMENSIONS = ("total", "okrug", "district", "age_band", "gender", "channel")


def tally(*, poll_id: int | None = None, batch: int = 5000) -> int:
    """Fold queued ballots into the counts; return how many were folded.

    The queue rows are taken and deleted in the same transaction as the counts change, so a
    ballot is counted exactly once however many tally runs overlap (PostgreSQL: SKIP LOCKED;
    SQLite: one writer at a time).
    """
    folded = 0
    while True:
        with transaction.atomic():
            queue = PendingTally.objects.order_by("id")
            if poll_id is not None:
                queue = queue.filter(poll_id=poll_id)
            if connection.features.has_select_for_update_skip_locked:
                queue = queue.select_for_update(skip_locked=True)
            taken = list(queue.values_list("id", "ballot_id")[:batch])
            if not taken:
                return folded
            ballots = Ballot.objects.filter(pk__in=[b for _q, b in taken]).values_list(
                "poll_id", "content", "channel", "okrug_id", "district_id", "age_band", "gender"
            )
            counts: Counter[tuple[int, int, int, str, str]] = Counter()
            per_poll: Counter[int] = Counter()
            for poll, content, channel, okrug, district, band, gender in ballots:
                per_poll[poll] += 1
                values = {
                    "total": "all",
                    "okrug": str(okrug) if okrug else "unknown",
                    "district": str(district) if district else "unknown",
                    "age_band": band,
                    "gender": gender,
                    "channel": channel,
                }
                answers = json.loads(content)["answers"]
                for dimension, value in values.items():
                    counts[(poll, 0, 0, dimension, value)] += 1
                    for answer in answers:
                        counts[(poll, answer["q"], 0, dimension, value)] += 1
                        for option in answer["o"]:
                            counts[(poll, answer["q"], option, dimension, value)] += 1
            _add_counts(counts)
            PendingTally.objects.filter(pk__in=[q for q, _b in taken]).delete()
            for poll, n in per_poll.items():
                Poll.objects.filter(pk=poll).update(ballots_counted=F("ballots_counted") + n)
            folded += len(taken)


def _add_counts(counts: Counter[tuple[int, int, int, str, str]]) -> None:
    table = Tally._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (poll_id, question_id, option_id, dimension, value, count) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (poll_id, question_id, option_id, dimension, value) "
            f"DO UPDATE SET count = {table}.count + excluded.count",
            [(*key, n) for key, n in counts.items()],
        )


# --- A poll's life -----------------------------------------------------------------------------


def open_and_close_polls(*, now: datetime | None = None) -> tuple[int, int]:
    """Open scheduled polls whose time has come and close open polls whose time is up."""
    now = now or timezone.now()
    opened = list(
        Poll.objects.filter(status=Poll.Status.SCHEDULED, opens_at__lte=now).values_list(
            "pk", flat=True
        )
    )
    Poll.objects.filter(pk__in=opened, status=Poll.Status.SCHEDULED).update(status=Poll.Status.OPEN)
    closing = list(
        Poll.objects.filter(status=Poll.Status.OPEN, closes_at__lte=now).values_list(
            "pk", flat=True
        )
    )
    Poll.objects.filter(pk__in=closing, status=Poll.Status.OPEN).update(status=Poll.Status.CLOSED)
    for poll_id in [*opened, *closing]:
        forget_poll(poll_id)
    return len(opened), len(closing)
