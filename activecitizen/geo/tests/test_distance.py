"""Distances: the Python haversine, the box that narrows the query first, and the database
filter, which must agree with each other."""

import math
import random
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activecitizen.accounts.models import User
from activecitizen.accounts.selectors import living_near
from activecitizen.accounts.services import HOME_PLACES
from activecitizen.geo.distance import EARTH_RADIUS_M, box_around, distance_m

latitudes = st.floats(-85, 85)
longitudes = st.floats(-179, 179)


def test_a_degree_of_latitude_and_a_known_distance():
    assert distance_m(55.0, 37.0, 56.0, 37.0) == pytest.approx(math.pi * EARTH_RADIUS_M / 180)
    assert distance_m(0.0, 10.0, 0.0, 11.0) == pytest.approx(math.pi * EARTH_RADIUS_M / 180)
    # Rosetta Code's haversine example, Nashville BNA to Los Angeles LAX: 2,887.2599506 km on
    # a sphere of radius 6,372.8 km, so this radius's share of it.
    expected = 2_887_259.9506 * EARTH_RADIUS_M / 6_372_800
    assert distance_m(36.12, -86.67, 33.94, -118.40) == pytest.approx(expected, abs=1)
    assert distance_m(55.75, 37.62, 55.75, 37.62) == 0


@given(latitudes, longitudes, latitudes, longitudes)
def test_distance_is_symmetric_and_bounded(lat1, lon1, lat2, lon2):
    there = distance_m(lat1, lon1, lat2, lon2)
    assert there == pytest.approx(distance_m(lat2, lon2, lat1, lon1), abs=1e-6)
    assert 0 <= there <= math.pi * EARTH_RADIUS_M + 1e-6


@given(latitudes, longitudes, latitudes, longitudes, latitudes, longitudes)
def test_no_detour_is_shorter_than_the_direct_way(lat1, lon1, lat2, lon2, lat3, lon3):
    direct = distance_m(lat1, lon1, lat3, lon3)
    assert direct <= distance_m(lat1, lon1, lat2, lon2) + distance_m(lat2, lon2, lat3, lon3) + 1e-3


@given(
    lat=st.floats(-80, 80),
    lon=longitudes,
    metres=st.floats(1, 20_000),
    bearing=st.floats(0, 2 * math.pi),
    fraction=st.floats(0, 1),
)
def test_the_box_holds_every_point_of_the_circle(lat, lon, metres, bearing, fraction):
    # A point `fraction * metres` away in the direction `bearing` (the direct geodesic problem
    # on the sphere) always falls in the box.
    d = fraction * metres / EARTH_RADIUS_M
    phi1, lambda1 = math.radians(lat), math.radians(lon)
    phi2 = math.asin(
        math.sin(phi1) * math.cos(d) + math.cos(phi1) * math.sin(d) * math.cos(bearing)
    )
    lambda2 = lambda1 + math.atan2(
        math.sin(bearing) * math.sin(d) * math.cos(phi1),
        math.cos(d) - math.sin(phi1) * math.sin(phi2),
    )
    lat2, lon2 = math.degrees(phi2), math.degrees(lambda2)
    assert distance_m(lat, lon, lat2, lon2) <= metres + 1e-3
    south, north, west, east = box_around(lat, lon, metres)
    assert south - 1e-9 <= lat2 <= north + 1e-9
    assert west - 1e-9 <= lon2 <= east + 1e-9


CENTRE = (55.7558, 37.6173)  # Moscow, by the Kremlin


@pytest.mark.django_db
def test_the_database_finds_exactly_the_homes_within_the_radius():
    """The SQL box and haversine agree with the Python haversine on 400 homes around the
    centre, for any centre and radius nearby (homes within half a metre of the edge, where
    floating point may put either way, are not judged)."""
    rng = random.Random(20261205)
    homes = {}
    people = []
    for n in range(400):
        # Rounded as the profile's service rounds them (SQLite would keep more digits than the
        # column's and read fewer back).
        lat = Decimal(repr(CENTRE[0] + rng.uniform(-0.03, 0.03))).quantize(HOME_PLACES)
        lon = Decimal(repr(CENTRE[1] + rng.uniform(-0.05, 0.05))).quantize(HOME_PLACES)
        people.append(User(phone=f"+7905{n:07d}", home_lat=lat, home_lon=lon))
    User.objects.bulk_create(people)
    for person in User.objects.filter(phone__startswith="+7905"):
        homes[person.pk] = (float(person.home_lat), float(person.home_lon))
    User.objects.create(phone="+79060000000")  # no home point: never near anything
    User.objects.create(
        phone="+79060000001",
        home_lat=Decimal("55.7558"),
        home_lon=Decimal("37.6173"),
        is_active=False,
    )

    @given(
        dlat=st.floats(-0.02, 0.02),
        dlon=st.floats(-0.03, 0.03),
        metres=st.integers(50, 2500),
    )
    @settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
    def agree(dlat, dlon, metres):
        lat, lon = CENTRE[0] + dlat, CENTRE[1] + dlon
        found = set(living_near(repr(lat), repr(lon), metres).values_list("pk", flat=True))
        for pk, (home_lat, home_lon) in homes.items():
            away = distance_m(lat, lon, home_lat, home_lon)
            if abs(away - metres) < 0.5:
                continue
            assert (pk in found) == (away < metres), (pk, away, metres)
        assert found <= set(homes)

    agree()
