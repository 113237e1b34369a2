"""Reads of a person's inbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from activecitizen.notifications import kinds
from activecitizen.notifications.models import (
    Channel,
    Mode,
    Notification,
    NotificationPreference,
)


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


# What a person gets when they never chose: the inbox always; e-mail once a day rather than a
# flood; no SMS (paid, and intrusive); push at once (they asked for it by subscribing).
DEFAULTS: dict[str, str] = {
    Channel.INAPP: Mode.IMMEDIATELY,
    Channel.EMAIL: Mode.DIGEST,
    Channel.SMS: Mode.OFF,
    Channel.PUSH: Mode.IMMEDIATELY,
}
# The modes each channel may take: the inbox cannot be turned off (it is the record), and only
# e-mail collects a digest.
ALLOWED_MODES: dict[str, tuple[str, ...]] = {
    Channel.INAPP: (Mode.IMMEDIATELY,),
    Channel.EMAIL: (Mode.OFF, Mode.IMMEDIATELY, Mode.DIGEST),
    Channel.SMS: (Mode.OFF, Mode.IMMEDIATELY),
    Channel.PUSH: (Mode.OFF, Mode.IMMEDIATELY),
}


def preferences(user_id: int) -> dict[tuple[str, str], str]:
    """Every (group, channel) → mode for the person, defaults filled in."""
    chosen = {
        (p.kind_group, p.channel): p.mode
        for p in NotificationPreference.objects.filter(user_id=user_id)
    }
    return {
        (group, channel): chosen.get((group, channel), DEFAULTS[channel])
        for group in kinds.GROUPS
        for channel in DEFAULTS
    }


def chosen_for_range(low: int, high: int, group: str) -> dict[int, dict[str, str]]:
    """The non-default choices for one group of the people with ids low…high:
    {user_id: {channel: mode}}."""
    chosen: dict[int, dict[str, str]] = {}
    rows = NotificationPreference.objects.filter(
        user_id__gte=low, user_id__lte=high, kind_group=group
    )
    for user_id, channel, mode in rows.values_list("user_id", "channel", "mode"):
        chosen.setdefault(user_id, {})[channel] = mode
    return chosen
