"""Every write of notifications: telling a person something once, marking it read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from activecitizen.notifications import kinds
from activecitizen.notifications.models import Notification


def notify(*, user_id: int, kind: str, params: Mapping[str, Any], url: str = "", key: str) -> bool:
    """Put a notification in the person's inbox unless the event `key` was told already.

    Returns whether it was new. Runs in its own savepoint, so a duplicate (a retried task) does
    not spoil the caller's transaction.
    """
    if not kinds.known(kind):
        raise ValueError(f"unknown notification kind {kind!r}")
    try:
        with transaction.atomic():
            Notification.objects.create(
                user_id=user_id, kind=kind, params=dict(params), url=url[:300], key=key[:200]
            )
    except IntegrityError:
        return False
    return True


def mark_read(*, user_id: int, notification_ids: list[int] | None = None) -> int:
    """Mark the person's notifications read (the given ones, or all); returns how many changed.

    Ids of other people's notifications are ignored, not refused: they change nothing.
    """
    unread = Notification.objects.filter(user_id=user_id, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())
