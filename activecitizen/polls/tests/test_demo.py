"""Demo votes: a dozen polls in every status, scope and audience, ballots that verify and are
counted through the tally, and a second run that adds nothing."""

from __future__ import annotations

import json
import random
from datetime import date
from itertools import cycle

import pytest
import rfc8785
from django.utils import translation

from activecitizen.accounts.models import Interest, User
from activecitizen.geo.models import District
from activecitizen.polls import demo, editing
from activecitizen.polls.ballots import ballot_hash, leaf_hash
from activecitizen.polls.models import (
    Ballot,
    FreeTextAnswer,
    Participation,
    Poll,
    Tally,
)
from activecitizen.polls.tests.factories import make_resident
from activecitizen.rewards.models import LedgerEntry, PointsAccount
from activecitizen.transparency.models import QueuedEntry

pytestmark = pytest.mark.django_db

SCALE = 0.01  # about 1 % of the demo's ballots: a few hundred in all


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def residents() -> list[User]:
    """Forty demo residents (phones as seed_demo gives them), many in the demo polls' places."""
    places = cycle(
        District.objects.filter(name_ru__in=["Марьино", "Митино", "Ясенево", "Тверской"])
    )
    interests = {i.code: i for i in Interest.objects.all()}
    people = []
    for i in range(1, 41):
        person = make_resident(
            f"+7999100{i:04d}",
            district=next(places),
            birth_date=date(1950 + i, 3, 1),
            gender="female" if i % 2 else "male",
            verification=2 if i % 3 == 0 else 1,
        )
        person.interests.add(interests["cyclist" if i % 2 else "parent"])
        people.append(person)
    return people


def test_the_demo_polls_cover_every_status_and_scope(residents):
    summary = demo.seed_polls(random.Random(2026), scale=SCALE)
    assert summary.startswith("12 polls created")
    polls = Poll.objects.all()
    assert polls.count() == 12
    statuses = sorted(polls.values_list("status", flat=True))
    assert {s: statuses.count(s) for s in set(statuses)} == {
        "open": 4,
        "scheduled": 1,
        "draft": 1,
        "closed": 2,
        "published": 3,
        "archived": 1,
    }
    assert set(polls.values_list("scope", flat=True)) == {"city", "sectoral", "district"}
    marino = polls.get(title="Благоустройство дворов в районе Марьино")
    assert list(marino.audience_districts.values_list("name_ru", flat=True)) == ["Марьино"]
    assert polls.get(title__startswith="Велодорожки").audience_interests.get().code == "cyclist"
    assert polls.get(title="Название нового парка в Зеленограде").audience_okrugs.exists()
    assert all(1 <= p.questions.count() <= 3 for p in polls)
    assert all(q.options.count() >= 2 for p in polls for q in p.questions.all())
    # The draft and the scheduled poll pass the editors' checks: the demo editor can go on.
    for poll in polls.filter(status__in=["draft", "scheduled"]):
        assert editing.validate_poll_for_schedule(poll) == [], poll.title


def test_demo_ballots_verify_and_are_counted_through_the_tally(residents):
    demo.seed_polls(random.Random(2026), scale=SCALE)
    assert not QueuedEntry.objects.exists()
    voted = Poll.objects.exclude(status__in=["draft", "scheduled"])
    for poll in voted:
        ballots = Ballot.objects.filter(poll=poll)
        assert ballots.count() == poll.ballots_counted > 0, poll.title
        total = Tally.objects.get(poll=poll, question_id=0, option_id=0, dimension="total")
        assert total.count == poll.ballots_counted
        for question in poll.questions.all():
            chosen = sum(
                Tally.objects.filter(poll=poll, question_id=question.pk, dimension="total")
                .exclude(option_id=0)
                .values_list("count", flat=True)
            )
            assert chosen >= poll.ballots_counted  # every ballot answered every question
    assert not Ballot.objects.filter(poll__status__in=["draft", "scheduled"]).exists()

    # Contents are canonical bytes of the poll's origin, as cast_ballot writes them.
    for ballot in Ballot.objects.select_related("poll")[:200]:
        document = json.loads(ballot.content)
        assert rfc8785.dumps(document).decode() == ballot.content
        assert document["poll"] == ballot.poll.origin and document["ballot"] == ballot.public_id
        assert ballot.age_band != "<18" and ballot.gender in {"female", "male"}

    # Demo residents' participations hold the receipt of their ballot, and their points.
    participations = Participation.objects.all()
    assert participations.exists()
    for p in participations:
        content = Ballot.objects.get(public_id=p.ballot_public_id).content.encode()
        assert (p.ballot_hash, p.leaf_hash) == (ballot_hash(content), leaf_hash(content))
        assert LedgerEntry.objects.filter(idempotency_key=f"poll:{p.poll_id}:user:{p.user_id}")
    for account in PointsAccount.objects.all():
        assert account.balance == 20 * participations.filter(user_id=account.user_id).count()
    # Residents 1–20 are left to vote in the open polls themselves.
    assert not participations.filter(
        poll__status="open", user__phone__in=demo.FREE_FOR_VISITORS
    ).exists()
    assert participations.filter(poll__status="open").exists()
    # Only people in a poll's audience took part in it.
    marino = Poll.objects.get(title="Благоустройство дворов в районе Марьино")
    assert {p.user.home_district.name_ru for p in participations.filter(poll=marino)} <= {"Марьино"}

    # Own answers wait for moderation on open polls; finished ones have some moderated.
    assert FreeTextAnswer.objects.exists()
    assert not FreeTextAnswer.objects.filter(poll__status="open").exclude(moderation="pending")


def test_seeding_twice_adds_nothing(residents):
    demo.seed_polls(random.Random(2026), scale=SCALE)
    counts = (
        Poll.objects.count(),
        Ballot.objects.count(),
        Participation.objects.count(),
        FreeTextAnswer.objects.count(),
        LedgerEntry.objects.count(),
        sum(Tally.objects.values_list("count", flat=True)),
    )
    assert demo.seed_polls(random.Random(2026), scale=SCALE).startswith("nothing new")
    assert counts == (
        Poll.objects.count(),
        Ballot.objects.count(),
        Participation.objects.count(),
        FreeTextAnswer.objects.count(),
        LedgerEntry.objects.count(),
        sum(Tally.objects.values_list("count", flat=True)),
    )


def test_a_missing_poll_is_added_back_alone(residents):
    demo.seed_polls(random.Random(1), scale=SCALE)
    gone = Poll.objects.get(status="draft")
    gone.questions.all().delete()
    gone.delete()
    assert demo.seed_polls(random.Random(1), scale=SCALE).startswith("1 poll created")
    assert Poll.objects.count() == 12


def test_the_demo_needs_no_residents():
    assert User.objects.filter(phone__startswith=demo.DEMO_RESIDENTS).count() == 0
    demo.seed_polls(random.Random(3), scale=SCALE)
    assert not Participation.objects.exists()
    assert Ballot.objects.count() == sum(Poll.objects.values_list("ballots_counted", flat=True))


def test_the_scale_can_come_from_the_settings(settings):
    settings.POLLS_DEMO_SCALE = 0.002
    demo.seed_polls(random.Random(4))
    expected = sum(
        max(1, round(p.ballots * 0.002))
        for p in demo.POLLS
        if p.ballots and p.status not in {"draft", "scheduled"}
    )
    assert Ballot.objects.count() == expected
