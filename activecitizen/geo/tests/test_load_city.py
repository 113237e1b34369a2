"""load_city: CSV and GeoJSON in, okrugs and districts upserted by code; bad input writes none."""

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from activecitizen.core.errors import InvalidInput
from activecitizen.geo import geometry, loading
from activecitizen.geo.models import District, Okrug
from activecitizen.geo.services import load_city

from .conftest import district_feature, feature_collection, square, write_json

pytestmark = pytest.mark.django_db

HEADER = (
    "okrug_code,okrug_name_ru,okrug_name_en,okrug_abbreviation,"
    "district_code,district_name_ru,district_name_en,kind,lat,lon\n"
)
CSV = HEADER + (
    "N-1,Северный,North,СО,N-1-1,Заречье,Zarechye,district,60.100001,30.2\n"
    "N-1,Северный,North,СО,N-1-2,Озёрное,Ozyornoye,settlement,60.300001,30.4\n"
    "S-1,Южный,South,ЮО,S-1-1,Слобода,,urban_okrug,59.5,30.5\n"
)


def snapshot():
    return (
        sorted(Okrug.objects.values_list()),
        sorted(District.objects.values_list()),
    )


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_csv_creates_okrugs_and_districts(tmp_path):
    before = District.objects.count()
    report = load_city(path=write(tmp_path, "city.csv", CSV))
    assert (report.okrugs_created, report.districts_created) == (2, 3)
    assert District.objects.count() == before + 3
    ozyornoye = District.objects.select_related("okrug").get(code="N-1-2")
    assert ozyornoye.name_ru == "Озёрное"
    assert ozyornoye.name_en == "Ozyornoye"
    assert ozyornoye.kind == "settlement"
    assert (ozyornoye.centre_lat, ozyornoye.centre_lon) == (Decimal("60.300001"), Decimal("30.4"))
    assert ozyornoye.boundary is None
    north = ozyornoye.okrug
    assert (north.code, north.name_ru, north.name_en, north.abbreviation) == (
        "N-1",
        "Северный",
        "North",
        "СО",
    )
    # No centre given for the okrug: the mean of its districts' centres.
    assert (north.centre_lat, north.centre_lon) == (Decimal("60.200001"), Decimal("30.300000"))
    sloboda = District.objects.get(code="S-1-1")
    assert sloboda.kind == "urban_okrug"
    assert sloboda.name_en == ""


def test_loading_the_same_csv_again_changes_nothing(tmp_path):
    path = write(tmp_path, "city.csv", CSV)
    load_city(path=path)
    first = snapshot()
    report = load_city(path=path)
    assert report == loading.LoadReport(okrugs_unchanged=2, districts_unchanged=3)
    assert snapshot() == first


def test_a_changed_row_updates_only_what_changed(tmp_path):
    load_city(path=write(tmp_path, "city.csv", CSV))
    moved = CSV.replace(
        "N-1,Северный,North,СО,N-1-2,Озёрное,Ozyornoye,settlement",
        "S-1,Южный,South,ЮО,N-1-2,Озёрное,Lake Town,settlement",
    )
    report = load_city(path=write(tmp_path, "moved.csv", moved))
    assert (report.districts_created, report.districts_updated, report.districts_unchanged) == (
        0,
        1,
        2,
    )
    ozyornoye = District.objects.get(code="N-1-2")
    assert ozyornoye.okrug.code == "S-1"
    assert ozyornoye.name_en == "Lake Town"


def test_a_csv_keeps_stored_boundaries_english_names_and_okrug_centres(tmp_path):
    load_city(path=write(tmp_path, "city.csv", CSV))
    District.objects.filter(code="N-1-1").update(boundary={"type": "Polygon", "coordinates": []})
    Okrug.objects.filter(code="N-1").update(centre_lat=Decimal("61"))
    no_english = CSV.replace("Zarechye", "")
    report = load_city(path=write(tmp_path, "again.csv", no_english))
    assert report.districts_updated == 0
    zarechye = District.objects.get(code="N-1-1")
    assert zarechye.name_en == "Zarechye"
    assert zarechye.boundary == {"type": "Polygon", "coordinates": []}
    assert Okrug.objects.get(code="N-1").centre_lat == Decimal("61")


