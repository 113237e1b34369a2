"""Reads of the novelties section: lists (newest, best rated), a novelty's rating summary, and
a person's own ratings. Every figure comes from the totals kept on the novelty, never from a
scan of the ratings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from django.db.models import BigIntegerField, ExpressionWrapper, F, QuerySet, Value

from activecitizen.accounts.models import User
from activecitizen.novelties.models import STARS, Novelty, Rating

Sort = Literal["new", "best"]
SORTS: tuple[str, ...] = ("new", "best")

# "Best rated" orders by a Bayesian average: every novelty starts with PRIOR_COUNT imaginary
# ratings of PRIOR_STARS stars (the middle of the scale). A novelty with two five-star ratings
# then ranks below one with two hundred ratings averaging 4.8, instead of above it, and no
# novelty is hidden for having too few ratings. The displayed average is the plain one.
PRIOR_COUNT = 5
PRIOR_STARS = 3
# The score is computed in integers (×10⁶, integer division) so that SQLite and PostgreSQL
# order alike; a millionth of a star is far finer than any two real averages differ.
SCORE_SCALE = 1_000_000


def published() -> QuerySet[Novelty]:
    return Novelty.objects.filter(is_published=True)


def novelty_list(
    *, sort: str = "new", category: str | None = None, district_id: int | None = None
) -> QuerySet[Novelty]:
    """Published novelties, newest first or best rated first.

    `district_id` keeps the novelties of that district only (city-wide ones have none).
    """
    found = published().select_related("district")
    if category:
        found = found.filter(category=category)
    if district_id is not None:
        found = found.filter(district_id=district_id)
    if sort == "best":
        score = ExpressionWrapper(
            (F("stars_sum") + Value(PRIOR_COUNT * PRIOR_STARS))
            * Value(SCORE_SCALE)
            / (F("ratings_count") + Value(PRIOR_COUNT)),
            output_field=BigIntegerField(),
        )
        return found.annotate(score=score).order_by(
            "-score", "-ratings_count", "-created_at", "-id"
        )
    return found.order_by("-created_at", "-id")


def bayesian_score(*, stars_sum: int, count: int) -> int:
    """The "best rated" score as the database computes it (for tests and explanations)."""
    return (stars_sum + PRIOR_COUNT * PRIOR_STARS) * SCORE_SCALE // (count + PRIOR_COUNT)


def _half_up(numerator: int, denominator: int, places: int = 1) -> Decimal:
    """numerator / denominator rounded half-up to `places` decimals, in exact integers."""
    scale = 10**places
    # floor(x·scale + 1/2) for x ≥ 0, with no float or finite-precision division on the way.
    scaled = (2 * numerator * scale + denominator) // (2 * denominator)
    return Decimal(scaled).scaleb(-places)


def average_stars(*, stars_sum: int, count: int) -> Decimal | None:
    """The average rating rounded half-up to one decimal (4.25 → 4.3); None with no ratings."""
    if count <= 0:
        return None
    return _half_up(stars_sum, count)


@dataclass(frozen=True)
class StarShare:
    stars: int
    count: int
    percent: Decimal  # of all ratings, half-up to one decimal (they may not add up to 100.0)


@dataclass(frozen=True)
class RatingSummary:
    count: int
    average: Decimal | None
    distribution: list[StarShare]  # 5 stars first, as rating pages show it


def summary_of(novelty: Novelty) -> RatingSummary:
    count = novelty.ratings_count
    counts = novelty.star_counts()
    return RatingSummary(
        count=count,
        average=average_stars(stars_sum=novelty.stars_sum, count=count),
        distribution=[
            StarShare(
                stars=n,
                count=counts[n],
                percent=_half_up(100 * counts[n], count) if count else Decimal("0.0"),
            )
            for n in reversed(STARS)
        ],
    )


def novelty_detail(novelty_id: int) -> Novelty | None:
    """A published novelty with its district and photos; None when there is none to show."""
    return (
        published()
        .select_related("district")
        .prefetch_related("photos")
        .filter(pk=novelty_id)
        .first()
    )


def my_rating(*, novelty_id: int, user: User | None) -> Rating | None:
    if user is None or not user.is_authenticated:
        return None
    return Rating.objects.filter(novelty_id=novelty_id, user_id=user.pk).first()


def my_stars(*, user: User | None, novelty_ids: Iterable[int]) -> dict[int, int]:
    """{novelty id: stars} of the person's ratings among `novelty_ids` (one query a page)."""
    if user is None or not user.is_authenticated:
        return {}
    return dict(
        Rating.objects.filter(user_id=user.pk, novelty_id__in=list(novelty_ids)).values_list(
            "novelty_id", "stars"
        )
    )
