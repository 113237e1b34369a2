"""Votes for the mobile app (API.md: /polls, /polls/{id}, /polls/{id}/ballots, /me/ballots)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Header, Path, Query, Router, Schema
from ninja.responses import Status
from pydantic import BaseModel

from activecitizen.accounts.auth import TokenHash, signed_in, signed_in_deferred
from activecitizen.core.api import AUTH_ERRORS, COMMON_ERRORS, Error
from activecitizen.core.errors import PermissionDenied
from activecitizen.polls import results, selectors, services
from activecitizen.polls.models import Participation, Poll

router = Router(tags=["votes"])

# Beyond any real list, and small enough for every database's integers.
MAX_OFFSET = 1_000_000


class OptionOut(Schema):
    id: int
    text: str
    free_text: bool = Field(..., description="Choosing it asks for your own answer in `text`.")
    image: str | None


class QuestionOut(Schema):
    id: int
    kind: Literal["single", "multiple"]
    text: str
    required: bool
    min_choices: int
    max_choices: int
    options: list[OptionOut]


class PollSummary(Schema):
    id: int
    title: str
    category: str
    scope: str
    status: str
    opens_at: datetime
    closes_at: datetime
    points: int
    voted: bool
    can_vote: bool


class PollList(Schema):
    count: int
    items: list[PollSummary]


class PollOut(PollSummary):
    description: str
    image: str | None
    results_visibility: str
    why_not: list[str] = Field(..., description="Why you may not vote now; empty when you may.")
    questions: list[QuestionOut]


# The ballot's way in and out are plain pydantic models: ninja's Schema wraps every object it
# validates for attribute access (its DjangoGetter), which the ballot, a JSON body in and a
# dict out, does not need, and which cost a tenth of the request's Python (py-spy, BENCHMARKS).
class AnswerIn(BaseModel):
    question_id: int
    option_ids: list[int] = Field(default_factory=list, max_length=50)
    text: str | None = Field(None, max_length=5000)


class BallotIn(BaseModel):
    answers: list[AnswerIn] = Field(..., max_length=100)


class ReceiptOut(BaseModel):
    poll_id: int
    origin: str = Field(..., description="The poll's transparency log, which holds the ballot.")
    ballot_id: str = Field(..., description="The ballot's public id (128 random bits, hex).")
    ballot_hash: str = Field(..., description="SHA-256 of the ballot's canonical bytes (hex).")
    leaf_hash: str = Field(..., description="RFC 9162 leaf hash: SHA-256(0x00 ‖ bytes) (hex).")
    cast_at: datetime
    channel: str
    promise: str = Field(
        ...,
        description=(
            "The log's signed promise to include the ballot within max_merge_delay seconds: a "
            'C2SP signed note whose text is "activecitizen promise v1", the origin, the ballot '
            "id, the leaf hash, the Unix time and the delay, one a line."
        ),
    )
    max_merge_delay: int = Field(
        ..., description="Seconds within which the ballot will be in a signed checkpoint."
    )


class AlreadyVotedOut(Error):
    receipt: ReceiptOut


class ResultOptionOut(Schema):
    id: int
    text: str
    count: int
    percent: str = Field(
        ...,
        pattern=r"^\d{1,3}\.\d{2}$",
        description="Share of the question's respondents: two decimals, rounded half up.",
        examples=["42.50"],
    )


class ResultQuestionOut(Schema):
    id: int
    text: str
    kind: Literal["single", "multiple"]
    respondents: int = Field(..., description="People who answered this question.")
    options: list[ResultOptionOut]


class BreakdownRowOut(Schema):
    value: str = Field(..., description='An okrug or district id, an age band, … or "unknown".')
    label: str
    respondents: int | None = Field(..., description="null: hidden to protect privacy.")
    counts: list[int | None] = Field(..., description="One per option_ids; null: hidden.")


class BreakdownOut(Schema):
    question_id: int
    withheld: bool = Field(..., description="Too few voters to show this table at all.")
    option_ids: list[int]
    rows: list[BreakdownRowOut]


class CheckpointOut(Schema):
    size: int = Field(..., description="Entries (ballots) in the log at this checkpoint.")
    note: str = Field(..., description="The C2SP signed checkpoint, with witnesses' cosignatures.")


class PollResultsOut(Schema):
    poll_id: int
    total: int = Field(..., description="Ballots counted.")
    questions: list[ResultQuestionOut]
    breakdowns: dict[
        Literal["okrug", "district", "age_band", "gender", "channel"], list[BreakdownOut]
    ]
    smallest_shown: int = Field(..., description="Cells below this (and above 0) are hidden.")
    checkpoint: CheckpointOut | None = Field(
        None,
        description="The signed checkpoint of the log these counts are the tally of; null "
        "before the first ballot is counted.",
    )


class MyBallot(Schema):
    poll_id: int
    poll_title: str
    receipt: ReceiptOut
    status: Literal["waiting", "included"] = Field(
        ...,
        description="waiting: not yet sealed into the poll's log (and so not yet counted); "
        "included: in the log and in the results.",
    )
    log_index: int | None = Field(..., description="The ballot's index in the log, once sealed.")
    checkpoint_size: int | None = Field(
        ...,
        description="The size of the log's latest checkpoint (which includes the ballot once "
        "it is included).",
    )


class MyBallotList(Schema):
    count: int
    items: list[MyBallot]


class ReceiptBundleOut(Schema):
    """verify.py's "activecitizen-receipt/1": `python -m activecitizen.verify EXPORT --receipt`."""

    format: Literal["activecitizen-receipt/1"]
    origin: str
    ballot_id: str
    leaf_hash: str = Field(..., description="Hex.")
    promise: str = Field(..., description="The log's signed promise of inclusion.")
    index: int | None = Field(..., description="null until the ballot is sealed, as below.")
    tree_size: int | None
    inclusion_path: list[str] | None = Field(..., description="RFC 9162 inclusion proof (hex).")
    checkpoint: str | None = Field(
        ..., description="The signed checkpoint of tree_size, with cosignatures."
    )


