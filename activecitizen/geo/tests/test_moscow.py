"""Moscow as shipped: migration 0002 loads 12 okrugs and 146 districts, named, centred, bounded."""

import csv
import importlib
import json
import re
from collections import Counter

import pytest
from django.apps import apps as django_apps

from activecitizen.geo import geometry
from activecitizen.geo.loading import MOSCOW_DIR
from activecitizen.geo.models import District, Okrug

pytestmark = pytest.mark.django_db


def _inside(place) -> bool:
    polygons = geometry.polygons_of(place.boundary)
    return geometry.point_in_polygons(float(place.centre_lon), float(place.centre_lat), polygons)


def test_the_migration_loads_12_okrugs_and_146_districts_of_each_kind():
    assert Okrug.objects.count() == 12
    assert District.objects.count() == 146
    assert Counter(District.objects.values_list("kind", flat=True)) == {
        "district": 125,
        "settlement": 19,
        "urban_okrug": 2,
    }
    per_okrug = Counter(District.objects.values_list("okrug__name_en", flat=True))
    assert per_okrug["Central"] == 10
    assert per_okrug["Zelenogradsky"] == 5
    assert sum(per_okrug.values()) == 146


def test_every_okrug_and_district_has_both_names_a_boundary_and_a_centre_inside_it():
    latin = re.compile(r"^[A-Z][A-Za-z' -]+$")
    for place in [*Okrug.objects.all(), *District.objects.all()]:
        assert place.name_ru and place.name_en, place.code
        assert latin.match(place.name_en), place.name_en
        assert place.boundary["type"] in {"Polygon", "MultiPolygon"}
        assert _inside(place), f"{place.name_en}: centre outside its boundary"


def test_each_district_centre_lies_in_its_own_okrug():
    for district in District.objects.select_related("okrug"):
        okrug = district.okrug
        polygons = geometry.polygons_of(okrug.boundary)
        assert geometry.point_in_polygons(
            float(district.centre_lon), float(district.centre_lat), polygons
        ), f"{district.name_en} is not in {okrug.name_en}"


def test_names_in_english_are_the_usual_ones():
    okrugs = dict(Okrug.objects.values_list("name_ru", "name_en"))
    assert okrugs == {
        "Центральный": "Central",
        "Северный": "Northern",
        "Северо-Восточный": "North-Eastern",
        "Восточный": "Eastern",
        "Юго-Восточный": "South-Eastern",
        "Южный": "Southern",
        "Юго-Западный": "South-Western",
        "Западный": "Western",
        "Северо-Западный": "North-Western",
        "Зеленоградский": "Zelenogradsky",
        "Новомосковский": "Novomoskovsky",
        "Троицкий": "Troitsky",
    }
    districts = dict(District.objects.values_list("name_ru", "name_en"))
    assert districts["Арбат"] == "Arbat"
    assert districts["Басманный"] == "Basmanny"
    assert districts["Хамовники"] == "Khamovniki"
    assert districts["Филёвский Парк"] == "Filyovsky Park"
    assert districts["Тверской"] == "Tverskoy"
    assert districts["Якиманка"] == "Yakimanka"
    assert districts["Троицк"] == "Troitsk"
    # District names in English are all different, as the Russian ones are.
    assert len(set(districts.values())) == 146


def test_names_en_csv_names_every_feature_of_both_files_once():
    with (MOSCOW_DIR / "names_en.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    codes = [row["okato"] for row in rows]
    assert len(codes) == len(set(codes)) == 158
    assert all(row["name_en"].strip() for row in rows)
    features = []
    for name in ["okrugs.geojson", "districts.geojson"]:
        features += json.loads((MOSCOW_DIR / name).read_text(encoding="utf-8"))["features"]
    assert sorted(f["properties"]["OKATO"] for f in features) == sorted(codes)


def test_the_data_ships_inside_the_project_with_its_licence_note():
    assert MOSCOW_DIR.is_relative_to(django_apps.get_app_config("geo").path)
    readme = (MOSCOW_DIR / "README.md").read_text(encoding="utf-8")
    assert "© OpenStreetMap contributors" in readme
    assert "ODbL" in readme


def test_the_migration_can_be_undone_and_redone():
    migration = importlib.import_module("activecitizen.geo.migrations.0002_moscow")
    migration.unload_moscow(django_apps, None)
    assert not Okrug.objects.exists()
    assert not District.objects.exists()
    migration.load_moscow(django_apps, None)
    assert Okrug.objects.count() == 12
    assert District.objects.count() == 146
    assert District.objects.filter(name_en="Tverskoy", okrug__name_en="Central").exists()
