"""What the home page shows under "Open now": each section registers what it has open.

Sections sit above core, so core cannot ask them; instead each app's `ready()` registers a
function returning its open items, and the home page lists whatever is registered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.functional import Promise


@dataclass(frozen=True)
class OpenItem:
    section: str | Promise
    title: str
    url: str
    note: str | Promise = ""


OpenNowProvider = Callable[[HttpRequest], list[OpenItem]]
_providers: list[OpenNowProvider] = []


def register_open_now(provider: OpenNowProvider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def open_now(request: HttpRequest) -> list[OpenItem]:
    items: list[OpenItem] = []
    for provider in _providers:
        items.extend(provider(request))
    return items
