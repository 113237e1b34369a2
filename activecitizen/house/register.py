"""The register's writes: importing a building's premises and owners, adding an ownership,
people's claims to own a premises and their decision, residents.

Every function is one transaction and raises a `DomainError` before writing anything it
refuses. The one rule no constraint can hold — the shares of a premises sum to at most 1 —
lives in `add_ownership`, which the import and confirmed claims both go through.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from activecitizen.accounts.models import User
from activecitizen.accounts.phones import normalize_phone
from activecitizen.core.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from activecitizen.house import selectors
from activecitizen.house.models import (
    OWNER_CODE_MAX,
    Building,
    Entrance,
    Ownership,
    Premises,
    PremisesClaim,
    Resident,
)

MAX_IMPORT_ROWS = 10_000
# PositiveIntegerField holds 2**31 - 1 on every database we run on.
MAX_SHARE_TERM = 2**31 - 1
# Decimal(10, 2): eight digits before the point.
MAX_AREA = Decimal("99999999.99")
OWNER_NAME_MAX = 300
TITLE_DOCUMENT_MAX = 300
REASON_MAX = 2000


# --- Who may write ------------------------------------------------------------------------------


def _check_administers(user: User, building: Building) -> None:
    if not selectors.may_administer(user, building):
        raise PermissionDenied(_("Only an administrator of this building may change its register."))


# --- Shares -------------------------------------------------------------------------------------


SHARE_PATTERN = re.compile(r"^\s*(\d+)\s*(?:/\s*(\d+))?\s*$")


def parse_share(text: str) -> Fraction:
    """ "1", "1/2", "2/3" → a Fraction in (0, 1]; an empty text is the whole premises."""
    text = (text or "").strip()
    if not text:
        return Fraction(1)
    match = SHARE_PATTERN.match(text)
    if match is None:
        raise InvalidInput(
            _('"%(share)s" is not a share: write it as 1, 1/2 or 2/3.') % {"share": text},
            code="invalid_share",
            field="share",
        )
    numerator, denominator = int(match[1]), int(match[2] or 1)
    if denominator == 0:
        raise InvalidInput(
            _('"%(share)s" is not a share: the denominator is 0.') % {"share": text},
            code="invalid_share",
            field="share",
        )
    share = Fraction(numerator, denominator)
    check_share(share)
    return share


def check_share(share: Fraction) -> None:
    if not isinstance(share, Fraction):
        share = Fraction(share)
    if share <= 0:
        raise InvalidInput(_("A share must be more than 0."), code="invalid_share", field="share")
    if share > 1:
        raise InvalidInput(
            _("A share cannot be more than 1 (the whole premises)."),
            code="invalid_share",
            field="share",
        )
    if share.denominator > MAX_SHARE_TERM:
        raise InvalidInput(
            _("The share's denominator is too large."), code="invalid_share", field="share"
        )


def _clean_text(value: str, *, max_length: int, field_name: str, label: str) -> str:
    text = " ".join((value or "").split())
    if len(text) > max_length:
        raise InvalidInput(
            _("%(label)s is longer than %(max)d characters.") % {"label": label, "max": max_length},
            field=field_name,
        )
    return text


@transaction.atomic
def add_ownership(
    *,
    premises: Premises,
    owner_name: str,
    share: Fraction,
    title_document: str = "",
    owner: User | None = None,
    owner_code: str = "",
) -> Ownership:
    """Record that `owner_name` (a registered person, when `owner` is given) owns `share` of the
    premises. Refused when the premises' shares would then add up to more than 1.

    `owner_code` tells apart two different people of the same name who have not signed up:
    lines with the same name and code are one owner (one vote in the count of owners, one
    paper ballot); without codes, lines of the same name are one owner."""
    check_share(share)
    name = _clean_text(
        owner_name, max_length=OWNER_NAME_MAX, field_name="owner_name", label=_("The owner's name")
    )
    if not name:
        raise InvalidInput(_("Give the owner's name as in the title."), field="owner_name")
    document = _clean_text(
        title_document,
        max_length=TITLE_DOCUMENT_MAX,
        field_name="title_document",
        label=_("The title document"),
    )
    code = _clean_text(
        owner_code, max_length=OWNER_CODE_MAX, field_name="owner_code", label=_("The owner's code")
    )
    # The premises row locked: two co-owners added at once cannot both take the last half.
    # (SQLite serialises writers anyway; select_for_update is a no-op there.)
    locked = Premises.objects.select_for_update().get(pk=premises.pk)
    owned = selectors.share_owned(locked)
    if owned + share > 1:
        raise InvalidInput(
            _(
                "The shares of premises %(number)s would add up to %(total)s, more than 1: "
                "%(owned)s is already owned."
            )
            % {"number": locked.number, "total": owned + share, "owned": owned},
            code="shares_over_one",
            field="share",
        )
    return Ownership.objects.create(
        premises=locked,
        owner=owner,
        owner_name=name,
        owner_code=code,
        share_numerator=share.numerator,
        share_denominator=share.denominator,
        title_document=document,
    )


def set_owner_code(*, ownership: Ownership, code: str) -> Ownership:
    """Give an ownership the code that tells its owner apart from a namesake (or take it away).
    Meetings already voting keep the register as it was when their voting started."""
    clean = _clean_text(
        code, max_length=OWNER_CODE_MAX, field_name="owner_code", label=_("The owner's code")
    )
    Ownership.objects.filter(pk=ownership.pk).update(owner_code=clean)
    ownership.owner_code = clean
    return ownership


# --- The import of a register -------------------------------------------------------------------


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reason: str


@dataclass
class RegisterImport:
    """What an import did: rows written, rows refused (with the file's line and why), and owners
    whose phone matched nobody signed up (added by name, to be linked by a claim later)."""

    premises_created: int = 0
    ownerships_created: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    phones_unmatched: list[RejectedRow] = field(default_factory=list)


# Column names as they may appear in the header, English or Russian, in any letter case.
COLUMNS: dict[str, str] = {
    "premises": "premises",
    "number": "premises",
    "помещение": "premises",
    "номер": "premises",
    "entrance": "entrance",
    "подъезд": "entrance",
    "kind": "kind",
    "вид": "kind",
    "тип": "kind",
    "area": "area",
    "площадь": "area",
    "owner": "owner",
    "собственник": "owner",
    "phone": "phone",
    "телефон": "phone",
    "share": "share",
    "доля": "share",
    "title_document": "title_document",
    "документ": "title_document",
    "owner_code": "owner_code",
    "код собственника": "owner_code",
}
REQUIRED_COLUMNS = ("premises", "kind", "area", "owner")

KINDS: dict[str, str] = {
    "residential": Premises.Kind.RESIDENTIAL,
    "жилое": Premises.Kind.RESIDENTIAL,
    "жилое помещение": Premises.Kind.RESIDENTIAL,
    "квартира": Premises.Kind.RESIDENTIAL,
    "non_residential": Premises.Kind.NON_RESIDENTIAL,
    "non-residential": Premises.Kind.NON_RESIDENTIAL,
    "нежилое": Premises.Kind.NON_RESIDENTIAL,
    "нежилое помещение": Premises.Kind.NON_RESIDENTIAL,
}

PREMISES_NUMBER = re.compile(r"^[0-9A-Za-zА-Яа-яЁё][0-9A-Za-zА-Яа-яЁё/.\- ]{0,19}$")
AREA_PATTERN = re.compile(r"^[+-]?\d+(?:\.\d+)?$")


@transaction.atomic
def import_register(*, building: Building, csv_text: str, by: User) -> RegisterImport:
    """Add the premises and owners a CSV lists to the building's register.

    Each valid row adds (or finds) its premises and adds one ownership; each invalid row is
    reported with its line and reason and writes nothing. A file that cannot be read as a
    register at all (empty, no header, unknown columns, too many rows) writes nothing.
    """
    _check_administers(by, building)
    rows = _read_csv(csv_text)
    report = RegisterImport()
    for line, values in rows:
        if not any(v.strip() for v in values.values()):
            continue
        try:
            # A savepoint per row: a row refused half-way leaves nothing behind.
            with transaction.atomic():
                created, unmatched_phone = _import_row(building, values)
        except DomainError as error:
            report.rejected.append(RejectedRow(line, str(error.message)))
            continue
        report.ownerships_created += 1
        report.premises_created += int(created)
        if unmatched_phone:
            report.phones_unmatched.append(
                RejectedRow(
                    line,
                    _("Nobody has signed up with the phone %(phone)s; the owner is added by name.")
                    % {"phone": unmatched_phone},
                )
            )
    return report


def _read_csv(csv_text: str) -> list[tuple[int, dict[str, str]]]:
    """Each row of the file as (its line in the file, column → text)."""
    text = (csv_text or "").lstrip("\ufeff")
    if not text.strip():
        raise InvalidInput(_("The file is empty."), code="empty_register", field="csv_text")
    lines = text.splitlines()
    header_index = next(i for i, line in enumerate(lines) if line.strip())
    header_text = lines[header_index]
    # The header decides the delimiter: its names never contain ";" or ",", while the rows'
    # decimal commas would mislead a sniffer looking at the whole file.
    delimiter = ";" if header_text.count(";") >= header_text.count(",") else ","
    if header_text.count(delimiter) == 0:
        raise InvalidInput(
            _("The first line must name the columns, separated by ; or ,: %(columns)s.")
            % {"columns": ", ".join(REQUIRED_COLUMNS)},
            code="no_header",
            field="csv_text",
        )
    reader = csv.reader(io.StringIO("\n".join(lines[header_index:])), delimiter=delimiter)
    header = [name.strip().lower() for name in next(reader)]
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise InvalidInput(
            _("Unknown columns: %(unknown)s. The columns are: %(known)s.")
            % {
                "unknown": ", ".join(f'"{name}"' for name in unknown),
                "known": (
                    "premises, entrance, kind, area, owner, owner_code, phone, share, "
                    "title_document"
                ),
            },
            code="unknown_column",
            field="csv_text",
        )
    columns = [COLUMNS[name] for name in header]
    if len(set(columns)) != len(columns):
        raise InvalidInput(
            _("A column is named twice in the first line."), code="no_header", field="csv_text"
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise InvalidInput(
            _("Missing columns: %(missing)s.") % {"missing": ", ".join(missing)},
            code="no_header",
            field="csv_text",
        )
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for values in reader:
            line = header_index + reader.line_num
            if len(rows) >= MAX_IMPORT_ROWS:
                raise InvalidInput(
                    _("A file may list at most %(max)d rows; split it.") % {"max": MAX_IMPORT_ROWS},
                    code="too_many_rows",
                    field="csv_text",
                )
            padded = [*values, *[""] * (len(columns) - len(values))]
            row = dict(zip(columns, padded, strict=False))
            if len(values) > len(columns) and any(v.strip() for v in values[len(columns) :]):
                row["__extra__"] = "1"
            rows.append((line, row))
    except csv.Error as error:
        raise InvalidInput(
            _("The file cannot be read as CSV near line %(line)d: %(error)s")
            % {"line": header_index + reader.line_num, "error": error},
            code="bad_csv",
            field="csv_text",
        ) from None
    return rows


def _import_row(building: Building, values: dict[str, str]) -> tuple[bool, str]:
    """Write one row; (whether its premises were created, a phone that matched nobody)."""
    if values.get("__extra__"):
        raise InvalidInput(_("The row has more values than the header has columns."))
    number = _parse_number(values.get("premises", ""))
    kind = _parse_kind(values.get("kind", ""))
    area = parse_area(values.get("area", ""))
    entrance_number = _parse_entrance(values.get("entrance", ""))
    share = parse_share(values.get("share", ""))
    owner_name = values.get("owner", "").strip()
    if not owner_name:
        raise InvalidInput(_("The owner's name is missing."), field="owner")
    owner, unmatched = _owner_by_phone(values.get("phone", ""))

    premises = Premises.objects.filter(building=building, number=number).first()
    created = premises is None
    if premises is None:
        entrance = None
        if entrance_number is not None:
            entrance, _new = Entrance.objects.get_or_create(
                building=building, number=entrance_number
            )
        premises = Premises.objects.create(
            building=building, number=number, kind=kind, area=area, entrance=entrance
        )
    else:
        _check_same_premises(premises, kind=kind, area=area, entrance_number=entrance_number)
    add_ownership(
        premises=premises,
        owner_name=owner_name,
        share=share,
        title_document=values.get("title_document", ""),
        owner=owner,
        owner_code=values.get("owner_code", ""),
    )
    return created, unmatched


def _parse_number(text: str) -> str:
    number = " ".join((text or "").split()).upper()
    if not number:
        raise InvalidInput(_("The premises number is missing."), field="premises")
    if not PREMISES_NUMBER.match(number):
        raise InvalidInput(
            _(
                '"%(number)s" is not a premises number: up to 20 letters and digits, '
                "e.g. 12, 12А, Н-1."
            )
            % {"number": number},
            field="premises",
        )
    return number


def _parse_kind(text: str) -> str:
    key = " ".join((text or "").split()).lower()
    if key not in KINDS:
        raise InvalidInput(
            _(
                'Unknown kind of premises "%(kind)s": write residential or non_residential '
                "(жилое or нежилое)."
            )
            % {"kind": text.strip()},
            field="kind",
        )
    return KINDS[key]


def parse_area(text: str) -> Decimal:
    """ "54,3", "54.30", "1 054,5" → Decimal m², more than 0 and with at most 2 decimals."""
    raw = (text or "").strip()
    cleaned = "".join(raw.split()).replace(",", ".")
    if not cleaned:
        raise InvalidInput(_("The area is missing."), field="area")
    if not AREA_PATTERN.match(cleaned):
        raise InvalidInput(
            _('"%(area)s" is not an area in m²: write it like 54,3 or 54.30.') % {"area": raw},
            field="area",
        )
    try:
        area = Decimal(cleaned)
    except InvalidOperation:  # the pattern lets only numbers through; kept for safety
        raise InvalidInput(
            _('"%(area)s" is not an area in m².') % {"area": raw}, field="area"
        ) from None
    if area <= 0:
        raise InvalidInput(
            _("The area must be more than 0 m², not %(area)s.") % {"area": raw}, field="area"
        )
    if area != area.quantize(Decimal("0.01")):
        raise InvalidInput(
            _("The area %(area)s has more than 2 decimals.") % {"area": raw}, field="area"
        )
    if area > MAX_AREA:
        raise InvalidInput(_("The area %(area)s m² is too large.") % {"area": raw}, field="area")
    return area.quantize(Decimal("0.01"))


def _parse_entrance(text: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= 32767:
        raise InvalidInput(
            _('"%(entrance)s" is not an entrance number: write a whole number from 1.')
            % {"entrance": text},
            field="entrance",
        )
    return int(text)


def _owner_by_phone(text: str) -> tuple[User | None, str]:
    text = (text or "").strip()
    if not text:
        return None, ""
    phone = normalize_phone(text)  # InvalidInput: the row is refused with the reason
    person = User.objects.filter(phone=phone).first()
    return person, "" if person is not None else phone


def _check_same_premises(
    premises: Premises, *, kind: str, area: Decimal, entrance_number: int | None
) -> None:
    """A row naming a premises already in the register adds a co-owner; it must describe the
    same premises, or one of the two is a typo that would skew every vote's weight."""
    if premises.area != area:
        raise Conflict(
            _(
                "Premises %(number)s is already in the register with an area of %(known)s m², "
                "not %(area)s m²."
            )
            % {"number": premises.number, "known": premises.area, "area": area},
            code="duplicate_premises",
            field="area",
        )
    if premises.kind != kind:
        raise Conflict(
            _("Premises %(number)s is already in the register as %(kind)s.")
            % {"number": premises.number, "kind": premises.get_kind_display()},
            code="duplicate_premises",
            field="kind",
        )
    known_entrance = premises.entrance.number if premises.entrance else None
    if entrance_number is not None and known_entrance not in (None, entrance_number):
        raise Conflict(
            _("Premises %(number)s is already in the register in entrance %(entrance)s.")
            % {"number": premises.number, "entrance": known_entrance},
            code="duplicate_premises",
            field="entrance",
        )


# --- Claims: a person says they own a premises --------------------------------------------------


@transaction.atomic
def claim_premises(
    *, user: User, premises: Premises, title_document: str, share: Fraction
) -> PremisesClaim:
    """Ask the building's administrator to record the person as an owner of the premises."""
    check_share(share)
    document = _clean_text(
        title_document,
        max_length=TITLE_DOCUMENT_MAX,
        field_name="title_document",
        label=_("The title document"),
    )
    if not document:
        raise InvalidInput(
            _("Name the title document, e.g. the number of the extract from the state register."),
            code="title_document_required",
            field="title_document",
        )
    pending = PremisesClaim.objects.filter(
        user=user, premises=premises, status=PremisesClaim.Status.PENDING
    )
    if pending.exists():
        raise _claim_pending()
    try:
        with transaction.atomic():
            return PremisesClaim.objects.create(
                user=user,
                premises=premises,
                title_document=document,
                share_numerator=share.numerator,
                share_denominator=share.denominator,
            )
    except IntegrityError:  # the same claim sent twice at once: the constraint keeps one
        raise _claim_pending() from None


def _claim_pending() -> Conflict:
    return Conflict(
        _("Your claim to this premises is already waiting for the administrator's decision."),
        code="claim_pending",
    )


def _lock_pending_claim(claim: PremisesClaim, by: User) -> PremisesClaim:
    locked = (
        PremisesClaim.objects.select_for_update()
        .select_related("premises__building", "user")
        .get(pk=claim.pk)
    )
    _check_administers(by, locked.premises.building)
    if locked.status != PremisesClaim.Status.PENDING:
        raise Conflict(
            _("This claim has already been decided: %(status)s.")
            % {"status": locked.get_status_display()},
            code="claim_decided",
        )
    return locked


@transaction.atomic
def confirm_claim(*, claim: PremisesClaim, by: User) -> Ownership:
    """The administrator has checked the title: the person becomes an owner of their share."""
    locked = _lock_pending_claim(claim, by)
    ownership = add_ownership(
        premises=locked.premises,
        owner=locked.user,
        owner_name=locked.user.full_name or locked.user.phone,
        share=locked.share,
        title_document=locked.title_document,
    )
    locked.status = PremisesClaim.Status.CONFIRMED
    locked.decided_by = by
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "decided_by", "decided_at"])
    claim.refresh_from_db()
    return ownership


