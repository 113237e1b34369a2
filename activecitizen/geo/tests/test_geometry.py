"""Plane geometry behind centres and district_at: areas, centroids, inside tests, inner points."""

import math
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from activecitizen.geo import geometry

coordinate = st.floats(min_value=-170, max_value=170, allow_nan=False)
size = st.floats(min_value=0.001, max_value=5)


def square(x, y, side):
    return [(x, y), (x + side, y), (x + side, y + side), (x, y + side), (x, y)]


@given(x=coordinate, y=st.floats(-80, 80), side=size, u=st.floats(0, 1), v=st.floats(0, 1))
def test_a_point_is_in_a_square_exactly_when_its_coordinates_are_within_it(x, y, side, u, v):
    px, py = x - side / 2 + u * 2 * side, y - side / 2 + v * 2 * side
    # Keep clear of the edges, where rounding may go either way.
    margin = side * 1e-6
    assume(all(abs(p - e) > margin for p, e in [(px, x), (px, x + side), (py, y), (py, y + side)]))
    inside = x < px < x + side and y < py < y + side
    assert geometry.point_in_polygon(px, py, [square(x, y, side)]) is inside


@given(x=coordinate, y=st.floats(-80, 80), side=size)
def test_the_centroid_of_a_square_is_its_middle_and_its_area_is_side_squared(x, y, side):
    cx, cy = geometry.centroid([[square(x, y, side)]])
    assert math.isclose(cx, x + side / 2, abs_tol=side * 1e-9)
    assert math.isclose(cy, y + side / 2, abs_tol=side * 1e-9)
    assert math.isclose(geometry.polygon_area([square(x, y, side)]), side * side, rel_tol=1e-6)


def test_a_hole_is_outside_and_its_area_is_subtracted():
    outer = square(0, 0, 3)
    hole = square(1, 1, 1)[::-1]
    assert geometry.point_in_polygon(0.5, 0.5, [outer, hole])
    assert not geometry.point_in_polygon(1.5, 1.5, [outer, hole])
    assert geometry.polygon_area([outer, hole]) == pytest.approx(8)


def star(cx, cy, radii):
    n = len(radii)
    ring = [
        (cx + r * math.cos(2 * math.pi * i / n), cy + r * math.sin(2 * math.pi * i / n))
        for i, r in enumerate(radii)
    ]
    return [*ring, ring[0]]


@given(
    cx=st.floats(30, 40),
    cy=st.floats(50, 60),
    radii=st.lists(st.floats(0.001, 0.2), min_size=3, max_size=40),
)
def test_the_inner_point_of_any_star_shaped_polygon_lies_inside_it(cx, cy, radii):
    polygon = [star(cx, cy, radii)]
    assume(geometry.polygon_area(polygon) > 1e-8)
    x, y = geometry.interior_point([polygon])
    assert x == x.quantize(Decimal("0.000001")) and y == y.quantize(Decimal("0.000001"))
    assert geometry.point_in_polygon(float(x), float(y), polygon)


@given(
    x=st.floats(30, 40),
    y=st.floats(50, 60),
    width=st.floats(0.01, 1),
    thickness=st.floats(0.0001, 0.3),
)
def test_the_inner_point_of_a_c_shape_is_on_the_c_not_in_its_gap(x, y, width, thickness):
    # A "C": its centroid falls in the gap whenever the bars are thin.
    t = min(thickness, width / 3)
    ring = [
        (x, y),
        (x + width, y),
        (x + width, y + t),
        (x + t, y + t),
        (x + t, y + width - t),
        (x + width, y + width - t),
        (x + width, y + width),
        (x, y + width),
        (x, y),
    ]
    px, py = geometry.interior_point([[ring]])
    assert geometry.point_in_polygon(float(px), float(py), [ring])


def test_the_inner_point_of_a_square_ring_is_not_in_its_hole():
    polygon = [square(37.0, 55.0, 0.3), square(37.01, 55.01, 0.28)[::-1]]
    centroid = geometry.centroid([polygon])
    assert not geometry.point_in_polygon(*centroid, polygon)  # the naive answer is wrong
    x, y = geometry.interior_point([polygon])
    assert geometry.point_in_polygon(float(x), float(y), polygon)


def test_the_inner_point_of_several_polygons_lies_in_the_largest():
    small, large = [square(0, 0, 0.1)], [square(10, 10, 2)]
    x, y = geometry.interior_point([small, large])
    assert (x, y) == (Decimal("11.000000"), Decimal("11.000000"))


def test_the_inner_point_of_adjoining_polygons_is_their_joint_centroid_when_inside():
    left, right = [square(0, 0, 1)], [square(1, 0, 1)]
    assert geometry.interior_point_of_union([left, right]) == (Decimal("1"), Decimal("0.5"))


def test_a_polygon_too_small_for_six_decimals_has_no_inner_point():
    with pytest.raises(ValueError):
        geometry.interior_point([[square(37.1234561, 55.1234561, 1e-8)]])


def test_polygons_of_reads_polygon_and_multipolygon_and_refuses_points():
    ring = [[0, 0], [1, 0], [1, 1], [0, 0]]
    assert geometry.polygons_of({"type": "Polygon", "coordinates": [ring]}) == [
        [[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)]]
    ]
    assert len(geometry.polygons_of({"type": "MultiPolygon", "coordinates": [[ring], [ring]]})) == 2
    with pytest.raises(ValueError):
        geometry.polygons_of({"type": "Point", "coordinates": [0, 0]})
