"""The Votes section's notifications: "a new poll for you" and "results are published".

Both reach many people (a city-wide poll: millions), so they go through the notifications
fan-out, which walks the people below in batches by id.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from activecitizen.accounts.models import User
from activecitizen.notifications.kinds import Rendered
from activecitizen.notifications.services import fan_out
from activecitizen.polls.audience import Audience, audience_filter
from activecitizen.polls.models import Poll


def poll_new(params: Mapping[str, Any]) -> Rendered:
    return Rendered(title=_("A new poll for you"), text=_("«%(title)s»: have your say.") % params)


def poll_results(params: Mapping[str, Any]) -> Rendered:
    return Rendered(
        title=_("The results of a poll you took part in"),
        text=_("«%(title)s»: the results are published.") % params,
    )


def audience_of(poll_id: int, today: str) -> QuerySet[User]:
    """The people a poll is for, as on the day it opened (ages move at midnight)."""
    poll = Poll.objects.get(pk=poll_id)
    return User.objects.filter(audience_filter(Audience.of(poll), date.fromisoformat(today)))


def voters_of(poll_id: int) -> QuerySet[User]:
    return User.objects.filter(participations__poll_id=poll_id)


def announce_new_poll(poll_id: int) -> bool:
    """Tell a poll's audience it is open. A section's own poll (a building's survey) is
    announced by that section, in its own words, so it is skipped here."""
    poll = Poll.objects.filter(pk=poll_id).only("title", "audience_restriction").first()
    if poll is None or poll.audience_restriction:
        return False
    fan_out(
        kind="poll_new",
        params={"poll_id": poll.pk, "title": poll.title},
        url=reverse("polls:detail", args=[poll.pk]),
        key_prefix=f"poll:{poll.pk}:new",
        people=audience_of,
        people_args=[poll.pk, timezone.localdate().isoformat()],
    )
    return True


def announce_results(poll_id: int) -> None:
    """Tell a poll's voters its results are published."""
    poll = Poll.objects.only("title").get(pk=poll_id)
    fan_out(
        kind="poll_results",
        params={"poll_id": poll.pk, "title": poll.title},
        url=reverse("polls:detail", args=[poll.pk]),
        key_prefix=f"poll:{poll.pk}:results",
        people=voters_of,
        people_args=[poll.pk],
    )
