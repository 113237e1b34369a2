"""Every write about people: sign-in codes, sign-in, profiles, API tokens, roles, verification."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from activecitizen.accounts.models import ApiToken, Interest, SignInCode, User
from activecitizen.accounts.phones import normalize_phone
from activecitizen.accounts.roles import Role
from activecitizen.core import ratelimit
from activecitizen.core.errors import (
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from activecitizen.core.sms import SmsDeliveryError, send_sms
from activecitizen.geo.models import District
from activecitizen.geo.selectors import district_at

logger = logging.getLogger(__name__)

OLDEST_BIRTH_YEAR = 1900
NAME_MAX = 100


# --- Sign-in codes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeSent:
    phone: str
    retry_after: int


def _hash_code(phone: str, code: str) -> str:
    # Keyed with the secret key: six digits are a million guesses, so a plain hash of a leaked
    # table would give every code away; without the key it gives nothing.
    message = f"{phone}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _new_code() -> str:
    digits = settings.SIGN_IN_CODE_LENGTH
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def request_sign_in_code(*, phone: str, ip: str | None) -> CodeSent:
    """Send a fresh one-time code to `phone`, if the rate limits allow.

    At most one code a minute per phone, and a few per hour per phone and per address, so that
    nobody can flood a stranger's phone or run up the city's SMS bill.
    """
    phone = normalize_phone(phone)
    resend = settings.SIGN_IN_CODE_RESEND_SECONDS
    cooldown = f"sign_in_code:{phone}"
    wait = ratelimit.cooldown_remaining(cooldown)
    if wait:
        raise RateLimited(
            _("A code was sent recently. You can ask for a new one in %(seconds)s s.")
            % {"seconds": wait},
            retry_after=wait,
            code="code_recently_sent",
            field="phone",
        )
    if ip:
        ratelimit.hit_named("sign_in_code_per_ip", ip, code="too_many_codes")
    ratelimit.hit_named("sign_in_code_per_phone", phone, code="too_many_codes")
    if not ratelimit.start_cooldown(cooldown, seconds=resend):
        raise RateLimited(
            _("A code was sent recently. You can ask for a new one in %(seconds)s s.")
            % {"seconds": resend},
            retry_after=resend,
            code="code_recently_sent",
            field="phone",
        )

    code = _new_code()
    now = timezone.now()
    with transaction.atomic():
        SignInCode.objects.filter(phone=phone, used_at__isnull=True, superseded=False).update(
            superseded=True
        )
        sign_in_code = SignInCode.objects.create(
            phone=phone,
            code_hash=_hash_code(phone, code),
            created_at=now,
            expires_at=now + settings.SIGN_IN_CODE_TTL,
            requested_from=ip if ip and ip != "invalid" else None,
        )
    # Sent once the code is saved, so that the code in the SMS always works.
    text = _("Active Citizen code: %(code)s. Do not tell it to anyone.") % {"code": code}
    try:
        send_sms(phone=phone, text=text, code=code)
    except SmsDeliveryError as exc:
        logger.error("SMS to %s failed: %s", phone, exc)
        # The person never got this code: forget it and let them ask again at once.
        sign_in_code.delete()
        ratelimit.stop_cooldown(cooldown)
        raise DomainError(
            _("We could not send the SMS just now. Try again in a minute."),
            code="sms_unavailable",
            field="phone",
            status=503,
        ) from exc
    return CodeSent(phone=phone, retry_after=resend)


@dataclass(frozen=True)
class SignIn:
    user: User
    created: bool


def sign_in_with_code(*, phone: str, code: str, ip: str | None) -> SignIn:
    """Check the code sent to `phone`; on success return the person, creating them if new."""
    phone = normalize_phone(phone)
    code = (code or "").strip()
    if ip:
        ratelimit.hit_named("sign_in_check_per_ip", ip, code="too_many_attempts")
    if not (code.isdigit() and len(code) == settings.SIGN_IN_CODE_LENGTH):
        raise InvalidInput(
            _("The code is %(n)s digits.") % {"n": settings.SIGN_IN_CODE_LENGTH},
            code="invalid_code",
            field="code",
        )
    now = timezone.now()
    # Wrong tries must be counted even though the caller sees an error: that write commits on
    # its own, before the error is raised, and nothing else is written.
    with transaction.atomic():
        pending = (
            SignInCode.objects.select_for_update()
            .filter(phone=phone, used_at__isnull=True, superseded=False)
            .order_by("-created_at")
            .first()
        )
        if pending is None or pending.expires_at <= now:
            raise InvalidInput(
                _("This code has expired or was never sent. Ask for a new code."),
                code="code_expired",
                field="code",
            )
        if pending.attempts >= settings.SIGN_IN_CODE_MAX_ATTEMPTS:
            raise RateLimited(
                _("Too many wrong codes. Ask for a new code."),
                retry_after=_seconds_until_resend(pending.created_at, now),
                code="too_many_attempts",
                field="code",
            )
        if not hmac.compare_digest(pending.code_hash, _hash_code(phone, code)):
            SignInCode.objects.filter(pk=pending.pk).update(attempts=F("attempts") + 1)
            wrong = True
        else:
            wrong = False
            SignInCode.objects.filter(pk=pending.pk).update(used_at=now)
    if wrong:
        left = settings.SIGN_IN_CODE_MAX_ATTEMPTS - pending.attempts - 1
        raise InvalidInput(
            _("Wrong code. Tries left: %(left)s.") % {"left": left},
            code="wrong_code",
            field="code",
        )
    # The code did its job: signing in again (say, after signing out) needs no minute's wait.
    ratelimit.stop_cooldown(f"sign_in_code:{phone}")
    return _person_for_phone(phone, now)


def _seconds_until_resend(created_at: datetime, now: datetime) -> int:
    elapsed = (now - created_at).total_seconds()
    return max(1, int(settings.SIGN_IN_CODE_RESEND_SECONDS - elapsed + 0.999))


def _person_for_phone(phone: str, now: datetime) -> SignIn:
    try:
        with transaction.atomic():
            user, created = User.objects.get_or_create(phone=phone)
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
                citizen, _created = Group.objects.get_or_create(name=Role.CITIZEN)
                user.groups.add(citizen)
    except IntegrityError:
        # Two devices confirmed codes for a new phone at the same moment: the other one won.
        user, created = User.objects.get(phone=phone), False
    if not user.is_active:
        raise InvalidInput(
            _("This account is blocked. Contact support."), code="account_blocked", field="phone"
        )
    User.objects.filter(pk=user.pk).update(last_login=now)
    user.last_login = now
    return SignIn(user=user, created=created)


def purge_sign_in_codes(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete codes nobody can use any more; they only matter for a day of abuse forensics."""
    deleted, _by_model = SignInCode.objects.filter(
        created_at__lt=timezone.now() - older_than
    ).delete()
    return deleted