@transaction.atomic
def reject_claim(*, claim: PremisesClaim, by: User, reason: str) -> PremisesClaim:
    """Refuse a claim; the person sees the reason."""
    locked = _lock_pending_claim(claim, by)
    text = (reason or "").strip()
    if not text:
        raise InvalidInput(
            _("Say why the claim is rejected: the person will see it."),
            code="reason_required",
            field="reason",
        )
    if len(text) > REASON_MAX:
        raise InvalidInput(
            _("The reason is longer than %(max)d characters.") % {"max": REASON_MAX},
            field="reason",
        )
    locked.status = PremisesClaim.Status.REJECTED
    locked.reason = text
    locked.decided_by = by
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    claim.refresh_from_db()
    return locked


# --- Residents ----------------------------------------------------------------------------------


@transaction.atomic
def add_resident(
    *, building: Building, user: User, premises: Premises | None = None, by: User
) -> Resident:
    """Record that the person lives in the building (in the premises, when known)."""
    _check_administers(by, building)
    if premises is not None and premises.building_id != building.pk:
        raise InvalidInput(
            _("These premises are in another building."), code="wrong_building", field="premises"
        )
    if Resident.objects.filter(building=building, user=user).exists():
        raise _already_resident()
    try:
        with transaction.atomic():
            return Resident.objects.create(building=building, user=user, premises=premises)
    except IntegrityError:  # added twice at once
        raise _already_resident() from None


def _already_resident() -> Conflict:
    return Conflict(_("This person is already a resident of the building."), code="resident_exists")


@transaction.atomic
def remove_resident(*, building: Building, user: User, by: User) -> None:
    _check_administers(by, building)
    deleted, _count = Resident.objects.filter(building=building, user=user).delete()
    if not deleted:
        raise NotFound(_("This person is not a resident of the building."), code="not_resident")
