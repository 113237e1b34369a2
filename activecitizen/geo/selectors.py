"""Reads of the city's structure that pages, the API and other apps share."""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Prefetch, QuerySet

from activecitizen.geo import geometry
from activecitizen.geo.models import District, Okrug

logger = logging.getLogger(__name__)


def okrugs_with_districts() -> QuerySet[Okrug]:
    # Boundaries are large (1.5 MB for Moscow) and only maps and district_at need them.
    return (
        Okrug.objects.order_by("name_ru")
        .defer("boundary")
        .prefetch_related(
            Prefetch("districts", queryset=District.objects.order_by("name_ru").defer("boundary"))
        )
    )


def district_with_okrug(*, district_id: int) -> District | None:
    return District.objects.select_related("okrug").filter(pk=district_id).first()


# --- which district is this point in -------------------------------------------------------------

# Another process (`manage.py load_city`, another web worker) says "boundaries changed" by
# changing this token in the shared cache; the TTL bounds staleness when the cache is per-process.
BOUNDARIES_VERSION_KEY = "geo:boundaries:version"
BOUNDARIES_TTL_SECONDS = 300


@dataclass(frozen=True)
class _Shape:
    district_id: int
    box: geometry.BBox
    polygons: list[list[list[geometry.Position]]]


@dataclass(frozen=True)
class _Boundaries:
    token: str | None
    built_at: float
    shapes: tuple[_Shape, ...]


_boundaries: _Boundaries | None = None
_boundaries_lock = threading.Lock()


def _boundaries_token() -> str | None:
    try:
        token = cache.get(BOUNDARIES_VERSION_KEY)
        if token is None:
            # A cleared cache must not match a token seen before it was cleared.
            cache.add(BOUNDARIES_VERSION_KEY, uuid.uuid4().hex, timeout=None)
            token = cache.get(BOUNDARIES_VERSION_KEY)
        return token
    except Exception:  # the cache being down must not stop placing points; the TTL still holds
        logger.warning("cache unavailable: district boundaries rely on their TTL", exc_info=True)
        return None


def _load_boundaries(token: str | None) -> _Boundaries:
    shapes = []
    rows = (
        District.objects.filter(boundary__isnull=False)
        .order_by("code")
        .values_list("pk", "boundary")
    )
    for pk, boundary in rows:
        try:
            polygons = geometry.polygons_of(boundary)
            box = geometry.bbox(polygons)
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            # Only load_city writes boundaries and it checks them; this is a hand-made one.
            logger.warning("district %s has a boundary that is not a polygon; skipped", pk)
            continue
        shapes.append(_Shape(pk, box, polygons))
    return _Boundaries(token=token, built_at=time.monotonic(), shapes=tuple(shapes))


def _current_boundaries() -> _Boundaries:
    global _boundaries
    token = _boundaries_token()
    known = _boundaries
    if (
        known is not None
        and known.token == token
        and time.monotonic() - known.built_at < BOUNDARIES_TTL_SECONDS
    ):
        return known
    with _boundaries_lock:
        known = _boundaries
        if (
            known is None
            or known.token != token
            or known.built_at < time.monotonic() - (BOUNDARIES_TTL_SECONDS)
        ):
            known = _boundaries = _load_boundaries(token)
    return known


def forget_boundaries() -> None:
    """Make every process reread district boundaries before placing the next point.

    Call it after writing `District.boundary` (the `load_city` service does).
    """
    global _boundaries
    _boundaries = None
    try:
        cache.set(BOUNDARIES_VERSION_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:
        logger.warning("cache unavailable: other processes see new boundaries after their TTL")


def district_at(*, lat: Decimal | float, lon: Decimal | float) -> District | None:
    """The district whose stored boundary contains the point (WGS 84), or None outside them all.

    A point exactly on the border of two districts goes to one of them, always the same one.
    """
    try:
        x, y = float(lon), float(lat)
    except ValueError:  # a signalling NaN Decimal
        return None
    if not (math.isfinite(x) and math.isfinite(y)):
        return None
    found = [
        shape.district_id
        for shape in _current_boundaries().shapes
        if geometry.in_bbox(x, y, shape.box) and geometry.point_in_polygons(x, y, shape.polygons)
    ]
    if not found:
        return None
    return District.objects.select_related("okrug").filter(pk__in=found).order_by("code").first()
