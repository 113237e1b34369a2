"""Reads of polls that several callers share: the cached shape of a poll, polls for a person."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.cache import cache
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from activecitizen.accounts.models import User
from activecitizen.core.errors import NotFound
from activecitizen.polls.audience import Audience, Person, reasons_not_in_audience
from activecitizen.polls.ballots import OptionShape, QuestionShape
from activecitizen.polls.models import Participation, Poll, poll_log_name
from activecitizen.transparency.models import Checkpoint, Entry, Log
from activecitizen.transparency.services import checkpoint_note, ensure_log, inclusion_proof

NOT_OPEN_YET = _("Voting has not started yet.")
CLOSED = _("Voting is over.")
SIGN_IN = _("Sign in to vote.")
ALREADY_VOTED = _("You have already voted in this poll.")

# A poll's shape changes only through services, which forget it; the timeout is a safety net.
SHAPE_TTL = 30


@dataclass(frozen=True)
class PollShape:
    """What casting needs to know about a poll, cached: one cache read instead of four queries."""

    id: int
    status: str
    opens_at: datetime
    closes_at: datetime
    points: int
    origin: str
    log_id: int | None  # the poll's transparency log, from when it may take ballots
    questions: tuple[QuestionShape, ...]
    audience: Audience

    def accepts_ballots(self, now: datetime) -> bool:
        return self.status == Poll.Status.OPEN and self.opens_at <= now < self.closes_at


def _shape_key(poll_id: int) -> str:
    return f"polls:shape:{poll_id}"


# Each web worker also keeps the shapes it read for two seconds: a ballot then needs no cache
# round trip for its poll. A change made through another worker reaches this one within that
# time (an editor closing a poll by hand may see a ballot accepted a second after).
LOCAL_SHAPE_SECONDS = 2.0
_local_shapes: dict[int, tuple[float, PollShape]] = {}


def poll_shape(poll_id: int) -> PollShape | None:
    held = _local_shapes.get(poll_id)
    if held is not None and held[0] > time.monotonic():
        return held[1]
    shape = _shared_poll_shape(poll_id)
    if shape is not None:
        _local_shapes[poll_id] = (time.monotonic() + LOCAL_SHAPE_SECONDS, shape)
    return shape


def _shared_poll_shape(poll_id: int) -> PollShape | None:
    shape = cache.get(_shape_key(poll_id))
    if shape is None:
        poll = (
            Poll.objects.prefetch_related(
                "questions__options", "audience_okrugs", "audience_districts", "audience_interests"
            )
            .filter(pk=poll_id)
            .first()
        )
        if poll is None:
            return None
        shape = PollShape(
            id=poll.pk,
            status=poll.status,
            opens_at=poll.opens_at,
            closes_at=poll.closes_at,
            points=poll.points,
            origin=poll.origin,
            log_id=poll_log(poll).pk if poll.status not in UNPUBLISHED else None,
            questions=tuple(
                QuestionShape(
                    id=q.pk,
                    kind=q.kind,
                    min_choices=q.min_choices,
                    max_choices=q.max_choices,
                    required=q.required,
                    options=tuple(
                        OptionShape(id=o.pk, free_text=o.free_text) for o in q.options.all()
                    ),
                )
                for q in poll.questions.all()
            ),
            audience=Audience.of(poll),
        )
        cache.set(_shape_key(poll_id), shape, SHAPE_TTL)
    return shape


def forget_all_polls() -> None:
    """Drop this worker's copies of poll shapes (tests, whose polls reuse ids, need it)."""
    _local_shapes.clear()


def forget_poll(poll_id: int) -> None:
    _local_shapes.pop(poll_id, None)
    cache.delete(_shape_key(poll_id))


def person_of(user: User) -> Person:
    return Person.of(user)


def visible_polls() -> QuerySet[Poll]:
    """Polls anyone may see listed: everything past draft and scheduled."""
    return Poll.objects.exclude(status__in=[Poll.Status.DRAFT, Poll.Status.SCHEDULED])


