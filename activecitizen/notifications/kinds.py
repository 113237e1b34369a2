"""What each kind of notification says, registered by the sections that raise them.

A section registers a kind once (from its AppConfig.ready()) with a function that turns the
stored parameters into a title and a text in the current language, and the group a person's
preferences address it by ("polls", "decisions", "shop", "house", "nearby", "news").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Rendered:
    title: str
    text: str


Renderer = Callable[[Mapping[str, Any]], Rendered]
_KINDS: dict[str, Renderer] = {}
_GROUPS: dict[str, str] = {}

# The groups a person sets preferences for, in the order the settings page lists them.
GROUPS = ("polls", "decisions", "shop", "house", "nearby", "news")
# Sections registered before groups existed pass none: their kinds' prefixes say the group, so
# those registrations keep working unchanged. Anything else falls into "news".
_GROUP_BY_PREFIX = (
    ("poll_", "polls"),
    ("decision_", "decisions"),
    ("proposal_", "decisions"),
    ("order_", "shop"),
    ("meeting_", "house"),
    ("building_", "house"),
)


def register(kind: str, renderer: Renderer, *, group: str | None = None) -> None:
    if group is None:
        group = next((g for prefix, g in _GROUP_BY_PREFIX if kind.startswith(prefix)), "news")
    if group not in GROUPS:
        raise ValueError(f"unknown notification group {group!r}")
    _KINDS[kind] = renderer
    _GROUPS[kind] = group


def group_of(kind: str) -> str:
    return _GROUPS.get(kind, "news")


def known(kind: str) -> bool:
    return kind in _KINDS


def render(kind: str, params: Mapping[str, Any]) -> Rendered:
    renderer = _KINDS.get(kind)
    if renderer is None:
        # A kind whose section was removed: the inbox still lists it rather than failing.
        return Rendered(title=_("Notification"), text="")
    try:
        return renderer(params)
    except (KeyError, TypeError, ValueError):
        return Rendered(title=_("Notification"), text="")
