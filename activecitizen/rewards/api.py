"""Points and the shop for the mobile app (API.md): GET /me/points; the catalogue, orders, and
the cashier's desk."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Header, Path, Query, Router, Schema
from ninja.responses import Status

from activecitizen.accounts.auth import TokenHash, signed_in, signed_in_deferred
from activecitizen.accounts.models import User
from activecitizen.accounts.services import authenticate_token
from activecitizen.core.api import AUTH_ERRORS, COMMON_ERRORS, Error
from activecitizen.core.errors import InvalidInput, NotFound, NotSignedIn
from activecitizen.geo.models import District
from activecitizen.rewards import selectors, services
from activecitizen.rewards.models import LedgerEntry, Order, Reward, StatusLevel

router = Router(tags=["points"])

# Offsets beyond any real history are refused instead of overflowing the database's integers.
MAX_OFFSET = 10**9


class StatusOut(Schema):
    code: str = Field(..., examples=["active_citizen"])
    name: str = Field(..., description="In the language of the request.")
    min_points: int = Field(..., description="Lifetime points needed for this status.")


class EntryOut(Schema):
    id: int
    amount: int = Field(..., description="Positive when earned, negative when spent.")
    reason: str = Field(..., examples=["poll"])
    reason_label: str = Field(..., description="The reason in the language of the request.")
    reference: str = Field(..., description='What the points were for, e.g. "poll:12".')
    created_at: datetime


class PointsOut(Schema):
    balance: int = Field(..., description="Points that can be spent now.")
    lifetime: int = Field(..., description="Points earned in all; the status follows it.")
    status: StatusOut
    next_status: StatusOut | None = Field(..., description="null at the highest status.")
    entries: list[EntryOut] = Field(..., description="The history, newest first, one page.")
    count: int = Field(..., description="How many entries the whole history has.")


def _status(level: StatusLevel) -> dict:
    return {"code": level.code, "name": level.name, "min_points": level.min_lifetime_points}


def _entry(entry: LedgerEntry) -> dict:
    return {
        "id": entry.pk,
        "amount": entry.amount,
        "reason": entry.reason,
        "reason_label": str(entry.get_reason_display()),
        "reference": entry.reference,
        "created_at": entry.created_at,
    }


@router.get(
    "/me/points",
    auth=signed_in,
    response={200: PointsOut, 401: Error, 422: Error},
    summary="My points: balance, status and history",
)
def my_points(
    request: HttpRequest,
    limit: int = Query(20, ge=1, le=100, description="Entries per page"),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
):
    summary = selectors.points_summary(request.user.pk, limit=limit, offset=offset)
    return {
        "balance": summary.balance,
        "lifetime": summary.lifetime,
        "status": _status(summary.status),
        "next_status": _status(summary.next_status) if summary.next_status else None,
        "entries": [_entry(e) for e in summary.entries],
        "count": summary.count,
    }


# --- The shop (API.md: /rewards, /me/orders, /cashier) -------------------------------------------

shop = Router(tags=["shop"])
MAX_ID = 2**63 - 1


class PartnerRef(Schema):
    id: int
    name: str


class CampaignRef(Schema):
    id: int
    title: str
    ends_at: datetime


class DistrictRef(Schema):
    id: int
    name: str = Field(..., description="In the language of the request.")


class IssuePointOut(Schema):
    id: int
    name: str
    address: str
    partner: PartnerRef
    district: DistrictRef
    lat: Decimal
    lon: Decimal
    opening_hours: str


class PickUpPointOut(IssuePointOut):
    units_left: int


class RewardCard(Schema):
    id: int
    title: str
    partner: PartnerRef
    category: str = Field(..., examples=["tickets"])
    category_label: str = Field(..., description="In the language of the request.")
    delivery: Literal["pick_up", "promo_code", "donation"]
    price: int = Field(..., description="In points.")
    units_left: int | None = Field(..., description="null for donations, which never run out.")
    sold_out: bool
    on_sale: bool = Field(..., description="false before the sale opens.")
    sale_starts_at: datetime | None
    sale_ends_at: datetime | None
    image: str | None = Field(..., description="The image's URL, or null.")
    campaign: CampaignRef | None = Field(
        ..., description="Set: only people who took part in the campaign's polls may order."
    )
    min_status: str | None = Field(..., description="The code of the status needed, or null.")


class RewardList(Schema):
    count: int
    items: list[RewardCard]


class RewardDetail(RewardCard):
    description: str
    voucher_valid_days: int = Field(..., description="Days to pick up once the order is ready.")
    per_person_limit: int | None
    pick_up_points: list[PickUpPointOut]


class IssuePointList(Schema):
    count: int
    items: list[IssuePointOut]


class RewardRef(Schema):
    id: int
    title: str
    delivery: str
    partner: PartnerRef


class OrderOut(Schema):
    id: int
    reward: RewardRef
    status: Literal["reserved", "ready", "issued", "cancelled", "expired"]
    status_label: str
    price: int
    voucher_code: str = Field(
        ..., description="16 characters; show it as text and as a QR code encoding it."
    )
    promo_code: str | None = Field(..., description="The e-promo code, for promo-code rewards.")
    issue_point: IssuePointOut | None
    created_at: datetime
    ready_at: datetime | None
    valid_until: datetime | None = Field(..., description="Pick up by then, or it expires.")
    issued_at: datetime | None
    can_cancel: bool


class OrderList(Schema):
    count: int
    items: list[OrderOut]


class OrderIn(Schema):
    issue_point_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="Where to pick it up; null for codes and donations."
    )


class DeskOrderOut(OrderOut):
    person: str = Field(..., description="The first name, to greet them; no other details.")


def _partner(partner) -> dict:
    return {"id": partner.pk, "name": partner.name}


def _point(point) -> dict:
    return {
        "id": point.pk,
        "name": point.name,
        "address": point.address,
        "partner": _partner(point.partner),
        "district": {"id": point.district_id, "name": point.district.name},
        "lat": point.lat,
        "lon": point.lon,
        "opening_hours": point.opening_hours,
    }


def _card(request: HttpRequest, reward: Reward, now: datetime) -> dict:
    campaign = reward.campaign
    return {
        "id": reward.pk,
        "title": reward.title,
        "partner": _partner(reward.partner),
        "category": reward.category,
        "category_label": str(reward.get_category_display()),
        "delivery": reward.delivery,
        "price": reward.price,
        "units_left": None if reward.delivery == Reward.Delivery.DONATION else reward.units_left,  # type: ignore[attr-defined]
        "sold_out": selectors.is_sold_out(reward),
        "on_sale": reward.on_sale(now),
        "sale_starts_at": reward.sale_starts_at,
        "sale_ends_at": reward.sale_ends_at,
        "image": request.build_absolute_uri(reward.image.url) if reward.image else None,
        "campaign": {"id": campaign.pk, "title": campaign.title, "ends_at": campaign.ends_at}
        if campaign
        else None,
        "min_status": reward.min_status.code if reward.min_status else None,
    }


def _order(order: Order) -> dict:
    code = getattr(order, "promo_code", None)
    return {
        "id": order.pk,
        "reward": {
            "id": order.reward_id,
            "title": order.reward.title,
            "delivery": order.reward.delivery,
            "partner": _partner(order.reward.partner),
        },
        "status": order.status,
        "status_label": str(order.get_status_display()),
        "price": order.price,
        "voucher_code": order.voucher_code,
        "promo_code": code.code if code is not None else None,
        "issue_point": _point(order.issue_point) if order.issue_point else None,
        "created_at": order.created_at,
        "ready_at": order.ready_at,
        "valid_until": order.valid_until,
        "issued_at": order.issued_at,
        "can_cancel": order.is_open,
    }


def _signed_in_person(request: HttpRequest) -> User | None:
    """The caller, when they sent a session or a live bearer token; the catalogue is public."""
    if request.user.is_authenticated:
        return request.user  # type: ignore[return-value]
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() == "bearer" and token:
        return authenticate_token(token.strip())
    return None


@shop.get(
    "/rewards",
    auth=None,
    response={200: RewardList, 401: Error, **COMMON_ERRORS},
    summary="The shop's catalogue, with filters (public; affordable=true needs sign-in)",
)
def rewards(
    request: HttpRequest,
    category: Literal["tickets", "transport", "bikes", "souvenirs", "promo_codes", "charity"]
    | None = Query(None),
    district: int | None = Query(None, ge=1, le=MAX_ID, description="Where it can be picked up"),
    max_price: int | None = Query(None, ge=0, le=MAX_ID),
    affordable: bool = Query(False, description="Only what my balance buys (sign-in needed)"),
    available: bool = Query(False, description="Hide what is sold out"),
    q: str = Query("", max_length=100, description="Words in the title, text or partner"),
    sort: Literal["new", "price", "-price"] = Query("new"),
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
):
    person = _signed_in_person(request) if affordable else None
    if affordable and person is None:
        raise NotSignedIn(_("Sign in to see what your points buy."))
    if district is not None and not District.objects.filter(pk=district).exists():
        raise InvalidInput(_("There is no such district."), field="district")
    filters = selectors.CatalogueFilters(
        category=category,
        district_id=district,
        max_price=max_price,
        affordable_for=person.pk if person else None,
        search=q,
        available_only=available,
        order_by=sort,
    )
    shelf = selectors.catalogue(filters)
    now = timezone.now()
    return {
        "count": shelf.count(),
        "items": [
            _card(request, r, now)
            for r in selectors.with_units_left(shelf[offset : offset + limit])
        ],
    }


@shop.get(
    "/rewards/{reward_id}",
    auth=None,
    response={200: RewardDetail, 404: Error, **COMMON_ERRORS},
    summary="A reward, with where it can be picked up",
)
def reward(request: HttpRequest, reward_id: int = Path(..., ge=1, le=MAX_ID)):
    found = selectors.reward_detail(reward_id)
    if found is None:
        raise NotFound(_("There is no such reward."), code="reward_not_found")
    return {
        **_card(request, found, timezone.now()),
        "description": found.description,
        "voucher_valid_days": found.voucher_valid_days,
        "per_person_limit": found.per_person_limit,
        "pick_up_points": [
            {**_point(stock.issue_point), "units_left": stock.quantity}
            for stock in selectors.pick_up_points(found)
        ],
    }


@shop.get(
    "/issue-points",
    auth=None,
    response={200: IssuePointList, **COMMON_ERRORS},
    summary="Where rewards are picked up (for the map)",
)
def issue_points(
    request: HttpRequest,
    district: int | None = Query(None, ge=1, le=MAX_ID),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
):
    points = selectors.issue_points(district_id=district)
    return {"count": points.count(), "items": [_point(p) for p in points[offset : offset + limit]]}


@shop.post(
    "/rewards/{reward_id}/orders",
    auth=signed_in_deferred,
    response={201: OrderOut, 404: Error, 409: Error, 429: Error, **AUTH_ERRORS, **COMMON_ERRORS},
    summary="Order a reward (a retry with the same Idempotency-Key gets the same order)",
    description=(
        "409 `sold_out`, `limit_reached`, `not_on_sale`, `idempotency_key_reused`; "
        "422 `insufficient_points`, or a bad `issue_point_id`; "
        "403 `status_too_low`, `not_eligible` (a campaign's reward); 429 `rate_limited`."
    ),
    openapi_extra={
        "requestBody": {"content": {"application/json": {"example": {"issue_point_id": 7}}}}
    },
)
def place_order(
    request: HttpRequest,
    payload: OrderIn,
    reward_id: int = Path(..., ge=1, le=MAX_ID),
    idempotency_key: str = Header("", alias="Idempotency-Key", max_length=200),
):
    # The app's token is read inside the order's first statement (see services.place_order).
    person = (
        {"token_hash": request.auth.key_hash}
        if isinstance(request.auth, TokenHash)
        else {"user": request.user}
    )
    placed = services.place_order(
        **person,  # type: ignore[arg-type]
        reward_id=reward_id,
        issue_point_id=payload.issue_point_id,
        idempotency_key=idempotency_key,
    )
    return Status(201, _order(_fresh(placed.order.pk)))


def _fresh(order_id: int) -> Order:
    return Order.objects.select_related(
        "reward",
        "reward__partner",
        "issue_point",
        "issue_point__partner",
        "issue_point__district",
        "promo_code",
    ).get(pk=order_id)


def _mine(request: HttpRequest) -> QuerySet[Order]:
    return selectors.my_orders(request.user.pk).select_related(
        "issue_point__partner", "issue_point__district"
    )


@shop.get(
    "/me/orders",
    auth=signed_in,
    response={200: OrderList, **AUTH_ERRORS, 422: Error},
    summary="My orders, newest first",
)
def my_orders(
    request: HttpRequest,
    status: Literal["reserved", "ready", "issued", "cancelled", "expired"] | None = Query(None),
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
):
    mine = _mine(request)
    if status is not None:
        mine = mine.filter(status=status)
    return {"count": mine.count(), "items": [_order(o) for o in mine[offset : offset + limit]]}


@shop.get(
    "/me/orders/{order_id}",
    auth=signed_in,
    response={200: OrderOut, 404: Error, **AUTH_ERRORS, 422: Error},
    summary="One of my orders, with its voucher code",
)
def my_order(request: HttpRequest, order_id: int = Path(..., ge=1, le=MAX_ID)):
    found = _mine(request).filter(pk=order_id).first()
    if found is None:
        raise NotFound(_("There is no such order."), code="order_not_found")
    return _order(found)


@shop.post(
    "/me/orders/{order_id}/cancel",
    auth=signed_in,
    response={200: OrderOut, 404: Error, 409: Error, **AUTH_ERRORS, **COMMON_ERRORS},
    summary="Cancel my order before pick-up: the points come back once",
)
def cancel_order(request: HttpRequest, order_id: int = Path(..., ge=1, le=MAX_ID)):
    services.cancel_order(order_id=order_id, by=request.user)  # type: ignore[arg-type]
    return _order(_fresh(order_id))


VOUCHER = Path(..., min_length=1, max_length=40, description="As printed or scanned")


def _desk(order: Order) -> dict:
    return {**_order(order), "person": order.user.first_name}


@shop.get(
    "/cashier/vouchers/{code}",
    auth=signed_in,
    response={200: DeskOrderOut, 404: Error, **AUTH_ERRORS, **COMMON_ERRORS},
    summary="A partner's cashier looks a voucher up (logged)",
)
def look_up_voucher(request: HttpRequest, code: str = VOUCHER):
    found = services.find_voucher(code=code, by=request.user)  # type: ignore[arg-type]
    return _desk(_fresh_with_person(found.pk))


@shop.post(
    "/cashier/vouchers/{code}/issue",
    auth=signed_in,
    response={200: DeskOrderOut, 404: Error, 409: Error, **AUTH_ERRORS, **COMMON_ERRORS},
    summary="A partner's cashier hands the reward over and marks the voucher issued",
    description="409 `already_issued`, `order_cancelled`, `order_expired`, `order_not_ready`; "
    "403 `other_partner`; 404 `voucher_not_found`; 422 a malformed code.",
)
def issue_voucher(request: HttpRequest, code: str = VOUCHER):
    issued = services.issue_voucher(code=code, by=request.user)  # type: ignore[arg-type]
    return _desk(_fresh_with_person(issued.pk))


@shop.post(
    "/cashier/orders/{order_id}/ready",
    auth=signed_in,
    response={200: DeskOrderOut, 404: Error, 409: Error, **AUTH_ERRORS, **COMMON_ERRORS},
    summary="The partner has prepared the order: the person is told to pick it up",
)
def mark_ready(request: HttpRequest, order_id: int = Path(..., ge=1, le=MAX_ID)):
    ready = services.mark_ready(order_id=order_id, by=request.user)  # type: ignore[arg-type]
    return _desk(_fresh_with_person(ready.pk))


def _fresh_with_person(order_id: int) -> Order:
    return Order.objects.select_related(
        "user",
        "reward",
        "reward__partner",
        "issue_point",
        "issue_point__partner",
        "issue_point__district",
        "promo_code",
    ).get(pk=order_id)
