"""The `webpush` push backend: one notification to one browser through its push service, as
Web Push (RFC 8030) asks — the payload encrypted for that browser (RFC 8291, aes128gcm) and the
request signed with the site's VAPID key (RFC 8292). pywebpush does the protocol."""

from __future__ import annotations

import json
import logging
import threading

import requests
from django.conf import settings
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from activecitizen.notifications import vapid
from activecitizen.notifications.channels import (
    PushBackend,
    PushDeliveryError,
    PushMessage,
    PushSubscriptionGone,
)

logger = logging.getLogger(__name__)

# Push services must take an encrypted body of 4096 bytes (RFC 8291 §4); aes128gcm adds a
# 86-byte header (salt, record size, the sender's 65-byte key), a padding delimiter and a
# 16-byte tag, which leaves this much for the JSON.
MAX_PAYLOAD_BYTES = 4096 - 86 - 1 - 16
# 404 and 410: the subscription expired or the browser unsubscribed (RFC 8030 §7.3).
GONE = frozenset({404, 410})
ELLIPSIS = "…"

_local = threading.local()


class WebPushBackend(PushBackend):
    """Posts each message to the subscription's endpoint. Settings: WEBPUSH_VAPID_PRIVATE_KEY,
    WEBPUSH_VAPID_SUBJECT, WEBPUSH_TTL (seconds a push service keeps a message for a device
    that is offline), WEBPUSH_TIMEOUT (seconds to wait for the push service)."""

    def __init__(self) -> None:
        # Checked when the backend is made, so a missing or broken key is one clear error
        # before anything is sent rather than a failure per subscription. Not strict:
        # py-vapid's own check of the subject refuses https:// URLs with a path, which
        # RFC 8292 allows; configured_subject() has checked the scheme.
        self.signer = Vapid(private_key=vapid.configured_private_key(), conf={"no-strict": True})
        self.subject = vapid.configured_subject()
        self.ttl = int(getattr(settings, "WEBPUSH_TTL", 86400))
        self.timeout = float(getattr(settings, "WEBPUSH_TIMEOUT", 10))

    def send(self, message: PushMessage) -> None:
        try:
            webpush(
                subscription_info={
                    "endpoint": message.endpoint,
                    "keys": {"p256dh": message.p256dh, "auth": message.auth},
                },
                data=payload(message),  # type: ignore[arg-type]  # bytes are sent as they are
                vapid_private_key=self.signer,
                # A fresh dict each time: pywebpush writes "aud" (the endpoint's origin) and
                # "exp" (12 hours on) into it.
                vapid_claims={"sub": self.subject},
                content_encoding="aes128gcm",
                ttl=self.ttl,
                timeout=self.timeout,
                requests_session=_session(),
            )
        except WebPushException as exc:
            status = getattr(exc.response, "status_code", None)
            if status in GONE:
                raise PushSubscriptionGone(f"the push service answered {status}") from exc
            if status is None:  # refused before sending (a subscription without keys)
                raise PushDeliveryError(exc.message) from exc
            raise PushDeliveryError(f"the push service answered {status}: {exc.message}") from exc
        except (requests.RequestException, ValueError) as exc:
            # ValueError: keys that are not a P-256 point and a 16-byte secret.
            raise PushDeliveryError(f"{type(exc).__name__}: {exc}") from exc


def payload(message: PushMessage) -> bytes:
    """What the site's service worker receives: JSON {"title", "text", "url"}. A text too long
    for one push message is cut to fit, with an ellipsis (the inbox has it whole)."""
    fields = {"title": message.title, "text": message.text, "url": message.url}
    body = _json(fields)
    if len(body) <= MAX_PAYLOAD_BYTES:
        return body
    room = MAX_PAYLOAD_BYTES - len(_json({**fields, "text": ELLIPSIS}))
    end = 0
    for char in message.text:
        # What the character takes inside the JSON string: 1 to 4 bytes, 2 to 6 if escaped.
        room -= len(json.dumps(char, ensure_ascii=False).encode()) - 2
        if room < 0:
            break
        end += 1
    return _json({**fields, "text": message.text[:end] + ELLIPSIS})


def _json(fields: dict[str, str]) -> bytes:
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()


def _session() -> requests.Session:
    # One connection pool per thread: a fan-out batch posts to the same few push services
    # many times, and a TLS handshake per message would cost more than the message.
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    return session