def _image(field) -> str | None:
    return field.url if field else None


def _summary(entry: selectors.PollForPerson) -> dict:
    poll = entry.poll
    return {
        "id": poll.pk,
        "title": poll.title,
        "category": poll.category,
        "scope": poll.scope,
        "status": poll.status,
        "opens_at": poll.opens_at,
        "closes_at": poll.closes_at,
        "points": poll.points,
        "voted": entry.voted,
        "can_vote": entry.can_vote,
    }


def receipt_dict(receipt: services.Receipt) -> dict:
    return {
        "poll_id": receipt.poll_id,
        "ballot_id": receipt.ballot_id,
        "ballot_hash": receipt.ballot_hash,
        "leaf_hash": receipt.leaf_hash,
        "cast_at": receipt.cast_at,
        "channel": receipt.channel,
        "origin": receipt.origin,
        "promise": receipt.promise,
        "max_merge_delay": receipt.max_merge_delay,
    }


@router.get(
    "/polls",
    auth=signed_in,
    response={200: PollList, **AUTH_ERRORS, 422: Error},
    summary="Polls for me: open ones I may vote in, ones I voted in, or with results",
)
def list_polls(
    request: HttpRequest,
    state: Literal["open", "voted", "results"] = "open",
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
):
    found = selectors.polls_for(request.user, state=state)
    return {"count": len(found), "items": [_summary(e) for e in found[offset : offset + limit]]}


@router.get(
    "/polls/{poll_id}",
    auth=signed_in,
    response={200: PollOut, 404: Error, **AUTH_ERRORS, 422: Error},
    summary="A poll with its questions, and whether I may vote",
)
def poll_detail(request: HttpRequest, poll_id: int = Path(..., ge=1, le=2**31 - 1)):
    poll = get_object_or_404(selectors.visible_polls(), pk=poll_id)
    why_not = selectors.why_cannot_vote(poll, request.user)
    voted = Participation.objects.filter(poll=poll, user=request.user).exists()
    questions = [
        {
            "id": q.pk,
            "kind": q.kind,
            "text": q.text,
            "required": q.required,
            "min_choices": q.min_choices,
            "max_choices": q.max_choices,
            "options": [
                {"id": o.pk, "text": o.text, "free_text": o.free_text, "image": _image(o.image)}
                for o in q.options.all()
            ],
        }
        for q in poll.questions.prefetch_related("options")
    ]
    return {
        **_summary(
            selectors.PollForPerson(poll=poll, voted=voted, can_vote=not why_not, why_not=why_not)
        ),
        "description": poll.description,
        "image": _image(poll.image),
        "results_visibility": poll.results_visibility,
        "why_not": why_not,
        "questions": questions,
    }


