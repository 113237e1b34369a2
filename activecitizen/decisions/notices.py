"""What the decisions' notifications say, in the reader's language (registered in apps.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from activecitizen.decisions.models import Status
from activecitizen.notifications.kinds import Rendered


def decision_status(params: Mapping[str, Any]) -> Rendered:
    status = Status(params["status"])
    titles = {
        Status.IN_PROGRESS: _("Work has started on what you voted for"),
        Status.DONE: _("What you voted for is done"),
        Status.CANCELLED: _("A decision after your vote was cancelled"),
        Status.PLANNED: _("A decision was taken after your vote"),
    }
    return Rendered(
        title=titles[status],
        text=_("«%(decision)s» after the poll «%(poll)s»: %(status)s.")
        % {"decision": params["decision"], "poll": params["poll"], "status": status.label},
    )


def decision_nearby(params: Mapping[str, Any]) -> Rendered:
    return Rendered(
        title=_("New near your home: a city decision"),
        text=_("«%(decision)s», within 1 km of your home: %(status)s.")
        % {"decision": params["decision"], "status": Status(params["status"]).label},
    )
