"""Owners' general meetings: every write, from the draft to the protocol (Housing Code of the
Russian Federation, art. 44-48 and 47.1).

A meeting is created as a draft by an administrator of the building, its notice is published at
least ten days before voting, voting lasts seven to sixty days, and then it is counted and its
protocol published. The register is frozen when voting starts (`RegisterEntry`): who may vote
and with what weight never moves with later edits. Each owner's ballot names the register
entries it votes with, and an entry can be voted once (a unique key), whichever the channel.
Every ballot goes into the meeting's transparency log, as a poll's ballots do.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from activecitizen.accounts.models import User
from activecitizen.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from activecitizen.house import counting
from activecitizen.house.models import (
    AgendaItem,
    BallotLine,
    Building,
    DecisionRule,
    DecisionType,
    Meeting,
    MeetingBallot,
    Ownership,
    Premises,
    RegisterEntry,
)
from activecitizen.house.selectors import building_total_area, may_administer, owner_key
from activecitizen.notifications.services import notify
from activecitizen.transparency.services import ensure_log, queue_entry, seal_all

# Art. 45 part 4, art. 47.1 part 4 and 5: the timeline of a meeting held on the platform.
NOTICE_DAYS = 10
VOTING_DAYS_MIN = 7
VOTING_DAYS_MAX = 60
PAPER_CLOSES_BEFORE_END = timedelta(hours=48)
ITEMS_MAX = 50
TITLE_MAX = 300
ITEM_TITLE_MAX = 500
PROPOSAL_MAX = 5000
IDEMPOTENCY_KEY_MAX = 200
BALLOT_FORMAT_VERSION = 1
CHOICES = (counting.FOR, counting.AGAINST, counting.ABSTAIN)


class AlreadyVoted(Conflict):
    """The owner's entries have been voted already: carries the ballot that stands."""

    code = "already_voted"

    def __init__(self, ballot: MeetingBallot, *, replay: bool) -> None:
        super().__init__(_("You have already voted in this meeting."))
        self.ballot = ballot
        self.replay = replay


# --- Creating a meeting ------------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaItemInput:
    title: str
    proposal: str = ""
    subject: str = "other"
    entrance: int | None = None


def create_meeting(
    *,
    building: Building,
    by: User,
    title: str,
    voting_starts_at: datetime,
    voting_ends_at: datetime,
    items: Sequence[AgendaItemInput],
    initiator_name: str = "",
    form: str = Meeting.Form.ELECTRONIC,
    place: str = "",
    administrator: User | None = None,
) -> Meeting:
    """A draft meeting with its agenda; only an administrator of the building creates one."""
    if not may_administer(by, building):
        raise PermissionDenied(
            _("Only an administrator of this building may call a meeting."), code="forbidden"
        )
    title = (title or "").strip()
    if not title:
        raise InvalidInput(_("Give the meeting a title."), code="required", field="title")
    if len(title) > TITLE_MAX:
        raise InvalidInput(_("The title is too long."), code="too_long", field="title")
    if form not in Meeting.Form.values:
        raise InvalidInput(_("Unknown form of the meeting."), field="form")
    check_voting_period(voting_starts_at, voting_ends_at)
    checked = _checked_items(items)
    _check_entrances(building, checked, timezone.localdate(voting_starts_at))
    with transaction.atomic():
        # Numbers follow on per building; the lock keeps two drafts from taking one number.
        Building.objects.select_for_update().filter(pk=building.pk).first()
        last = Meeting.objects.filter(building=building).aggregate(n=Max("number"))["n"] or 0
        meeting = Meeting.objects.create(
            building=building,
            number=last + 1,
            title=title,
            form=form,
            place=(place or "").strip()[:300],
            initiator_name=(initiator_name or "").strip()[:300] or by.get_full_name() or str(by),
            initiator=by,
            administrator=administrator or by,
            voting_starts_at=voting_starts_at,
            voting_ends_at=voting_ends_at,
            created_by=by,
        )
        AgendaItem.objects.bulk_create(
            AgendaItem(meeting=meeting, number=n, **vars(item))
            for n, item in enumerate(checked, start=1)
        )
    return meeting


