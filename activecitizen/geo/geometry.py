"""Plane geometry on longitude/latitude polygons: areas, centroids, point-in-polygon, inner points.

Pure functions on floats with no Django in sight, so that loaders, selectors and migrations can
all use them. A polygon is a list of rings (the outer ring, then its holes); a ring is a closed
list of (x, y) = (longitude, latitude) pairs. At a city's scale the plane approximation is
far more exact than the six decimals (≈ 0.1 m) we store.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import pairwise
from typing import Any

Position = tuple[float, float]
Ring = Sequence[Position]
Polygon = Sequence[Ring]
BBox = tuple[float, float, float, float]  # min x, min y, max x, max y


def polygons_of(geometry: Any) -> list[list[list[Position]]]:
    """The polygons of a GeoJSON Polygon or MultiPolygon, as float (x, y) tuples."""
    if not isinstance(geometry, dict):
        raise ValueError("not a GeoJSON geometry")
    kind = geometry.get("type")
    if kind == "Polygon":
        parts = [geometry["coordinates"]]
    elif kind == "MultiPolygon":
        parts = geometry["coordinates"]
    else:
        raise ValueError(f"not a Polygon or MultiPolygon: {kind!r}")
    return [[[(float(p[0]), float(p[1])) for p in ring] for ring in polygon] for polygon in parts]


def ring_signed_area(ring: Ring) -> float:
    """Shoelace area, positive when the ring runs anticlockwise."""
    if len(ring) < 3:
        return 0.0
    # Relative to the first vertex: coordinates near (37, 55) would otherwise cost precision.
    x0, y0 = ring[0]
    total = 0.0
    for (ax, ay), (bx, by) in pairwise(ring):
        total += (ax - x0) * (by - y0) - (bx - x0) * (ay - y0)
    return total / 2.0


def polygon_area(polygon: Polygon) -> float:
    """The area of the outer ring less its holes (square degrees)."""
    if not polygon:
        return 0.0
    return abs(ring_signed_area(polygon[0])) - sum(abs(ring_signed_area(h)) for h in polygon[1:])


def _ring_moments(ring: Ring) -> tuple[float, float, float]:
    """(|area|, area·cx, area·cy) of a ring, orientation-free."""
    if len(ring) < 3:
        return 0.0, 0.0, 0.0
    x0, y0 = ring[0]
    a = mx = my = 0.0
    for (ax, ay), (bx, by) in pairwise(ring):
        ax, ay, bx, by = ax - x0, ay - y0, bx - x0, by - y0
        cross = ax * by - bx * ay
        a += cross
        mx += (ax + bx) * cross
        my += (ay + by) * cross
    a /= 2.0
    if a == 0.0:
        return 0.0, 0.0, 0.0
    cx, cy = mx / (6.0 * a) + x0, my / (6.0 * a) + y0
    return abs(a), abs(a) * cx, abs(a) * cy


def centroid(polygons: Iterable[Polygon]) -> Position | None:
    """The area-weighted centroid of polygons (holes subtracted); None when they have no area."""
    area = mx = my = 0.0
    for polygon in polygons:
        for index, ring in enumerate(polygon):
            a, ax, ay = _ring_moments(ring)
            sign = 1.0 if index == 0 else -1.0
            area += sign * a
            mx += sign * ax
            my += sign * ay
    if area <= 0.0:
        return None
    return mx / area, my / area


def point_in_polygon(x: float, y: float, polygon: Polygon) -> bool:
    """Even-odd ray casting over every ring, so holes are outside."""
    inside = False
    for ring in polygon:
        for (ax, ay), (bx, by) in pairwise(ring):
            # Half-open in y, the same rule as `_crossings`: a vertex on the ray counts once.
            if (ay > y) != (by > y) and x < ax + (y - ay) * (bx - ax) / (by - ay):
                inside = not inside
    return inside


def point_in_polygons(x: float, y: float, polygons: Iterable[Polygon]) -> bool:
    return any(point_in_polygon(x, y, polygon) for polygon in polygons)


def bbox(polygons: Iterable[Polygon]) -> BBox:
    xs: list[float] = []
    ys: list[float] = []
    for polygon in polygons:
        if polygon:
            xs.extend(p[0] for p in polygon[0])
            ys.extend(p[1] for p in polygon[0])
    return min(xs), min(ys), max(xs), max(ys)


def in_bbox(x: float, y: float, box: BBox) -> bool:
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _crossings(y: float, polygon: Polygon) -> list[float]:
    """Where the horizontal line at `y` crosses the polygon's edges, sorted by x."""
    xs = []
    for ring in polygon:
        for (ax, ay), (bx, by) in pairwise(ring):
            if (ay > y) != (by > y):
                xs.append(ax + (y - ay) * (bx - ax) / (by - ay))
    xs.sort()
    return xs


def _quantize(value: float, places: int) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def _inside_rounded(x: float, y: float, polygon: Polygon, places: int) -> tuple[Decimal, Decimal]:
    qx, qy = _quantize(x, places), _quantize(y, places)
    if point_in_polygon(float(qx), float(qy), polygon):
        return qx, qy
    raise LookupError


def _scan_line_point(
    polygon: Polygon, preferred_y: float, places: int
) -> tuple[Decimal, Decimal] | None:
    """The middle of the widest inside stretch of a horizontal line, near `preferred_y`."""
    _, min_y, _, max_y = bbox([polygon])
    height = max_y - min_y
    fractions = [(k + 0.5) / 32 for k in range(32)]
    ys = [
        preferred_y,
        *sorted((min_y + f * height for f in fractions), key=lambda y: abs(y - preferred_y)),
    ]
    for y in ys:
        # Round y first, so that only x moves when the point is rounded at the end.
        y = float(_quantize(y, places))
        xs = _crossings(y, polygon)
        stretches = sorted(
            ((xs[i + 1] - xs[i], xs[i], xs[i + 1]) for i in range(0, len(xs) - 1, 2)),
            reverse=True,
        )
        for _, left, right in stretches:
            try:
                return _inside_rounded((left + right) / 2, y, polygon, places)
            except LookupError:
                continue
    return None


def interior_point(polygons: Sequence[Polygon], *, places: int = 6) -> tuple[Decimal, Decimal]:
    """A point inside the largest polygon, rounded to `places` decimals: (x, y).

    The area-weighted centroid of the largest polygon when it lies inside it (it does for most
    shapes); otherwise, for crescents, rings and L-shapes, the middle of the widest stretch of a
    horizontal line through the polygon, as close to the centroid's latitude as possible.
    Raises ValueError when no polygon has room for a point at that precision.
    """
    if not polygons:
        raise ValueError("no polygon")
    largest = max(polygons, key=polygon_area)
    middle = centroid([largest])
    if middle is None:
        raise ValueError("the polygon has no area")
    try:
        return _inside_rounded(middle[0], middle[1], largest, places)
    except LookupError:
        pass
    found = _scan_line_point(largest, middle[1], places)
    if found is None:
        raise ValueError("the polygon is too small for a point at this precision")
    return found


def interior_point_of_union(
    polygons: Sequence[Polygon], *, places: int = 6
) -> tuple[Decimal, Decimal]:
    """A point inside one of several adjoining polygons (an okrug made of its districts).

    The area-weighted centroid of them all when it falls inside one of them, otherwise the
    inner point of the largest.
    """
    middle = centroid(polygons)
    if middle is not None:
        qx, qy = _quantize(middle[0], places), _quantize(middle[1], places)
        if point_in_polygons(float(qx), float(qy), polygons):
            return qx, qy
    return interior_point(polygons, places=places)