def test_okrug_centre_columns_set_the_okrug_centre(tmp_path):
    text = (
        "okrug_code,okrug_name_ru,district_code,district_name_ru,lat,lon,okrug_lat,okrug_lon\n"
        "A,Альфа,A-1,Первый,10,20,11.5,21.25\n"
    )
    load_city(path=write(tmp_path, "city.csv", text))
    alpha = Okrug.objects.get(code="A")
    assert (alpha.centre_lat, alpha.centre_lon) == (Decimal("11.5"), Decimal("21.25"))
    assert alpha.name_en == ""
    assert District.objects.get(code="A-1").kind == "district"


def test_a_geojson_of_districts_alone_creates_their_okrugs(tmp_path):
    # Two adjoining squares in the north of the city, one settlement, English names given.
    path = write_json(
        tmp_path / "districts.geojson",
        feature_collection(
            district_feature("D-1", "Левый", "O-1", "Окраинный", square(37.0, 56.0, 0.1)),
            district_feature(
                "D-2",
                "Правый",
                "O-1",
                "Окраинный",
                square(37.1, 56.0, 0.1),
                TYPE_MO="Поселение",
                NAME_EN="Right",
                NAME_AO_EN="Outer",
            ),
            district_feature(
                "D-3", "Дальний", "O-2", "Дальний", square(38, 57, 0.2), TYPE_MO="Городской округ"
            ),
        ),
    )
    report = load_city(path=path)
    assert (report.okrugs_created, report.districts_created) == (2, 3)
    left, right, far = (District.objects.get(code=c) for c in ["D-1", "D-2", "D-3"])
    assert [left.kind, right.kind, far.kind] == ["district", "settlement", "urban_okrug"]
    assert (left.centre_lon, left.centre_lat) == (Decimal("37.05"), Decimal("56.05"))
    assert right.name_en == "Right"
    assert left.boundary == {"type": "Polygon", "coordinates": [square(37.0, 56.0, 0.1)]}
    outer = Okrug.objects.get(code="O-1")
    assert outer.abbreviation == "ОКР"
    assert outer.boundary is None
    # The okrug's centre is the middle of its two districts together: on their shared edge,
    # assigned to one of them.
    assert (outer.centre_lon, outer.centre_lat) == (Decimal("37.1"), Decimal("56.05"))


def test_a_geojson_pair_in_either_order_gives_okrugs_their_boundaries(tmp_path):
    districts = write_json(
        tmp_path / "districts.geojson",
        feature_collection(
            district_feature("D-1", "Левый", "O-1", "Окраинный", square(37.0, 56.0, 0.1)),
            district_feature("D-2", "Правый", "O-1", "Окраинный", square(37.1, 56.0, 0.1)),
        ),
    )
    # An L-shaped okrug, whose centroid is outside it.
    l_shape = [[37, 56], [37.2, 56], [37.2, 56.02], [37.02, 56.02], [37.02, 56.2], [37, 56.2]]
    l_shape.append(l_shape[0])
    okrugs = write_json(
        tmp_path / "okrugs.geojson",
        feature_collection(
            {
                "type": "Feature",
                "properties": {"NAME": "Окраинный", "OKATO": "O-1", "ABBREV": "ОкрАО"},
                "geometry": {"type": "MultiPolygon", "coordinates": [[l_shape]]},
            }
        ),
    )
    report = load_city(path=okrugs, okrugs_path=districts)
    assert (report.okrugs_created, report.districts_created) == (1, 2)
    okrug = Okrug.objects.get(code="O-1")
    assert okrug.abbreviation == "ОкрАО"
    assert okrug.boundary["type"] == "MultiPolygon"
    centroid = geometry.centroid([[l_shape]])
    assert not geometry.point_in_polygon(*centroid, [l_shape])
    assert geometry.point_in_polygon(float(okrug.centre_lon), float(okrug.centre_lat), [l_shape])
    again = load_city(path=districts, okrugs_path=okrugs)
    assert again == loading.LoadReport(okrugs_unchanged=1, districts_unchanged=2)


def test_english_names_come_from_a_names_file(tmp_path):
    names = write(tmp_path, "names.csv", "okato,name_en\nN-1,Northern\nS-1-1,Sloboda\n")
    load_city(path=write(tmp_path, "city.csv", CSV), names_en_path=names)
    assert Okrug.objects.get(code="N-1").name_en == "Northern"
    assert District.objects.get(code="S-1-1").name_en == "Sloboda"