def edit_draft(
    *,
    meeting: Meeting,
    by: User,
    title: str,
    voting_starts_at: datetime,
    voting_ends_at: datetime,
    items: Sequence[AgendaItemInput],
    initiator_name: str = "",
    form: str = Meeting.Form.ELECTRONIC,
    place: str = "",
) -> Meeting:
    """Change a draft's title, form, dates and its whole agenda (numbered anew 1, 2, …), with
    the checks of `create_meeting`; refused once the notice is out (the owners have read it)."""
    _administered(meeting, by)
    title = (title or "").strip()
    if not title:
        raise InvalidInput(_("Give the meeting a title."), code="required", field="title")
    if len(title) > TITLE_MAX:
        raise InvalidInput(_("The title is too long."), code="too_long", field="title")
    if form not in Meeting.Form.values:
        raise InvalidInput(_("Unknown form of the meeting."), field="form")
    check_voting_period(voting_starts_at, voting_ends_at)
    checked = _checked_items(items)
    with transaction.atomic():
        meeting = _locked(meeting.pk)
        if meeting.status != Meeting.Status.DRAFT:
            raise _wrong_status(meeting)
        _check_entrances(meeting.building, checked, timezone.localdate(voting_starts_at))
        meeting.title = title
        meeting.form = form
        meeting.place = (place or "").strip()[:300]
        meeting.initiator_name = (initiator_name or "").strip()[:300] or meeting.initiator_name
        meeting.voting_starts_at = voting_starts_at
        meeting.voting_ends_at = voting_ends_at
        meeting.save(
            update_fields=[
                "title",
                "form",
                "place",
                "initiator_name",
                "voting_starts_at",
                "voting_ends_at",
            ]
        )
        AgendaItem.objects.filter(meeting=meeting).delete()
        AgendaItem.objects.bulk_create(
            AgendaItem(meeting=meeting, number=n, **vars(item))
            for n, item in enumerate(checked, start=1)
        )
    return meeting


def _check_entrances(building: Building, items: Sequence[AgendaItemInput], first_day: date) -> None:
    """An item decided by one entrance's owners (art. 44 part 2 item 4.5) names an entrance of
    the building."""
    entrances = set(building.entrances.values_list("number", flat=True))
    for n, item in enumerate(items, start=1):
        rule = rule_for(item.subject, first_day)
        if rule.decision_type == DecisionType.ITEM_4_5 and item.entrance not in entrances:
            raise InvalidInput(
                _("Item %(n)d is decided by the owners of one entrance: name the entrance.")
                % {"n": n},
                field=f"items.{n}",
            )


def _checked_items(items: Sequence[AgendaItemInput]) -> list[AgendaItemInput]:
    if not items:
        raise InvalidInput(_("The agenda needs at least one item."), code="required", field="items")
    if len(items) > ITEMS_MAX:
        raise InvalidInput(
            _("An agenda has at most %(n)d items.") % {"n": ITEMS_MAX}, field="items"
        )
    known = set(DecisionRule.objects.values_list("subject", flat=True))
    checked = []
    for n, item in enumerate(items, start=1):
        field = f"items.{n}"
        title = (item.title or "").strip()
        if not title:
            raise InvalidInput(_("Item %(n)d has no question.") % {"n": n}, field=field)
        if len(title) > ITEM_TITLE_MAX or len(item.proposal or "") > PROPOSAL_MAX:
            raise InvalidInput(_("Item %(n)d is too long.") % {"n": n}, field=field)
        if item.subject not in known:
            raise InvalidInput(
                _("Item %(n)d: no decision rule is known for the subject %(subject)s.")
                % {"n": n, "subject": item.subject},
                field=field,
            )
        checked.append(
            AgendaItemInput(
                title=title,
                proposal=(item.proposal or "").strip(),
                subject=item.subject,
                entrance=item.entrance,
            )
        )
    return checked


def check_voting_period(starts: datetime, ends: datetime) -> None:
    """Voting lasts from seven to sixty days, without a break (art. 47.1 part 4)."""
    if ends <= starts:
        raise InvalidInput(
            _("Voting must end after it starts."), code="invalid", field="voting_ends_at"
        )
    if ends - starts < timedelta(days=VOTING_DAYS_MIN):
        raise InvalidInput(
            _("Voting lasts at least %(n)d days.") % {"n": VOTING_DAYS_MIN},
            code="voting_too_short",
            field="voting_ends_at",
        )
    if ends - starts > timedelta(days=VOTING_DAYS_MAX):
        raise InvalidInput(
            _("Voting lasts at most %(n)d days.") % {"n": VOTING_DAYS_MAX},
            code="voting_too_long",
            field="voting_ends_at",
        )