@dataclass(frozen=True)
class PollForPerson:
    poll: Poll
    voted: bool
    can_vote: bool
    why_not: list[str]


def why_cannot_vote(poll: Poll, user: User | None, *, today: date | None = None) -> list[str]:
    """Every reason this person may not vote in this poll now; empty when they may."""
    now = timezone.now()
    today = today or timezone.localdate()
    reasons: list[str] = []
    if poll.status != Poll.Status.OPEN or not (poll.opens_at <= now < poll.closes_at):
        if poll.status in {Poll.Status.DRAFT, Poll.Status.SCHEDULED} or now < poll.opens_at:
            reasons.append(str(NOT_OPEN_YET))
        else:
            reasons.append(str(CLOSED))
    if user is None or not user.is_authenticated:
        reasons.append(str(SIGN_IN))
        return reasons
    if Participation.objects.filter(poll=poll, user=user).exists():
        reasons.append(str(ALREADY_VOTED))
    shape = poll_shape(poll.pk)
    assert shape is not None
    reasons.extend(str(r) for r in reasons_not_in_audience(shape.audience, person_of(user), today))
    return reasons


def polls_for(user: User, *, state: str = "open") -> list[PollForPerson]:
    """The polls a person sees: open ones they may vote in, ones they voted in, or results.

    state: "open" (open now and in their audience, voted or not), "voted", "results"
    (results published, or live results of polls they may vote in).
    """
    today = timezone.localdate()
    now = timezone.now()
    person = person_of(user)
    voted_ids = set(Participation.objects.filter(user=user).values_list("poll_id", flat=True))
    if state == "voted":
        polls = visible_polls().filter(pk__in=voted_ids)
    elif state == "results":
        polls = visible_polls().filter(status__in=[Poll.Status.CLOSED, Poll.Status.PUBLISHED])
    else:
        polls = visible_polls().filter(status=Poll.Status.OPEN, closes_at__gt=now)
    found = []
    for poll in polls.order_by("closes_at", "pk"):
        shape = poll_shape(poll.pk)
        if shape is None:
            continue
        not_in = [str(r) for r in reasons_not_in_audience(shape.audience, person, today)]
        if state == "open" and not_in:
            continue  # a person sees the polls they may vote in
        voted = poll.pk in voted_ids
        can_vote = not voted and not not_in and shape.accepts_ballots(now)
        found.append(PollForPerson(poll=poll, voted=voted, can_vote=can_vote, why_not=not_in))
    return found


def my_participations(user: User) -> QuerySet[Participation]:
    """A person's participations, newest first, each with `log_index`: where their ballot was
    sealed into the poll's log (and so folded into the results), None while it waits."""
    # A leaf hash names one entry: the entry's bytes carry the poll's origin and a random id.
    sealed = Entry.objects.filter(leaf_hash=OuterRef("leaf_hash")).values("index")[:1]
    return (
        Participation.objects.filter(user=user)
        .select_related("poll")
        .annotate(log_index=Subquery(sealed))
        .annotate(counted=ExpressionWrapper(Q(log_index__isnull=False), BooleanField()))
        .order_by("-cast_at", "-pk")
    )


UNPUBLISHED = frozenset({Poll.Status.DRAFT, Poll.Status.SCHEDULED})


def poll_log(poll: Poll) -> Log:
    """The poll's transparency log (created the first time a published poll needs it)."""
    return ensure_log(origin=poll.origin, origin_id=poll_log_name(poll.pk), kind="poll")


# --- Receipts: proof status and proof bundles ---------------------------------------------------

RECEIPT_FORMAT = "activecitizen-receipt/1"


