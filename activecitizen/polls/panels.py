"""Panels that other sections add to a poll's results page (for example, what the city did
after the vote) without polls knowing them: they register a function from their apps.py."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from activecitizen.polls.models import Poll

ResultsPanel = Callable[[Poll, HttpRequest], str]
_panels: list[ResultsPanel] = []


def register_results_panel(panel: ResultsPanel) -> None:
    """Add a panel; it returns HTML (a SafeString) or plain text, which is escaped, or ""."""
    if panel not in _panels:
        _panels.append(panel)


def results_panels(poll: Poll, request: HttpRequest) -> SafeString:
    return mark_safe("".join(str(conditional_escape(panel(poll, request))) for panel in _panels))  # noqa: S308
