"""district_at: which district a point is in, from the stored boundaries."""

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activecitizen.geo.models import District, Okrug
from activecitizen.geo.selectors import district_at
from activecitizen.geo.services import load_city

from .conftest import district_feature, feature_collection, square, write_json

pytestmark = pytest.mark.django_db

SIDE = 0.01  # degrees
ROWS, COLUMNS = 3, 4
WEST, SOUTH = 10.0, 10.0  # far from Moscow, whose districts are loaded too


def make_grid() -> dict[tuple[int, int], District]:
    okrug = Okrug.objects.create(
        code="G", name_ru="Сетка", centre_lat=Decimal(10), centre_lon=Decimal(10)
    )
    cells = {}
    for row in range(ROWS):
        for column in range(COLUMNS):
            x, y = WEST + column * SIDE, SOUTH + row * SIDE
            cells[row, column] = District.objects.create(
                okrug=okrug,
                code=f"G-{row}-{column}",
                name_ru=f"Клетка {row} {column}",
                centre_lat=Decimal(repr(y + SIDE / 2)),
                centre_lon=Decimal(repr(x + SIDE / 2)),
                boundary={"type": "Polygon", "coordinates": [square(x, y, SIDE)]},
            )
    return cells


def test_a_point_inside_a_square_district_is_placed_in_it():
    cells = make_grid()
    inner = st.floats(0.001, 0.999)

    @given(row=st.integers(0, ROWS - 1), column=st.integers(0, COLUMNS - 1), u=inner, v=inner)
    @settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
    def place(row, column, u, v):
        lon = WEST + (column + u) * SIDE
        lat = SOUTH + (row + v) * SIDE
        assert district_at(lat=lat, lon=lon) == cells[row, column]
        assert district_at(lat=Decimal(repr(lat)), lon=Decimal(repr(lon))) == cells[row, column]

    place()


def test_a_point_outside_every_square_is_in_no_district():
    make_grid()

    @given(
        lat=st.floats(SOUTH - 1, SOUTH + 1),
        lon=st.floats(WEST - 1, WEST + 1),
    )
    @settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
    def place(lat, lon):
        inside = WEST <= lon <= WEST + COLUMNS * SIDE and SOUTH <= lat <= SOUTH + ROWS * SIDE
        if not inside:
            assert district_at(lat=lat, lon=lon) is None

    place()


def test_a_point_on_a_shared_border_goes_to_one_district_always_the_same():
    cells = make_grid()
    border_lon = WEST + SIDE  # between columns 0 and 1
    found = district_at(lat=SOUTH + SIDE / 2, lon=border_lon)
    assert found in {cells[0, 0], cells[0, 1]}
    assert district_at(lat=SOUTH + SIDE / 2, lon=border_lon) == found


@pytest.mark.parametrize(
    ("lat", "lon", "district", "okrug"),
    [
        ("55.7520", "37.6175", "Tverskoy", "Central"),  # the Kremlin
        ("55.7298", "37.6011", "Yakimanka", "Central"),  # Gorky Park
        ("55.7158", "37.5537", "Khamovniki", "Central"),  # Luzhniki stadium
        ("55.7033", "37.5302", "Ramenki", "Western"),  # Moscow State University
        ("55.8262", "37.6377", "Ostankinsky", "North-Eastern"),  # VDNKh
        ("55.4850", "37.3050", "Troitsk", "Troitsky"),  # the town of Troitsk
    ],
)
def test_real_places_are_in_their_districts(lat, lon, district, okrug):
    found = district_at(lat=Decimal(lat), lon=Decimal(lon))
    assert found is not None
    assert (found.name_en, found.okrug.name_en) == (district, okrug)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (59.9386, 30.3141),  # St Petersburg
        (55.9297, 37.5178),  # Dolgoprudny, just beyond the city limit
        (float("nan"), 37.6),
        (Decimal("sNaN"), Decimal("37.6")),
        (float("inf"), 37.6),
    ],
)
def test_places_outside_moscow_are_in_no_district(lat, lon):
    assert district_at(lat=lat, lon=lon) is None


def test_every_moscow_district_contains_its_own_centre():
    for district in District.objects.all():
        assert district_at(lat=district.centre_lat, lon=district.centre_lon) == district


def test_new_boundaries_from_load_city_are_used_at_once(
    tmp_path, django_capture_on_commit_callbacks
):
    def load(x):
        path = write_json(
            tmp_path / "d.geojson",
            feature_collection(district_feature("M-1", "Подвижный", "M", "М", square(x, 10, 1))),
        )
        with django_capture_on_commit_callbacks(execute=True):
            load_city(path=path)

    load(10)
    assert district_at(lat=10.5, lon=10.5).code == "M-1"
    load(20)  # the district moves east
    assert district_at(lat=10.5, lon=10.5) is None
    assert district_at(lat=10.5, lon=20.5).code == "M-1"


def test_a_district_deleted_meanwhile_is_not_returned():
    cells = make_grid()
    assert district_at(lat=SOUTH + SIDE / 2, lon=WEST + SIDE / 2) == cells[0, 0]
    with transaction.atomic():
        cells[0, 0].delete()
    assert district_at(lat=SOUTH + SIDE / 2, lon=WEST + SIDE / 2) is None


def test_a_hand_made_broken_boundary_is_skipped_not_fatal():
    okrug = Okrug.objects.get(name_en="Central")
    for code, boundary in [
        ("X-1", {"type": "Point", "coordinates": [37.6175, 55.752]}),
        ("X-2", {"type": "Polygon", "coordinates": []}),
        ("X-3", ["not", "geojson"]),
    ]:
        District.objects.create(
            okrug=okrug,
            code=code,
            name_ru=code,
            centre_lat=Decimal("55.752"),
            centre_lon=Decimal("37.6175"),
            boundary=boundary,
        )
    assert district_at(lat=55.7520, lon=37.6175).name_en == "Tverskoy"
