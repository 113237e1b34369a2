"""City novelties for the mobile app: the list (newest or best rated), a novelty with its rating
distribution, and rating one. Thin: the service decides, the selectors read."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Header, Path, Query, Router, Schema
from ninja.responses import Status

from activecitizen.accounts.auth import signed_in
from activecitizen.accounts.models import User
from activecitizen.accounts.services import authenticate_token
from activecitizen.core.api import AUTH_ERRORS, COMMON_ERRORS, Error
from activecitizen.core.errors import InvalidInput, NotFound
from activecitizen.geo.models import District
from activecitizen.novelties import selectors, services
from activecitizen.novelties.models import FEEDBACK_MAX, Novelty, Rating

router = Router(tags=["novelties"])

MAX_ID = 2**63 - 1
MAX_OFFSET = 10**9
NOVELTY_ID = Path(..., ge=1, le=MAX_ID, description="The novelty's id.")
CategoryName = Literal[
    "transport",
    "parks",
    "healthcare",
    "culture",
    "digital_services",
    "housing",
    "education",
    "ecology",
    "city_life",
]
AVERAGE = r"^[1-5]\.\d$"
CATEGORY = Query(None, description="Only novelties of this category.")


class DistrictRef(Schema):
    id: int
    name: str = Field(..., description="In the language of the request.")


class NoveltyCard(Schema):
    id: int
    title: str
    category: CategoryName
    category_label: str = Field(..., description="In the language of the request.")
    district: DistrictRef | None = Field(..., description="null: for all of the city.")
    launched_on: date
    photo: str | None = Field(..., description="The main photo's URL, or null.")
    ratings_count: int
    average: str | None = Field(
        ...,
        pattern=AVERAGE,
        description="Average stars, exact sum/count rounded half-up to one decimal; "
        "null with no ratings.",
        examples=["4.3"],
    )


class NoveltyList(Schema):
    count: int
    items: list[NoveltyCard]


class StarShareOut(Schema):
    stars: int = Field(..., ge=1, le=5)
    count: int
    percent: str = Field(
        ..., pattern=r"^\d{1,3}\.\d$", description="Of all ratings, half-up to one decimal."
    )


class PhotoOut(Schema):
    url: str
    caption: str


class MyRatingOut(Schema):
    stars: int = Field(..., ge=1, le=5)
    created_at: datetime


class NoveltyDetail(NoveltyCard):
    description: str
    photos: list[PhotoOut] = Field(..., description="More photos, after the main one.")
    points: int = Field(..., description="Points a rating earns.")
    distribution: list[StarShareOut] = Field(..., description="5 stars first.")
    my_rating: MyRatingOut | None = Field(
        ..., description="My rating when signed in and rated; null otherwise."
    )


class RatingIn(Schema):
    stars: int = Field(..., ge=1, le=5, strict=True, description="From 1 to 5.")
    feedback: str = Field(
        "",
        max_length=FEEDBACK_MAX,
        description="Optional words for the city's staff; never shown publicly.",
    )


class RatingOut(Schema):
    novelty_id: int
    stars: int = Field(..., ge=1, le=5)
    created_at: datetime
    points: int = Field(..., description="Points credited for this rating (0 on a retry).")
    ratings_count: int = Field(..., description="The novelty's ratings, this one included.")
    average: str = Field(..., pattern=AVERAGE, description="The novelty's new average.")


class AlreadyRatedOut(Error):
    rating: MyRatingOut


def _person(request: HttpRequest) -> User | None:
    """The caller when they sent a session or a live bearer token; reading is public."""
    if request.user.is_authenticated:
        return request.user  # type: ignore[return-value]
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip() and len(token) <= 200:
        return authenticate_token(token.strip())
    return None


def _average(novelty: Novelty) -> str | None:
    average = selectors.average_stars(stars_sum=novelty.stars_sum, count=novelty.ratings_count)
    return None if average is None else str(average)


def _card(request: HttpRequest, novelty: Novelty) -> dict:
    district = novelty.district
    return {
        "id": novelty.pk,
        "title": novelty.title,
        "category": novelty.category,
        "category_label": str(novelty.get_category_display()),
        "district": {"id": district.pk, "name": district.name} if district else None,
        "launched_on": novelty.launched_on,
        "photo": request.build_absolute_uri(novelty.photo.url) if novelty.photo else None,
        "ratings_count": novelty.ratings_count,
        "average": _average(novelty),
    }


def _my_rating(rating: Rating) -> dict:
    return {"stars": rating.stars, "created_at": rating.created_at}


@router.get(
    "/novelties",
    auth=None,
    response={200: NoveltyList, **COMMON_ERRORS},
    summary="Published city novelties, newest or best rated first (public)",
    description=(
        "sort=best orders by a Bayesian average: each novelty counts 5 extra ratings of 3 "
        "stars, so a few enthusiastic ratings do not outrank many good ones. `district` keeps "
        "the novelties of that district only (city-wide ones have no district). "
        "422 `field: district`: no such district."
    ),
)
def list_novelties(
    request: HttpRequest,
    sort: Literal["new", "best"] = Query("new"),
    category: CategoryName | None = CATEGORY,
    district: int | None = Query(None, ge=1, le=MAX_ID),
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
):
    if district is not None and not District.objects.filter(pk=district).exists():
        raise InvalidInput(_("There is no such district."), field="district")
    found = selectors.novelty_list(sort=sort, category=category, district_id=district)
    return {
        "count": found.count(),
        "items": [_card(request, n) for n in found[offset : offset + limit]],
    }


@router.get(
    "/novelties/{novelty_id}",
    auth=None,
    response={200: NoveltyDetail, 404: Error, **COMMON_ERRORS},
    summary="A novelty with its rating distribution, and my rating when signed in",
)
def novelty_detail(request: HttpRequest, novelty_id: int = NOVELTY_ID):
    novelty = selectors.novelty_detail(novelty_id)
    if novelty is None:
        raise NotFound(_("There is no such novelty."), code="novelty_not_found")
    summary = selectors.summary_of(novelty)
    mine = selectors.my_rating(novelty_id=novelty.pk, user=_person(request))
    return {
        **_card(request, novelty),
        "description": novelty.description,
        "photos": [
            {"url": request.build_absolute_uri(p.image.url), "caption": p.caption}
            for p in novelty.photos.all()
        ],
        "points": novelty.points,
        "distribution": [
            {"stars": s.stars, "count": s.count, "percent": str(s.percent)}
            for s in summary.distribution
        ],
        "my_rating": _my_rating(mine) if mine else None,
    }


@router.post(
    "/novelties/{novelty_id}/ratings",
    auth=signed_in,
    response={
        201: RatingOut,
        404: Error,
        409: AlreadyRatedOut | Error,
        429: Error,
        **AUTH_ERRORS,
        **COMMON_ERRORS,
    },
    summary="Rate a novelty from 1 to 5 stars, once (earns points)",
    description=(
        "Once per person: 409 `already_rated` carries the rating that stands; a retry with "
        "the same Idempotency-Key gets 201 and the same rating again. 422 `field: stars` or "
        "`feedback`; 404 `novelty_not_found`; 429 `rate_limited` with Retry-After."
    ),
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "example": {"stars": 5, "feedback": "Удобно, остановка рядом с домом"}
                }
            }
        }
    },
)
def rate_novelty(
    request: HttpRequest,
    payload: RatingIn,
    novelty_id: int = NOVELTY_ID,
    idempotency_key: str = Header(
        "",
        alias="Idempotency-Key",
        max_length=services.IDEMPOTENCY_KEY_MAX,
        description="A key of the client's choosing: a retry with it gets the same rating.",
    ),
):
    try:
        rated = services.rate_novelty(
            novelty_id=novelty_id,
            user=request.user,  # type: ignore[arg-type]
            stars=payload.stars,
            feedback=payload.feedback,
            idempotency_key=idempotency_key,
        )
    except services.AlreadyRated as already:
        if not already.replay:
            return Status(409, {**already.as_dict(), "rating": _my_rating(already.rating)})
        rating, novelty, points = already.rating, Novelty.objects.get(pk=novelty_id), 0
    else:
        rating, novelty, points = rated.rating, rated.novelty, rated.points
    return Status(
        201,
        {
            "novelty_id": novelty.pk,
            "stars": rating.stars,
            "created_at": rating.created_at,
            "points": points,
            "ratings_count": novelty.ratings_count,
            "average": _average(novelty) or "",
        },
    )