def rule_for(subject: str, on: date) -> DecisionRule:
    """The rule in force for `subject` on the day `on` (the latest that started by then)."""
    rule = (
        DecisionRule.objects.filter(subject=subject, effective_from__lte=on)
        .filter(Q(effective_until__isnull=True) | Q(effective_until__gt=on))
        .order_by("-effective_from")
        .first()
    )
    if rule is None:
        raise InvalidInput(
            _("No decision rule for the subject %(subject)s is in force on %(day)s.")
            % {"subject": subject, "day": on.isoformat()},
            field="items",
        )
    return rule


# --- The timeline ------------------------------------------------------------------------------


def _administered(meeting: Meeting, by: User) -> None:
    if not may_administer(by, meeting.building):
        raise PermissionDenied(
            _("Only an administrator of this building may do this."), code="forbidden"
        )


def _locked(meeting_id: int) -> Meeting:
    meeting = (
        Meeting.objects.select_for_update().select_related("building").filter(pk=meeting_id).first()
    )
    if meeting is None:
        raise NotFound(_("There is no such meeting."))
    return meeting


def _wrong_status(meeting: Meeting) -> Conflict:
    return Conflict(
        _("The meeting is %(status)s: this cannot be done now.")
        % {"status": meeting.get_status_display()},
        code="wrong_status",
    )


def publish_notice(*, meeting: Meeting, by: User, now: datetime | None = None) -> Meeting:
    """Publish the notice: at least ten days before voting starts (art. 45 part 4). The items'
    decision types are fixed from the rules in force on the first day of voting, and every
    owner of the building is told."""
    now = now or timezone.now()
    _administered(meeting, by)
    with transaction.atomic():
        meeting = _locked(meeting.pk)
        if meeting.status != Meeting.Status.DRAFT:
            raise _wrong_status(meeting)
        if meeting.voting_starts_at - now < timedelta(days=NOTICE_DAYS):
            raise InvalidInput(
                _(
                    "The notice must be published at least %(n)d days before voting starts: "
                    "move the start to %(day)s or later."
                )
                % {
                    "n": NOTICE_DAYS,
                    "day": timezone.localdate(now + timedelta(days=NOTICE_DAYS)).isoformat(),
                },
                code="notice_too_short",
                field="voting_starts_at",
            )
        check_voting_period(meeting.voting_starts_at, meeting.voting_ends_at)
        first_day = timezone.localdate(meeting.voting_starts_at)
        items = list(meeting.items.all())
        if not items:
            raise InvalidInput(_("The agenda needs at least one item."), field="items")
        entrances = set(meeting.building.entrances.values_list("number", flat=True))
        for item in items:
            item.decision_type = rule_for(item.subject, first_day).decision_type
            if item.decision_type == DecisionType.ITEM_4_5 and item.entrance not in entrances:
                raise InvalidInput(
                    _("Item %(n)d is decided by the owners of one entrance: name the entrance.")
                    % {"n": item.number},
                    field=f"items.{item.number}",
                )
        AgendaItem.objects.bulk_update(items, ["decision_type"])
        meeting.status = Meeting.Status.NOTICE
        meeting.notice_published_at = now
        meeting.save(update_fields=["status", "notice_published_at"])
        _tell_owners(meeting, "meeting_notice")
    return meeting


def start_voting(*, meeting: Meeting, now: datetime | None = None) -> Meeting:
    """Open voting at its time: freeze the register (who votes, with what weight), the total
    area and the entrances' areas, create the meeting's log, and tell the owners."""
    now = now or timezone.now()
    with transaction.atomic():
        meeting = _locked(meeting.pk)
        if meeting.status != Meeting.Status.NOTICE:
            raise _wrong_status(meeting)
        if now < meeting.voting_starts_at:
            raise Conflict(_("Voting has not started yet."), code="not_started")
        building = meeting.building
        total = building_total_area(building)
        if total <= 0:
            raise Conflict(_("The building's register has no premises."), code="empty_register")
        entrance_areas: dict[str, str] = {}
        for number, area in Premises.objects.filter(
            building=building, entrance__isnull=False
        ).values_list("entrance__number", "area"):
            entrance_areas[str(number)] = str(Decimal(entrance_areas.get(str(number), "0")) + area)
        ownerships = Ownership.objects.filter(premises__building=building).select_related(
            "premises__entrance"
        )
        RegisterEntry.objects.bulk_create(
            RegisterEntry(
                meeting=meeting,
                ownership=o,
                owner_id=o.owner_id,
                owner_name=o.owner_name,
                owner_code=o.owner_code,
                premises_number=o.premises.number,
                entrance=o.premises.entrance.number if o.premises.entrance else None,
                area=o.premises.area,
                share_numerator=o.share_numerator,
                share_denominator=o.share_denominator,
            )
            for o in ownerships
        )
        meeting.total_area = total
        meeting.entrance_areas = entrance_areas
        meeting.owners_total = len(
            {owner_key(o.owner_id, o.owner_name, o.owner_code) for o in ownerships}
        )
        meeting.log = ensure_log(
            origin=meeting_origin(meeting.pk),
            origin_id=meeting_log_name(meeting.pk),
            kind="meeting",
        )
        meeting.status = Meeting.Status.VOTING
        meeting.save(
            update_fields=["total_area", "entrance_areas", "owners_total", "log", "status"]
        )
        _tell_owners(meeting, "meeting_started")
    return meeting


