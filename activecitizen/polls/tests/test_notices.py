"""A poll's notifications: its audience is told when it opens (by the scheduler or at once
when scheduled), its voters when the results are published; nobody else, nobody twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation

from activecitizen.accounts.roles import Role
from activecitizen.geo.models import District
from activecitizen.notifications import selectors
from activecitizen.notifications.models import Notification
from activecitizen.polls import editing, services
from activecitizen.polls.models import Poll
from activecitizen.polls.tests.factories import first_answers, make_poll, make_resident
from activecitizen.polls.tests.test_editing import draft, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    return staff(Role.EDITOR, "+79990000002")


@pytest.fixture
def districts():
    return list(District.objects.order_by("pk")[:2])


def told(kind: str, poll: Poll) -> list[int]:
    return sorted(
        Notification.objects.filter(kind=kind, params__poll_id=poll.pk).values_list(
            "user_id", flat=True
        )
    )


def test_opening_a_poll_announces_it_to_its_audience_only(
    districts, django_capture_on_commit_callbacks
):
    here, there = districts
    residents = [make_resident(f"+7916100000{n}", district=here) for n in range(3)]
    elsewhere = make_resident("+79161000099", district=there)
    poll = make_poll(status=Poll.Status.SCHEDULED, districts=[here], opens_in=timedelta(minutes=-1))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.open_and_close_polls() == (1, 0)
    assert told("poll_new", poll) == sorted(r.pk for r in residents)
    assert elsewhere.pk not in told("poll_new", poll)
    # The scheduler's next run tells nobody again.
    with django_capture_on_commit_callbacks(execute=True):
        services.open_and_close_polls()
    assert len(told("poll_new", poll)) == 3
    with translation.override("en"):
        shown = selectors.shown(Notification.objects.filter(kind="poll_new").first())
    assert shown.title == "A new poll for you" and poll.title in shown.text
    assert shown.url == f"/polls/{poll.pk}/"


def test_a_poll_scheduled_to_open_at_once_is_announced(
    editor,
    districts,
    django_capture_on_commit_callbacks,
):
    resident = make_resident("+79161000001", district=districts[0])
    poll = draft(opens_in=timedelta(minutes=-5))
    with django_capture_on_commit_callbacks(execute=True):
        editing.schedule_poll(poll=poll, by=editor)
    # A city-wide poll: the editor lives in the city too.
    assert told("poll_new", poll) == sorted([resident.pk, editor.pk])


def test_a_poll_scheduled_for_later_is_not_announced_yet(
    editor,
    districts,
    django_capture_on_commit_callbacks,
):
    make_resident("+79161000001", district=districts[0])
    poll = draft()
    with django_capture_on_commit_callbacks(execute=True):
        editing.schedule_poll(poll=poll, by=editor)
    assert told("poll_new", poll) == []


def test_publishing_results_tells_the_voters_only(
    editor,
    districts,
    django_capture_on_commit_callbacks,
):
    poll = make_poll()
    voters = [make_resident(f"+7916200000{n}", district=districts[0]) for n in range(2)]
    bystander = make_resident("+79162000099", district=districts[0])
    for voter in voters:
        services.cast_ballot(
            poll_id=poll.pk, user=voter, answers=first_answers(poll), channel="web"
        )
    Poll.objects.filter(pk=poll.pk).update(status=Poll.Status.CLOSED)
    with django_capture_on_commit_callbacks(execute=True):
        editing.publish_results(poll=poll, by=editor)
    assert told("poll_results", poll) == sorted(v.pk for v in voters)
    assert bystander.pk not in told("poll_results", poll)


def test_a_sections_own_poll_is_not_announced_here(districts, django_capture_on_commit_callbacks):
    make_resident("+79161000001", district=districts[0])
    poll = make_poll(
        status=Poll.Status.SCHEDULED,
        opens_in=timedelta(minutes=-1),
        audience_restriction="building:1",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.open_and_close_polls()
    assert told("poll_new", poll) == []
