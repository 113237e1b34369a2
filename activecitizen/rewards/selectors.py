"""Reads of points: a person's balance, status and history, and the status levels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import QuerySet

from activecitizen.rewards.models import LedgerEntry, PointsAccount, StatusLevel

# Shown when staff have deleted every level: everybody starts somewhere.
FALLBACK_LEVEL = StatusLevel(
    code="newcomer", name_ru="Новичок", name_en="Newcomer", min_lifetime_points=0
)


def status_levels() -> list[StatusLevel]:
    """Every level, lowest threshold first."""
    return list(StatusLevel.objects.order_by("min_lifetime_points"))


def status_for(lifetime: int, levels: Sequence[StatusLevel] | None = None) -> StatusLevel:
    """The highest level whose threshold `lifetime` points reach.

    Below the lowest threshold (staff may have raised it above 0) the lowest level is shown:
    a status names where a person is on the ladder, and everybody is on it.
    """
    ladder = status_levels() if levels is None else sorted(levels, key=_threshold)
    if not ladder:
        return FALLBACK_LEVEL
    reached = [level for level in ladder if level.min_lifetime_points <= lifetime]
    return reached[-1] if reached else ladder[0]


def next_level(lifetime: int, levels: Sequence[StatusLevel] | None = None) -> StatusLevel | None:
    """The level after the one `lifetime` points give, or None at the top."""
    ladder = status_levels() if levels is None else sorted(levels, key=_threshold)
    floor = max(lifetime, status_for(lifetime, ladder).min_lifetime_points)
    return next((level for level in ladder if level.min_lifetime_points > floor), None)


def _threshold(level: StatusLevel) -> int:
    return level.min_lifetime_points


def ledger_entries(user_id: int) -> QuerySet[LedgerEntry]:
    """A person's history, newest first (served by the (account, -created_at) index)."""
    return LedgerEntry.objects.filter(account_id=user_id).order_by("-created_at", "-id")


@dataclass(frozen=True)
class PointsSummary:
    balance: int
    lifetime: int
    status: StatusLevel
    next_status: StatusLevel | None
    points_to_next: int | None  # lifetime points still to earn; None at the top level
    entries: list[LedgerEntry]  # the requested page of the history, newest first
    count: int  # all entries

    @property
    def progress_percent(self) -> int:
        """How far from this status to the next one, 0–100 (100 at the top)."""
        if self.next_status is None:
            return 100
        start = min(self.status.min_lifetime_points, self.lifetime)
        span = self.next_status.min_lifetime_points - start
        if span <= 0:
            return 100
        return max(0, min(100, (self.lifetime - start) * 100 // span))


def points_summary(user_id: int, *, limit: int = 50, offset: int = 0) -> PointsSummary:
    """Balance, lifetime points, status and one page of the history; zeros without an account."""
    account = PointsAccount.objects.filter(pk=user_id).values("balance", "lifetime").first()
    balance, lifetime = (account["balance"], account["lifetime"]) if account else (0, 0)
    levels = status_levels()
    status = status_for(lifetime, levels)
    upcoming = next_level(lifetime, levels)
    history = ledger_entries(user_id)
    entries = list(history[offset : offset + limit]) if account and limit > 0 else []
    return PointsSummary(
        balance=balance,
        lifetime=lifetime,
        status=status,
        next_status=upcoming,
        points_to_next=upcoming.min_lifetime_points - lifetime if upcoming else None,
        entries=entries,
        count=history.count() if account else 0,
    )