# --- Profile -----------------------------------------------------------------------------------

PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "birth_date",
    "gender",
    "home_district_id",
    "work_district_id",
    "home_lat",
    "home_lon",
    "interests",
)
# About 11 m north–south and 6 m east–west here: enough for "within 1 km", and no more of
# where someone lives than that needs.
HOME_PLACES = Decimal("0.0001")


def update_profile(*, user: User, **changes: Any) -> User:
    """Change the fields of a person's profile that are given; all are checked before any is saved.

    Keys: first_name, last_name, email, birth_date, gender, home_district_id, work_district_id,
    home_lat and home_lon (together, or both empty to forget the home point), interests (a list
    of interest codes).
    """
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        field = sorted(unknown)[0]
        raise InvalidInput(_("Unknown field."), code="unknown_field", field=field)

    clean: dict[str, Any] = {}
    for field in ("first_name", "last_name"):
        if field in changes:
            value = (changes[field] or "").strip()
            if len(value) > NAME_MAX:
                raise InvalidInput(
                    _("At most %(n)s characters.") % {"n": NAME_MAX}, code="too_long", field=field
                )
            if any(ch in value for ch in '<>"{}\\') or any(ord(ch) < 32 for ch in value):
                raise InvalidInput(
                    _("A name cannot contain these characters."), code="invalid", field=field
                )
            clean[field] = value
    if "email" in changes:
        email = (changes["email"] or "").strip()
        if email:
            try:
                validate_email(email)
            except DjangoValidationError:
                raise InvalidInput(
                    _("Enter a valid e-mail address."), code="invalid_email", field="email"
                ) from None
        clean["email"] = email.lower()
    if "birth_date" in changes:
        clean["birth_date"] = _check_birth_date(changes["birth_date"])
    if "gender" in changes:
        gender = changes["gender"] or ""
        if gender and gender not in User.Gender.values:
            raise InvalidInput(_("Choose a gender from the list."), code="invalid", field="gender")
        clean["gender"] = gender
    for field in ("home_district_id", "work_district_id"):
        if field in changes:
            clean[field] = _check_district(changes[field], field=field)
    if "home_lat" in changes or "home_lon" in changes:
        clean["home_lat"], clean["home_lon"] = _check_home_point(
            changes.get("home_lat"), changes.get("home_lon")
        )
    interests: list[Interest] | None = None
    if "interests" in changes:
        codes = list(dict.fromkeys(changes["interests"] or []))
        interests = list(Interest.objects.filter(code__in=codes))
        if len(interests) != len(codes):
            known = {i.code for i in interests}
            missing = next(c for c in codes if c not in known)
            raise InvalidInput(
                _("Unknown interest: %(code)s.") % {"code": str(missing)[:40]},
                code="unknown_interest",
                field="interests",
            )

    with transaction.atomic():
        for field, value in clean.items():
            setattr(user, field, value)
        if clean:
            user.save(update_fields=[f.removesuffix("_id") for f in clean])
        if interests is not None:
            user.interests.set(interests)
    forget_person(user.pk)
    return user


