"""Races on PostgreSQL with real threads: an owner's double click, two devices and a paper
ballot entered at the same moment give one ballot per share."""

from fractions import Fraction

import pytest

from activecitizen.core.testing.concurrency import run_together
from activecitizen.house import selectors, services
from activecitizen.house.models import BallotLine, Meeting, MeetingBallot, RegisterEntry
from activecitizen.house.tests import house_fixtures as hf
from activecitizen.house.tests.meeting_fixtures import DURING, vote, voting
from activecitizen.transparency.models import QueuedEntry

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_thirty_simultaneous_ballots_of_one_owner_make_one():
    building = hf.building()
    admin = hf.house_administrator(building)
    owner = hf.person()
    hf.ownership(hf.premises(building, "1", "50.00"), owner=owner)
    hf.ownership(hf.premises(building, "2", "40.00"), owner=owner, share=Fraction(1, 3))
    hf.ownership(hf.premises(building, "3", "70.00"), name="Петров П. П.")
    meeting = voting(building, admin, "other", form=Meeting.Form.MIXED)
    petrov = RegisterEntry.objects.get(meeting=meeting, owner_name="Петров П. П.")

    def attempt(i):
        if i % 10 == 9:  # the administrator enters a paper ballot for the other owner meanwhile
            return services.enter_paper_ballot(
                meeting=meeting,
                by=admin,
                entry_ids=[petrov.pk],
                decisions={1: "against"},
                scan_reference=f"scan-{i}.pdf",
                now=DURING,
            )
        return vote(meeting, owner, "for")

    results, errors = run_together(30, attempt)
    won = [r for r in results if r is not None]
    assert len(won) == 2  # one ballot of the owner, one paper ballot of Petrov
    assert all(isinstance(e, services.AlreadyVoted) for e in errors) and len(errors) == 28
    assert MeetingBallot.objects.count() == 2
    assert BallotLine.objects.count() == 3
    assert QueuedEntry.objects.count() == 2
    count = selectors.count_of(meeting)
    assert count.item(1).for_area == Fraction(50) + Fraction(40, 3)
    assert count.item(1).against_area == Fraction(70)
