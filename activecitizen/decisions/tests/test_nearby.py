""" "Something new within 1 km of my home": a published decision with a point is told to the
people who live near it, once, by the periodic task."""

from decimal import Decimal

import pytest
from django.utils import translation

from activecitizen.core.testing.concurrency import run_together
from activecitizen.decisions import services
from activecitizen.decisions.tests.factories import (
    make_decision,
    make_editor,
    make_resident,
    some_districts,
)
from activecitizen.notifications.kinds import render
from activecitizen.notifications.models import Notification

# The decision's point is 55.76, 37.61; 0.0045° of latitude is about 500 m.
NEAR = {"home_lat": Decimal("55.76450"), "home_lon": Decimal("37.61000")}
FAR = {"home_lat": Decimal("55.77350"), "home_lon": Decimal("37.61000")}  # about 1.5 km


@pytest.fixture
def tell(django_capture_on_commit_callbacks):
    """The periodic task's service, with what it queues after commit run as a worker would."""

    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return services.tell_neighbours_of_new_decisions(**kwargs)

    return run


def neighbours():
    return {
        "near": make_resident(**NEAR),
        "far": make_resident(**FAR),
        "homeless": make_resident(),
        "gone": make_resident(is_active=False, **NEAR),
    }


def told(kind="decision_nearby"):
    return sorted(Notification.objects.filter(kind=kind).values_list("user_id", flat=True))


@pytest.mark.django_db
def test_the_people_within_1_km_are_told_once(tell):
    people = neighbours()
    decision = make_decision()
    assert tell() == 1
    assert told() == [people["near"].pk]
    notice = Notification.objects.get(kind="decision_nearby")
    assert notice.url == f"/decisions/{decision.pk}/"
    with translation.override("en"):
        rendered = render(notice.kind, notice.params)
    assert rendered.title == "New near your home: a city decision"
    assert "within 1 km of your home" in rendered.text and decision.title in rendered.text
    # The next run finds nothing new and tells nobody again.
    assert tell() == 0
    assert told() == [people["near"].pk]


@pytest.mark.django_db
def test_a_draft_is_told_when_published_and_a_decision_without_a_point_never(tell):
    people = neighbours()
    editor = make_editor()
    draft = make_decision(editor, is_published=False)
    make_decision(editor, lat=None, lon=None, district=some_districts(1)[0])
    assert tell() == 0
    assert told() == []
    type(draft).objects.filter(pk=draft.pk).update(is_published=True)
    assert tell() == 1
    assert told() == [people["near"].pk]


@pytest.mark.django_db
def test_the_radius_is_a_setting(tell, settings):
    people = neighbours()
    settings.NOTIFICATIONS_NEARBY_METRES = 2000
    make_decision()
    tell()
    assert told() == sorted([people["near"].pk, people["far"].pk])


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_runs_at_once_tell_each_neighbour_once():
    people = [make_resident(**NEAR) for _ in range(5)]
    make_decision()

    results, errors = run_together(6, lambda _i: services.tell_neighbours_of_new_decisions())
    assert errors == []
    assert sum(results) == 1
    assert told() == sorted(p.pk for p in people)