@router.post(
    "/polls/{poll_id}/ballots",
    auth=signed_in_deferred,
    response={
        201: ReceiptOut,
        409: AlreadyVotedOut | Error,
        403: Error,
        404: Error,
        401: Error,
        429: Error,
        **COMMON_ERRORS,
    },
    summary="Cast my ballot (once; a retry with the same Idempotency-Key gets the same receipt)",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "example": {"answers": [{"question_id": 1, "option_ids": [2], "text": None}]}
                }
            }
        }
    },
)
def cast(
    request: HttpRequest,
    payload: BallotIn,
    poll_id: int = Path(..., ge=1, le=2**31 - 1),
    idempotency_key: str = Header(
        "", alias="Idempotency-Key", max_length=services.IDEMPOTENCY_KEY_MAX
    ),
):
    who: dict[str, Any] = (
        {"token_hash": request.auth.key_hash, "channel": "app"}
        if isinstance(request.auth, TokenHash)
        else {"user": request.user, "channel": "web"}
    )
    try:
        receipt = services.cast_ballot(
            poll_id=poll_id,
            **who,
            answers=[a.model_dump() for a in payload.answers],
            idempotency_key=idempotency_key,
        )
    except services.AlreadyVoted as already:
        if already.replay:
            return Status(201, receipt_dict(already.receipt))
        return Status(409, {**already.as_dict(), "receipt": receipt_dict(already.receipt)})
    return Status(201, receipt_dict(receipt))


@router.get(
    "/me/ballots",
    auth=signed_in,
    response={200: MyBallotList, **AUTH_ERRORS, 422: Error},
    summary="My receipts, newest first",
)
def my_ballots(
    request: HttpRequest,
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
):
    mine = selectors.my_participations(request.user)
    page = selectors.ballot_statuses(mine[offset : offset + limit])
    return {
        "count": mine.count(),
        "items": [
            {
                "poll_id": row.participation.poll_id,
                "poll_title": row.participation.poll.title,
                "receipt": receipt_dict(services.Receipt.of(row.participation)),
                "status": row.status,
                "log_index": row.log_index,
                "checkpoint_size": row.checkpoint_size,
            }
            for row in page
        ],
    }


@router.get(
    "/me/ballots/{ballot_id}/proof",
    auth=signed_in,
    response={200: ReceiptBundleOut, 404: Error, **AUTH_ERRORS, 422: Error},
    summary="My receipt as a proof bundle for the offline verifier",
)
def my_ballot_proof(
    request: HttpRequest,
    response: HttpResponse,
    ballot_id: str = Path(..., pattern=r"^[0-9a-f]{32}$"),
):
    bundle = selectors.receipt_bundle(selectors.my_ballot(request.user, ballot_id))
    response["Content-Disposition"] = f'attachment; filename="receipt-{ballot_id}.json"'
    return bundle


@router.get(
    "/polls/{poll_id}/results",
    auth=signed_in,
    response={200: PollResultsOut, 403: Error, 404: Error, **AUTH_ERRORS, 422: Error},
    summary="A poll's results: counts, percentages and breakdowns with small cells hidden",
)
def poll_results(request: HttpRequest, poll_id: int = Path(..., ge=1, le=2**31 - 1)):
    polls = Poll.objects.all() if results.is_editor(request.user) else selectors.visible_polls()
    poll = get_object_or_404(polls, pk=poll_id)
    if not results.results_visible(poll, request.user):
        raise PermissionDenied(
            _("This poll shows its results after voting closes."), code="results_not_public"
        )
    return results.results_as_dict(poll)
