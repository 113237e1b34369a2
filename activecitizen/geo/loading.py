"""Reading a city's okrugs and districts from files, and writing them to any Okrug/District models.

Two steps, both free of this app's models so that the data migration 0002_moscow can use them
with the historical models it is given:

- `read_city` parses files into plain records (`CityData`) and refuses bad input with
  `InvalidInput` before anything is written;
- `write_city` upserts the records by code into the model classes it is passed.

Keep `write_city` to the fields that exist in migration 0001 (code, names, abbreviation, kind,
okrug, centre, boundary): 0002_moscow runs it against that schema.

Formats
-------
GeoJSON (the Moscow format, see data/moscow/README.md): a FeatureCollection of districts with the
properties NAME, OKATO (the code), NAME_AO, OKATO_AO, ABBREV_AO (the okrug), TYPE_MO (the kind)
and optionally NAME_EN, NAME_AO_EN; optionally a second FeatureCollection of okrugs with NAME,
OKATO, ABBREV and optionally NAME_EN. The two files may come in either order. Centres are
computed from the polygons.

CSV (UTF-8, comma-separated, one district a row, header row first): see `CSV_COLUMNS`.

A field the source does not carry (a boundary in a CSV, an English name left empty) keeps its
stored value; a district or okrug not in the source is left alone.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from activecitizen.core.errors import InvalidInput
from activecitizen.geo import geometry

MOSCOW_DIR = Path(__file__).resolve().parent / "data" / "moscow"

# The models' column sizes (0001_initial); a test checks that they still agree.
CODE_MAX_LENGTH = 20
NAME_MAX_LENGTH = 120
ABBREVIATION_MAX_LENGTH = 30

KINDS = {
    "district": "district",
    "settlement": "settlement",
    "urban_okrug": "urban_okrug",
    "муниципальный округ": "district",
    "поселение": "settlement",
    "городской округ": "urban_okrug",
}

# column: (required, what it holds) — printed by `manage.py load_city --help`.
CSV_COLUMNS: dict[str, tuple[bool, Promise]] = {
    "okrug_code": (True, gettext_lazy("the okrug's code (OKATO or your own)")),
    "okrug_name_ru": (True, gettext_lazy("the okrug's name in Russian")),
    "okrug_name_en": (False, gettext_lazy("the okrug's name in English")),
    "okrug_abbreviation": (False, gettext_lazy("the okrug's short name, e.g. ЦАО")),
    "okrug_lat": (
        False,
        gettext_lazy("the okrug's centre; default: the mean of its districts' centres"),
    ),
    "okrug_lon": (False, gettext_lazy("(with okrug_lat)")),
    "district_code": (True, gettext_lazy("the district's code (OKATO or your own)")),
    "district_name_ru": (True, gettext_lazy("the district's name in Russian")),
    "district_name_en": (False, gettext_lazy("the district's name in English")),
    "kind": (False, gettext_lazy("district (default), settlement or urban_okrug")),
    "lat": (True, gettext_lazy("the district's centre: latitude, decimal degrees (WGS 84)")),
    "lon": (True, gettext_lazy("the district's centre: longitude, decimal degrees (WGS 84)")),
}

SIX_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class LatLon:
    lat: Decimal
    lon: Decimal


@dataclass(frozen=True)
class OkrugRecord:
    code: str
    name_ru: str
    name_en: str | None  # None: the source does not say, keep the stored name
    abbreviation: str | None
    centre: LatLon
    # A centre worked out from the districts, not given: it only fills a new okrug.
    centre_is_derived: bool
    boundary: dict | None  # None: keep the stored boundary


@dataclass(frozen=True)
class DistrictRecord:
    code: str
    okrug_code: str
    kind: str
    name_ru: str
    name_en: str | None
    centre: LatLon
    boundary: dict | None


@dataclass(frozen=True)
class CityData:
    okrugs: tuple[OkrugRecord, ...]
    districts: tuple[DistrictRecord, ...]


@dataclass(frozen=True)
class LoadReport:
    okrugs_created: int = 0
    okrugs_updated: int = 0
    okrugs_unchanged: int = 0
    districts_created: int = 0
    districts_updated: int = 0
    districts_unchanged: int = 0


# --- reading -------------------------------------------------------------------------------------


def read_city(
    *,
    path: Path,
    okrugs_path: Path | None = None,
    file_format: str | None = None,
    names_en_path: Path | None = None,
) -> CityData:
    """Parse a city from files. Raises InvalidInput naming the file, row or feature at fault."""
    file_format = file_format or _format_of(path)
    if file_format == "csv":
        if okrugs_path is not None:
            raise InvalidInput(
                _("A CSV file holds okrugs and districts together: give only one file."),
                field="file",
            )
        city = _read_csv(path)
    elif file_format == "geojson":
        city = _read_geojson([path] if okrugs_path is None else [path, okrugs_path])
    else:
        raise InvalidInput(
            _("Unknown format %(format)s: use csv or geojson.") % {"format": file_format},
            field="format",
        )
    if names_en_path is not None:
        city = _with_english_names(city, _read_names_en(names_en_path))
    return city


def read_moscow() -> CityData:
    """Moscow's 12 okrugs and 146 districts as shipped in data/moscow/, with English names."""
    return read_city(
        path=MOSCOW_DIR / "districts.geojson",
        okrugs_path=MOSCOW_DIR / "okrugs.geojson",
        names_en_path=MOSCOW_DIR / "names_en.csv",
    )


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in {".geojson", ".json"}:
        return "geojson"
    text = _read_text(path)
    if text.lstrip().startswith("{"):
        return "geojson"
    raise InvalidInput(
        _("Cannot tell the format of %(file)s: name it .csv or .geojson, or give the format.")
        % {"file": path.name},
        field="format",
    )


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidInput(_("%(file)s does not exist.") % {"file": path}, field="file") from None
    except IsADirectoryError:
        raise InvalidInput(_("%(file)s is a folder.") % {"file": path}, field="file") from None
    except UnicodeDecodeError:
        raise InvalidInput(
            _("%(file)s is not UTF-8 text.") % {"file": path.name}, field="file"
        ) from None
    except OSError as exc:
        raise InvalidInput(
            _("Cannot read %(file)s: %(error)s") % {"file": path, "error": exc.strerror},
            field="file",
        ) from None


