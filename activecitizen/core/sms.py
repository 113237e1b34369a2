"""SMS delivery behind one small interface, chosen by settings.SMS_BACKEND.

- console: prints the message (the embedded default; the dev sign-in code appears here);
- file: appends one JSON line per message to settings.SMS_FILE (dev and tests, API.md);
- http: posts JSON to an SMS gateway at settings.SMS_HTTP_URL with a bearer token;
- memory: keeps messages in `outbox` (unit tests).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str
    # The one-time code, when the message carries one: the file backend records it so that
    # tests and developers can read it without parsing the text.
    code: str | None = None


class SmsDeliveryError(Exception):
    pass


class SmsBackend:
    def send(self, message: SmsMessage) -> None:
        raise NotImplementedError


class ConsoleSmsBackend(SmsBackend):
    def send(self, message: SmsMessage) -> None:
        sys.stdout.write(f"[SMS to {message.phone}] {message.text}\n")
        sys.stdout.flush()


class FileSmsBackend(SmsBackend):
    _lock = threading.Lock()

    def send(self, message: SmsMessage) -> None:
        path = Path(settings.SMS_FILE)
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(asdict(message), ensure_ascii=False)
        with self._lock, path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")


class MemorySmsBackend(SmsBackend):
    outbox: list[SmsMessage] = []

    def send(self, message: SmsMessage) -> None:
        self.outbox.append(message)


class HttpSmsBackend(SmsBackend):
    """A generic JSON gateway: POST {"to", "text", "sender"} with `Authorization: Bearer`."""

    def send(self, message: SmsMessage) -> None:
        url = settings.SMS_HTTP_URL
        if not url.startswith(("https://", "http://")):
            raise SmsDeliveryError("SMS_HTTP_URL must be an http(s) URL")
        body = json.dumps(
            {"to": message.phone, "text": message.text, "sender": settings.SMS_HTTP_SENDER}
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {settings.SMS_HTTP_TOKEN}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.SMS_HTTP_TIMEOUT) as response:  # noqa: S310
                if response.status >= 300:
                    raise SmsDeliveryError(f"gateway answered {response.status}")
        except OSError as exc:
            raise SmsDeliveryError(str(exc)) from exc


def get_backend() -> SmsBackend:
    path = settings.SMS_BACKENDS.get(settings.SMS_BACKEND, settings.SMS_BACKEND)
    return import_string(path)()


def send_sms(*, phone: str, text: str, code: str | None = None) -> None:
    get_backend().send(SmsMessage(phone=phone, text=text, code=code))