def end_voting(*, meeting: Meeting, now: datetime | None = None) -> Meeting:
    """Close voting at its end and count (the count itself is `selectors.count_of`)."""
    now = now or timezone.now()
    with transaction.atomic():
        meeting = _locked(meeting.pk)
        if meeting.status != Meeting.Status.VOTING:
            raise _wrong_status(meeting)
        if now < meeting.voting_ends_at:
            raise Conflict(_("Voting has not ended yet."), code="not_ended")
        meeting.status = Meeting.Status.COUNTING
        meeting.counted_at = now
        meeting.save(update_fields=["status", "counted_at"])
    return meeting


def publish_protocol(*, meeting: Meeting, by: User, now: datetime | None = None) -> Meeting:
    """Publish the protocol of a counted meeting and tell the owners the result."""
    now = now or timezone.now()
    _administered(meeting, by)
    with transaction.atomic():
        meeting = _locked(meeting.pk)
        if meeting.status != Meeting.Status.COUNTING:
            raise _wrong_status(meeting)
        meeting.status = Meeting.Status.PROTOCOL
        meeting.protocol_published_at = now
        meeting.save(update_fields=["status", "protocol_published_at"])
        _tell_owners(meeting, "meeting_result")
    return meeting


def cancel_meeting(*, meeting: Meeting, by: User, reason: str) -> Meeting:
    """Cancel a meeting before voting starts, with the reason the owners are told."""
    _administered(meeting, by)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why the meeting is cancelled."), code="required", field="reason")
    with transaction.atomic():
        meeting = _locked(meeting.pk)
        if meeting.status not in (Meeting.Status.DRAFT, Meeting.Status.NOTICE):
            raise _wrong_status(meeting)
        told = meeting.status == Meeting.Status.NOTICE
        meeting.status = Meeting.Status.CANCELLED
        meeting.cancelled_reason = reason[:2000]
        meeting.save(update_fields=["status", "cancelled_reason"])
        if told:
            _tell_owners(meeting, "meeting_cancelled")
    return meeting


def advance_meetings(*, now: datetime | None = None) -> tuple[int, int]:
    """Start the meetings whose voting is due and close those whose voting is over (a
    scheduled task); returns how many started and how many closed."""
    now = now or timezone.now()
    started = closed = 0
    due = Meeting.objects.filter(status=Meeting.Status.NOTICE, voting_starts_at__lte=now)
    for meeting in due:
        try:
            start_voting(meeting=meeting, now=now)
            started += 1
        except Conflict:
            continue  # started by someone else meanwhile, or an empty register (admin sees it)
    over = Meeting.objects.filter(status=Meeting.Status.VOTING, voting_ends_at__lte=now)
    for meeting in over:
        try:
            end_voting(meeting=meeting, now=now)
            closed += 1
        except Conflict:
            continue
    return started, closed


def seal_meeting_logs() -> int:
    """Seal the queued ballots of every meeting's log (nothing to fold: meetings are counted
    from their ballots, which are few)."""
    return seal_all(kind="meeting")


# --- Voting ------------------------------------------------------------------------------------


def meeting_origin(meeting_id: int) -> str:
    return f"{settings.TRANSPARENCY_ORIGIN_PREFIX}/meeting/{meeting_id}"


def meeting_log_name(meeting_id: int) -> str:
    return f"meeting-{meeting_id}"


