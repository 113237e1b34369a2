"""What the notifications of public discussions say, in the reader's language (registered in
apps.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from activecitizen.notifications.kinds import Rendered


def proposal_published(params: Mapping[str, Any]) -> Rendered:
    return Rendered(
        title=_("Your proposal is published"),
        text=_(
            'Your proposal on "%(project)s" is published and goes into the protocol. '
            "+%(points)s points."
        )
        % {"project": params["project"], "points": params["points"]},
    )


def proposal_rejected(params: Mapping[str, Any]) -> Rendered:
    return Rendered(
        title=_("Your proposal was not published"),
        text=_('Your proposal on "%(project)s" was rejected: %(reason)s')
        % {"project": params["project"], "reason": params["reason"]},
    )


def project_nearby(params: Mapping[str, Any]) -> Rendered:
    return Rendered(
        title=_("New near your home: a public discussion"),
        text=_(
            'The planning project "%(project)s", within 1 km of your home, is put to public '
            "discussion. Have a look and make a proposal."
        )
        % {"project": params["project"]},
    )
