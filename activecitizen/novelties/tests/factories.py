"""Novelties and residents for tests: a line makes a realistic one."""

from __future__ import annotations

from datetime import date

from activecitizen.accounts.models import User
from activecitizen.geo.models import District
from activecitizen.novelties.models import Novelty


def make_novelty(
    title: str = "Умные остановки с табло и подогревом",
    *,
    category: str = Novelty.Category.TRANSPORT,
    district: District | None = None,
    is_published: bool = True,
    **fields,
) -> Novelty:
    return Novelty.objects.create(
        title=title,
        description="Остановки с электронным табло прибытия и подогревом скамеек.",
        category=category,
        district=district,
        launched_on=fields.pop("launched_on", date(2025, 6, 15)),
        is_published=is_published,
        **fields,
    )


def make_resident(phone: str = "+79161234567", **fields) -> User:
    return User.objects.create_user(
        phone,
        first_name=fields.pop("first_name", "Вера"),
        home_district=District.objects.order_by("pk").first(),
        **fields,
    )


def recount(novelty: Novelty) -> dict[str, int]:
    """The totals as a full scan of the ratings gives them."""
    stars = list(novelty.ratings.values_list("stars", flat=True))
    return {
        "ratings_count": len(stars),
        "stars_sum": sum(stars),
        **{f"stars_{n}": stars.count(n) for n in range(1, 6)},
    }


def kept(novelty: Novelty) -> dict[str, int]:
    """The totals kept on the novelty."""
    novelty.refresh_from_db()
    return {
        "ratings_count": novelty.ratings_count,
        "stars_sum": novelty.stars_sum,
        **{f"stars_{n}": getattr(novelty, f"stars_{n}") for n in range(1, 6)},
    }
