"""What the Electronic House's notifications say, in the reader's language (registered in
apps.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from activecitizen.notifications.kinds import Rendered


def _when(value: str) -> str:
    return formats.date_format(timezone.localtime(datetime.fromisoformat(value)), "DATETIME_FORMAT")


def meeting_notice(params: Mapping[str, Any]) -> Rendered:
    return Rendered(
        title=_("A meeting of owners at %(address)s") % {"address": params["address"]},
        text=_('"%(title)s": voting from %(starts)s to %(ends)s. Read the agenda.')
        % {
            "title": params["title"],
            "starts": _when(params["starts"]),
            "ends": _when(params["ends"]),
        },
    )


def meeting_started(params: Mapping[str, Any]) -> Rendered:
    return Rendered(
        title=_("Voting has started: %(title)s") % {"title": params["title"]},
        text=_("Owners at %(address)s vote until %(ends)s.")
        % {"address": params["address"], "ends": _when(params["ends"])},
    )


def meeting_result(params: Mapping[str, Any]) -> Rendered:
    return Rendered(
        title=_("The protocol of the meeting is published"),
        text=_('The results of "%(title)s" at %(address)s.')
        % {"title": params["title"], "address": params["address"]},
    )


def meeting_cancelled(params: Mapping[str, Any]) -> Rendered:
    return Rendered(
        title=_("A meeting of owners is cancelled"),
        text=_('"%(title)s" at %(address)s will not take place.')
        % {"title": params["title"], "address": params["address"]},
    )


def meeting_demanded(params: Mapping[str, Any]) -> Rendered:
    return Rendered(
        title=_("Owners demand a meeting at %(address)s") % {"address": params["address"]},
        text=_("Owners holding at least 10 %% of the votes asked for a meeting: %(agenda)s")
        % {"agenda": params["agenda"]},
    )


def building_announcement(params: Mapping[str, Any]) -> Rendered:
    return Rendered(
        title=params["title"],
        text=_("An announcement to everyone at %(address)s.") % {"address": params["address"]},
    )


def building_survey(params: Mapping[str, Any]) -> Rendered:
    return Rendered(
        title=_("A survey of your building: %(title)s") % {"title": params["title"]},
        text=_("The administrator of %(address)s asks the owners and residents.")
        % {"address": params["address"]},
    )
