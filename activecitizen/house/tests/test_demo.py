"""The demo Electronic House: buildings with registers, a meeting the demo resident can vote in
now, a published protocol with a quorum, a draft; and a second run that adds nothing."""

from __future__ import annotations

import random

import pytest
from django.core.management import call_command
from django.utils import timezone

from activecitizen.accounts.models import User
from activecitizen.accounts.roles import Role
from activecitizen.house import demo, selectors, services
from activecitizen.house.models import (
    Building,
    Meeting,
    MeetingBallot,
    Ownership,
    Premises,
    RegisterEntry,
    Resident,
)

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, object]:
    return {
        "buildings": Building.objects.count(),
        "premises": Premises.objects.count(),
        "ownerships": Ownership.objects.count(),
        "residents": Resident.objects.count(),
        "meetings": list(Meeting.objects.order_by("pk").values_list("pk", "status")),
        "register": RegisterEntry.objects.count(),
        "ballots": MeetingBallot.objects.count(),
        "people": User.objects.count(),
    }


@pytest.fixture
def seeded(settings):
    """The whole demo as `make run` seeds it (few poll ballots, a hundred residents)."""
    settings.POLLS_DEMO_SCALE = 0.002
    call_command("seed_demo", residents=100, no_progress=True, verbosity=0)
    return snapshot()


def test_seeding_twice_adds_nothing(seeded):
    call_command("seed_demo", residents=100, no_progress=True, verbosity=0)
    assert snapshot() == seeded


def test_buildings_have_realistic_registers(seeded):
    administrator = User.objects.get(phone=demo.HOUSE_ADMIN_PHONE)
    assert administrator.groups.filter(name=Role.HOUSE_ADMINISTRATOR).exists()
    buildings = list(selectors.buildings_administered_by(administrator))
    assert len(buildings) == len(demo.BUILDINGS) >= 3
    for building in buildings:
        flats = building.premises.filter(kind=Premises.Kind.RESIDENTIAL)
        assert 40 <= flats.count() <= 120
        assert building.premises.filter(kind=Premises.Kind.NON_RESIDENTIAL).exists()
        assert building.entrances.count() >= 2
        assert all(30 <= p.area <= 120 for p in flats)
        for premises in building.premises.all():
            assert selectors.share_owned(premises) == 1
        owned = Ownership.objects.filter(premises__building=building)
        assert owned.filter(share_denominator=2).exists()  # co-owners with 1/2 shares
        assert owned.filter(owner__isnull=False).exists()  # demo residents
        assert owned.filter(owner__isnull=True).exists()  # named only
        assert building.district.name_ru in {b.district for b in demo.BUILDINGS}
    first = Building.objects.get(address=demo.BUILDINGS[0].address)
    tenants = Resident.objects.filter(building=first).exclude(
        user__ownerships__premises__building=first
    )
    assert tenants.exists()


def test_the_demo_resident_may_vote_now_in_the_meeting_in_voting(seeded):
    now = timezone.now()
    meeting = Meeting.objects.get(title=demo.MEETING_IN_VOTING)
    assert meeting.status == Meeting.Status.VOTING
    assert meeting.voting_starts_at <= now < meeting.voting_ends_at
    assert (meeting.voting_starts_at - meeting.notice_published_at).days >= 11
    assert meeting.form == Meeting.Form.MIXED
    voter = User.objects.get(phone=demo.DEMO_VOTER_PHONE)
    assert selectors.ballot_of(meeting, voter) is None
    assert meeting.ballots.filter(channel=MeetingBallot.Channel.ELECTRONIC).exists()
    assert meeting.ballots.filter(channel=MeetingBallot.Channel.PAPER).exists()
    assert meeting in selectors.meetings_visible_to(voter)
    ballot = services.cast_meeting_vote(
        meeting=meeting,
        user=voter,
        decisions={item.number: "for" for item in meeting.items.all()},
    )
    assert ballot.owner == voter


def test_the_published_meeting_has_a_quorum_and_results(seeded):
    meeting = Meeting.objects.get(title=demo.MEETING_PUBLISHED)
    assert meeting.status == Meeting.Status.PROTOCOL
    assert meeting.protocol_published_at > meeting.counted_at >= meeting.voting_ends_at
    count = selectors.count_of(meeting)
    assert count is not None and count.quorum
    assert len(count.items) == meeting.items.count() == 3
    assert any(item.adopted for item in count.items)
    assert all(item.decision_type for item in meeting.items.all())


def test_a_draft_is_there(seeded):
    draft = Meeting.objects.get(title=demo.MEETING_DRAFT)
    assert draft.status == Meeting.Status.DRAFT
    assert draft.items.count() == 2


def test_the_house_step_runs_alone_on_the_residents_it_finds():
    # How fast it runs is not a test's business (a busy machine would fail it): the step's
    # time shows in `seed_demo`'s output.
    User.objects.bulk_create(
        User(phone=demo._phone(n), first_name="Имя", last_name=f"Житель{n}") for n in range(1, 101)
    )
    demo.seed_house(random.Random(2026))
    assert Meeting.objects.count() == 3


def test_the_demo_has_a_building_survey_the_demo_resident_may_answer(seeded):
    from activecitizen.accounts.models import User
    from activecitizen.polls import selectors as poll_selectors

    resident = User.objects.get(phone="+79991000001")
    surveys = [p for p in poll_selectors.polls_for(resident) if p.poll.audience_restriction]
    assert [p.can_vote for p in surveys] == [True]
