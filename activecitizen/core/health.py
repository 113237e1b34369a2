"""Checks /healthz runs beside the database's, registered by the apps that own them.

core is imported by every app and imports none of them (DESIGN.md's arrows), so an app that
wants /healthz to watch something registers a check from its AppConfig.ready().
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["ok", "degraded", "down"]


@dataclass(frozen=True)
class Health:
    """One check's verdict: "ok", "degraded" (working but behind its promise) or "down", and
    figures to report beside it (names must not clash with other checks')."""

    status: Status
    figures: dict[str, Any] = field(default_factory=dict)


HealthCheck = Callable[[], Health]

_checks: dict[str, HealthCheck] = {}


def register_health_check(name: str, check: HealthCheck) -> None:
    """Have /healthz run `check` (it may use the database; it runs only when that answers).
    Registering a name again replaces its check, so a reloaded app does not add a twin."""
    _checks[name] = check


def health_checks() -> dict[str, HealthCheck]:
    return dict(_checks)
