"""Every write about votes: casting a ballot, folding ballots into the counts, a poll's life."""

from __future__ import annotations

import json
import secrets
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from activecitizen.accounts.models import ApiToken, User
from activecitizen.accounts.services import (
    TOKEN_TOUCH_INTERVAL,
    person_by_token_hash,
    touch_token,
)
from activecitizen.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    NotSignedIn,
    PermissionDenied,
)
from activecitizen.polls.audience import reasons_not_in_audience, voter_query
from activecitizen.polls.ballots import (
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
    Poll,
    Tally,
    poll_log_name,
    poll_origin,
)
from activecitizen.polls.selectors import forget_poll, person_of, poll_shape
from activecitizen.rewards.services import credit_points, credit_statement
from activecitizen.transparency.models import Log
from activecitizen.transparency.services import (
    SEAL_BATCH,
    queue_cte,
    queue_entry,
    seal,
    seal_all,
)
from activecitizen.transparency.services import promise as sign_promise

IDEMPOTENCY_KEY_MAX = 200
# Channel.values builds a new list on every call.
CHANNELS = frozenset(Channel.values)


# --- Casting -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    """What a voter keeps: enough to find their ballot in the public log and check it, and the
    log's signed promise to include it."""

    poll_id: int
    origin: str  # the poll's log
    ballot_id: str
    ballot_hash: str
    leaf_hash: str
    cast_at: datetime
    channel: str

    @cached_property
    def promise(self) -> str:
        """The log's signed promise of inclusion. Signed when first asked for (one Ed25519
        signature) rather than stored: the signature is deterministic, so the receipt shown
        again later carries the very same text."""
        return sign_promise(
            origin=self.origin,
            ballot_id=self.ballot_id,
            leaf_hash=bytes.fromhex(self.leaf_hash),
            at=self.cast_at,
        )

    @property
    def max_merge_delay(self) -> int:
        """Seconds within which the promise says the ballot will be in a signed checkpoint."""
        return settings.TRANSPARENCY_MERGE_DELAY

    @classmethod
    def of(cls, participation: Participation) -> Receipt:
        return cls(
            poll_id=participation.poll_id,
            origin=poll_origin(participation.poll_id),
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
    user: User | None = None,
    token_hash: str | None = None,
    answers: list[dict],
    channel: str,
    idempotency_key: str = "",
    assisted_by: User | None = None,
) -> Receipt:
    """Cast a person's ballot in a poll, exactly once, as DESIGN.md "Cast a ballot" says.

    The person is `user`, or whoever holds the live bearer token whose SHA-256 is
    `token_hash` (the app's ballots: their token is read inside the ballot's own statement
    rather than looked up first). Checks that need no person come first and write nothing.
    Then one statement (one transaction on SQLite) reads the person only if they are in the
    audience, inserts the participation (the unique pair refuses a second ballot, whatever the
    channel), the anonymous ballot with its demographic snapshot and its place in the tally
    queue, and credits the poll's points once. When it writes nothing, the person is found
    the slow way to say why: not signed in, already voted (with the original receipt), or
    not in the audience.
    """
    if (user is None) == (token_hash is None):
        raise ValueError("a ballot names its person by user or by token_hash")
    if channel not in CHANNELS:
        raise InvalidInput(_("Unknown channel."), field="channel")
    idempotency_key = (idempotency_key or "").strip()
    if len(idempotency_key) > IDEMPOTENCY_KEY_MAX:
        raise InvalidInput(
            _("The Idempotency-Key is longer than %(n)s characters.") % {"n": IDEMPOTENCY_KEY_MAX},
            field="Idempotency-Key",
        )
    shape = poll_shape(poll_id)
    unpublished = shape is not None and shape.status in {Poll.Status.DRAFT, Poll.Status.SCHEDULED}
    # Only staff (previewing) and officers learn that an unpublished poll exists.
    if unpublished and assisted_by is None and not _voter(user, token_hash).is_staff:
        shape = None
    if shape is None:
        raise NotFound(_("There is no such poll."), code="poll_not_found")
    now = timezone.now()
    if not shape.accepts_ballots(now):
        if now < shape.opens_at or shape.status in {Poll.Status.DRAFT, Poll.Status.SCHEDULED}:
            raise Conflict(_("Voting has not started yet."), code="poll_not_open")
        raise Conflict(_("Voting is over."), code="poll_closed")
    checked = check_answers(shape.questions, answers)
    assert shape.log_id is not None  # a poll that takes ballots has its log

    public_id = secrets.token_hex(16)
    content = canonical_bytes(origin=shape.origin, public_id=public_id, answers=checked)
    receipt = Receipt(
        poll_id=poll_id,
        origin=shape.origin,
        ballot_id=public_id,
        ballot_hash=ballot_hash(content),
        leaf_hash=leaf_hash(content),
        cast_at=now,
        channel=channel,
    )
    today = timezone.localdate()
    voter = voter_query(shape.audience, today, "user" if user is not None else "token")
    texts = [a for a in checked if a.text]
    with transaction.atomic() if texts or connection.vendor != "postgresql" else nullcontext():
        # On PostgreSQL the person, the ballot and its points are one statement, atomic by
        # itself; own-answer texts (rare) and SQLite's several statements need a transaction.
        recorded = _record_ballot(
            receipt=receipt,
            voter=voter.sql,
            voter_params=voter.params_for(user.pk if user is not None else token_hash or ""),
            content=content.decode(),
            idempotency_key=idempotency_key,
            assisted_by_id=assisted_by.pk if assisted_by else None,
            points=shape.points,
            token_hash=token_hash,
            log_id=shape.log_id,
        )
        if recorded and texts:
            free_options = {o.id for q in shape.questions for o in q.options if o.free_text}
            FreeTextAnswer.objects.bulk_create(
                FreeTextAnswer(
                    poll_id=poll_id,
                    option_id=next(o for o in a.option_ids if o in free_options),
                    text=a.text or "",
                )
                for a in texts
            )
        if recorded and settings.POLLS_TALLY_ON_CAST:
            transaction.on_commit(lambda: tally(poll_id=poll_id))
    if recorded:
        return receipt
    # Nothing written: find out why, the slow way (this is the rare path).
    person = _voter(user, token_hash)
    existing = Participation.objects.filter(poll_id=poll_id, user=person).first()
    if existing is not None:
        # A second device, a retry, a double click, or someone who voted and then moved
        # away: the ballot that won stands, and they get its receipt back.
        raise _already_voted(existing, idempotency_key)
    reasons = reasons_not_in_audience(shape.audience, person_of(person), today)
    raise PermissionDenied(
        reasons[0] if reasons else _("You may not vote in this poll."), code="not_in_audience"
    )


