"""The city's okrugs and districts (API.md: GET /districts)."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpRequest
from ninja import Router, Schema

from activecitizen.geo.selectors import okrugs_with_districts

router = Router(tags=["city"])


class Point(Schema):
    lat: Decimal
    lon: Decimal


class DistrictOut(Schema):
    id: int
    code: str
    kind: str
    name: str
    name_ru: str
    name_en: str
    centre: Point


class OkrugOut(Schema):
    id: int
    code: str
    abbreviation: str
    name: str
    name_ru: str
    name_en: str
    centre: Point
    districts: list[DistrictOut]


class OkrugList(Schema):
    count: int
    items: list[OkrugOut]


def _district(d) -> dict:
    return {
        "id": d.pk,
        "code": d.code,
        "kind": d.kind,
        "name": d.name,
        "name_ru": d.name_ru,
        "name_en": d.name_en,
        "centre": {"lat": d.centre_lat, "lon": d.centre_lon},
    }


@router.get("/districts", response=OkrugList, summary="Okrugs with their districts")
def districts(request: HttpRequest):
    items = [
        {
            "id": o.pk,
            "code": o.code,
            "abbreviation": o.abbreviation,
            "name": o.name,
            "name_ru": o.name_ru,
            "name_en": o.name_en,
            "centre": {"lat": o.centre_lat, "lon": o.centre_lon},
            "districts": [_district(d) for d in o.districts.all()],
        }
        for o in okrugs_with_districts()
    ]
    return {"count": len(items), "items": items}
