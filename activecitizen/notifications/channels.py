"""The ways a notification reaches a person, behind one small interface.

`Channel.send(user, rendered, url)` delivers one rendered notification and says whether it went
out (False: the person has no address on that channel). Channels are looked up by name from
settings.NOTIFICATIONS_CHANNELS, so a city can swap one (say, a different e-mail service)
without touching the callers. Preferences decide *whether* a channel is used; a channel only
knows *how*.

Web push: the push channel hands one `PushMessage` per subscription of the person to the
backend named by settings.NOTIFICATIONS_PUSH_BACKEND: `log` records what would be sent (dev,
tests); `webpush` (notifications/webpush.py) encrypts it for the browser and posts it to the
browser's push service, signed with the site's VAPID key. A backend raises
`PushSubscriptionGone` when the push service says the subscription no longer exists (the
channel then forgets it) and anything else for a failure (the channel logs it and goes on with
the person's other devices).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from activecitizen.accounts.models import User
from activecitizen.core.sms import send_sms
from activecitizen.notifications.kinds import Rendered

logger = logging.getLogger(__name__)

DEFAULT_CHANNELS = {
    "inapp": "activecitizen.notifications.channels.InAppChannel",
    "email": "activecitizen.notifications.channels.EmailChannel",
    "sms": "activecitizen.notifications.channels.SmsChannel",
    "push": "activecitizen.notifications.channels.PushChannel",
}
DEFAULT_PUSH_BACKENDS = {
    "log": "activecitizen.notifications.channels.LogPushBackend",
    "webpush": "activecitizen.notifications.webpush.WebPushBackend",
}


class Channel:
    name = ""

    def send(self, user: User, rendered: Rendered, url: str) -> bool:
        raise NotImplementedError


def absolute(url: str) -> str:
    # Inbox links are paths on the site; a message read outside it needs the whole address.
    if not url or url.startswith(("http://", "https://")):
        return url
    return settings.SITE_URL.rstrip("/") + url if getattr(settings, "SITE_URL", "") else url


class InAppChannel(Channel):
    """The inbox itself: the Notification row `notify()` and `fan_out()` write. It is always
    on and written before any other channel runs, so sending here has nothing left to do."""

    name = "inapp"

    def send(self, user: User, rendered: Rendered, url: str) -> bool:
        return True


class EmailChannel(Channel):
    name = "email"

    def send(self, user: User, rendered: Rendered, url: str) -> bool:
        if not user.email:
            return False
        body = "\n\n".join(part for part in (rendered.text, absolute(url)) if part)
        send_mail(rendered.title, body, None, [user.email])
        return True


class SmsChannel(Channel):
    name = "sms"

    def send(self, user: User, rendered: Rendered, url: str) -> bool:
        if not user.phone:
            return False
        # An SMS is paid per 70 Cyrillic characters: the title and the link, not the text.
        send_sms(phone=user.phone, text=" ".join(p for p in (rendered.title, absolute(url)) if p))
        return True


@dataclass(frozen=True)
class PushMessage:
    endpoint: str
    p256dh: str
    auth: str
    title: str
    text: str
    url: str


class PushDeliveryError(Exception):
    """The push service did not take the message (an outage, a refusal, no answer in time)."""


class PushSubscriptionGone(PushDeliveryError):
    """The push service says the subscription is gone (404, 410): the browser unsubscribed or
    the subscription expired; no message to it will ever be taken again."""


class PushBackend:
    def send(self, message: PushMessage) -> None:
        """Hand one message to the push service, or raise PushDeliveryError."""
        raise NotImplementedError


class LogPushBackend(PushBackend):
    """Records what would be sent: `sent` for tests, a log line for developers."""

    sent: list[PushMessage] = []
    _lock = threading.Lock()

    def send(self, message: PushMessage) -> None:
        with self._lock:
            self.sent.append(message)
        logger.info("push to %s: %s", message.endpoint[:60], message.title)


class PushChannel(Channel):
    name = "push"

    def send(self, user: User, rendered: Rendered, url: str) -> bool:
        subscriptions = list(user.push_subscriptions.all())
        if not subscriptions:
            return False
        backend = push_backend()
        delivered = False
        for sub in subscriptions:
            message = PushMessage(
                endpoint=sub.endpoint,
                p256dh=sub.p256dh,
                auth=sub.auth,
                title=rendered.title,
                text=rendered.text,
                # The message is opened outside the site (a phone's notification shade).
                url=absolute(url),
            )
            try:
                backend.send(message)
            except PushSubscriptionGone:
                # Imported here: services imports this module.
                from activecitizen.notifications import services

                services.forget_push_subscription(subscription_id=sub.pk)
                logger.info("push subscription %s is gone; forgotten", sub.pk)
            except Exception:
                # One device's push service failing must not keep the person's other devices
                # (nor, above, the other channels) from being told; the inbox has it anyway.
                logger.exception("push to subscription %s failed", sub.pk)
            else:
                delivered = True
        return delivered


def push_backend() -> PushBackend:
    name = getattr(settings, "NOTIFICATIONS_PUSH_BACKEND", "log")
    return import_string(DEFAULT_PUSH_BACKENDS.get(name, name))()


def channel_names() -> tuple[str, ...]:
    return tuple(_registry())


def get(name: str) -> Channel:
    return _registry()[name]


@cache
def _registry() -> dict[str, Channel]:
    paths = getattr(settings, "NOTIFICATIONS_CHANNELS", None) or DEFAULT_CHANNELS
    return {name: import_string(path)() for name, path in paths.items()}
