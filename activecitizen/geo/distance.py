"""Distances on the Earth between WGS 84 points, in Python and as a database expression.

"Within 1 km of my home" is asked of a million homes at once, so the database answers it: a
latitude/longitude box that an index can use first, then the great-circle (haversine) distance
of what the box let through. The two must agree with `distance_m` here: tests check them
against each other.
"""

from __future__ import annotations

import math
from decimal import Decimal

from django.db.models import FloatField, Q, Value
from django.db.models.functions import Cast, Cos, Power, Radians, Sin
from django.db.models.lookups import LessThanOrEqual

# The mean Earth radius (IUGG); the sphere differs from the ellipsoid by under 0.5 % in
# distance, i.e. at most 5 m at 1 km.
EARTH_RADIUS_M = 6_371_008.8
# One degree of latitude, in metres, on that sphere.
METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two points, in metres (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = math.radians(lon2 - lon1) / 2
    h = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def box_around(lat: float, lon: float, metres: float) -> tuple[float, float, float, float]:
    """(south, north, west, east): a box holding every point within `metres` of (lat, lon).

    Wider than the circle, never narrower: the east–west half-width uses the cosine of the
    box's latitude nearest a pole, where a degree of longitude is shortest.
    """
    dlat = metres / METRES_PER_DEGREE
    south, north = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    widest = max(abs(south), abs(north))
    cos_edge = math.cos(math.radians(widest))
    if cos_edge < 1e-9:  # the box reaches a pole: every longitude is near
        return south, north, -180.0, 180.0
    dlon = metres / (METRES_PER_DEGREE * cos_edge)
    return south, north, lon - dlon, lon + dlon


def within(lat_field: str, lon_field: str, lat: float, lon: float, metres: float) -> Q:
    """A filter: the row's point (two fields) lies within `metres` of (lat, lon).

    Rows without a point are left out. Near the antimeridian the box is not split; a city
    platform has no homes there.
    """
    south, north, west, east = box_around(lat, lon, metres)
    box = Q(
        **{
            f"{lat_field}__gte": Decimal(repr(south)),
            f"{lat_field}__lte": Decimal(repr(north)),
            f"{lon_field}__gte": Decimal(repr(west)),
            f"{lon_field}__lte": Decimal(repr(east)),
        }
    )
    return box & Q(_haversine_within(lat_field, lon_field, lat, lon, metres))


def _haversine_within(
    lat_field: str, lon_field: str, lat: float, lon: float, metres: float
) -> LessThanOrEqual:
    """sin²(Δφ/2) + cos φ1·cos φ2·sin²(Δλ/2) ≤ sin²(d / 2R): the haversine compared without
    the arcsine, so neither database evaluates one per row."""
    # Decimal columns: PostgreSQL's trigonometry takes double precision.
    phi = Radians(Cast(lat_field, FloatField()))
    half_dphi = (phi - Value(math.radians(lat))) / Value(2.0)
    half_dlambda = (Radians(Cast(lon_field, FloatField())) - Value(math.radians(lon))) / Value(2.0)
    h = Power(Sin(half_dphi), 2) + Value(math.cos(math.radians(lat))) * Cos(phi) * Power(
        Sin(half_dlambda), 2
    )
    limit = math.sin(min(math.pi / 2, metres / (2 * EARTH_RADIUS_M))) ** 2
    return LessThanOrEqual(h, Value(limit))
