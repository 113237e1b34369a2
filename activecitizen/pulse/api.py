"""Pulse of the capital for the mobile app: rankings of facilities, a facility with its aspects
and trend, a resident's rating, and GeoJSON for maps. Thin: the services decide, the selectors
read."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status

from activecitizen.accounts.auth import signed_in
from activecitizen.accounts.models import User
from activecitizen.accounts.services import authenticate_token
from activecitizen.core.api import AUTH_ERRORS, COMMON_ERRORS, Error
from activecitizen.core.errors import InvalidInput, NotFound
from activecitizen.geo.models import District
from activecitizen.pulse import selectors, services
from activecitizen.pulse.models import COMMENT_MAX_LENGTH, Category, Facility, FacilityRating

router = Router(tags=["pulse"])

MAX_ID = 2**31 - 1
MAX_OFFSET = 1_000_000
CategoryName = Literal[
    "park",
    "clinic",
    "library",
    "service_centre",
    "school",
    "transport_hub",
    "sports_centre",
    "theatre_museum",
]
CATEGORY_FILTER = Query(None, description="Only facilities of this category.")
FACILITY_ID = Path(..., ge=1, le=MAX_ID, description="The facility's id.")
CATEGORY_LABELS = dict(Category.choices)


# --- Schemas -----------------------------------------------------------------------------------


class DistrictOut(Schema):
    id: int
    name: str


class FacilityOut(Schema):
    id: int
    name: str
    category: CategoryName
    category_label: str = Field(..., description="The category in the language of the request.")
    address: str
    district: DistrictOut
    lat: Decimal
    lon: Decimal
    index: float = Field(
        ...,
        description="(C·m + Σscores) / (C + n): the mean score pulled towards the category's "
        "mean m, with C ratings of prior weight (20 by default).",
    )
    ratings_count: int
    average: float | None = Field(..., description="The plain mean score; null without ratings.")


class FacilityList(Schema):
    count: int
    items: list[FacilityOut]


class AspectOut(Schema):
    code: str
    name: str
    average: float | None
    ratings_count: int


class MonthOut(Schema):
    month: date = Field(..., description="The first day of the month.")
    average: float | None
    ratings_count: int


class MyRatingOut(Schema):
    id: int
    facility_id: int
    score: int
    aspects: dict[str, int]
    comment: str
    comment_status: Literal["none", "pending", "published", "rejected"]
    month: date
    next_rating_from: date = Field(..., description="When this person may rate it again.")


class FacilityDetail(FacilityOut):
    prior_mean: float = Field(..., description="m: the mean score of the category.")
    prior_weight: int = Field(..., description="C: the prior's weight in ratings.")
    aspects: list[AspectOut]
    trend: list[MonthOut] = Field(..., description="The last 12 months, oldest first.")
    my_rating: MyRatingOut | None = Field(
        ..., description="My rating this month (signed in), else null."
    )


class RatingIn(Schema):
    score: int = Field(..., ge=1, le=5)
    aspects: dict[str, int] = Field(
        default_factory=dict,
        description='Scores 1..5 of some of the category\'s aspects, e.g. {"cleanliness": 4}.',
    )
    comment: str = Field("", max_length=COMMENT_MAX_LENGTH, description="Shown once moderated.")


class RatingCreated(MyRatingOut):
    facility: FacilityOut = Field(..., description="The facility with its new index and count.")


class AlreadyRatedOut(Error):
    next_rating_from: date


class GeoJsonOut(Schema):
    type: Literal["FeatureCollection"]
    features: list[dict]


# --- Shapes ------------------------------------------------------------------------------------


def _facility(facility: Facility, index: float) -> dict:
    return {
        "id": facility.pk,
        "name": facility.name,
        "category": facility.category,
        "category_label": str(CATEGORY_LABELS.get(facility.category, facility.category)),
        "address": facility.address,
        "district": {"id": facility.district_id, "name": facility.district.name},
        "lat": facility.lat,
        "lon": facility.lon,
        "index": round(index, 4),
        "ratings_count": facility.ratings_count,
        "average": round(facility.average, 4) if facility.average is not None else None,
    }


def _rating(rating: FacilityRating) -> dict:
    return {
        "id": rating.pk,
        "facility_id": rating.facility_id,
        "score": rating.score,
        "aspects": rating.aspects,
        "comment": rating.comment,
        "comment_status": rating.comment_status,
        "month": rating.month,
        "next_rating_from": services.next_month(rating.month),
    }


def _person(request: HttpRequest) -> User | None:
    """The caller, when they sent a session or a live bearer token; the pages are public."""
    if request.user.is_authenticated:
        return request.user  # type: ignore[return-value]
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token and len(token) <= 200:
        return authenticate_token(token.strip())
    return None


def _check_district(district: int | None) -> None:
    if district is not None and not District.objects.filter(pk=district).exists():
        raise InvalidInput(_("There is no such district."), field="district")


# --- Endpoints ---------------------------------------------------------------------------------


@router.get(
    "/pulse/facilities",
    auth=None,
    response={200: FacilityList, **COMMON_ERRORS},
    summary="Facilities ranked by their index (or by name), with filters",
)
def list_facilities(
    request: HttpRequest,
    category: CategoryName | None = CATEGORY_FILTER,
    district: int | None = Query(None, ge=1, le=MAX_ID),
    sort: Literal["index", "name"] = Query("index"),
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
):
    _check_district(district)
    ranked = selectors.rankings(category=category, district_id=district, sort=sort)
    return {
        "count": ranked.count(),
        "items": [_facility(f, f.index) for f in ranked[offset : offset + limit]],
    }


def _bbox(text: str) -> tuple[Decimal, Decimal, Decimal, Decimal] | None:
    if not text:
        return None
    parts = text.split(",")
    try:
        west, south, east, north = (Decimal(p.strip()) for p in parts)
    except (ValueError, ArithmeticError, TypeError):
        west = None
    if (
        west is None
        or not all(d.is_finite() for d in (west, south, east, north))
        or not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90)
    ):
        raise InvalidInput(
            _("bbox is west,south,east,north in degrees, e.g. 37.3,55.5,37.9,55.95."),
            field="bbox",
        )
    return west, south, east, north


@router.get(
    "/pulse/facilities.geojson",
    auth=None,
    response={200: GeoJsonOut, **COMMON_ERRORS},
    summary="Facilities as GeoJSON points with their index, for maps",
)
def facilities_geojson(
    request: HttpRequest,
    bbox: str = Query("", max_length=100, description="west,south,east,north (WGS 84)"),
    category: CategoryName | None = CATEGORY_FILTER,
):
    box = _bbox(bbox)
    ranked = selectors.rankings(category=category)
    if box is not None:
        west, south, east, north = box
        ranked = ranked.filter(lon__gte=west, lon__lte=east, lat__gte=south, lat__lte=north)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                # GeoJSON wants numbers; six decimals are exact enough in a double.
                "geometry": {"type": "Point", "coordinates": [float(f.lon), float(f.lat)]},
                "properties": {
                    "id": f.pk,
                    "name": f.name,
                    "category": f.category,
                    "index": round(f.index, 4),
                    "ratings_count": f.ratings_count,
                },
            }
            for f in ranked[:5000]
        ],
    }


@router.get(
    "/pulse/facilities/{facility_id}",
    auth=None,
    response={200: FacilityDetail, 404: Error, **COMMON_ERRORS},
    summary="A facility with its aspects, 12-month trend, and my rating this month",
)
def facility_detail(request: HttpRequest, facility_id: int = FACILITY_ID):
    data = selectors.facility_page(facility_id, _person(request))
    if data is None:
        raise NotFound(_("There is no such facility."), code="facility_not_found")
    return {
        **_facility(data.facility, data.index),
        "prior_mean": round(data.prior_mean, 4),
        "prior_weight": data.prior_weight,
        "aspects": [
            {
                "code": a.code,
                "name": a.name,
                "average": round(a.average, 4) if a.average is not None else None,
                "ratings_count": a.ratings_count,
            }
            for a in data.aspects
        ],
        "trend": [
            {
                "month": p.month,
                "average": round(p.average, 4) if p.average is not None else None,
                "ratings_count": p.ratings_count,
            }
            for p in data.trend
        ],
        "my_rating": _rating(data.my_rating) if data.my_rating else None,
    }


@router.post(
    "/pulse/facilities/{facility_id}/ratings",
    auth=signed_in,
    response={
        201: RatingCreated,
        404: Error,
        409: AlreadyRatedOut,
        429: Error,
        **AUTH_ERRORS,
        **COMMON_ERRORS,
    },
    summary="Rate a facility (once per calendar month)",
    description=(
        "409 `already_rated_this_month` with `next_rating_from`; 422 names the field at fault "
        "(`score`, `aspects`, `comment`); 429 with Retry-After when rating too fast. A comment "
        "is shown to others once a moderator publishes it."
    ),
)
def rate(request: HttpRequest, body: RatingIn, facility_id: int = FACILITY_ID):
    try:
        rating = services.rate_facility(
            facility_id=facility_id,
            user=request.user,  # type: ignore[arg-type]
            score=body.score,
            aspects=body.aspects,
            comment=body.comment,
            now=timezone.now(),
        )
    except services.AlreadyRatedThisMonth as already:
        return Status(409, {**already.as_dict(), "next_rating_from": already.next_from})
    data = selectors.facility_page(facility_id, None)
    facility = _facility(data.facility, data.index) if data else None
    return Status(201, {**_rating(rating), "facility": facility})
