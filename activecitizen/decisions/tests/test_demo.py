"""The demo step: decisions across Moscow in every status, some after demo polls, written by
the demo editor through the services; twice adds nothing."""

import random

import pytest

from activecitizen.decisions import selectors
from activecitizen.decisions.demo import EDITOR_PHONE, seed_decisions
from activecitizen.decisions.models import Decision, DecisionUpdate, Status
from activecitizen.decisions.tests.factories import make_editor

pytestmark = pytest.mark.django_db


def test_the_demo_is_idempotent_and_mixed():
    assert "skipped" in seed_decisions(random.Random(3))
    assert not Decision.objects.exists()
    editor = make_editor(EDITOR_PHONE)
    assert "25 decisions created" in seed_decisions(random.Random(3))
    assert set(Decision.objects.values_list("created_by", flat=True)) == {editor.pk}
    assert set(DecisionUpdate.objects.values_list("author", flat=True)) == {editor.pk}
    assert set(Decision.objects.values_list("status", flat=True)) == set(Status.values)
    assert Decision.objects.filter(status=Status.DONE, done_on__isnull=False).count() == (
        Decision.objects.filter(status=Status.DONE).count()
    )
    assert Decision.objects.exclude(cancel_reason="").filter(status=Status.CANCELLED).exists()
    assert Decision.objects.filter(steps__isnull=False, status=Status.IN_PROGRESS).exists()
    # Weights 1, 3, 2 at 100, 60, 10 %: (100 + 180 + 20) / 6 = 50.
    yards = Decision.objects.get(title="Обновить 24 двора в Марьине")
    assert [s.position for s in yards.steps.all()] == [0, 1, 2]
    assert selectors.progress(yards) == 50
    assert DecisionUpdate.objects.exists()
    for decision in Decision.objects.all():
        assert 55.1 < float(decision.lat) < 56.1 and 36.8 < float(decision.lon) < 38.0
    assert Decision.objects.values("districts__okrug").distinct().count() >= 8
    updates = DecisionUpdate.objects.count()
    assert "0 decisions created" in seed_decisions(random.Random(4))
    assert (Decision.objects.count(), DecisionUpdate.objects.count()) == (25, updates)
