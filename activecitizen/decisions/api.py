"""Decisions for the mobile app and outside clients: the list with filters, a decision with its
progress, steps and updates, and GeoJSON for maps. Public; thin: the selectors read."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema

from activecitizen.core.api import COMMON_ERRORS, Error
from activecitizen.core.errors import InvalidInput, NotFound
from activecitizen.decisions import selectors
from activecitizen.decisions.models import Decision, Status
from activecitizen.geo.models import District

router = Router(tags=["decisions"])

MAX_ID = 2**31 - 1
MAX_OFFSET = 1_000_000
GEOJSON_MAX_FEATURES = 5000
StatusName = Literal["planned", "in_progress", "done", "cancelled"]
CategoryName = Literal[
    "transport",
    "parks",
    "healthcare",
    "culture",
    "housing",
    "education",
    "ecology",
    "sport",
    "safety",
    "city",
]


class DistrictOut(Schema):
    id: int
    name: str


class SourceOut(Schema):
    kind: Literal["poll", "project", "novelty"]
    id: int


class DecisionOut(Schema):
    id: int
    title: str
    status: StatusName
    status_label: str = Field(..., description="The status in the language of the request.")
    category: CategoryName
    department: str
    source: SourceOut | None = Field(..., description="The poll, project or novelty behind it.")
    planned_start: date | None
    planned_finish: date | None
    done_on: date | None
    cancel_reason: str
    lat: Decimal | None
    lon: Decimal | None
    districts: list[DistrictOut]
    progress: int = Field(
        ...,
        ge=0,
        le=100,
        description="Whole percent: 100 once done, else the steps' weighted mean rounded half up.",
    )


class DecisionList(Schema):
    count: int
    items: list[DecisionOut]


class StepOut(Schema):
    id: int
    title: str
    weight: int
    percent: int
    done: bool


class UpdateOut(Schema):
    id: int
    text: str
    photo: str | None = Field(..., description="The photo's URL, if any.")
    created_at: datetime


class DecisionDetail(DecisionOut):
    description: str
    steps: list[StepOut]
    updates: list[UpdateOut] = Field(..., description="Newest first.")


class GeoJsonOut(Schema):
    type: Literal["FeatureCollection"]
    features: list[dict]


def _source(decision: Decision) -> dict | None:
    for kind, value in (
        ("poll", decision.poll_id),
        ("project", decision.project_id),
        ("novelty", decision.novelty_id),
    ):
        if value is not None:
            return {"kind": kind, "id": value}
    return None


def _decision(decision: Decision) -> dict:
    return {
        "id": decision.pk,
        "title": decision.title,
        "status": decision.status,
        "status_label": str(Status(decision.status).label),
        "category": decision.category,
        "department": decision.department,
        "source": _source(decision),
        "planned_start": decision.planned_start,
        "planned_finish": decision.planned_finish,
        "done_on": decision.done_on,
        "cancel_reason": decision.cancel_reason,
        "lat": decision.lat,
        "lon": decision.lon,
        "districts": [{"id": d.pk, "name": d.name} for d in decision.districts.all()],
        "progress": selectors.progress(decision),
    }


def _check_district(district: int | None) -> None:
    if district is not None and not District.objects.filter(pk=district).exists():
        raise InvalidInput(_("There is no such district."), field="district")


def _bbox(text: str) -> tuple[Decimal, Decimal, Decimal, Decimal] | None:
    if not text:
        return None
    try:
        west, south, east, north = (Decimal(p.strip()) for p in text.split(","))
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


STATUS_FILTER = Query(None, description="Only decisions in this status.")
CATEGORY_FILTER = Query(None, description="Only decisions of this category.")
DISTRICT_FILTER = Query(None, ge=1, le=MAX_ID, description="Only decisions in this district.")
YEAR_FILTER = Query(
    None,
    ge=selectors.YEAR_MIN,
    le=selectors.YEAR_MAX,
    description="Only decisions planned to finish, or done, in this year.",
)


@router.get(
    "/decisions",
    auth=None,
    response={200: DecisionList, **COMMON_ERRORS},
    summary="Published decisions with their progress, newest first, with filters",
)
def list_decisions(
    request: HttpRequest,
    status: StatusName | None = STATUS_FILTER,
    category: CategoryName | None = CATEGORY_FILTER,
    district: int | None = DISTRICT_FILTER,
    year: int | None = YEAR_FILTER,
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
):
    _check_district(district)
    decisions = selectors.decision_list(
        status=status, category=category, district_id=district, year=year
    )
    return {
        "count": decisions.count(),
        "items": [_decision(d) for d in decisions[offset : offset + limit]],
    }


@router.get(
    "/decisions.geojson",
    auth=None,
    response={200: GeoJsonOut, **COMMON_ERRORS},
    summary="Published decisions with a place as GeoJSON points, for maps",
    description="422 with field `bbox` when it is not west,south,east,north within the globe.",
)
def decisions_geojson(
    request: HttpRequest,
    bbox: str = Query("", max_length=100, description="west,south,east,north (WGS 84)"),
    status: StatusName | None = STATUS_FILTER,
    category: CategoryName | None = CATEGORY_FILTER,
    district: int | None = DISTRICT_FILTER,
    year: int | None = YEAR_FILTER,
):
    box = _bbox(bbox)
    _check_district(district)
    decisions = selectors.decision_list(
        status=status, category=category, district_id=district, year=year
    ).filter(lat__isnull=False, lon__isnull=False)
    if box is not None:
        west, south, east, north = box
        decisions = decisions.filter(lon__gte=west, lon__lte=east, lat__gte=south, lat__lte=north)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                # GeoJSON wants numbers; six decimals are exact enough in a double.
                "geometry": {"type": "Point", "coordinates": [float(d.lon), float(d.lat)]},
                "properties": {
                    "id": d.pk,
                    "title": d.title,
                    "status": d.status,
                    "category": d.category,
                    "progress": selectors.progress(d),
                },
            }
            for d in decisions[:GEOJSON_MAX_FEATURES]
        ],
    }


@router.get(
    "/decisions/{decision_id}",
    auth=None,
    response={200: DecisionDetail, 404: Error, **COMMON_ERRORS},
    summary="A published decision with its progress, steps and updates",
)
def decision_detail(
    request: HttpRequest,
    decision_id: int = Path(..., ge=1, le=MAX_ID, description="The decision's id."),
):
    decision = selectors.decision_page(decision_id)
    if decision is None:
        raise NotFound(_("There is no such decision."), code="decision_not_found")
    return {
        **_decision(decision),
        "description": decision.description,
        "steps": [
            {
                "id": s.pk,
                "title": s.title,
                "weight": s.weight,
                "percent": s.percent,
                "done": s.is_done,
            }
            for s in decision.steps.all()
        ],
        "updates": [
            {
                "id": u.pk,
                "text": u.text,
                "photo": request.build_absolute_uri(u.photo.url) if u.photo else None,
                "created_at": u.created_at,
            }
            for u in decision.updates.all()
        ],
    }