def _optional_text(value: Any, *, where: str, name: str, max_length: int) -> str | None:
    """A stripped name or code (codes may come as JSON numbers); None when blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidInput(
            _("%(where)s: %(field)s must be text.") % {"where": where, "field": name}, field=name
        )
    text = str(value).strip()
    if len(text) > max_length:
        raise InvalidInput(
            _("%(where)s: %(field)s is longer than %(max)d characters.")
            % {"where": where, "field": name, "max": max_length},
            field=name,
        )
    if any(ord(c) < 32 for c in text):
        raise InvalidInput(
            _("%(where)s: %(field)s holds control characters.") % {"where": where, "field": name},
            field=name,
        )
    return text


def _required_text(value: Any, *, where: str, name: str, max_length: int) -> str:
    text = _optional_text(value, where=where, name=name, max_length=max_length)
    if text is None:
        raise InvalidInput(
            _("%(where)s: %(field)s is missing.") % {"where": where, "field": name}, field=name
        )
    return text


def _kind(value: Any, *, where: str, name: str) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return "district"
    kind = KINDS.get(str(value).strip().lower())
    if kind is None:
        raise InvalidInput(
            _(
                "%(where)s: %(field)s %(value)s is not a known kind "
                "(district, settlement, urban_okrug)."
            )
            % {"where": where, "field": name, "value": value},
            field=name,
        )
    return kind


def _coordinate(value: Any, *, where: str, name: str, limit: int) -> Decimal:
    """A latitude (limit 90) or longitude (limit 180) as a 6-decimal Decimal."""
    if value is None or not str(value).strip():
        raise InvalidInput(
            _("%(where)s: %(field)s is missing.") % {"where": where, "field": name}, field=name
        )
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        number = Decimal("NaN")
    if not number.is_finite() or not -limit <= number <= limit:
        raise InvalidInput(
            _(
                "%(where)s: %(field)s %(value)s is not a coordinate "
                "between -%(limit)d and %(limit)d."
            )
            % {"where": where, "field": name, "value": value, "limit": limit},
            field=name,
        )
    return number.quantize(SIX_PLACES)


# CSV


def _read_csv(path: Path) -> CityData:
    text = _read_text(path)
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise InvalidInput(
            _("%(file)s is not valid CSV: %(error)s") % {"file": path.name, "error": exc},
            field="file",
        ) from None
    reader.fieldnames = header
    missing = [c for c, (required, _help) in CSV_COLUMNS.items() if required and c not in header]
    if missing:
        raise InvalidInput(
            _("%(file)s lacks the column(s) %(columns)s.")
            % {"file": path.name, "columns": ", ".join(missing)},
            field=missing[0],
        )
    okrugs: dict[str, dict[str, Any]] = {}
    districts: dict[str, DistrictRecord] = {}
    try:
        for row in reader:
            where = _("%(file)s, line %(line)d") % {"file": path.name, "line": reader.line_num}
            if None in row:
                raise InvalidInput(
                    _("%(where)s has more values than the header has columns.") % {"where": where},
                    field="file",
                )
            if not any((v or "").strip() for v in row.values()):
                continue  # a blank line
            district = _csv_district(row, where)
            if district.code in districts:
                raise InvalidInput(
                    _("%(where)s: district_code %(code)s appears twice.")
                    % {"where": where, "code": district.code},
                    field="district_code",
                )
            districts[district.code] = district
            _csv_okrug(row, where, okrugs)
    except csv.Error as exc:
        raise InvalidInput(
            _("%(file)s is not valid CSV near line %(line)d: %(error)s")
            % {"file": path.name, "line": reader.line_num, "error": exc},
            field="file",
        ) from None
    if not districts:
        raise InvalidInput(_("%(file)s has no districts.") % {"file": path.name}, field="file")
    okrug_records = []
    for code, seen in okrugs.items():
        centre = seen["centre"]
        if centre is None:
            members = [d.centre for d in districts.values() if d.okrug_code == code]
            centre = LatLon(
                lat=(sum((m.lat for m in members), Decimal(0)) / len(members)).quantize(SIX_PLACES),
                lon=(sum((m.lon for m in members), Decimal(0)) / len(members)).quantize(SIX_PLACES),
            )
        okrug_records.append(
            OkrugRecord(
                code=code,
                name_ru=seen["name_ru"],
                name_en=seen["name_en"],
                abbreviation=seen["abbreviation"],
                centre=centre,
                centre_is_derived=seen["centre"] is None,
                boundary=None,
            )
        )
    return CityData(okrugs=tuple(okrug_records), districts=tuple(districts.values()))


def _csv_district(row: Mapping[str, str | None], where: str) -> DistrictRecord:
    okrug_code = _required_text(
        row.get("okrug_code"), where=where, name="okrug_code", max_length=CODE_MAX_LENGTH
    )
    code = _required_text(
        row.get("district_code"), where=where, name="district_code", max_length=CODE_MAX_LENGTH
    )
    name_ru = _required_text(
        row.get("district_name_ru"),
        where=where,
        name="district_name_ru",
        max_length=NAME_MAX_LENGTH,
    )
    return DistrictRecord(
        code=code,
        okrug_code=okrug_code,
        kind=_kind(row.get("kind"), where=where, name="kind"),
        name_ru=name_ru,
        name_en=_optional_text(
            row.get("district_name_en"),
            where=where,
            name="district_name_en",
            max_length=NAME_MAX_LENGTH,
        ),
        centre=LatLon(
            lat=_coordinate(row.get("lat"), where=where, name="lat", limit=90),
            lon=_coordinate(row.get("lon"), where=where, name="lon", limit=180),
        ),
        boundary=None,
    )


def _csv_okrug(row: Mapping[str, str | None], where: str, okrugs: dict[str, dict]) -> None:
    """Collect the okrug a row names; every row naming it must describe it the same way."""
    code = str(row.get("okrug_code")).strip()
    lat, lon = (row.get("okrug_lat") or "").strip(), (row.get("okrug_lon") or "").strip()
    if bool(lat) != bool(lon):
        raise InvalidInput(
            _("%(where)s: give both okrug_lat and okrug_lon, or neither.") % {"where": where},
            field="okrug_lat" if not lat else "okrug_lon",
        )
    seen = {
        "name_ru": _required_text(
            row.get("okrug_name_ru"), where=where, name="okrug_name_ru", max_length=NAME_MAX_LENGTH
        ),
        "name_en": _optional_text(
            row.get("okrug_name_en"), where=where, name="okrug_name_en", max_length=NAME_MAX_LENGTH
        ),
        "abbreviation": _optional_text(
            row.get("okrug_abbreviation"),
            where=where,
            name="okrug_abbreviation",
            max_length=ABBREVIATION_MAX_LENGTH,
        ),
        "centre": LatLon(
            lat=_coordinate(lat, where=where, name="okrug_lat", limit=90),
            lon=_coordinate(lon, where=where, name="okrug_lon", limit=180),
        )
        if lat
        else None,
    }
    before = okrugs.setdefault(code, seen)
    for name, value in seen.items():
        if before[name] is None:
            before[name] = value
        elif value is not None and value != before[name]:
            column = {"centre": "okrug_lat"}.get(name, f"okrug_{name}")
            raise InvalidInput(
                _("%(where)s: %(field)s differs from an earlier row of okrug %(code)s.")
                % {"where": where, "field": column, "code": code},
                field=column,
            )


# GeoJSON


def _read_geojson(paths: list[Path]) -> CityData:
    collections = [(path, _feature_collection(path)) for path in paths]
    district_files = [(p, fs) for p, fs in collections if _holds_districts(fs)]
    okrug_files = [(p, fs) for p, fs in collections if not _holds_districts(fs)]
    if len(district_files) != 1:
        raise InvalidInput(
            _(
                "Give one GeoJSON file of districts (features with OKATO_AO or NAME_AO), "
                "optionally with one of okrugs."
            ),
            field="file",
        )
    okrugs: dict[str, OkrugRecord] = {}
    for path, features in okrug_files:
        for number, feature in enumerate(features, start=1):
            okrug = _geojson_okrug(feature, _feature_where(path, number, feature))
            if okrug.code in okrugs:
                raise InvalidInput(
                    _("%(where)s: okrug OKATO %(code)s appears twice.")
                    % {"where": _feature_where(path, number, feature), "code": okrug.code},
                    field="OKATO",
                )
            okrugs[okrug.code] = okrug
    path, features = district_files[0]
    districts: dict[str, DistrictRecord] = {}
    named_okrugs: dict[str, dict[str, str | None]] = {}
    polygons_by_okrug: dict[str, list] = {}
    for number, feature in enumerate(features, start=1):
        where = _feature_where(path, number, feature)
        district, polygons, okrug_names = _geojson_district(feature, where, okrugs)
        if district.code in districts:
            raise InvalidInput(
                _("%(where)s: district OKATO %(code)s appears twice.")
                % {"where": where, "code": district.code},
                field="OKATO",
            )
        districts[district.code] = district
        polygons_by_okrug.setdefault(district.okrug_code, []).extend(polygons)
        if district.okrug_code not in okrugs:
            named_okrugs.setdefault(district.okrug_code, okrug_names)
    # Okrugs known only from their districts' properties: no boundary, centre from the districts.
    for code, names in named_okrugs.items():
        x, y = geometry.interior_point_of_union(polygons_by_okrug[code])
        okrugs[code] = OkrugRecord(
            code=code,
            name_ru=names["name_ru"] or "",
            name_en=names["name_en"],
            abbreviation=names["abbreviation"],
            centre=LatLon(lat=y, lon=x),
            centre_is_derived=True,
            boundary=None,
        )
    return CityData(okrugs=tuple(okrugs.values()), districts=tuple(districts.values()))


def _feature_collection(path: Path) -> list[dict]:
    try:
        document = json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            _("%(file)s is not valid JSON (line %(line)d): %(error)s")
            % {"file": path.name, "line": exc.lineno, "error": exc.msg},
            field="file",
        ) from None
    features = document.get("features") if isinstance(document, dict) else None
    if (
        not isinstance(document, dict)
        or document.get("type") != "FeatureCollection"
        or not isinstance(features, list)
    ):
        raise InvalidInput(
            _("%(file)s is not a GeoJSON FeatureCollection.") % {"file": path.name},
            field="file",
        )
    if not features:
        raise InvalidInput(_("%(file)s has no features.") % {"file": path.name}, field="file")
    crs = document.get("crs")
    crs_properties = crs.get("properties") if isinstance(crs, dict) else None
    crs_name = crs_properties.get("name", "") if isinstance(crs_properties, dict) else ""
    if crs is not None and not any(known in str(crs_name).upper() for known in ("CRS84", "4326")):
        raise InvalidInput(
            _("%(file)s: coordinates must be WGS 84 longitude/latitude, not %(crs)s.")
            % {"file": path.name, "crs": crs_name or crs},
            field="crs",
        )
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
            raise InvalidInput(
                _("%(file)s, feature %(number)d has no properties.")
                % {"file": path.name, "number": number},
                field="properties",
            )
    return features


def _holds_districts(features: list[dict]) -> bool:
    return any("OKATO_AO" in f["properties"] or "NAME_AO" in f["properties"] for f in features)


def _feature_where(path: Path, number: int, feature: dict) -> str:
    name = feature["properties"].get("NAME")
    if isinstance(name, str) and name.strip():
        return _("%(file)s, feature %(number)d (%(name)s)") % {
            "file": path.name,
            "number": number,
            "name": name.strip()[:NAME_MAX_LENGTH],
        }
    return _("%(file)s, feature %(number)d") % {"file": path.name, "number": number}


def _geojson_okrug(feature: dict, where: str) -> OkrugRecord:
    properties = feature["properties"]
    code = _required_text(
        properties.get("OKATO"), where=where, name="OKATO", max_length=CODE_MAX_LENGTH
    )
    name_ru = _required_text(
        properties.get("NAME"), where=where, name="NAME", max_length=NAME_MAX_LENGTH
    )
    boundary, polygons = _boundary(feature, where)
    x, y = _centre(polygons, where)
    return OkrugRecord(
        code=code,
        name_ru=name_ru,
        name_en=_optional_text(
            properties.get("NAME_EN"), where=where, name="NAME_EN", max_length=NAME_MAX_LENGTH
        ),
        abbreviation=_optional_text(
            properties.get("ABBREV"), where=where, name="ABBREV", max_length=ABBREVIATION_MAX_LENGTH
        ),
        centre=LatLon(lat=y, lon=x),
        centre_is_derived=False,
        boundary=boundary,
    )


def _geojson_district(
    feature: dict, where: str, okrugs: Mapping[str, OkrugRecord]
) -> tuple[DistrictRecord, list, dict[str, str | None]]:
    properties = feature["properties"]
    code = _required_text(
        properties.get("OKATO"), where=where, name="OKATO", max_length=CODE_MAX_LENGTH
    )
    name_ru = _required_text(
        properties.get("NAME"), where=where, name="NAME", max_length=NAME_MAX_LENGTH
    )
    okrug_code = _required_text(
        properties.get("OKATO_AO"), where=where, name="OKATO_AO", max_length=CODE_MAX_LENGTH
    )
    okrug_names = {
        # The okrug's name is needed only when no okrugs file describes it.
        "name_ru": (_optional_text if okrug_code in okrugs else _required_text)(
            properties.get("NAME_AO"), where=where, name="NAME_AO", max_length=NAME_MAX_LENGTH
        ),
        "name_en": _optional_text(
            properties.get("NAME_AO_EN"), where=where, name="NAME_AO_EN", max_length=NAME_MAX_LENGTH
        ),
        "abbreviation": _optional_text(
            properties.get("ABBREV_AO"),
            where=where,
            name="ABBREV_AO",
            max_length=ABBREVIATION_MAX_LENGTH,
        ),
    }
    boundary, polygons = _boundary(feature, where)
    x, y = _centre(polygons, where)
    district = DistrictRecord(
        code=code,
        okrug_code=okrug_code,
        kind=_kind(properties.get("TYPE_MO"), where=where, name="TYPE_MO"),
        name_ru=name_ru,
        name_en=_optional_text(
            properties.get("NAME_EN"), where=where, name="NAME_EN", max_length=NAME_MAX_LENGTH
        ),
        centre=LatLon(lat=y, lon=x),
        boundary=boundary,
    )
    return district, polygons, okrug_names


def _boundary(feature: dict, where: str) -> tuple[dict, list]:
    """The feature's geometry, checked: a Polygon or MultiPolygon of closed rings on the globe."""
    shape = feature.get("geometry")
    kind = shape.get("type") if isinstance(shape, dict) else None
    if kind not in {"Polygon", "MultiPolygon"}:
        raise InvalidInput(
            _("%(where)s: the geometry must be a Polygon or MultiPolygon.") % {"where": where},
            field="geometry",
        )
    assert isinstance(shape, dict)
    coordinates = shape.get("coordinates")
    parts = [coordinates] if kind == "Polygon" else coordinates
    if not isinstance(parts, list) or not parts:
        raise InvalidInput(
            _("%(where)s: the geometry has no coordinates.") % {"where": where},
            field="geometry",
        )
    for part_number, polygon in enumerate(parts, start=1):
        if not isinstance(polygon, list) or not polygon:
            raise InvalidInput(
                _("%(where)s: polygon %(number)d has no rings.")
                % {"where": where, "number": part_number},
                field="geometry",
            )
        for ring_number, ring in enumerate(polygon, start=1):
            _check_ring(ring, where=where, part=part_number, number=ring_number)
    polygons = geometry.polygons_of({"type": kind, "coordinates": coordinates})
    for part_number, polygon in enumerate(polygons, start=1):
        if geometry.polygon_area(polygon) <= 0:
            raise InvalidInput(
                _("%(where)s: polygon %(number)d has no area.")
                % {"where": where, "number": part_number},
                field="geometry",
            )
    return {"type": kind, "coordinates": coordinates}, polygons