def _voter(user: User | None, token_hash: str | None) -> User:
    if user is not None:
        return user
    person = person_by_token_hash(token_hash or "")
    if person is None:
        raise NotSignedIn(_("Sign in first."))
    return person


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
    voter: str,
    voter_params: list[Any],
    content: str,
    idempotency_key: str,
    assisted_by_id: int | None,
    points: int,
    token_hash: str | None,
    log_id: int,
) -> bool:
    """Write the participation, the anonymous ballot, its place in the tally queue and the
    points for the person `voter` (a query of one row: user_id, okrug_id, district_id,
    age_band, gender; none when they may not vote), unless they already have a participation
    in this poll; True when this call wrote them.

    INSERT … ON CONFLICT DO NOTHING rather than catching IntegrityError: no savepoint, and on
    PostgreSQL a concurrent insert of the same pair waits for the other transaction and then
    does nothing, so exactly one of two racing requests wins. On PostgreSQL it is all one
    statement (one round trip); SQLite, which has no INSERT in WITH, takes several.
    """
    participations = Participation._meta.db_table
    ballots = Ballot._meta.db_table
    content_bytes = content.encode()
    participation: list[Any] = [
        receipt.poll_id,
        receipt.cast_at,
        receipt.channel,
        receipt.ballot_id,
        receipt.ballot_hash,
        receipt.leaf_hash,
        idempotency_key,
        assisted_by_id,
    ]
    ballot: list[Any] = [
        receipt.poll_id,
        receipt.ballot_id,
        content,
        receipt.channel,
        receipt.cast_at,
    ]
    credit_key = f"poll:{receipt.poll_id}:user:"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            credit = (
                credit_statement(
                    user_from="p",
                    amount=points,
                    reason="poll",
                    reference=f"poll:{receipt.poll_id}",
                    idempotency_key=credit_key,
                )
                if points
                else None
            )
            touch: list[Any] = []
            if token_hash is not None:
                touch = [timezone.now(), token_hash, timezone.now() - TOKEN_TOUCH_INTERVAL]
            cursor.execute(
                "WITH voter (user_id, okrug_id, district_id, age_band, gender) AS "  # noqa: S608
                f"({voter}), "
                f"p AS (INSERT INTO {participations} ({PARTICIPATION_COLUMNS}) "
                "SELECT %s, voter.user_id, %s, %s, %s, %s, %s, %s, %s FROM voter "
                "ON CONFLICT (poll_id, user_id) DO NOTHING RETURNING poll_id, user_id), "
                f"b AS (INSERT INTO {ballots} ({BALLOT_COLUMNS}) "
                "SELECT %s, %s, %s, %s, voter.okrug_id, voter.district_id, voter.age_band, "
                "voter.gender, %s FROM p, voter RETURNING id, poll_id), "
                f"{queue_cte('b.id', 'b')}"
                + (f", {credit.ctes}" if credit else "")
                + (f", {_TOKEN_TOUCH}" if touch else "")
                + " SELECT EXISTS (SELECT 1 FROM p)",
                [
                    *voter_params,
                    *participation,
                    *ballot,
                    log_id,
                    content_bytes,
                    receipt.cast_at,
                    *(credit.params if credit else []),
                    *touch,
                ],
            )
            return bool(cursor.fetchone()[0])
        cursor.execute(voter, voter_params)
        person = cursor.fetchone()
        if person is None:
            return False
        user_id, okrug_id, district_id, band, gender = person
        cursor.execute(
            f"INSERT INTO {participations} ({PARTICIPATION_COLUMNS}) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (poll_id, user_id) DO NOTHING RETURNING id",
            [participation[0], user_id, *participation[1:]],
        )
        if cursor.fetchone() is None:
            return False
        cursor.execute(
            f"INSERT INTO {ballots} ({BALLOT_COLUMNS}) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            [*ballot[:4], okrug_id, district_id, band, gender, ballot[4]],
        )
        (ballot_id,) = cursor.fetchone()
    queue_entry(log_id=log_id, data=content_bytes, ref=ballot_id, queued_at=receipt.cast_at)
    if points:
        credit_points(
            user_id=user_id,
            amount=points,
            reason="poll",
            reference=f"poll:{receipt.poll_id}",
            idempotency_key=f"{credit_key}{user_id}",
        )
    if token_hash is not None:
        touch_token(token_hash)
    return True


