"""Casting a ballot: one person, one ballot, points once, nothing written on bad input."""

import json

import pytest

from activecitizen.core.errors import Conflict, InvalidInput, PermissionDenied
from activecitizen.geo.models import District
from activecitizen.polls import services
from activecitizen.polls.ballots import ballot_hash, leaf_hash
from activecitizen.polls.models import Ballot, Participation, Poll, Tally
from activecitizen.polls.tests.factories import first_answers, make_poll, make_resident
from activecitizen.rewards.models import LedgerEntry, PointsAccount
from activecitizen.transparency.models import Checkpoint, Entry, QueuedEntry

pytestmark = pytest.mark.django_db


def test_a_ballot_is_cast_counted_and_paid_once():
    poll = make_poll(points=20)
    voter = make_resident()
    receipt = services.cast_ballot(
        poll_id=poll.pk, user=voter, answers=first_answers(poll), channel="web"
    )
    ballot = Ballot.objects.get()
    assert ballot.public_id == receipt.ballot_id
    assert ballot_hash(ballot.content.encode()) == receipt.ballot_hash
    assert leaf_hash(ballot.content.encode()) == receipt.leaf_hash
    assert json.loads(ballot.content)["poll"].endswith(f"/poll/{poll.pk}")
    assert set(json.loads(ballot.content)) == {"v", "poll", "ballot", "answers"}  # nobody in it
    assert not any(f.name in {"user", "user_id"} for f in Ballot._meta.get_fields())
    assert ballot.district_id == voter.home_district_id
    assert ballot.age_band in {"35-44", "45-54"}
    assert PointsAccount.objects.get(user=voter).balance == 20
    assert LedgerEntry.objects.get().idempotency_key == f"poll:{poll.pk}:user:{voter.pk}"
    queued = QueuedEntry.objects.get()
    assert bytes(queued.data) == ballot.content.encode()

    assert services.tally() == 1
    first_option = poll.questions.get().options.order_by("position").first()
    assert Tally.objects.get(option_id=first_option.pk, dimension="total").count == 1
    poll.refresh_from_db()
    assert poll.ballots_counted == 1
    assert not QueuedEntry.objects.exists()
    # Sealed into the poll's log in the same step, under a signed checkpoint of that size.
    entry = Entry.objects.get()
    assert (entry.index, entry.leaf_hash) == (0, leaf_hash(ballot.content.encode()))
    assert Checkpoint.objects.get().size == 1


def test_a_second_ballot_is_refused_with_the_first_receipt():
    poll = make_poll()
    voter = make_resident()
    first = services.cast_ballot(
        poll_id=poll.pk, user=voter, answers=first_answers(poll), channel="web"
    )
    with pytest.raises(services.AlreadyVoted) as again:
        services.cast_ballot(
            poll_id=poll.pk, user=voter, answers=first_answers(poll), channel="app"
        )
    assert again.value.receipt.ballot_id == first.ballot_id
    assert again.value.status == 409
    assert Ballot.objects.count() == 1
    assert PointsAccount.objects.get(user=voter).balance == 20


def test_same_idempotency_key_is_a_replay():
    poll = make_poll()
    voter = make_resident()
    services.cast_ballot(
        poll_id=poll.pk,
        user=voter,
        answers=first_answers(poll),
        channel="app",
        idempotency_key="k1",
    )
    with pytest.raises(services.AlreadyVoted) as again:
        services.cast_ballot(
            poll_id=poll.pk,
            user=voter,
            answers=first_answers(poll),
            channel="app",
            idempotency_key="k1",
        )
    assert again.value.replay is True


def test_a_person_outside_the_audience_is_refused():
    here, there = District.objects.order_by("pk")[:2]
    poll = make_poll(districts=[here])
    stranger = make_resident(district=there)
    with pytest.raises(PermissionDenied) as refused:
        services.cast_ballot(
            poll_id=poll.pk, user=stranger, answers=first_answers(poll), channel="web"
        )
    assert refused.value.code == "not_in_audience"
    assert not Participation.objects.exists() and not Ballot.objects.exists()


@pytest.mark.parametrize("status", [Poll.Status.CLOSED, Poll.Status.PUBLISHED])
def test_a_closed_poll_takes_no_ballots(status):
    poll = make_poll(status=status)
    with pytest.raises(Conflict) as refused:
        services.cast_ballot(
            poll_id=poll.pk, user=make_resident(), answers=first_answers(poll), channel="web"
        )
    assert refused.value.code == "poll_closed"
    assert not Ballot.objects.exists()


def test_bad_answers_write_nothing():
    poll = make_poll()
    other = make_poll(title="Другой")
    foreign = other.questions.get().options.first()
    question = poll.questions.get()
    voter = make_resident()
    for answers in (
        [],
        [{"question_id": question.pk, "option_ids": [foreign.pk]}],
        [{"question_id": 999999, "option_ids": [1]}],
        [{"question_id": question.pk, "option_ids": [o.pk for o in question.options.all()]}],
    ):
        with pytest.raises(InvalidInput):
            services.cast_ballot(poll_id=poll.pk, user=voter, answers=answers, channel="web")
    assert not Participation.objects.exists()
    assert not Ballot.objects.exists()
    assert not LedgerEntry.objects.exists()
