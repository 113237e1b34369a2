"""A person's points for the mobile app (API.md: GET /me/points)."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from activecitizen.accounts.auth import signed_in
from activecitizen.core.api import Error
from activecitizen.rewards import selectors
from activecitizen.rewards.models import LedgerEntry, StatusLevel

router = Router(tags=["points"])

# Offsets beyond any real history are refused instead of overflowing the database's integers.
MAX_OFFSET = 10**9


class StatusOut(Schema):
    code: str = Field(..., examples=["active_citizen"])
    name: str = Field(..., description="In the language of the request.")
    min_points: int = Field(..., description="Lifetime points needed for this status.")


class EntryOut(Schema):
    id: int
    amount: int = Field(..., description="Positive when earned, negative when spent.")
    reason: str = Field(..., examples=["poll"])
    reason_label: str = Field(..., description="The reason in the language of the request.")
    reference: str = Field(..., description='What the points were for, e.g. "poll:12".')
    created_at: datetime


class PointsOut(Schema):
    balance: int = Field(..., description="Points that can be spent now.")
    lifetime: int = Field(..., description="Points earned in all; the status follows it.")
    status: StatusOut
    next_status: StatusOut | None = Field(..., description="null at the highest status.")
    entries: list[EntryOut] = Field(..., description="The history, newest first, one page.")
    count: int = Field(..., description="How many entries the whole history has.")


def _status(level: StatusLevel) -> dict:
    return {"code": level.code, "name": level.name, "min_points": level.min_lifetime_points}


def _entry(entry: LedgerEntry) -> dict:
    return {
        "id": entry.pk,
        "amount": entry.amount,
        "reason": entry.reason,
        "reason_label": str(entry.get_reason_display()),
        "reference": entry.reference,
        "created_at": entry.created_at,
    }


@router.get(
    "/me/points",
    auth=signed_in,
    response={200: PointsOut, 401: Error, 422: Error},
    summary="My points: balance, status and history",
)
def my_points(
    request: HttpRequest,
    limit: int = Query(20, ge=1, le=100, description="Entries per page"),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
):
    summary = selectors.points_summary(request.user.pk, limit=limit, offset=offset)
    return {
        "balance": summary.balance,
        "lifetime": summary.lifetime,
        "status": _status(summary.status),
        "next_status": _status(summary.next_status) if summary.next_status else None,
        "entries": [_entry(e) for e in summary.entries],
        "count": summary.count,
    }
