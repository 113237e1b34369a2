"""The Electronic House's periodic tasks: meetings open and close on time, ballots are sealed,
and the scheduler of the embedded mode runs both."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from activecitizen.house import services, tasks
from activecitizen.house.models import Meeting
from activecitizen.house.tests import house_fixtures as make
from activecitizen.transparency.models import Log

pytestmark = pytest.mark.django_db


@pytest.fixture
def building():
    made = make.building("ул. Часовая, д. 1", premises=3)
    for number, flat in enumerate(made.premises.order_by("number"), start=1):
        make.ownership(flat, name=f"Собственник {number}", owner=make.person())
    return made


@pytest.fixture
def administrator(building):
    return make.house_administrator(building)


def meeting(building, administrator, *, starts, ends, title="Собрание") -> Meeting:
    created = services.create_meeting(
        building=building,
        by=administrator,
        title=title,
        voting_starts_at=starts,
        voting_ends_at=ends,
        items=[services.AgendaItemInput(title="Вопрос")],
    )
    services.publish_notice(meeting=created, by=administrator, now=starts - timedelta(days=11))
    return created


def test_advance_meetings_starts_a_due_meeting_and_closes_an_ended_one(building, administrator):
    now = timezone.now()
    due = meeting(
        building, administrator, starts=now - timedelta(minutes=1), ends=now + timedelta(days=7)
    )
    ended = meeting(
        building,
        administrator,
        starts=now - timedelta(days=8),
        ends=now - timedelta(seconds=30),
        title="Прошлое собрание",
    )
    services.start_voting(meeting=ended, now=ended.voting_starts_at)
    later = meeting(
        building,
        administrator,
        starts=now + timedelta(days=11),
        ends=now + timedelta(days=20),
        title="Будущее собрание",
    )

    assert tuple(tasks.advance_meetings.delay().get()) == (1, 1)

    due.refresh_from_db()
    ended.refresh_from_db()
    later.refresh_from_db()
    assert due.status == Meeting.Status.VOTING
    assert due.register.count() == 3
    assert ended.status == Meeting.Status.COUNTING
    assert ended.counted_at is not None
    assert later.status == Meeting.Status.NOTICE
    # Nothing left to do: a second run changes nothing.
    assert tuple(tasks.advance_meetings.delay().get()) == (0, 0)


def test_seal_meeting_logs_seals_the_ballots_cast(building, administrator):
    now = timezone.now()
    opened = meeting(
        building, administrator, starts=now - timedelta(hours=1), ends=now + timedelta(days=7)
    )
    services.start_voting(meeting=opened, now=now - timedelta(hours=1))
    for entry in opened.register.all()[:2]:
        services.cast_meeting_vote(meeting=opened, user=entry.owner, decisions={1: "for"}, now=now)

    assert tasks.seal_meeting_logs.delay().get() == 2
    opened.refresh_from_db()
    assert Log.objects.get(pk=opened.log_id).size == 2
    assert tasks.seal_meeting_logs.delay().get() == 0


def test_the_schedule_runs_them(building, administrator, tmp_path):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["house.advance_meetings"]["schedule"] == timedelta(minutes=1)
    assert schedule["house.seal_meeting_logs"]["schedule"] == timedelta(seconds=5)
    now = timezone.now()
    due = meeting(
        building, administrator, starts=now - timedelta(minutes=1), ends=now + timedelta(days=7)
    )

    call_command("run_scheduler", once=True, state=str(tmp_path / "scheduler.json"))

    due.refresh_from_db()
    assert due.status == Meeting.Status.VOTING
