"""Reads of the register and of meetings that services, pages, the API and the admin share."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from django.db.models import Q, QuerySet
from django.utils import timezone

from activecitizen.accounts.models import User
from activecitizen.house import counting
from activecitizen.house.models import (
    Announcement,
    BallotLine,
    Building,
    Meeting,
    MeetingBallot,
    Ownership,
    Premises,
    RegisterEntry,
    Resident,
)


def building_total_area(building: Building) -> Decimal:
    """The sum of the areas of all the building's premises, in m², exactly.

    Summed in Python: SQLite keeps decimals as floating point, and its SUM would be only
    nearly right; the votes' weights are divided by this number.
    """
    areas = Premises.objects.filter(building=building).values_list("area", flat=True)
    return sum(areas, Decimal("0.00"))


def share_owned(premises: Premises) -> Fraction:
    """How much of the premises the register's ownerships cover (at most 1)."""
    rows = Ownership.objects.filter(premises=premises).values_list(
        "share_numerator", "share_denominator"
    )
    return sum((Fraction(n, d) for n, d in rows), Fraction(0))


def may_administer(user: User, building: Building) -> bool:
    """Superusers administer every building; anyone else only those they are named for."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return building.administrators.filter(pk=user.pk).exists()


def buildings_administered_by(user: User) -> QuerySet[Building]:
    if user.is_superuser:
        return Building.objects.all()
    if not user.is_authenticated or not user.is_active:
        return Building.objects.none()
    return Building.objects.filter(administrators=user)


def owned_premises(user: User, building: Building | None = None) -> QuerySet[Premises]:
    """The premises the person owns a share of, by the register (confirmed ownerships only)."""
    rows = Premises.objects.filter(ownerships__owner=user)
    if building is not None:
        rows = rows.filter(building=building)
    return rows.distinct().order_by("building__address", "number")


def is_owner(user: User, building: Building) -> bool:
    if not user.is_authenticated:
        return False
    return Ownership.objects.filter(owner=user, premises__building=building).exists()


def is_resident(user: User, building: Building) -> bool:
    if not user.is_authenticated:
        return False
    return Resident.objects.filter(user=user, building=building).exists()


# --- Meetings ----------------------------------------------------------------------------------


def meetings_visible_to(user: User) -> QuerySet[Meeting]:
    """Meetings a person may see: those of buildings where they own premises (drafts are the
    administrators' own) or whose frozen register lists them, and every meeting of the
    buildings they administer."""
    if not user.is_authenticated or not user.is_active:
        return Meeting.objects.none()
    administered = buildings_administered_by(user).values("pk")
    owned = Ownership.objects.filter(owner=user).values("premises__building")
    # An owner who sold after voting started still sees the meeting they were registered in.
    registered = RegisterEntry.objects.filter(owner=user).values("meeting")
    return (
        Meeting.objects.filter(
            Q(building__in=administered)
            | (Q(building__in=owned) & ~Q(status=Meeting.Status.DRAFT))
            | Q(pk__in=registered)
        )
        .select_related("building")
        .distinct()
    )


def ballot_of(meeting: Meeting, user: User) -> MeetingBallot | None:
    """The ballot that counts for the person's shares in this meeting, if any."""
    if not user.is_authenticated:
        return None
    line = (
        BallotLine.objects.filter(entry__meeting=meeting, entry__owner=user)
        .select_related("ballot")
        .order_by("pk")
        .first()
    )
    return line.ballot if line else None


def count_of(meeting: Meeting) -> counting.MeetingCount | None:
    """The meeting's count from its frozen register and its ballots (None before voting)."""
    if meeting.total_area is None:
        return None
    items = list(meeting.items.all())
    # Plain rows, not model instances: a 2,000-flat register is read in a few milliseconds.
    entries = list(
        RegisterEntry.objects.filter(meeting=meeting).values_list(
            "pk",
            "owner_id",
            "owner_name",
            "owner_code",
            "premises_number",
            "entrance",
            "area",
            "share_numerator",
            "share_denominator",
        )
    )
    voted = dict(
        BallotLine.objects.filter(entry__meeting=meeting).values_list("entry_id", "ballot_id")
    )
    decisions = {
        pk: {int(n): c for n, c in d.items()}
        for pk, d in MeetingBallot.objects.filter(meeting=meeting).values_list("pk", "decisions")
    }
    entrance_owners: dict[int, set[str]] = {}
    votes = []
    for pk, owner_id, name, code, number, entrance, area, numerator, denominator in entries:
        who = owner_key(owner_id, name, code)
        if entrance is not None:
            entrance_owners.setdefault(entrance, set()).add(who)
        if pk in voted:
            votes.append(
                counting.VoteLine(
                    owner_key=who,
                    premises_number=number,
                    entrance=entrance,
                    area=area,
                    share=Fraction(numerator, denominator),
                    decisions=decisions[voted[pk]],
                )
            )
    return counting.count_meeting(
        counting.CountInput(
            total_area=meeting.total_area,
            items=[
                counting.ItemInput(
                    number=i.number,
                    decision_type=i.decision_type or counting.MAJORITY_OF_PARTICIPANTS,
                    entrance=i.entrance,
                )
                for i in items
            ],
            votes=votes,
            owners_total=meeting.owners_total or 0,
            entrance_areas={int(k): Decimal(v) for k, v in meeting.entrance_areas.items()},
            entrance_owners={k: len(v) for k, v in entrance_owners.items()},
        )
    )


def owner_key(owner_id: int | None, owner_name: str, owner_code: str = "") -> str:
    """One owner however many lines they have: a registered person by id, else by name and,
    where the register gives one, the code that tells namesakes apart."""
    if owner_id:
        return f"user:{owner_id}"
    name = owner_name.strip().casefold()
    code = owner_code.strip().casefold()
    return f"name:{name}#{code}" if code else f"name:{name}"


def buildings_of(user: User) -> QuerySet[Building]:
    """Buildings where the person owns premises, lives, or is named an administrator."""
    if not user.is_authenticated:
        return Building.objects.none()
    return (
        Building.objects.filter(
            Q(premises__ownerships__owner=user) | Q(residents__user=user) | Q(administrators=user)
        )
        .distinct()
        .order_by("address")
    )


def announcements_for(user: User) -> QuerySet[Announcement]:
    """Announcements of the buildings where the person owns premises, lives or administers."""
    return (
        Announcement.objects.filter(building__in=buildings_of(user).values("pk"))
        .select_related("building")
        .order_by("-created_at", "-id")
    )


# The protocol is drawn up within ten days of the end of voting (DESIGN.md, the Ministry's
# order 44/pr): shown to the administrator as a deadline, never a reason to refuse a late one.
PROTOCOL_DAYS = 10


def protocol_due(meeting: Meeting) -> date | None:
    """The last day to publish the protocol of a meeting whose voting has ended, if it is not
    published yet."""
    if meeting.status != Meeting.Status.COUNTING:
        return None
    return timezone.localdate(meeting.voting_ends_at) + timedelta(days=PROTOCOL_DAYS)
