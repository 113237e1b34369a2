"""Reads of decisions: the published list with its filters, a decision's page, the decisions of
a poll, and each decision's progress, computed exactly from its steps."""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction

from django.db.models import Prefetch, Q, QuerySet

from activecitizen.decisions.models import Decision, DecisionStep, DecisionUpdate, Status

YEAR_MIN = 2000
YEAR_MAX = 2100


def weighted_percent(steps: Iterable[tuple[int, int]]) -> Fraction:
    """Σ weight·percent / Σ weight over (weight, percent) pairs, exactly; 0 without steps."""
    total_weight = 0
    total = 0
    for weight, percent in steps:
        total_weight += weight
        total += weight * percent
    return Fraction(total, total_weight) if total_weight else Fraction(0)


def round_half_up(value: Fraction) -> int:
    # Python's round() rounds halves to even (62.5 → 62); people expect 63.
    return math.floor(value + Fraction(1, 2))


def progress(decision: Decision) -> int:
    """The decision's progress in whole percent: 100 once done, else its steps' weighted mean.

    Reads `decision.steps.all()`, so prefetch the steps when showing many decisions.
    """
    if decision.status == Status.DONE:
        return 100
    return round_half_up(weighted_percent((s.weight, s.percent) for s in decision.steps.all()))


def published() -> QuerySet[Decision]:
    return Decision.objects.filter(is_published=True)


def decision_list(
    *,
    status: str | None = None,
    category: str | None = None,
    district_id: int | None = None,
    year: int | None = None,
) -> QuerySet[Decision]:
    """Published decisions, newest first, with their steps for the progress. `year` is the year
    of the planned finish or of the day it was done. Callers validate the values."""
    decisions = published()
    if status:
        decisions = decisions.filter(status=status)
    if category:
        decisions = decisions.filter(category=category)
    if district_id:
        decisions = decisions.filter(districts=district_id)
    if year:
        decisions = decisions.filter(Q(planned_finish__year=year) | Q(done_on__year=year))
    return (
        decisions.prefetch_related(
            Prefetch(
                "steps", queryset=DecisionStep.objects.only("decision_id", "weight", "percent")
            ),
            "districts",
        )
        .distinct()
        .order_by("-created_at", "-pk")
    )


def decision_page(decision_id: int) -> Decision | None:
    """A published decision with its sources, districts, steps and updates; None otherwise."""
    return (
        published()
        .filter(pk=decision_id)
        .select_related("poll", "project", "novelty")
        .prefetch_related(
            "districts",
            "steps",
            Prefetch("updates", queryset=DecisionUpdate.objects.order_by("-created_at", "-pk")),
        )
        .first()
    )


def decisions_of_poll(poll_id: int) -> list[Decision]:
    return list(
        published().filter(poll_id=poll_id).prefetch_related("steps").order_by("created_at", "pk")
    )