def _check_ring(ring: Any, *, where: str, part: int, number: int) -> None:
    where = _("%(where)s: polygon %(part)d, ring %(ring)d") % {
        "where": where,
        "part": part,
        "ring": number,
    }
    if not isinstance(ring, list) or len(ring) < 4:
        raise InvalidInput(
            _("%(where)s needs at least 4 positions.") % {"where": where}, field="geometry"
        )
    for index, position in enumerate(ring, start=1):
        if (
            not isinstance(position, list)
            or len(position) < 2
            or not all(_is_number(v) for v in position)
        ):
            raise InvalidInput(
                _("%(where)s, position %(index)d is not [longitude, latitude].")
                % {"where": where, "index": index},
                field="geometry",
            )
        if not (-180 <= position[0] <= 180 and -90 <= position[1] <= 90):
            raise InvalidInput(
                _(
                    "%(where)s, position %(index)d is off the globe: longitude must be within "
                    "±180 and latitude within ±90."
                )
                % {"where": where, "index": index},
                field="geometry",
            )
    if ring[0][:2] != ring[-1][:2]:
        raise InvalidInput(
            _("%(where)s is not closed: its last position must repeat the first.")
            % {"where": where},
            field="geometry",
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _centre(polygons: list, where: str) -> tuple[Decimal, Decimal]:
    try:
        return geometry.interior_point(polygons)
    except ValueError:
        raise InvalidInput(
            _("%(where)s: the polygon is too small to hold a centre.") % {"where": where},
            field="geometry",
        ) from None


# English names


def _read_names_en(path: Path) -> dict[str, tuple[str, int]]:
    text = _read_text(path)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    code_column = "okato" if "okato" in header else "code"
    if code_column not in header or "name_en" not in header:
        raise InvalidInput(
            _("%(file)s needs the columns okato (or code) and name_en.") % {"file": path.name},
            field="name_en" if code_column in header else code_column,
        )
    names: dict[str, tuple[str, int]] = {}
    for row in reader:
        where = _("%(file)s, line %(line)d") % {"file": path.name, "line": reader.line_num}
        code = _required_text(
            row.get(code_column), where=where, name=code_column, max_length=CODE_MAX_LENGTH
        )
        name = _required_text(
            row.get("name_en"), where=where, name="name_en", max_length=NAME_MAX_LENGTH
        )
        names[code] = (name, reader.line_num)
    return names


def _with_english_names(city: CityData, names: Mapping[str, tuple[str, int]]) -> CityData:
    known = {o.code for o in city.okrugs} | {d.code for d in city.districts}
    for code, (_name, line) in names.items():
        if code not in known:
            raise InvalidInput(
                _("English names, line %(line)d: no okrug or district has the code %(code)s.")
                % {"line": line, "code": code},
                field="okato",
            )
    return CityData(
        okrugs=tuple(
            replace(o, name_en=names[o.code][0]) if o.code in names else o for o in city.okrugs
        ),
        districts=tuple(
            replace(d, name_en=names[d.code][0]) if d.code in names else d for d in city.districts
        ),
    )


# --- writing -------------------------------------------------------------------------------------


def write_city(city: CityData, *, okrug_model: Any, district_model: Any) -> LoadReport:
    """Upsert the city's okrugs and districts by code into the given models.

    The caller holds the transaction. Nothing is deleted: okrugs and districts missing from
    `city` stay as they are.
    """
    okrug_counts = _upsert(
        okrug_model,
        [
            (
                o.code,
                {
                    "name_ru": o.name_ru,
                    "name_en": o.name_en,
                    "abbreviation": o.abbreviation,
                    "boundary": o.boundary,
                },
                {"centre_lat": o.centre.lat, "centre_lon": o.centre.lon},
                o.centre_is_derived,
            )
            for o in city.okrugs
        ],
        defaults={"name_en": "", "abbreviation": ""},
    )
    okrug_ids = dict(
        okrug_model.objects.filter(code__in=[o.code for o in city.okrugs]).values_list("code", "pk")
    )
    district_counts = _upsert(
        district_model,
        [
            (
                d.code,
                {
                    "okrug_id": okrug_ids[d.okrug_code],
                    "kind": d.kind,
                    "name_ru": d.name_ru,
                    "name_en": d.name_en,
                    "boundary": d.boundary,
                },
                {"centre_lat": d.centre.lat, "centre_lon": d.centre.lon},
                False,
            )
            for d in city.districts
        ],
        defaults={"name_en": ""},
    )
    return LoadReport(
        okrugs_created=okrug_counts[0],
        okrugs_updated=okrug_counts[1],
        okrugs_unchanged=okrug_counts[2],
        districts_created=district_counts[0],
        districts_updated=district_counts[1],
        districts_unchanged=district_counts[2],
    )


def _upsert(
    model: Any,
    records: Iterable[tuple[str, dict[str, Any], dict[str, Any], bool]],
    *,
    defaults: dict[str, Any],
) -> tuple[int, int, int]:
    """(created, updated, unchanged). A None value keeps the stored one (or the default)."""
    records = list(records)
    stored = {obj.code: obj for obj in model.objects.filter(code__in=[r[0] for r in records])}
    to_create, to_update, changed_fields = [], [], set()
    unchanged = 0
    for code, values, centre, centre_is_derived in records:
        obj = stored.get(code)
        if obj is None:
            fields = {
                name: defaults.get(name) if value is None else value
                for name, value in values.items()
            }
            to_create.append(model(code=code, **fields, **centre))
            continue
        wanted = {name: value for name, value in values.items() if value is not None}
        if not centre_is_derived:
            wanted.update(centre)
        changed = [name for name, value in wanted.items() if getattr(obj, name) != value]
        if not changed:
            unchanged += 1
            continue
        for name in changed:
            setattr(obj, name, wanted[name])
        changed_fields.update(changed)
        to_update.append(obj)
    model.objects.bulk_create(to_create)
    if to_update:
        model.objects.bulk_update(to_update, sorted(changed_fields))
    return len(to_create), len(to_update), unchanged