def _check_birth_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value))
        except ValueError:
            raise InvalidInput(
                _("Enter the date as YYYY-MM-DD."), code="invalid_date", field="birth_date"
            ) from None
    today = timezone.localdate()
    if value > today:
        raise InvalidInput(
            _("The birth date cannot be in the future."), code="future_date", field="birth_date"
        )
    if value.year < OLDEST_BIRTH_YEAR:
        raise InvalidInput(_("Check the year of birth."), code="invalid_date", field="birth_date")
    return value


def _check_home_point(lat: Any, lon: Any) -> tuple[Decimal | None, Decimal | None]:
    """Both coordinates or neither; on the Earth; in the city when its borders are loaded."""
    if lat in (None, "") and lon in (None, ""):
        return None, None
    if lat in (None, "") or lon in (None, ""):
        field = "home_lat" if lat in (None, "") else "home_lon"
        raise InvalidInput(
            _("Give both the latitude and the longitude of your home, or neither."),
            code="incomplete_point",
            field=field,
        )
    point = []
    for field, value, limit in (("home_lat", lat, 90), ("home_lon", lon, 180)):
        try:
            number = Decimal(str(value).strip().replace(",", "."))
        except (InvalidOperation, ValueError):
            number = None
        if number is None or not number.is_finite() or abs(number) > limit:
            raise InvalidInput(
                _("Enter a number from -%(limit)s to %(limit)s.") % {"limit": limit},
                code="invalid_coordinate",
                field=field,
            )
        point.append(number.quantize(HOME_PLACES, rounding=ROUND_HALF_EVEN))
    home_lat, home_lon = point
    if district_at(lat=home_lat, lon=home_lon) is None and (
        District.objects.filter(boundary__isnull=False).exists()
    ):
        raise InvalidInput(
            _("This point is outside the city: check the coordinates."),
            code="outside_city",
            field="home_lat",
        )
    return home_lat, home_lon


def _check_district(value: Any, *, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        district_id = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(_("Choose a district from the list."), field=field) from None
    if not District.objects.filter(pk=district_id).exists():
        raise InvalidInput(_("There is no such district."), code="unknown_district", field=field)
    return district_id


# --- Residents verified by staff ---------------------------------------------------------------


def verify_resident(*, user: User, verified_by: User) -> User:
    """Record that staff checked the person's documents and confirmed they live in the city."""
    if not verified_by.has_perm("accounts.change_user"):
        raise PermissionDenied(_("Only staff may verify residents."))
    user.verification = User.Verification.RESIDENT_VERIFIED
    user.verified_by = verified_by
    user.verified_at = timezone.now()
    user.save(update_fields=["verification", "verified_by", "verified_at"])
    forget_person(user.pk)
    return user


# --- API tokens --------------------------------------------------------------------------------

TOKEN_PREFIX_LENGTH = 8
DEVICE_MAX = 100


def hash_token(raw: str) -> str:
    # 256 random bits need no key or slow hash: nobody can guess the preimage of a leaked hash.
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_api_token(*, user: User, device: str = "") -> tuple[ApiToken, str]:
    """A new bearer token for a device. The raw token is returned once and never stored."""
    raw = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        key_hash=hash_token(raw),
        prefix=raw[:TOKEN_PREFIX_LENGTH],
        # Printable text only: a device name is shown back to the person and NUL breaks PostgreSQL.
        device="".join(ch for ch in (device or "") if ch.isprintable()).strip()[:DEVICE_MAX],
    )
    return token, raw