def test_reloading_shipped_moscow_changes_nothing():
    before = snapshot()
    report = load_city(
        path=loading.MOSCOW_DIR / "districts.geojson",
        okrugs_path=loading.MOSCOW_DIR / "okrugs.geojson",
        names_en_path=loading.MOSCOW_DIR / "names_en.csv",
    )
    assert report == loading.LoadReport(okrugs_unchanged=12, districts_unchanged=146)
    assert snapshot() == before


def _feature(**changes):
    feature = district_feature("D-9", "Девятый", "O-9", "Девятый", square(37, 56, 0.1))
    for key, value in changes.items():
        if key == "geometry":
            feature["geometry"] = value
        elif value is None:
            feature["properties"].pop(key)
        else:
            feature["properties"][key] = value
    return feature


GOOD_FEATURE = district_feature("D-1", "Первый", "O-1", "Первый", square(37.3, 56, 0.1))
BAD_GEOJSON = {
    "a district with no okrug": (_feature(OKATO_AO=None), "OKATO_AO is missing"),
    "an okrug with no name": (_feature(NAME_AO=None), "NAME_AO is missing"),
    "an unknown kind": (_feature(TYPE_MO="Хутор"), "Хутор is not a known kind"),
    "a point for a boundary": (
        _feature(geometry={"type": "Point", "coordinates": [37, 56]}),
        "Polygon or MultiPolygon",
    ),
    "an unclosed ring": (
        _feature(geometry={"type": "Polygon", "coordinates": [square(37, 56, 0.1)[:-1]]}),
        "ring 1 is not closed",
    ),
    "a latitude off the globe": (
        _feature(geometry={"type": "Polygon", "coordinates": [square(37, 91, 0.1)]}),
        "position 1 is off the globe",
    ),
    "a text coordinate": (
        _feature(
            geometry={
                "type": "Polygon",
                "coordinates": [[[37, 56], [37.1, "56"], [37.1, 56.1], [37, 56]]],
            }
        ),
        "position 2 is not [longitude, latitude]",
    ),
    "a flat polygon": (
        _feature(geometry={"type": "Polygon", "coordinates": [[[37, 56], [37.1, 56], [37, 56]]]}),
        "needs at least 4 positions",
    ),
    "a too long name": (_feature(NAME="Д" * 121), "NAME is longer than 120 characters"),
}


@pytest.mark.parametrize("case", BAD_GEOJSON, ids=list(BAD_GEOJSON))
def test_a_bad_geojson_feature_writes_nothing_and_names_the_feature(tmp_path, case):
    bad, message = BAD_GEOJSON[case]
    path = write_json(tmp_path / "d.geojson", feature_collection(GOOD_FEATURE, bad))
    before = snapshot()
    with pytest.raises(InvalidInput) as caught:
        load_city(path=path)
    assert "d.geojson, feature 2" in caught.value.message
    assert message in caught.value.message
    assert snapshot() == before


BAD_CSV = {
    "missing columns": (
        "okrug_code,district_code\nA,A-1\n",
        "lacks the column(s)",
        "okrug_name_ru",
    ),
    "a row with no okrug": (
        HEADER + "A,Альфа,,,A-1,Один,,,55,37\n,,,,A-2,Два,,,55,37\n",
        "line 3: okrug_code is missing",
        "okrug_code",
    ),
    "a latitude that is not a number": (
        HEADER + "A,Альфа,,,A-1,Один,,,55,37\nA,Альфа,,,A-2,Два,,,5x5,37\n",
        "line 3: lat 5x5 is not a coordinate",
        "lat",
    ),
    "a longitude off the globe": (
        HEADER + "A,Альфа,,,A-1,Один,,,55,181\n",
        "line 2: lon 181 is not a coordinate between -180 and 180",
        "lon",
    ),
    "a missing latitude": (HEADER + "A,Альфа,,,A-1,Один,,,,37\n", "lat is missing", "lat"),
    "a district twice": (
        HEADER + "A,Альфа,,,A-1,Один,,,55,37\nA,Альфа,,,A-1,Один,,,55,37\n",
        "line 3: district_code A-1 appears twice",
        "district_code",
    ),
    "an okrug named two ways": (
        HEADER + "A,Альфа,,,A-1,Один,,,55,37\nA,Бета,,,A-2,Два,,,55,37\n",
        "line 3: okrug_name_ru differs from an earlier row of okrug A",
        "okrug_name_ru",
    ),
    "an unknown kind": (HEADER + "A,Альфа,,,A-1,Один,,village,55,37\n", "village", "kind"),
    "too many values": (HEADER + "A,Альфа,,,A-1,Один,,,55,37,extra\n", "more values", "file"),
    "no rows": (HEADER, "has no districts", "file"),
}


