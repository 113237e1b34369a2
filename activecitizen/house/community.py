"""A building's own voice between meetings: owners demanding a meeting (art. 45 part 2 of the
Housing Code) and administrators' announcements to everyone who lives there."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from activecitizen.accounts.models import User
from activecitizen.core.errors import Conflict, InvalidInput, PermissionDenied
from activecitizen.house.models import (
    Announcement,
    Building,
    DemandSignature,
    MeetingDemand,
    Ownership,
    Resident,
)
from activecitizen.house.selectors import building_total_area, is_owner, may_administer
from activecitizen.notifications.services import notify

DEMAND_SHARE = Fraction(1, 10)
AGENDA_MAX = 3000
TITLE_MAX = 200
TEXT_MAX = 5000


def demand_meeting(*, building: Building, by: User, agenda: str) -> MeetingDemand:
    """An owner starts a demand for a meeting with the questions to put; they sign it first."""
    if not is_owner(by, building):
        raise PermissionDenied(
            _("Only owners of premises in this building may demand a meeting."),
            code="not_an_owner",
        )
    agenda = (agenda or "").strip()
    if not agenda:
        raise InvalidInput(_("Say which questions the meeting should decide."), field="agenda")
    if len(agenda) > AGENDA_MAX or "\x00" in agenda:
        raise InvalidInput(_("The questions are too long."), code="too_long", field="agenda")
    with transaction.atomic():
        demand = MeetingDemand.objects.create(building=building, agenda=agenda, created_by=by)
        _sign(demand, by)
    return demand


def sign_demand(*, demand: MeetingDemand, by: User, now: datetime | None = None) -> MeetingDemand:
    """An owner joins a demand; when the signers hold 10 % of all votes, the building's
    administrators are told, once."""
    if not is_owner(by, demand.building):
        raise PermissionDenied(
            _("Only owners of premises in this building may sign."), code="not_an_owner"
        )
    if demand.status == MeetingDemand.Status.CLOSED:
        raise Conflict(_("This demand is closed."), code="closed")
    try:
        with transaction.atomic():
            _sign(demand, by, now=now)
    except IntegrityError:
        raise Conflict(_("You have signed this demand already."), code="already_signed") from None
    demand.refresh_from_db()
    return demand


def _sign(demand: MeetingDemand, by: User, now: datetime | None = None) -> None:
    now = now or timezone.now()
    DemandSignature.objects.create(demand=demand, user=by, signed_at=now)
    locked = MeetingDemand.objects.select_for_update().get(pk=demand.pk)
    if locked.status == MeetingDemand.Status.COLLECTING and demand_share(locked) >= DEMAND_SHARE:
        locked.status = MeetingDemand.Status.REACHED
        locked.reached_at = now
        locked.save(update_fields=["status", "reached_at"])
        url = reverse("admin:house_meetingdemand_change", args=[locked.pk])
        for admin_id in locked.building.administrators.values_list("pk", flat=True):
            notify(
                user_id=admin_id,
                kind="meeting_demanded",
                params={"address": locked.building.address, "agenda": locked.agenda[:200]},
                url=url,
                key=f"meeting_demanded:{locked.pk}:{admin_id}",
            )


def demand_share(demand: MeetingDemand) -> Fraction:
    """The part of all the building's votes that the signers hold (area × share, exact)."""
    total = building_total_area(demand.building)
    if total <= 0:
        return Fraction(0)
    signers = demand.signatures.values("user")
    held = sum(
        (
            Fraction(area) * Fraction(n, d)
            for area, n, d in Ownership.objects.filter(
                premises__building=demand.building, owner__in=signers
            ).values_list("premises__area", "share_numerator", "share_denominator")
        ),
        Fraction(0),
    )
    return held / Fraction(total)


def post_announcement(*, building: Building, by: User, title: str, text: str) -> Announcement:
    """An administrator's announcement; every owner and resident of the building is told."""
    if not may_administer(by, building):
        raise PermissionDenied(
            _("Only an administrator of this building may post announcements."), code="forbidden"
        )
    title, text = (title or "").strip(), (text or "").strip()
    if not title or not text:
        raise InvalidInput(
            _("An announcement needs a title and a text."),
            code="required",
            field="title" if not title else "text",
        )
    if len(title) > TITLE_MAX or len(text) > TEXT_MAX:
        raise InvalidInput(_("The announcement is too long."), code="too_long", field="text")
    with transaction.atomic():
        announcement = Announcement.objects.create(
            building=building, title=title, text=text, created_by=by
        )
        people = set(
            Ownership.objects.filter(premises__building=building, owner__isnull=False).values_list(
                "owner_id", flat=True
            )
        ) | set(Resident.objects.filter(building=building).values_list("user_id", flat=True))
        for user_id in people:
            notify(
                user_id=user_id,
                kind="building_announcement",
                params={"address": building.address, "title": title},
                url=reverse("house:home"),
                key=f"building_announcement:{announcement.pk}:{user_id}",
            )
    return announcement
