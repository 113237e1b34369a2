"""The demo novelties: a dozen published, rated by demo residents through the service, fast,
and a second run adds nothing."""

from __future__ import annotations

import random

import pytest
from django.core.management import call_command

from activecitizen.accounts.models import User
from activecitizen.novelties import demo
from activecitizen.novelties.models import Novelty, Rating
from activecitizen.novelties.tests.factories import kept, recount
from activecitizen.rewards.models import LedgerEntry

pytestmark = pytest.mark.django_db


def residents(n: int) -> None:
    User.objects.bulk_create(
        [User(phone=f"+{demo.RESIDENT_PHONE_BASE + i}", first_name="Житель") for i in range(1, n)]
    )


def test_demo_novelties_are_rated_idempotently():
    residents(80)
    demo.seed_novelties(random.Random(2026))
    published = Novelty.objects.filter(is_published=True)
    assert published.count() >= 12
    assert all(kept(n) == recount(n) for n in Novelty.objects.all())
    assert Rating.objects.count() == LedgerEntry.objects.filter(reason="novelty_rating").count()
    assert published.filter(ratings_count__gt=0).count() == published.count()
    assert not Rating.objects.filter(user__phone="+79991000001").exists()
    before = (Novelty.objects.count(), Rating.objects.count())
    demo.seed_novelties(random.Random(2026))
    assert (Novelty.objects.count(), Rating.objects.count()) == before


def test_seed_demo_runs_the_novelties_step(settings):
    settings.POLLS_DEMO_SCALE = 0.002
    call_command("seed_demo", residents=70, no_progress=True, verbosity=0)
    assert Novelty.objects.filter(title=demo.NOVELTIES[0].title).exists()
    assert Rating.objects.exists()
