"""The city's okrugs and districts (API.md: GET /districts, GET /districts/{id})."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema

from activecitizen.core.api import COMMON_ERRORS, Error
from activecitizen.core.errors import NotFound
from activecitizen.geo.models import District, Okrug
from activecitizen.geo.selectors import district_with_okrug, okrugs_with_districts

router = Router(tags=["city"])

# Ids are 64-bit; larger numbers are refused as invalid rather than looked up.
MAX_ID = 2**63 - 1
ATTRIBUTION = "Boundaries © OpenStreetMap contributors, ODbL 1.0."


class Point(Schema):
    lat: Decimal
    lon: Decimal


class DistrictOut(Schema):
    id: int
    code: str
    kind: Literal["district", "settlement", "urban_okrug"]
    name: str
    name_ru: str
    name_en: str
    centre: Point


class OkrugRef(Schema):
    id: int
    code: str
    abbreviation: str
    name: str
    name_ru: str
    name_en: str
    centre: Point


class OkrugOut(OkrugRef):
    districts: list[DistrictOut]


class OkrugList(Schema):
    count: int
    items: list[OkrugOut]


class PolygonGeometry(Schema):
    type: Literal["Polygon"]
    coordinates: list[list[list[float]]] = Field(
        description="rings of [longitude, latitude] positions (WGS 84), the outer ring first"
    )


class MultiPolygonGeometry(Schema):
    type: Literal["MultiPolygon"]
    coordinates: list[list[list[list[float]]]] = Field(
        description="polygons, each a list of rings of [longitude, latitude] positions (WGS 84)"
    )


Boundary = Annotated[PolygonGeometry | MultiPolygonGeometry, Field(discriminator="type")]


class DistrictDetail(DistrictOut):
    okrug: OkrugRef
    boundary: Boundary | None = Field(description=f"a GeoJSON geometry. {ATTRIBUTION}")


def _centre(place: Okrug | District) -> dict[str, Decimal]:
    return {"lat": place.centre_lat, "lon": place.centre_lon}


def _okrug_ref(o: Okrug) -> dict[str, Any]:
    return {
        "id": o.pk,
        "code": o.code,
        "abbreviation": o.abbreviation,
        "name": o.name,
        "name_ru": o.name_ru,
        "name_en": o.name_en,
        "centre": _centre(o),
    }


def _district(d: District) -> dict[str, Any]:
    return {
        "id": d.pk,
        "code": d.code,
        "kind": d.kind,
        "name": d.name,
        "name_ru": d.name_ru,
        "name_en": d.name_en,
        "centre": _centre(d),
    }


@router.get(
    "/districts",
    response={200: OkrugList, 404: Error, **COMMON_ERRORS},
    summary="Okrugs with their districts",
    description="`?okrug=<id>` gives only that okrug; an unknown okrug is a 404.",
)
def districts(
    request: HttpRequest,
    okrug: Annotated[int | None, Query(ge=1, le=MAX_ID, description="an okrug's id")] = None,
):
    okrugs = okrugs_with_districts()
    if okrug is not None:
        okrugs = okrugs.filter(pk=okrug)
    items = [
        {**_okrug_ref(o), "districts": [_district(d) for d in o.districts.all()]} for o in okrugs
    ]
    if okrug is not None and not items:
        raise NotFound(_("Unknown okrug."), field="okrug")
    return {"count": len(items), "items": items}


@router.get(
    "/districts/{id}",
    response={200: DistrictDetail, 404: Error, **COMMON_ERRORS},
    summary="A district with its okrug and boundary",
    description=ATTRIBUTION,
)
def district(
    request: HttpRequest,
    id: Annotated[int, Path(ge=1, le=MAX_ID, description="the district's id")],
):
    found = district_with_okrug(district_id=id)
    if found is None:
        raise NotFound(_("Unknown district."), field="id")
    return {**_district(found), "okrug": _okrug_ref(found.okrug), "boundary": found.boundary}
