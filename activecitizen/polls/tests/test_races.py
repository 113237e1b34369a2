"""Races on PostgreSQL with real threads: double clicks and two devices give one ballot and
one credit of points; concurrent tally runs count every ballot exactly once."""

import pytest

from activecitizen.core.testing.concurrency import run_together
from activecitizen.polls import services
from activecitizen.polls.models import Ballot, Participation, Tally
from activecitizen.polls.tests.factories import first_answers, make_poll, make_resident
from activecitizen.rewards.models import LedgerEntry, PointsAccount
from activecitizen.transparency.models import Entry, QueuedEntry

# serialized_rollback, like every transactional test here: the flush afterwards must not
# re-run post_migrate, or the next test's restore of the migrations' data would collide.
pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_forty_simultaneous_ballots_of_one_person_make_one(settings):
    settings.POLLS_TALLY_ON_CAST = False
    poll = make_poll(points=20)
    voter = make_resident()
    answers = first_answers(poll)

    def vote(i):
        return services.cast_ballot(
            poll_id=poll.pk, user=voter, answers=answers, channel=["web", "app"][i % 2]
        )

    results, errors = run_together(40, vote)
    won = [r for r in results if r is not None]
    assert len(won) == 1
    assert len(errors) == 39
    assert all(isinstance(e, services.AlreadyVoted) for e in errors)
    assert {e.receipt.ballot_id for e in errors} == {won[0].ballot_id}
    assert Participation.objects.count() == 1
    assert Ballot.objects.count() == 1
    assert LedgerEntry.objects.count() == 1
    assert PointsAccount.objects.get(user=voter).balance == 20


def test_many_people_voting_at_once_are_all_counted_once(settings):
    settings.POLLS_TALLY_ON_CAST = False
    poll = make_poll(points=20)
    voters = [make_resident(f"+7916100{i:04d}") for i in range(30)]
    answers = first_answers(poll)

    def vote(i):
        return services.cast_ballot(poll_id=poll.pk, user=voters[i], answers=answers, channel="app")

    _results, errors = run_together(30, vote)
    assert errors == []
    assert Ballot.objects.count() == 30

    # Three tally runs at once still count each ballot exactly once.
    _r, tally_errors = run_together(3, lambda i: services.tally(poll_id=poll.pk, batch=7))
    assert tally_errors == []
    assert not QueuedEntry.objects.exists()
    assert sorted(Entry.objects.values_list("index", flat=True)) == list(range(30))
    assert Tally.objects.get(poll=poll, question_id=0, option_id=0, dimension="total").count == 30
    assert sum(a.balance for a in PointsAccount.objects.all()) == 600


def test_postgresql_refuses_to_change_or_delete_a_ballot(settings):
    from django.db import IntegrityError, transaction

    settings.POLLS_TALLY_ON_CAST = False
    poll = make_poll()
    services.cast_ballot(
        poll_id=poll.pk, user=make_resident(), answers=first_answers(poll), channel="web"
    )
    ballot = Ballot.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Ballot.objects.filter(pk=ballot.pk).update(channel="app")
    with pytest.raises(IntegrityError), transaction.atomic():
        Ballot.objects.filter(pk=ballot.pk).delete()
    ballot.refresh_from_db()
    assert ballot.channel == "web"
