"""Sign-in, the profile and device tokens for the mobile app (API.md: /auth, /me)."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema
from ninja.responses import Status

from activecitizen.accounts import services
from activecitizen.accounts.auth import signed_in
from activecitizen.accounts.models import User
from activecitizen.core.api import AUTH_ERRORS, COMMON_ERRORS, Error
from activecitizen.core.errors import DomainError
from activecitizen.core.net import client_ip

router = Router(tags=["people"])


class CodeRequest(Schema):
    phone: str = Field(..., max_length=32, examples=["+79161234567"])


class CodeSentOut(Schema):
    retry_after: int = Field(..., description="Seconds until a new code may be requested.")


class TokenRequest(Schema):
    phone: str = Field(..., max_length=32)
    code: str = Field(..., max_length=12, examples=["123456"])
    device: str = Field("", max_length=100, description="Shown in the list of signed-in devices.")


class DistrictRef(Schema):
    id: int
    name: str


class ProfileOut(Schema):
    id: int
    phone: str
    email: str
    first_name: str
    last_name: str
    birth_date: date | None
    gender: str = Field(..., description="female, male or empty")
    district_id: int | None = Field(..., description="Home district")
    work_district_id: int | None
    home_lat: float | None = Field(
        ..., description="Home point (WGS 84), only for news near home; seen by nobody else"
    )
    home_lon: float | None
    interests: list[str]
    verification: str = Field(..., description="phone_confirmed or resident_verified")
    profile_complete: bool
    roles: list[str]


class ProfilePatch(Schema):
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    email: str | None = Field(None, max_length=254)
    birth_date: date | None = None
    gender: str | None = Field(None, max_length=10)
    district_id: int | None = None
    work_district_id: int | None = None
    home_lat: float | None = Field(
        None, description="Set together with home_lon; both null forget the home point"
    )
    home_lon: float | None = None
    interests: list[str] | None = Field(None, max_length=50)


class TokenOut(Schema):
    token: str
    user: ProfileOut
    created: bool = Field(..., description="True when this sign-in created the account.")


class DeviceTokenOut(Schema):
    id: int
    prefix: str
    device: str
    created_at: datetime
    last_used_at: datetime | None
    current: bool


class DeviceTokenList(Schema):
    count: int
    items: list[DeviceTokenOut]


def profile_of(user: User) -> dict:
    verification = {
        User.Verification.PHONE_CONFIRMED: "phone_confirmed",
        User.Verification.RESIDENT_VERIFIED: "resident_verified",
    }[User.Verification(user.verification)]
    return {
        "id": user.pk,
        "phone": user.phone,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "birth_date": user.birth_date,
        "gender": user.gender,
        "district_id": user.home_district_id,
        "work_district_id": user.work_district_id,
        "home_lat": None if user.home_lat is None else float(user.home_lat),
        "home_lon": None if user.home_lon is None else float(user.home_lon),
        "interests": [i.code for i in user.interests.all()],
        "verification": verification,
        "profile_complete": user.profile_complete,
        "roles": sorted(g.name for g in user.groups.all()),
    }


@router.post(
    "/auth/code",
    response={202: CodeSentOut, 429: Error, 503: Error, **COMMON_ERRORS},
    summary="Send a one-time sign-in code by SMS",
)
def send_code(request: HttpRequest, payload: CodeRequest):
    sent = services.request_sign_in_code(phone=payload.phone, ip=client_ip(request))
    return Status(202, {"retry_after": sent.retry_after})


@router.post(
    "/auth/token",
    response={200: TokenOut, 429: Error, **COMMON_ERRORS},
    summary="Exchange the SMS code for a bearer token (signs up a new phone)",
)
def issue_token(request: HttpRequest, payload: TokenRequest):
    result = services.sign_in_with_code(
        phone=payload.phone, code=payload.code, ip=client_ip(request)
    )
    _token, raw = services.issue_api_token(user=result.user, device=payload.device)
    return {"token": raw, "user": profile_of(result.user), "created": result.created}


@router.delete(
    "/auth/token",
    auth=signed_in,
    response={204: None, **AUTH_ERRORS},
    summary="Revoke the token this request is signed with",
)
def revoke_current_token(request: HttpRequest):
    token_id: int | None = getattr(request.user, "_api_token_id", None)
    if token_id is not None:
        services.revoke_api_token(user=request.user, token_id=token_id)
    return Status(204, None)


@router.get("/me", auth=signed_in, response={200: ProfileOut, **AUTH_ERRORS})
def my_profile(request: HttpRequest):
    return profile_of(request.user)


@router.patch("/me", auth=signed_in, response={200: ProfileOut, **AUTH_ERRORS, **COMMON_ERRORS})
def change_my_profile(request: HttpRequest, payload: ProfilePatch):
    changes = payload.model_dump(exclude_unset=True)
    if "district_id" in changes:
        changes["home_district_id"] = changes.pop("district_id")
    for text_field in ("first_name", "last_name", "email", "gender"):
        if text_field in changes and changes[text_field] is None:
            changes[text_field] = ""
    try:
        user = services.update_profile(user=request.user, **changes)
    except DomainError as error:
        # Name the field as this API spells it.
        if error.field == "home_district_id":
            error.field = "district_id"
        raise
    return profile_of(user)


@router.get("/me/tokens", auth=signed_in, response={200: DeviceTokenList, **AUTH_ERRORS})
def my_tokens(request: HttpRequest):
    current = getattr(request.user, "_api_token_id", None)
    tokens = request.user.api_tokens.filter(revoked_at__isnull=True)
    items = [
        {
            "id": t.pk,
            "prefix": t.prefix,
            "device": t.device,
            "created_at": t.created_at,
            "last_used_at": t.last_used_at,
            "current": t.pk == current,
        }
        for t in tokens
    ]
    return {"count": len(items), "items": items}


@router.delete(
    "/me/tokens/{token_id}",
    auth=signed_in,
    response={204: None, 404: Error, **AUTH_ERRORS},
    summary="Sign a device out",
)
def revoke_token(request: HttpRequest, token_id: int = Path(..., ge=1, le=2**63 - 1)):
    services.revoke_api_token(user=request.user, token_id=token_id)
    return Status(204, None)
