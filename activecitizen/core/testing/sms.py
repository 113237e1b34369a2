"""Reading the SMS that the file backend wrote, so tests sign in the way a person does."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings


def _digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())


@dataclass
class SmsInbox:
    """The messages in one SMS file (settings.SMS_FILE unless another path is given)."""

    path: Path

    @classmethod
    def current(cls) -> SmsInbox:
        return cls(Path(settings.SMS_FILE))

    def messages(self) -> list[dict]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]

    def to(self, phone: str) -> list[dict]:
        """Messages sent to `phone`, written in any format (+7 999 …, 8 999 …, 7999…)."""
        wanted = _digits(phone)
        if len(wanted) == 11 and wanted.startswith("8"):
            wanted = "7" + wanted[1:]
        return [m for m in self.messages() if _digits(m["phone"]) == wanted]

    def last_code(self, phone: str, *, newer_than: int = 0, wait: float = 5.0) -> str:
        """The code of the latest message to `phone`.

        `newer_than` is how many messages to that phone were there before (see `count`): the
        code must come in a later one. Waits up to `wait` s for it to arrive.
        """
        deadline = time.monotonic() + wait
        while True:
            codes = [m["code"] for m in self.to(phone)[newer_than:] if m.get("code")]
            if codes:
                return codes[-1]
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"no new SMS code to {phone} in {self.path} "
                    f"({len(self.messages())} messages in all)"
                )
            time.sleep(0.05)

    def count(self, phone: str) -> int:
        return len(self.to(phone))


def last_sms_code(phone: str, *, wait: float = 5.0) -> str:
    """The last sign-in code sent to `phone` through the file backend (settings.SMS_FILE)."""
    return SmsInbox.current().last_code(phone, wait=wait)
