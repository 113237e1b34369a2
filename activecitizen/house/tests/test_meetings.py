"""Owners' meetings end to end through the services: the timeline, who votes and with what
weight, one decision per share whatever the channel, paper ballots, the count, the log."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from django.utils import timezone

from activecitizen.core.errors import Conflict, InvalidInput, PermissionDenied
from activecitizen.house import counting, selectors, services
from activecitizen.house.models import (
    AgendaItem,
    BallotLine,
    DecisionRule,
    Meeting,
    MeetingBallot,
    RegisterEntry,
)
from activecitizen.house.tests import house_fixtures as hf
from activecitizen.house.tests.meeting_fixtures import (
    DURING,
    ENDS,
    NOTICE_AT,
    STARTS,
    draft,
    items,
    vote,
    voting,
)
from activecitizen.notifications.models import Notification
from activecitizen.transparency.models import Entry, QueuedEntry

pytestmark = pytest.mark.django_db


def owned_building(*areas: str):
    """A building whose premises i (area areas[i-1]) is owned wholly by a registered person."""
    building = hf.building()
    admin = hf.house_administrator(building)
    owners = []
    for n, area in enumerate(areas, start=1):
        owner = hf.person(first_name=f"Собственник{n}")
        hf.ownership(hf.premises(building, str(n), area), owner=owner, name=f"Собственник {n}")
        owners.append(owner)
    return building, admin, owners


def state(meeting: Meeting) -> tuple:
    return (
        Meeting.objects.filter(pk=meeting.pk).values_list("status", flat=True).get(),
        MeetingBallot.objects.count(),
        BallotLine.objects.count(),
        QueuedEntry.objects.count(),
    )


# --- Calling a meeting -------------------------------------------------------------------------


def test_only_an_administrator_of_the_building_calls_a_meeting():
    building, _admin, owners = owned_building("50.00")
    other_admin = hf.house_administrator(hf.building())
    for stranger in (owners[0], other_admin):
        with pytest.raises(PermissionDenied):
            draft(building, stranger)
    assert Meeting.objects.count() == 0


@pytest.mark.parametrize(
    ("days", "code"), [(6, "voting_too_short"), (61, "voting_too_long"), (0, "invalid")]
)
def test_voting_lasts_seven_to_sixty_days(days, code):
    building, admin, _owners = owned_building("50.00")
    with pytest.raises(InvalidInput) as refused:
        services.create_meeting(
            building=building,
            by=admin,
            title="Собрание",
            voting_starts_at=STARTS,
            voting_ends_at=STARTS + timedelta(days=days),
            items=items("other"),
        )
    assert refused.value.code == code
    assert Meeting.objects.count() == 0


def test_seven_and_sixty_days_are_allowed():
    building, admin, _owners = owned_building("50.00")
    for days in (7, 60):
        services.create_meeting(
            building=building,
            by=admin,
            title="Собрание",
            voting_starts_at=STARTS,
            voting_ends_at=STARTS + timedelta(days=days),
            items=items("other"),
        )
    assert list(Meeting.objects.order_by("number").values_list("number", flat=True)) == [1, 2]


def test_an_agenda_needs_items_with_known_subjects():
    building, admin, _owners = owned_building("50.00")
    with pytest.raises(InvalidInput):
        draft(building, admin, "no-such-subject")
    with pytest.raises(InvalidInput):
        services.create_meeting(
            building=building,
            by=admin,
            title="Собрание",
            voting_starts_at=STARTS,
            voting_ends_at=ENDS,
            items=[],
        )
    assert Meeting.objects.count() == AgendaItem.objects.count() == 0


def test_a_notice_less_than_ten_days_ahead_is_refused_and_changes_nothing():
    building, admin, _owners = owned_building("50.00")
    meeting = draft(building, admin, "other")
    with pytest.raises(InvalidInput) as refused:
        services.publish_notice(meeting=meeting, by=admin, now=STARTS - timedelta(days=9))
    assert refused.value.code == "notice_too_short"
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.DRAFT and meeting.notice_published_at is None
    assert not Notification.objects.exists()


def test_the_notice_fixes_each_items_rule_and_tells_every_owner():
    building, admin, owners = owned_building("50.00", "60.00")
    meeting = draft(building, admin, "other", "4", "1")
    services.publish_notice(meeting=meeting, by=admin, now=STARTS - timedelta(days=10))
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.NOTICE
    assert list(meeting.items.values_list("decision_type", flat=True)) == [
        "majority_of_participants",
        "majority_of_all",
        "two_thirds_of_all",
    ]
    told = Notification.objects.filter(kind="meeting_notice")
    assert sorted(told.values_list("user_id", flat=True)) == sorted(o.pk for o in owners)


def test_a_rule_changed_by_staff_applies_from_its_date():
    building, admin, _owners = owned_building("50.00")
    DecisionRule.objects.create(
        subject="other",
        title="Иные вопросы (новая редакция)",
        decision_type="majority_of_all",
        effective_from=(STARTS - timedelta(days=1)).date(),
    )
    meeting = voting(building, admin, "other")
    assert meeting.items.get().decision_type == "majority_of_all"


# --- Voting ------------------------------------------------------------------------------------


def test_voting_freezes_the_register():
    building, admin, _owners = owned_building("50.00", "70.25")
    meeting = voting(building, admin, "other")
    assert meeting.total_area == Decimal("120.25")
    assert meeting.owners_total == 2
    assert RegisterEntry.objects.filter(meeting=meeting).count() == 2
    # A later edit of the register changes neither who votes nor the weights.
    late = hf.person()
    hf.ownership(hf.premises(building, "3", "500.00"), owner=late)
    with pytest.raises(PermissionDenied):
        vote(meeting, late)
    assert selectors.count_of(meeting).total_area == Fraction("120.25")


def test_an_owner_votes_once_with_every_share_they_hold():
    building, admin, _owners = owned_building("50.00")
    two_flats = hf.person()
    hf.ownership(hf.premises(building, "2", "40.00"), owner=two_flats)
    hf.ownership(hf.premises(building, "3", "35.50"), owner=two_flats, share=Fraction(1, 2))
    hf.ownership(building.premises.get(number="3"), name="Петров П. П.", share=Fraction(1, 2))
    meeting = voting(building, admin, "other", "4")
    ballot = vote(meeting, two_flats, "for", "against")
    assert ballot.lines.count() == 2
    count = selectors.count_of(meeting)
    # 40 + 35.50 × 1/2 = 57.75 m² of 143.50
    assert count.participating_area == Fraction("57.75")
    assert count.item(1).for_area == Fraction("57.75")
    assert count.item(2).against_area == Fraction("57.75")
    with pytest.raises(services.AlreadyVoted) as again:
        vote(meeting, two_flats, "against", "against")
    assert again.value.ballot.pk == ballot.pk
    assert MeetingBallot.objects.count() == 1


def test_co_owners_each_vote_their_own_share():
    building, admin, _owners = owned_building()
    flat = hf.premises(building, "1", "60.00")
    wife, husband = hf.person(), hf.person()
    hf.ownership(flat, owner=wife, share=Fraction(1, 2), name="Иванова")
    hf.ownership(flat, owner=husband, share=Fraction(1, 2), name="Иванов")
    meeting = voting(building, admin, "other")
    vote(meeting, wife, "for")
    vote(meeting, husband, "against")
    count = selectors.count_of(meeting)
    assert (count.item(1).for_area, count.item(1).against_area) == (30, 30)


def test_a_retry_with_the_same_key_is_a_replay_of_the_ballot():
    building, admin, owners = owned_building("50.00")
    meeting = voting(building, admin, "other")
    first = vote(meeting, owners[0], key="k-1")
    with pytest.raises(services.AlreadyVoted) as retry:
        vote(meeting, owners[0], key="k-1")
    assert retry.value.replay and retry.value.ballot.pk == first.pk
    with pytest.raises(services.AlreadyVoted) as other_device:
        vote(meeting, owners[0], key="k-2")
    assert not other_device.value.replay


@pytest.mark.parametrize(
    ("decisions", "error"),
    [
        ({}, InvalidInput),  # no decision on item 1
        ({1: "maybe"}, InvalidInput),
        ({1: "for", 7: "for"}, InvalidInput),
    ],
)
def test_bad_decisions_are_refused_and_write_nothing(decisions, error):
    building, admin, owners = owned_building("50.00")
    meeting = voting(building, admin, "other")
    before = state(meeting)
    with pytest.raises(error):
        services.cast_meeting_vote(meeting=meeting, user=owners[0], decisions=decisions, now=DURING)
    assert state(meeting) == before


@pytest.mark.parametrize("when", ["before", "after"])
def test_voting_outside_its_window_is_refused(when):
    building, admin, owners = owned_building("50.00")
    meeting = voting(building, admin, "other")
    now = STARTS - timedelta(seconds=1) if when == "before" else ENDS
    with pytest.raises(Conflict) as refused:
        vote(meeting, owners[0], now=now)
    assert refused.value.code == "voting_closed"
    assert MeetingBallot.objects.count() == 0


def test_a_tenant_or_a_stranger_does_not_vote():
    building, admin, _owners = owned_building("50.00")
    tenant = hf.person()
    from activecitizen.house.models import Resident

    Resident.objects.create(building=building, user=tenant)
    meeting = voting(building, admin, "other")
    for person in (tenant, hf.person()):
        with pytest.raises(PermissionDenied) as refused:
            vote(meeting, person)
        assert refused.value.code == "not_an_owner"
    assert MeetingBallot.objects.count() == 0


# --- Paper ballots -----------------------------------------------------------------------------


def test_paper_ballots_in_a_mixed_meeting_until_48_hours_before_the_end():
    building, admin, owners = owned_building("50.00", "60.00")
    hf.ownership(hf.premises(building, "3", "45.00"), name="Сидоров С. С.")  # not registered
    meeting = voting(building, admin, "other", form=Meeting.Form.MIXED)
    sidorov = RegisterEntry.objects.get(meeting=meeting, owner_name="Сидоров С. С.")
    on_paper = dict(
        meeting=meeting,
        by=admin,
        entry_ids=[sidorov.pk],
        decisions={1: "for"},
        scan_reference="scan/2026/03/0001.pdf",
    )
    before = state(meeting)
    with pytest.raises(Conflict) as late:
        services.enter_paper_ballot(**on_paper, now=ENDS - timedelta(hours=47))
    assert late.value.code == "paper_too_late"
    with pytest.raises(InvalidInput):
        services.enter_paper_ballot(**{**on_paper, "scan_reference": " "}, now=DURING)
    with pytest.raises(PermissionDenied):
        services.enter_paper_ballot(**{**on_paper, "by": owners[0]}, now=DURING)
    assert state(meeting) == before
    ballot = services.enter_paper_ballot(**on_paper, now=ENDS - timedelta(hours=49))
    assert ballot.channel == "paper" and ballot.entered_by == admin
    # The owner entered on paper cannot be counted twice.
    with pytest.raises(services.AlreadyVoted):
        services.enter_paper_ballot(**on_paper, now=DURING)
    # Nor can an owner who voted on the platform be entered on paper.
    vote(meeting, owners[0])
    mine = RegisterEntry.objects.get(meeting=meeting, owner=owners[0])
    with pytest.raises(services.AlreadyVoted):
        services.enter_paper_ballot(**{**on_paper, "entry_ids": [mine.pk]}, now=DURING)
    assert selectors.count_of(meeting).participating_area == Fraction(95)


def test_an_electronic_meeting_takes_no_paper_ballots():
    building, admin, _owners = owned_building("50.00")
    meeting = voting(building, admin, "other")
    entry = RegisterEntry.objects.get(meeting=meeting)
    with pytest.raises(Conflict) as refused:
        services.enter_paper_ballot(
            meeting=meeting,
            by=admin,
            entry_ids=[entry.pk],
            decisions={1: "for"},
            scan_reference="scan.pdf",
            now=DURING,
        )
    assert refused.value.code == "no_paper_ballots"


# --- Counting and the log ----------------------------------------------------------------------


def test_the_worked_example_95_of_2022_square_metres():
    building, admin, owners = owned_building("95.00", "1927.00")
    meeting = voting(building, admin, "other")
    vote(meeting, owners[0])
    count = selectors.count_of(meeting)
    assert count.participating_area / count.total_area == Fraction(95, 2022)
    assert counting.percent(count.participating_area, count.total_area, places=3) == Decimal(
        "4.698"
    )
    assert not count.quorum


def test_every_ballot_goes_into_the_meetings_log():
    building, admin, owners = owned_building("50.00", "50.00", "50.00")
    meeting = voting(building, admin, "other")
    ballots = [vote(meeting, owner) for owner in owners]
    services.seal_meeting_logs()
    meeting.log.refresh_from_db()
    assert meeting.log.size == 3
    hashes = set(Entry.objects.filter(log=meeting.log).values_list("leaf_hash", flat=True))
    assert {b.leaf_hash for b in ballots} == hashes
    # The log holds premises, shares and decisions, never the owner's name.
    assert all("Собственник" not in b.content for b in ballots)


def test_a_300_flat_meeting_end_to_end():
    building = hf.building(premises=300, area="52.30")
    admin = hf.house_administrator(building)
    flats = list(building.premises.order_by("pk"))
    owners = []
    for flat in flats:
        owner = hf.person()
        hf.ownership(flat, owner=owner, name=f"Собственник {flat.number}")
        owners.append(owner)
    meeting = draft(building, admin, "other", "4", "1")
    services.publish_notice(meeting=meeting, by=admin, now=NOTICE_AT)
    services.start_voting(meeting=meeting, now=STARTS)
    # 210 of 300 vote (70 %): 160 for everything, 50 against item 3.
    for owner in owners[:160]:
        vote(meeting, owner, "for", "for", "for")
    for owner in owners[160:210]:
        vote(meeting, owner, "for", "abstain", "against")
    services.advance_meetings(now=ENDS)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.COUNTING
    count = selectors.count_of(meeting)
    flat = Fraction("52.30")
    assert count.total_area == 300 * flat
    assert count.participating_area == 210 * flat and count.quorum
    assert count.item(1).adopted  # 210 of 210 taking part
    assert count.item(2).for_area == 160 * flat and count.item(2).adopted  # 160/300 > 50 %
    assert not count.item(3).adopted  # 160/300 < 2/3 of all
    assert count.item(2).for_percent == Decimal("53.33")
    services.publish_protocol(meeting=meeting, by=admin, now=ENDS + timedelta(days=1))
    told = Notification.objects.filter(kind="meeting_result").count()
    assert told == 300


def test_the_timeline_moves_by_itself():
    building, admin, _owners = owned_building("50.00")
    meeting = draft(building, admin, "other")
    services.publish_notice(meeting=meeting, by=admin, now=NOTICE_AT)
    assert services.advance_meetings(now=STARTS - timedelta(minutes=1)) == (0, 0)
    assert services.advance_meetings(now=STARTS) == (1, 0)
    assert Notification.objects.filter(kind="meeting_started").count() == 1
    assert services.advance_meetings(now=ENDS) == (0, 1)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.COUNTING


def test_cancelling_tells_owners_who_had_the_notice():
    building, admin, _owners = owned_building("50.00")
    meeting = draft(building, admin, "other")
    services.publish_notice(meeting=meeting, by=admin, now=NOTICE_AT)
    with pytest.raises(InvalidInput):
        services.cancel_meeting(meeting=meeting, by=admin, reason=" ")
    services.cancel_meeting(meeting=meeting, by=admin, reason="Перенос по просьбе собственников")
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CANCELLED
    assert Notification.objects.filter(kind="meeting_cancelled").count() == 1
    with pytest.raises(Conflict):
        services.start_voting(meeting=meeting, now=STARTS)


def test_who_sees_which_meeting():
    building, admin, owners = owned_building("50.00")
    tenant = hf.person()
    from activecitizen.house.models import Resident

    Resident.objects.create(building=building, user=tenant)
    meeting = draft(building, admin, "other")
    assert list(selectors.meetings_visible_to(admin)) == [meeting]
    assert list(selectors.meetings_visible_to(owners[0])) == []  # a draft is the admin's
    services.publish_notice(meeting=meeting, by=admin, now=NOTICE_AT)
    assert list(selectors.meetings_visible_to(owners[0])) == [meeting]
    assert list(selectors.meetings_visible_to(tenant)) == []
    other_admin = hf.house_administrator(hf.building())
    assert list(selectors.meetings_visible_to(other_admin)) == []


def test_an_item_4_5_needs_an_entrance_of_the_building():
    from activecitizen.house.models import Entrance
    from activecitizen.house.services import AgendaItemInput

    building, admin, _owners = owned_building("50.00")
    Entrance.objects.create(building=building, number=1)

    def call(entrance):
        return services.create_meeting(
            building=building,
            by=admin,
            title="Собрание",
            voting_starts_at=STARTS,
            voting_ends_at=ENDS,
            items=[AgendaItemInput(title="Домофон", subject="4.5", entrance=entrance)],
        )

    for wrong in (None, 2):
        with pytest.raises(InvalidInput):
            call(wrong)
    assert Meeting.objects.count() == 0
    assert call(1).items.get().entrance == 1


def test_a_draft_is_edited_whole_and_only_while_a_draft():
    from activecitizen.house.services import AgendaItemInput

    building, admin, _owners = owned_building("50.00")
    meeting = draft(building, admin, "other", "4")
    edit = dict(
        meeting=meeting,
        by=admin,
        title="Собрание (уточнено)",
        voting_starts_at=STARTS,
        voting_ends_at=ENDS + timedelta(days=1),
        items=[AgendaItemInput(title="Только один вопрос", subject="1")],
    )
    with pytest.raises(PermissionDenied):
        services.edit_draft(**{**edit, "by": hf.house_administrator(hf.building())})
    with pytest.raises(InvalidInput):
        services.edit_draft(**{**edit, "voting_ends_at": STARTS + timedelta(days=3)})
    assert list(meeting.items.values_list("number", "subject")) == [(1, "other"), (2, "4")]
    services.edit_draft(**edit)
    meeting.refresh_from_db()
    assert meeting.title == "Собрание (уточнено)" and meeting.voting_ends_at == ENDS + timedelta(
        days=1
    )
    assert list(meeting.items.values_list("number", "title")) == [(1, "Только один вопрос")]
    services.publish_notice(meeting=meeting, by=admin, now=NOTICE_AT)
    with pytest.raises(Conflict):
        services.edit_draft(**edit)


def test_the_protocol_is_due_ten_days_after_voting_ends():
    building, admin, _owners = owned_building("50.00")
    meeting = voting(building, admin, "other")
    assert selectors.protocol_due(meeting) is None
    meeting = services.end_voting(meeting=meeting, now=ENDS)
    due = selectors.protocol_due(meeting)
    assert due == timezone.localdate(ENDS) + timedelta(days=10)
    # Late is shown, not refused: the owners still need their protocol.
    services.publish_protocol(meeting=meeting, by=admin, now=ENDS + timedelta(days=30))
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PROTOCOL and selectors.protocol_due(meeting) is None
