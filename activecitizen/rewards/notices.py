"""What the shop's notifications say, in the reader's language (registered in apps.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from activecitizen.notifications.kinds import Rendered


def order_ready(params: Mapping[str, Any]) -> Rendered:
    return Rendered(
        title=_("Your order is ready for pick-up"),
        text=_("%(reward)s is waiting for you: show the voucher's QR code at the issue point.")
        % {"reward": params["reward"]},
    )


def order_expiring(params: Mapping[str, Any]) -> Rendered:
    deadline = timezone.localtime(datetime.fromisoformat(params["valid_until"]))
    return Rendered(
        title=_("Pick up your order before it expires"),
        text=_("%(reward)s can be picked up until %(deadline)s; then the points come back.")
        % {
            "reward": params["reward"],
            "deadline": formats.date_format(deadline, "DATETIME_FORMAT"),
        },
    )


def order_cancelled(params: Mapping[str, Any]) -> Rendered:
    return Rendered(
        title=_("Your order was cancelled"),
        text=_("%(reward)s cannot be given: the order was cancelled and the points are back.")
        % {"reward": params["reward"]},
    )
