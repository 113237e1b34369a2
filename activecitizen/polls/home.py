"""What the Votes section shows on the home page under "Open now"."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from activecitizen.core.home import OpenItem
from activecitizen.polls import selectors
from activecitizen.polls.models import Poll

HOME_LIMIT = 5


def open_polls_for_home(request: HttpRequest) -> list[OpenItem]:
    """Signed in: the open polls this person may vote in. Otherwise: open city-wide polls."""
    if request.user.is_authenticated:
        polls = [e.poll for e in selectors.polls_for(request.user, state="open") if not e.voted]
    else:
        polls = list(
            selectors.visible_polls()
            .filter(status=Poll.Status.OPEN, scope=Poll.Scope.CITY)
            .order_by("closes_at")
        )
    return [
        OpenItem(
            section=gettext_lazy("Votes"),
            title=poll.title,
            url=reverse("polls:detail", args=[poll.pk]),
            note=_("until %(date)s")
            % {"date": formats.date_format(timezone.localtime(poll.closes_at), "j E")},
        )
        for poll in polls[:HOME_LIMIT]
    ]