def revoke_api_token(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(pk=token_id, user=user).first()
    if token is None:
        raise NotFound(_("There is no such token."), code="token_not_found")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    cache.delete(_token_cache_key(token.key_hash))
    return token


# The app sends its token with every request: who it belongs to, with what the audience rules
# read, is kept in the cache (Redis in production) under the token for a minute, so that a
# request costs one cache read and no query to find its person (a ballot reads its token inside
# its own statement instead, see polls.services.cast_ballot). Revoking a token, changing a
# profile, verifying or blocking a person forget the cached entries at once.
TOKEN_CACHE_SECONDS = 60
TOKEN_TOUCH_INTERVAL = timedelta(hours=1)
# A cached person is a tuple of plain values, not a pickled model: unpickling a User with its
# districts costs a third of a millisecond, rebuilding one from values a few microseconds.
_PERSON_FIELDS = tuple(f.attname for f in User._meta.concrete_fields)


def _token_cache_key(key_hash: str) -> str:
    return f"auth:token:{key_hash}"


def _person_snapshot(user: User) -> tuple | bool:
    if not user.is_active:
        return False
    home, work = user.home_district, user.work_district
    okrugs = (home.okrug_id if home else None, work.okrug_id if work else None)
    interest_ids = frozenset(user.interests.values_list("pk", flat=True))
    return (tuple(getattr(user, name) for name in _PERSON_FIELDS), okrugs, interest_ids)


def _person_from_snapshot(snapshot: tuple) -> User:
    values, okrugs, interest_ids = snapshot
    user = User.from_db("default", _PERSON_FIELDS, values)
    user._okrug_ids = okrugs  # type: ignore[attr-defined]
    user._interest_ids = interest_ids  # type: ignore[attr-defined]
    return user


def authenticate_token(raw: str) -> User | None:
    """The person behind an active bearer token, or None. Marks the token used (at most hourly)."""
    if not raw or len(raw) > 200:
        return None
    return person_by_token_hash(hash_token(raw))


def person_by_token_hash(key_hash: str) -> User | None:
    """`authenticate_token` for a token already hashed (a ballot's slow path has only that)."""
    cached = cache.get(_token_cache_key(key_hash))
    if cached is None:
        # Cold: the token, its person and their districts in one query, then their interests.
        token = (
            ApiToken.objects.select_related("user__home_district", "user__work_district")
            .filter(key_hash=key_hash, revoked_at__isnull=True)
            .first()
        )
        if token is None:
            return None
        cached = (token.pk, token.user_id, token.last_used_at, _person_snapshot(token.user))
        cache.set(_token_cache_key(key_hash), cached, TOKEN_CACHE_SECONDS)
    token_id, user_id, last_used_at, person = cached
    if person is False:
        return None
    now = timezone.now()
    if last_used_at is None or now - last_used_at > TOKEN_TOUCH_INTERVAL:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
        cache.set(_token_cache_key(key_hash), (token_id, user_id, now, person), TOKEN_CACHE_SECONDS)
    user = _person_from_snapshot(person)
    user._api_token_id = token_id  # type: ignore[attr-defined]
    return user


def touch_token(key_hash: str) -> None:
    """Mark a token used now, unless it was within the hour (a ballot's own statement does
    this on PostgreSQL; see polls.services)."""
    now = timezone.now()
    ApiToken.objects.filter(key_hash=key_hash, revoked_at__isnull=True).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOKEN_TOUCH_INTERVAL)
    ).update(last_used_at=now)


def forget_person(user_id: int) -> None:
    """Drop the cached copies of a person after their profile, roles or status changed."""
    hashes = ApiToken.objects.filter(user_id=user_id, revoked_at__isnull=True).values_list(
        "key_hash", flat=True
    )
    cache.delete_many([_token_cache_key(h) for h in hashes])


# --- Roles -------------------------------------------------------------------------------------


def sync_role_permissions() -> None:
    """Give every role group the permissions ROLE_PERMISSIONS lists (runs after each migrate)."""
    from django.contrib.auth.models import Permission

    from activecitizen.accounts.roles import ROLE_PERMISSIONS

    for role in Role.values:
        # The groups come from migrations; a flushed test database has none until its data
        # is restored, and creating them here would collide with that restore.
        group = Group.objects.filter(name=role).first()
        if group is None:
            continue
        wanted = ROLE_PERMISSIONS.get(role, set())
        perms = []
        for dotted in sorted(wanted):
            app_label, codename = dotted.split(".", 1)
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:
                perms.append(perm)
        group.permissions.add(*perms)
