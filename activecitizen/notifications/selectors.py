"""Reads of a person's inbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from activecitizen.notifications import kinds
from activecitizen.notifications.models import Notification


def unread_count(user_id: int) -> int:
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()


def inbox(user_id: int) -> QuerySet[Notification]:
    return Notification.objects.filter(user_id=user_id).order_by("-created_at", "-id")


@dataclass(frozen=True)
class ShownNotification:
    id: int
    kind: str
    title: str
    text: str
    url: str
    created_at: datetime
    read: bool


def shown(notification: Notification) -> ShownNotification:
    """A notification as the person reads it, in the current language."""
    rendered = kinds.render(notification.kind, notification.params)
    return ShownNotification(
        id=notification.pk,
        kind=notification.kind,
        title=rendered.title,
        text=rendered.text,
        url=notification.url,
        created_at=notification.created_at,
        read=notification.read_at is not None,
    )