def _checked_decisions(meeting: Meeting, decisions: Mapping[int, str]) -> dict[int, str]:
    """One choice for every item of the agenda, by item number."""
    numbers = list(meeting.items.values_list("number", flat=True))
    checked: dict[int, str] = {}
    for number, choice in decisions.items():
        if number not in numbers:
            raise InvalidInput(
                _("The agenda has no item %(n)s.") % {"n": number}, field="decisions"
            )
        if choice not in CHOICES:
            raise InvalidInput(
                _("Choose for, against or abstain on item %(n)s.") % {"n": number},
                field="decisions",
            )
        checked[number] = choice
    missing = [n for n in numbers if n not in checked]
    if missing:
        raise InvalidInput(
            _("Decide on every item: item %(n)s has no decision.") % {"n": missing[0]},
            code="required",
            field="decisions",
        )
    return dict(sorted(checked.items()))


def cast_meeting_vote(
    *,
    meeting: Meeting,
    user: User,
    decisions: Mapping[int, str],
    idempotency_key: str = "",
    now: datetime | None = None,
) -> MeetingBallot:
    """An owner's decisions on the agenda, with the total of every share they own in the
    building (DESIGN.md "Vote in an owners' meeting").

    Refused, writing nothing: outside the voting window, not an owner in the frozen register,
    a choice missing or unknown. A second ballot of the same owner (a retry, a double click,
    another device, a paper ballot entered first) is `already_voted`, carrying the ballot that
    stands: the register entries are unique in ballot lines.
    """
    now = now or timezone.now()
    idempotency_key = (idempotency_key or "").strip()
    if len(idempotency_key) > IDEMPOTENCY_KEY_MAX:
        raise InvalidInput(_("The Idempotency-Key is too long."), field="Idempotency-Key")
    meeting = _fresh(meeting)
    _check_voting_open(meeting, now)
    entries = list(RegisterEntry.objects.filter(meeting=meeting, owner=user))
    if not entries:
        raise PermissionDenied(
            _("Only owners of premises in this building vote, by the register."),
            code="not_an_owner",
        )
    checked = _checked_decisions(meeting, decisions)
    earlier = _ballot_of(entries)
    if earlier is not None:
        raise _already_voted(earlier, idempotency_key)
    return _record(
        meeting=meeting,
        entries=entries,
        owner=user,
        owner_name=entries[0].owner_name,
        decisions=checked,
        channel=MeetingBallot.Channel.ELECTRONIC,
        idempotency_key=idempotency_key,
        now=now,
    )


def enter_paper_ballot(
    *,
    meeting: Meeting,
    by: User,
    entry_ids: Sequence[int],
    decisions: Mapping[int, str],
    scan_reference: str,
    now: datetime | None = None,
) -> MeetingBallot:
    """A paper ballot handed in at a mixed meeting, entered by the administrator with a
    reference to its scan, until 48 hours before voting ends (art. 47.1 part 5)."""
    now = now or timezone.now()
    meeting = _fresh(meeting)
    _administered(meeting, by)
    if meeting.form != Meeting.Form.MIXED:
        raise Conflict(
            _("This meeting is held electronically only: it takes no paper ballots."),
            code="no_paper_ballots",
        )
    _check_voting_open(meeting, now)
    if now > meeting.voting_ends_at - PAPER_CLOSES_BEFORE_END:
        raise Conflict(
            _("Paper ballots are entered until 48 hours before voting ends."),
            code="paper_too_late",
        )
    scan_reference = (scan_reference or "").strip()
    if not scan_reference:
        raise InvalidInput(
            _("Give the reference of the ballot's scan."), code="required", field="scan_reference"
        )
    entries = list(RegisterEntry.objects.filter(meeting=meeting, pk__in=list(entry_ids)))
    if not entries or len(entries) != len(set(entry_ids)):
        raise InvalidInput(
            _("Choose the owner's lines of this meeting's register."), field="entry_ids"
        )
    owners = {owner_key(e.owner_id, e.owner_name, e.owner_code) for e in entries}
    if len(owners) != 1:
        raise InvalidInput(_("A paper ballot is one owner's."), field="entry_ids")
    checked = _checked_decisions(meeting, decisions)
    earlier = _ballot_of(entries)
    if earlier is not None:
        raise _already_voted(earlier, "")
    return _record(
        meeting=meeting,
        entries=entries,
        owner=entries[0].owner,
        owner_name=entries[0].owner_name,
        decisions=checked,
        channel=MeetingBallot.Channel.PAPER,
        idempotency_key="",
        now=now,
        scan_reference=scan_reference[:300],
        entered_by=by,
    )


