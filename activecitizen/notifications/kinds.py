"""What each kind of notification says, registered by the sections that raise them.

A section registers a kind once (from its AppConfig.ready()) with a function that turns the
stored parameters into a title and a text in the current language.
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


def register(kind: str, renderer: Renderer) -> None:
    _KINDS[kind] = renderer


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