@pytest.mark.parametrize("case", BAD_CSV, ids=list(BAD_CSV))
def test_a_bad_csv_writes_nothing_and_names_the_line_and_field(tmp_path, case):
    text, message, field = BAD_CSV[case]
    before = snapshot()
    with pytest.raises(InvalidInput) as caught:
        load_city(path=write(tmp_path, "city.csv", text))
    assert message in caught.value.message
    assert caught.value.field == field
    assert snapshot() == before


def test_bad_files_are_refused_with_a_clear_message(tmp_path):
    good = write_json(tmp_path / "d.geojson", feature_collection(GOOD_FEATURE))
    cases = [
        (dict(path=tmp_path / "nowhere.csv"), "does not exist"),
        (dict(path=write(tmp_path, "city.txt", "hello")), "Cannot tell the format"),
        (dict(path=good, file_format="xml"), "Unknown format xml"),
        (dict(path=write(tmp_path, "broken.geojson", "{")), "is not valid JSON"),
        (dict(path=write_json(tmp_path / "list.geojson", [])), "not a GeoJSON FeatureCollection"),
        (dict(path=write_json(tmp_path / "e.geojson", feature_collection())), "has no features"),
        (dict(path=good, okrugs_path=good), "Give one GeoJSON file of districts"),
        (dict(path=write(tmp_path, "c.csv", CSV), okrugs_path=good), "give only one file"),
        (
            dict(path=good, names_en_path=write(tmp_path, "n.csv", "okato,name_en\nZZ,Nowhere\n")),
            "line 2: no okrug or district has the code ZZ",
        ),
        (
            dict(
                path=write_json(
                    tmp_path / "mercator.geojson",
                    {
                        **feature_collection(GOOD_FEATURE),
                        "crs": {"type": "name", "properties": {"name": "EPSG:3857"}},
                    },
                )
            ),
            "must be WGS 84",
        ),
    ]
    (tmp_path / "binary.csv").write_bytes(b"okrug_code\xff\n")
    cases.append((dict(path=tmp_path / "binary.csv"), "is not UTF-8"))
    before = snapshot()
    for kwargs, message in cases:
        with pytest.raises(InvalidInput) as caught:
            load_city(**kwargs)
        assert message in caught.value.message, (kwargs, caught.value.message)
    assert snapshot() == before


def test_the_models_column_sizes_match_the_loaders_checks():
    assert District._meta.get_field("code").max_length == loading.CODE_MAX_LENGTH
    assert Okrug._meta.get_field("code").max_length == loading.CODE_MAX_LENGTH
    assert District._meta.get_field("name_ru").max_length == loading.NAME_MAX_LENGTH
    assert Okrug._meta.get_field("name_en").max_length == loading.NAME_MAX_LENGTH
    assert Okrug._meta.get_field("abbreviation").max_length == loading.ABBREVIATION_MAX_LENGTH


def test_the_command_prints_what_it_did(tmp_path, capsys):
    path = write(tmp_path, "city.csv", CSV)
    call_command("load_city", str(path))
    assert "Okrugs: 2 created, 0 updated, 0 unchanged." in capsys.readouterr().out
    call_command("load_city", str(path), "--format", "csv")
    assert "Districts: 0 created, 0 updated, 3 unchanged." in capsys.readouterr().out


def test_the_command_refuses_bad_input_with_the_message(tmp_path):
    path = write(tmp_path, "city.csv", HEADER + "A,Альфа,,,A-1,Один,,,55,937\n")
    with pytest.raises(CommandError, match="line 2: lon 937 is not a coordinate"):
        call_command("load_city", str(path))
    assert not District.objects.filter(code="A-1").exists()


def test_the_command_exits_non_zero_on_bad_input(tmp_path):
    path = write(tmp_path, "city.csv", "okrug_code\nA\n")
    done = subprocess.run(
        [sys.executable, "manage.py", "load_city", str(path)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "LANGUAGE_CODE": "en"},
    )
    assert done.returncode != 0
    assert "lacks the column(s) okrug_name_ru" in done.stderr