# An app's ballot marks its token used, as any signed-in request does (at most hourly).
_TOKEN_TOUCH = (
    f"touch AS (UPDATE {ApiToken._meta.db_table} SET last_used_at = %s "  # noqa: S608
    "WHERE key_hash = %s AND revoked_at IS NULL "
    "AND (last_used_at IS NULL OR last_used_at < %s) RETURNING id)"
)


# --- Counting ----------------------------------------------------------------------------------

TALLY_DIMENSIONS = ("total", "okrug", "district", "age_band", "gender", "channel")


def tally(*, poll_id: int | None = None, batch: int = SEAL_BATCH) -> int:
    """Seal the ballots queued in polls' logs and fold them into the counts in the same step;
    return how many were folded.

    Each poll's log is sealed by one sealer at a time (transparency.services.seal), and the
    counts change in the seal's transaction: a ballot is counted exactly once, and the published
    counts always equal the tally of the latest signed checkpoint (DESIGN.md "Seal a log").
    """
    if poll_id is None:
        return seal_all(kind="poll", fold=_fold_ballots, batch=batch)
    log_id = (
        Log.objects.filter(origin_id=poll_log_name(poll_id)).values_list("pk", flat=True).first()
    )
    folded = 0
    while log_id is not None:
        before = Poll.objects.filter(pk=poll_id).values_list("ballots_counted", flat=True).get()
        # An editor's "count now" waits for a running sealer rather than skipping.
        if seal(log_id, fold=_fold_ballots, wait=True, batch=batch) is None:
            break
        folded += (
            Poll.objects.filter(pk=poll_id).values_list("ballots_counted", flat=True).get() - before
        )
    return folded


def _fold_ballots(_log: Log, refs: list[int]) -> None:
    """Add the newly sealed ballots (by id) to their poll's counts, inside the seal's
    transaction."""
    counts: Counter[tuple[int, int, int, str, str]] = Counter()
    per_poll: Counter[int] = Counter()
    for start in range(0, len(refs), 5000):
        ballots = Ballot.objects.filter(pk__in=refs[start : start + 5000]).values_list(
            "poll_id", "content", "channel", "okrug_id", "district_id", "age_band", "gender"
        )
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
    if counts:
        _add_counts(counts)
    for poll, n in per_poll.items():
        Poll.objects.filter(pk=poll).update(ballots_counted=F("ballots_counted") + n)


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
    for poll_id in opened:
        announce_after_commit(poll_id)
    return len(opened), len(closing)


def announce_after_commit(poll_id: int) -> None:
    """Tell the audience once the opening is committed (a worker must see the poll open);
    the fan-out only queues its first batch, so the caller never waits for millions."""
    from activecitizen.polls.notices import announce_new_poll

    transaction.on_commit(lambda: announce_new_poll(poll_id))
