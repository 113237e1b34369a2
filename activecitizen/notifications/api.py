"""A person's inbox for the mobile app: GET /me/notifications, POST /me/notifications/read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from activecitizen.accounts.auth import signed_in
from activecitizen.core.api import AUTH_ERRORS, COMMON_ERRORS, Error
from activecitizen.notifications import selectors, services

router = Router(tags=["notifications"])
MAX_OFFSET = 10**9


class NotificationOut(Schema):
    id: int
    kind: str = Field(..., examples=["order_ready"])
    title: str = Field(..., description="In the language of the request.")
    text: str
    url: str = Field(..., description="The page it is about (a path on the site), or empty.")
    created_at: datetime
    read: bool


class NotificationList(Schema):
    count: int
    unread: int
    items: list[NotificationOut]


class ReadIn(Schema):
    ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] | None = Field(
        None, max_length=1000, description="The notifications to mark read; null marks all."
    )


class ReadOut(Schema):
    marked: int
    unread: int


@router.get(
    "/me/notifications",
    auth=signed_in,
    response={200: NotificationList, **AUTH_ERRORS, 422: Error},
    summary="My notifications, newest first",
)
def my_notifications(
    request: HttpRequest,
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
):
    mine = selectors.inbox(request.user.pk)
    return {
        "count": mine.count(),
        "unread": selectors.unread_count(request.user.pk),
        "items": [selectors.shown(n) for n in mine[offset : offset + limit]],
    }


@router.post(
    "/me/notifications/read",
    auth=signed_in,
    response={200: ReadOut, **AUTH_ERRORS, **COMMON_ERRORS},
    summary="Mark my notifications read (the given ids, or all)",
)
def read(request: HttpRequest, payload: ReadIn):
    marked = services.mark_read(user_id=request.user.pk, notification_ids=payload.ids)
    return {"marked": marked, "unread": selectors.unread_count(request.user.pk)}