def _fresh(meeting: Meeting) -> Meeting:
    """The meeting as it stands now: a caller's copy may predate a change of status."""
    found = Meeting.objects.filter(pk=meeting.pk).first()
    if found is None:
        raise NotFound(_("There is no such meeting."))
    return found


def _check_voting_open(meeting: Meeting, now: datetime) -> None:
    if meeting.status != Meeting.Status.VOTING or not (
        meeting.voting_starts_at <= now < meeting.voting_ends_at
    ):
        raise Conflict(_("Voting in this meeting is not open."), code="voting_closed")


def _ballot_of(entries: Sequence[RegisterEntry]) -> MeetingBallot | None:
    line = (
        BallotLine.objects.filter(entry__in=entries).select_related("ballot").order_by("pk").first()
    )
    return line.ballot if line else None


def _already_voted(ballot: MeetingBallot, idempotency_key: str) -> AlreadyVoted:
    replay = bool(idempotency_key) and ballot.idempotency_key == idempotency_key
    return AlreadyVoted(ballot, replay=replay)


def canonical_ballot(
    *, meeting: Meeting, public_id: str, entries: Sequence[RegisterEntry], decisions: dict
) -> bytes:
    """The ballot as the meeting's public log holds it: RFC 8785 JSON of the premises and
    shares it votes with and the decisions, without the owner's name (the protocol's annex,
    which owners of the building read, names them)."""
    document: dict[str, Any] = {
        "v": BALLOT_FORMAT_VERSION,
        "meeting": meeting_origin(meeting.pk),
        "ballot": public_id,
        "lines": [
            {
                "premises": e.premises_number,
                "area": str(e.area),
                "share": f"{e.share_numerator}/{e.share_denominator}",
            }
            for e in sorted(entries, key=lambda e: (e.premises_number, e.pk))
        ],
        "decisions": {str(n): c for n, c in decisions.items()},
    }
    # Strings, small integers and ASCII keys: the standard library's sorted compact JSON is
    # RFC 8785 for this document (as for a poll's ballot, see polls.ballots).
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _record(
    *,
    meeting: Meeting,
    entries: Sequence[RegisterEntry],
    owner: User | None,
    owner_name: str,
    decisions: dict[int, str],
    channel: str,
    idempotency_key: str,
    now: datetime,
    scan_reference: str = "",
    entered_by: User | None = None,
) -> MeetingBallot:
    public_id = secrets.token_hex(16)
    content = canonical_ballot(
        meeting=meeting, public_id=public_id, entries=entries, decisions=decisions
    )
    try:
        with transaction.atomic():
            ballot = MeetingBallot.objects.create(
                meeting=meeting,
                public_id=public_id,
                owner=owner,
                owner_name=owner_name,
                channel=channel,
                decisions={str(n): c for n, c in decisions.items()},
                scan_reference=scan_reference,
                entered_by=entered_by,
                content=content.decode(),
                leaf_hash=hashlib.sha256(b"\x00" + content).hexdigest(),
                idempotency_key=idempotency_key,
                cast_at=now,
            )
            # The unique entry refuses a second ballot for any of these shares, even from a
            # request racing this one: the whole ballot is then rolled back.
            BallotLine.objects.bulk_create(BallotLine(ballot=ballot, entry=e) for e in entries)
            assert meeting.log_id is not None
            queue_entry(log_id=meeting.log_id, data=content, ref=ballot.pk, queued_at=now)
    except IntegrityError:
        earlier = _ballot_of(entries)
        if earlier is None:
            raise
        raise _already_voted(earlier, idempotency_key) from None
    return ballot


# --- Telling the owners ------------------------------------------------------------------------


def _tell_owners(meeting: Meeting, kind: str) -> None:
    """An in-app notification to every registered owner of the building, once per event."""
    owners = (
        Ownership.objects.filter(premises__building=meeting.building, owner__isnull=False)
        .values_list("owner_id", flat=True)
        .distinct()
    )
    url = reverse("house:meeting", args=[meeting.pk])
    params = {
        "meeting": meeting.pk,
        "number": meeting.number,
        "title": meeting.title,
        "address": meeting.building.address,
        "starts": meeting.voting_starts_at.isoformat(),
        "ends": meeting.voting_ends_at.isoformat(),
    }
    for owner_id in owners:
        notify(
            user_id=owner_id,
            kind=kind,
            params=params,
            url=url,
            key=f"{kind}:{meeting.pk}:{owner_id}",
        )