@dataclass(frozen=True)
class BallotStatus:
    """A participation with where its ballot stands in the poll's log."""

    participation: Participation
    log_index: int | None  # None while the ballot waits to be sealed
    checkpoint_size: int | None  # the size of the poll log's latest checkpoint

    @property
    def status(self) -> str:
        return "waiting" if self.log_index is None else "included"

    @property
    def included(self) -> bool:
        return self.log_index is not None


def ballot_statuses(participations: Iterable[Participation]) -> list[BallotStatus]:
    """Participations from `my_participations` with their proof status: one query for the
    latest checkpoint sizes of all their polls' logs, however many there are."""
    rows = list(participations)
    names = {poll_log_name(p.poll_id) for p in rows}
    sizes: dict[str, int] = dict(
        Checkpoint.objects.filter(log__origin_id__in=names)
        .values("log__origin_id")
        .annotate(latest=Max("size"))
        .values_list("log__origin_id", "latest")
        .order_by()
    )
    return [
        BallotStatus(
            participation=p,
            log_index=p.log_index,  # type: ignore[attr-defined]  # annotated
            checkpoint_size=sizes.get(poll_log_name(p.poll_id)),
        )
        for p in rows
    ]


def my_ballot(user: User, ballot_id: str) -> Participation:
    """The person's own participation with this ballot id; NotFound for anyone else's, so that
    nobody learns whether another person's ballot id exists."""
    found = my_participations(user).filter(ballot_public_id=ballot_id).first()
    if found is None:
        raise NotFound(gettext("You have no ballot with this id."), code="ballot_not_found")
    return found


def receipt_bundle(participation: Participation) -> dict[str, Any]:
    """The receipt as a proof bundle in verify.py's "activecitizen-receipt/1" format: the signed
    promise always, and once the ballot is sealed its index, an inclusion proof and the latest
    checkpoint (with witnesses' cosignatures) the proof leads to; those four are null before."""
    # Imported here: services imports this module.
    from activecitizen.polls.services import Receipt

    receipt = Receipt.of(participation)
    bundle: dict[str, Any] = {
        "format": RECEIPT_FORMAT,
        "origin": receipt.origin,
        "ballot_id": receipt.ballot_id,
        "leaf_hash": receipt.leaf_hash,
        "promise": receipt.promise,
        "index": None,
        "tree_size": None,
        "inclusion_path": None,
        "checkpoint": None,
    }
    # The entry first, then the checkpoint: a checkpoint read after the entry is committed
    # covers it (a seal writes both in one transaction), and the checkpoint comes with its log
    # row from the same statement, so the proof's tree size is never beyond the log's size.
    index = (
        Entry.objects.filter(
            log__origin_id=poll_log_name(participation.poll_id), leaf_hash=receipt.leaf_hash
        )
        .values_list("index", flat=True)
        .first()
    )
    if index is None:
        return bundle
    checkpoint = (
        Checkpoint.objects.filter(log__origin_id=poll_log_name(participation.poll_id))
        .select_related("log")
        .order_by("-size")
        .first()
    )
    if checkpoint is None or index >= checkpoint.size:
        return bundle  # cannot happen (see above); a bundle without a proof is still true
    proof = inclusion_proof(checkpoint.log, tree_size=checkpoint.size, index=index)
    bundle.update(
        index=index,
        tree_size=checkpoint.size,
        inclusion_path=[h.hex() for h in proof.path],
        checkpoint=checkpoint_note(checkpoint),
    )
    return bundle


def results_checkpoint(poll: Poll) -> Checkpoint | None:
    """The signed checkpoint the poll's published counts equal: the tally folds ballots in the
    transaction that seals them, so it is the checkpoint of `ballots_counted` entries (the
    latest one, unless a seal committed after `poll` was read: then still the one these counts
    are of). None before the first seal."""
    if not poll.ballots_counted:
        return None
    return (
        Checkpoint.objects.filter(log__origin_id=poll_log_name(poll.pk), size=poll.ballots_counted)
        .select_related("log")
        .first()
    )
