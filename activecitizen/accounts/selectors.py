"""Reads about people that more than one section needs."""

from __future__ import annotations

from django.db.models import QuerySet

from activecitizen.accounts.models import User
from activecitizen.geo.distance import within


def living_near(lat: str, lon: str, metres: int) -> QuerySet[User]:
    """Active people whose home point lies within `metres` of (lat, lon).

    The arguments are strings and an int so the notifications fan-out can carry them through
    the broker as they are (`fan_out(people=living_near, people_args=[...])`).
    """
    return User.objects.filter(
        within("home_lat", "home_lon", float(lat), float(lon), metres), is_active=True
    )
