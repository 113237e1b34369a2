"""Owners' meetings for the mobile app (API.md: /house/meetings, a meeting with its agenda, an
owner's votes, the results). Thin: the services decide, the selectors read."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Header, Path, Query, Router, Schema
from ninja.responses import Status

from activecitizen.accounts.auth import signed_in
from activecitizen.core.api import AUTH_ERRORS, COMMON_ERRORS, Error
from activecitizen.core.errors import Conflict, InvalidInput
from activecitizen.house import counting, selectors, services
from activecitizen.house.models import AgendaItem, Meeting, MeetingBallot, RegisterEntry

router = Router(tags=["house"])

MAX_OFFSET = 1_000_000
MEETING_ID = Path(..., ge=1, le=2**31 - 1, description="The meeting's id.")
DecisionTypeName = Literal[
    "majority_of_participants", "majority_of_all", "two_thirds_of_all", "all_owners", "item_4_5"
]
M2 = r"^\d+\.\d{2}$"
PERCENT = r"^\d{1,3}\.\d{2}$"


# --- Schemas -----------------------------------------------------------------------------------


class BuildingOut(Schema):
    id: int
    address: str


class MeetingSummary(Schema):
    id: int
    number: int = Field(..., description="The meeting's (and its protocol's) number.")
    title: str
    building: BuildingOut
    form: Literal["electronic", "mixed"] = Field(
        ..., description="electronic: on the platform only; mixed: paper ballots too."
    )
    status: Literal["draft", "notice", "voting", "counting", "protocol", "cancelled"]
    status_label: str = Field(..., description="The status in the language of the request.")
    notice_published_at: datetime | None
    voting_starts_at: datetime
    voting_ends_at: datetime
    counted_at: datetime | None
    protocol_published_at: datetime | None


class MeetingList(Schema):
    count: int
    items: list[MeetingSummary]


class AgendaItemOut(Schema):
    id: int = Field(..., description="Name the item by this id when voting.")
    number: int = Field(..., description="The item's number on the agenda.")
    title: str = Field(..., description="The question.")
    proposal: str = Field(..., description="The decision proposed.")
    decision_type: DecisionTypeName | None = Field(
        ..., description="How the item is adopted; null until the notice is published."
    )
    decision_type_label: str | None
    entrance: int | None = Field(..., description="The entrance an item 4.5 decision is about.")


class DecisionOut(Schema):
    item_id: int
    number: int
    choice: Literal["for", "against", "abstain"]


class BallotOut(Schema):
    meeting_id: int
    id: str = Field(..., description="The ballot's public id (128 random bits, hex).")
    cast_at: datetime
    leaf_hash: str = Field(
        ..., description="RFC 9162 leaf hash of the ballot in the meeting's log (hex)."
    )
    channel: Literal["electronic", "paper"] = Field(
        ..., description="electronic: cast on the platform; paper: entered by the administrator."
    )
    decisions: list[DecisionOut]


class MeetingOut(MeetingSummary):
    place: str = Field(..., description="Where paper ballots are handed in (a mixed meeting).")
    initiator_name: str
    administrator_name: str = Field(..., description="Empty when the administrator gave none.")
    cancelled_reason: str
    items: list[AgendaItemOut]
    is_voter: bool = Field(
        ..., description="I am an owner in the register frozen when voting started."
    )
    can_vote: bool = Field(..., description="Voting is open, I am a voter and have not voted.")
    my_ballot: BallotOut | None = Field(..., description="The ballot that counts for my shares.")


class DecisionIn(Schema):
    item_id: int = Field(..., ge=1, le=2**31 - 1, description="An agenda item's id.")
    choice: Literal["for", "against", "abstain"]


class VoteIn(Schema):
    decisions: list[DecisionIn] = Field(
        ...,
        max_length=services.ITEMS_MAX,
        description="One decision for every item of the agenda.",
    )


class AlreadyVotedOut(Error):
    ballot: BallotOut


class ItemResultOut(Schema):
    id: int
    number: int
    title: str
    decision_type: DecisionTypeName
    base_area: str = Field(
        ...,
        pattern=M2,
        description="m² the percents are of: the votes taking part for "
        "majority_of_participants, all votes of the building otherwise.",
    )
    for_area: str = Field(..., pattern=M2, description="m², rounded to 0.01 for display.")
    against_area: str = Field(..., pattern=M2)
    abstain_area: str = Field(..., pattern=M2)
    for_percent: str = Field(..., pattern=PERCENT, description="Of base_area, two decimals.")
    against_percent: str = Field(..., pattern=PERCENT)
    abstain_percent: str = Field(..., pattern=PERCENT)
    adopted: bool = Field(..., description="Decided on exact fractions, not on the percents.")


class ResultsOut(Schema):
    meeting_id: int
    status: Literal["counting", "protocol"]
    counted_at: datetime | None
    total_area: str = Field(..., pattern=M2, description="All votes of the building, m².")
    participating_area: str = Field(..., pattern=M2, description="Votes taking part, m².")
    participating_percent: str = Field(..., pattern=PERCENT, description="Of total_area.")
    participating_owners: int
    owners_total: int
    quorum: bool = Field(..., description="More than 50 % of all votes took part.")
    items: list[ItemResultOut]


# --- Shapes ------------------------------------------------------------------------------------


def _summary(meeting: Meeting) -> dict:
    return {
        "id": meeting.pk,
        "number": meeting.number,
        "title": meeting.title,
        "building": {"id": meeting.building_id, "address": meeting.building.address},
        "form": meeting.form,
        "status": meeting.status,
        "status_label": str(meeting.get_status_display()),
        "notice_published_at": meeting.notice_published_at,
        "voting_starts_at": meeting.voting_starts_at,
        "voting_ends_at": meeting.voting_ends_at,
        "counted_at": meeting.counted_at,
        "protocol_published_at": meeting.protocol_published_at,
    }


def ballot_dict(ballot: MeetingBallot, items: list[AgendaItem]) -> dict:
    by_number = {item.number: item for item in items}
    return {
        "meeting_id": ballot.meeting_id,
        "id": ballot.public_id,
        "cast_at": ballot.cast_at,
        "leaf_hash": ballot.leaf_hash,
        "channel": ballot.channel,
        "decisions": [
            {"item_id": by_number[int(n)].pk, "number": int(n), "choice": choice}
            for n, choice in sorted(ballot.decisions.items(), key=lambda d: int(d[0]))
            if int(n) in by_number
        ],
    }


def _visible(request: HttpRequest, meeting_id: int) -> Meeting:
    """404 for a meeting the person may not see, as for one that does not exist."""
    return get_object_or_404(
        selectors.meetings_visible_to(request.user).select_related("administrator"),
        pk=meeting_id,
    )


# --- Endpoints ---------------------------------------------------------------------------------


@router.get(
    "/house/meetings",
    auth=signed_in,
    response={200: MeetingList, **AUTH_ERRORS, 422: Error},
    summary="Meetings of my buildings: where I own premises, or that I administer",
)
def list_meetings(
    request: HttpRequest,
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
):
    meetings = selectors.meetings_visible_to(request.user).order_by("-voting_starts_at", "-id")
    return {
        "count": meetings.count(),
        "items": [_summary(m) for m in meetings[offset : offset + limit]],
    }


@router.get(
    "/house/meetings/{meeting_id}",
    auth=signed_in,
    response={200: MeetingOut, 404: Error, **AUTH_ERRORS, 422: Error},
    summary="A meeting with its agenda, and whether and how I voted",
)
def meeting_detail(request: HttpRequest, meeting_id: int = MEETING_ID):
    meeting = _visible(request, meeting_id)
    items = list(meeting.items.all())
    is_voter = RegisterEntry.objects.filter(meeting=meeting, owner=request.user).exists()
    ballot = selectors.ballot_of(meeting, request.user)
    now = timezone.now()
    voting_open = (
        meeting.status == Meeting.Status.VOTING
        and meeting.voting_starts_at <= now < meeting.voting_ends_at
    )
    return {
        **_summary(meeting),
        "place": meeting.place,
        "initiator_name": meeting.initiator_name,
        "administrator_name": meeting.administrator.full_name,
        "cancelled_reason": meeting.cancelled_reason,
        "items": [
            {
                "id": item.pk,
                "number": item.number,
                "title": item.title,
                "proposal": item.proposal,
                "decision_type": item.decision_type or None,
                "decision_type_label": (
                    str(item.get_decision_type_display()) if item.decision_type else None
                ),
                "entrance": item.entrance,
            }
            for item in items
        ],
        "is_voter": is_voter,
        "can_vote": voting_open and is_voter and ballot is None,
        "my_ballot": ballot_dict(ballot, items) if ballot else None,
    }


@router.post(
    "/house/meetings/{meeting_id}/votes",
    auth=signed_in,
    response={
        201: BallotOut,
        409: AlreadyVotedOut | Error,
        403: Error,
        404: Error,
        401: Error,
        **COMMON_ERRORS,
    },
    summary="Cast my decisions on the agenda (once; a retry with the same Idempotency-Key "
    "gets the same ballot)",
    description=(
        "One decision for every agenda item, naming items by id. 403 `not_an_owner`: I am not "
        "in the meeting's register; 409 `voting_closed`: voting is not open; 409 "
        "`already_voted` carries the ballot that stands; 422 `field: decisions`: an item "
        "missing, unknown or named twice."
    ),
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "example": {
                        "decisions": [
                            {"item_id": 1, "choice": "for"},
                            {"item_id": 2, "choice": "against"},
                        ]
                    }
                }
            }
        }
    },
)
def cast_vote(
    request: HttpRequest,
    payload: VoteIn,
    meeting_id: int = MEETING_ID,
    idempotency_key: str = Header(
        "",
        alias="Idempotency-Key",
        max_length=services.IDEMPOTENCY_KEY_MAX,
        description="A key of the client's choosing: a retry with it returns the same ballot.",
    ),
):
    meeting = _visible(request, meeting_id)
    items = list(meeting.items.all())
    numbers = {item.pk: item.number for item in items}
    decisions: dict[int, str] = {}
    for decision in payload.decisions:
        if decision.item_id not in numbers:
            raise InvalidInput(
                _("The agenda has no item with the id %(id)s.") % {"id": decision.item_id},
                code="unknown_item",
                field="decisions",
            )
        number = numbers[decision.item_id]
        if number in decisions:
            raise InvalidInput(
                _("Item %(n)s is decided twice.") % {"n": number},
                code="duplicate_item",
                field="decisions",
            )
        decisions[number] = decision.choice
    try:
        ballot = services.cast_meeting_vote(
            meeting=meeting,
            user=request.user,
            decisions=decisions,
            idempotency_key=idempotency_key,
        )
    except services.AlreadyVoted as already:
        if already.replay:
            return Status(201, ballot_dict(already.ballot, items))
        return Status(409, {**already.as_dict(), "ballot": ballot_dict(already.ballot, items)})
    return Status(201, ballot_dict(ballot, items))


@router.get(
    "/house/meetings/{meeting_id}/results",
    auth=signed_in,
    response={200: ResultsOut, 404: Error, 409: Error, **AUTH_ERRORS, 422: Error},
    summary="The count: quorum and every item's outcome (once voting has ended)",
    description="409 `not_counted`: voting has not ended yet.",
)
def meeting_results(request: HttpRequest, meeting_id: int = MEETING_ID):
    meeting = _visible(request, meeting_id)
    count = (
        selectors.count_of(meeting)
        if meeting.status in (Meeting.Status.COUNTING, Meeting.Status.PROTOCOL)
        else None
    )
    if count is None:
        raise Conflict(
            _("The meeting's results are shown once voting has ended."), code="not_counted"
        )
    items = {item.number: item for item in meeting.items.all()}
    return {
        "meeting_id": meeting.pk,
        "status": meeting.status,
        "counted_at": meeting.counted_at,
        "total_area": str(counting.area_m2(count.total_area)),
        "participating_area": str(counting.area_m2(count.participating_area)),
        "participating_percent": str(count.participating_percent),
        "participating_owners": count.participating_owners,
        "owners_total": count.owners_total,
        "quorum": count.quorum,
        "items": [
            {
                "id": items[c.number].pk,
                "number": c.number,
                "title": items[c.number].title,
                "decision_type": c.decision_type,
                "base_area": str(counting.area_m2(c.base_area)),
                "for_area": str(counting.area_m2(c.for_area)),
                "against_area": str(counting.area_m2(c.against_area)),
                "abstain_area": str(counting.area_m2(c.abstain_area)),
                "for_percent": str(c.for_percent),
                "against_percent": str(c.against_percent),
                "abstain_percent": str(c.abstain_percent),
                "adopted": c.adopted,
            }
            for c in count.items
        ],
    }
