"""The "What the city did" panel on a poll's results page (registered with polls in apps.py)."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string

from activecitizen.decisions import selectors
from activecitizen.decisions.models import Status
from activecitizen.decisions.views import STATUS_COLOURS
from activecitizen.polls.models import Poll


def what_the_city_did(poll: Poll, request: HttpRequest) -> str:
    decisions = selectors.decisions_of_poll(poll.pk)
    if not decisions:
        return ""
    for decision in decisions:
        decision.progress = selectors.progress(decision)  # type: ignore[attr-defined]
        decision.status_colour = STATUS_COLOURS[Status(decision.status)]  # type: ignore[attr-defined]
    return render_to_string("decisions/_poll_panel.html", {"decisions": decisions}, request=request)
