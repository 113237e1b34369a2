"""A person's inbox for the mobile app (GET /me/notifications, POST /me/notifications/read),
their notification settings (GET/PUT /me/notification-settings), push subscriptions and the key
a browser subscribes with (GET /push/key)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from activecitizen.accounts.auth import signed_in
from activecitizen.core.api import AUTH_ERRORS, COMMON_ERRORS, Error
from activecitizen.notifications import selectors, services, vapid

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


Group = Literal["polls", "decisions", "shop", "house", "nearby", "news"]
ChannelName = Literal["inapp", "email", "sms", "push"]
ModeName = Literal["off", "immediately", "digest"]


class SettingItem(Schema):
    group: Group
    channel: ChannelName
    mode: ModeName = Field(..., description="inapp: always immediately; digest: e-mail only.")


class SettingsOut(Schema):
    settings: list[SettingItem]


class SettingsIn(Schema):
    settings: list[SettingItem] = Field(..., max_length=50)


@router.get(
    "/me/notification-settings",
    auth=signed_in,
    response={200: SettingsOut, **AUTH_ERRORS, 422: Error},
    summary="How I get each group of notifications on each channel",
)
def my_settings(request: HttpRequest):
    return {"settings": _settings_of(request.user.pk)}


@router.put(
    "/me/notification-settings",
    auth=signed_in,
    response={200: SettingsOut, **AUTH_ERRORS, **COMMON_ERRORS},
    summary="Change some of my notification settings (the ones not listed stay)",
)
def change_settings(request: HttpRequest, payload: SettingsIn):
    services.set_preferences(
        user_id=request.user.pk,
        choices=[(s.group, s.channel, s.mode) for s in payload.settings],
    )
    return {"settings": _settings_of(request.user.pk)}


def _settings_of(user_id: int) -> list[dict]:
    return [
        {"group": group, "channel": channel, "mode": mode}
        for (group, channel), mode in selectors.preferences(user_id).items()
    ]


class PushKeys(Schema):
    p256dh: str = Field(..., min_length=1, max_length=200)
    auth: str = Field(..., min_length=1, max_length=100)


class PushSubscriptionIn(Schema):
    endpoint: str = Field(..., min_length=9, max_length=500, pattern=r"^https://\S+$")
    keys: PushKeys


class PushSubscriptionOut(Schema):
    id: int
    endpoint: str


class PushKeyOut(Schema):
    application_server_key: str | None = Field(
        ...,
        description=(
            "The site's VAPID public key (base64url, an uncompressed P-256 point): pass it as "
            "`applicationServerKey` to `PushManager.subscribe()`. null: this site sends no web "
            "push."
        ),
        examples=[
            "BAXWAlsGjXGXRt9uvxLKhmrFJ07tFDmhlyTFg0W3RPeZJbUuEnbvKxXzMGZJdN3OSJuY1sOKQb5_3GXtUWJh3jc"
        ],
    )


@router.post(
    "/me/push-subscriptions",
    auth=signed_in,
    response={201: PushSubscriptionOut, **AUTH_ERRORS, **COMMON_ERRORS},
    summary="Register this device for web push (the browser's PushSubscription JSON)",
)
def subscribe_push(request: HttpRequest, payload: PushSubscriptionIn):
    sub = services.subscribe_push(
        user_id=request.user.pk,
        endpoint=payload.endpoint,
        p256dh=payload.keys.p256dh,
        auth=payload.keys.auth,
    )
    return Status(201, {"id": sub.pk, "endpoint": sub.endpoint})


@router.get(
    "/push/key",
    response={200: PushKeyOut},
    summary="The key a browser subscribes to web push with (its applicationServerKey)",
)
def push_key(request: HttpRequest):
    # No sign-in: the key is public, and an app may subscribe before it signs anyone in.
    return {"application_server_key": vapid.application_server_key()}
