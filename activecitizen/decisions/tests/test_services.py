"""Decisions' services: creating, the status transitions, steps, updates, who may, and the
poll's voters being told of each new status once."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from activecitizen.core.errors import Conflict, InvalidInput, PermissionDenied
from activecitizen.decisions import selectors, services
from activecitizen.decisions.models import Decision, DecisionStep, Status
from activecitizen.decisions.tests.factories import make_decision, make_editor, make_resident, voted
from activecitizen.discussions.tests.factories import make_project
from activecitizen.notifications.models import Notification
from activecitizen.novelties.tests.factories import make_novelty
from activecitizen.polls.tests.factories import make_poll

pytestmark = pytest.mark.django_db


def test_the_status_moves_forward_only():
    editor = make_editor()
    decision = make_decision(editor)
    assert decision.status == Status.PLANNED
    with pytest.raises(Conflict) as skipped:
        services.set_status(decision=decision, status=Status.DONE, by=editor)
    assert skipped.value.code == "wrong_status" and skipped.value.status == 409
    services.set_status(decision=decision, status=Status.IN_PROGRESS, by=editor)
    with pytest.raises(Conflict):
        services.set_status(decision=decision, status=Status.PLANNED, by=editor)
    services.set_status(decision=decision, status=Status.DONE, by=editor, on=date(2025, 5, 1))
    decision.refresh_from_db()
    assert decision.status == Status.DONE and decision.done_on == date(2025, 5, 1)
    for final in (Status.IN_PROGRESS, Status.CANCELLED):
        with pytest.raises(Conflict):
            services.set_status(decision=decision, status=final, by=editor, reason="Передумали")
    assert Decision.objects.get(pk=decision.pk).status == Status.DONE


def test_cancelling_needs_a_reason_and_is_final():
    editor = make_editor()
    decision = make_decision(editor)
    with pytest.raises(InvalidInput) as no_reason:
        services.set_status(decision=decision, status=Status.CANCELLED, by=editor, reason="  ")
    assert no_reason.value.field == "reason"
    assert Decision.objects.get(pk=decision.pk).status == Status.PLANNED
    services.set_status(decision=decision, status=Status.CANCELLED, by=editor, reason="Нет денег")
    assert decision.cancel_reason == "Нет денег"
    with pytest.raises(Conflict):
        services.set_status(decision=decision, status=Status.IN_PROGRESS, by=editor)


def test_the_database_refuses_a_cancel_without_reason_and_two_sources():
    decision = make_decision()
    with pytest.raises(IntegrityError), transaction.atomic():
        Decision.objects.filter(pk=decision.pk).update(status=Status.CANCELLED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Decision.objects.filter(pk=decision.pk).update(poll=make_poll(), project=make_project())


def test_create_checks_its_input_and_writes_nothing_when_refused():
    editor = make_editor()
    poll = make_poll()
    bad = [
        ({"title": ""}, "title"),
        ({"category": "space"}, "category"),
        ({"lat": "55.7", "lon": None}, "lat"),
        ({"lat": "95", "lon": "37"}, "lat"),
        ({"planned_start": date(2025, 5, 2), "planned_finish": date(2025, 5, 1)}, "planned_finish"),
        ({"poll": poll, "novelty": make_novelty()}, "poll"),
    ]
    for fields, field in bad:
        with pytest.raises(InvalidInput) as refused:
            make_decision(editor, **fields)
        assert refused.value.field == field
    assert not Decision.objects.exists()


def test_only_editors_change_decisions():
    editor = make_editor()
    decision = make_decision(editor)
    resident = make_resident(is_staff=True)
    with pytest.raises(PermissionDenied):
        make_decision(resident)
    with pytest.raises(PermissionDenied):
        services.set_status(decision=decision, status=Status.IN_PROGRESS, by=resident)
    with pytest.raises(PermissionDenied):
        services.add_step(decision=decision, title="Шаг", by=resident)
    with pytest.raises(PermissionDenied):
        services.post_update(decision=decision, text="Новости", by=resident)
    assert Decision.objects.get(pk=decision.pk).status == Status.PLANNED


def test_steps_give_the_weighted_progress_rounded_half_up():
    editor = make_editor()
    decision = make_decision(editor)
    assert selectors.progress(decision) == 0
    a = services.add_step(decision=decision, title="Проект", weight=1, by=editor)
    services.add_step(decision=decision, title="Стройка", weight=7, by=editor)
    services.complete_step(step=a, by=editor)
    # 1·100 / 8 = 12.5 → 13 (half up, not to even).
    assert selectors.progress(Decision.objects.get(pk=decision.pk)) == 13
    with pytest.raises(InvalidInput):
        services.add_step(decision=decision, title="Ноль", weight=0, by=editor)
    with pytest.raises(InvalidInput):
        services.set_step_percent(step=a, percent=101, by=editor)
    services.set_status(decision=decision, status=Status.IN_PROGRESS, by=editor)
    services.set_status(decision=decision, status=Status.DONE, by=editor)
    assert selectors.progress(Decision.objects.get(pk=decision.pk)) == 100
    with pytest.raises(Conflict):
        services.complete_step(step=DecisionStep.objects.get(title="Стройка"), by=editor)


def test_an_update_is_posted_with_its_author():
    editor = make_editor()
    decision = make_decision(editor)
    update = services.post_update(decision=decision, text="  Подрядчик вышел  ", by=editor)
    assert update.text == "Подрядчик вышел" and update.author == editor
    with pytest.raises(InvalidInput) as empty:
        services.post_update(decision=decision, text=" ", by=editor)
    assert empty.value.field == "text"


def test_voters_of_the_poll_are_told_once_per_status(django_capture_on_commit_callbacks):
    editor = make_editor()
    poll = make_poll(title="Где посадить деревья?")
    voters = [make_resident() for _ in range(3)]
    for voter in voters:
        voted(poll, voter)
    bystander = make_resident()
    decision = make_decision(editor, poll=poll, title="Посадить 100 лип")
    # The voters are told once the new status is committed, not before.
    with django_capture_on_commit_callbacks(execute=False) as pending:
        services.set_status(decision=decision, status=Status.IN_PROGRESS, by=editor)
    told = Notification.objects.filter(kind="decision_status")
    assert not told.exists()
    for callback in pending:
        callback()
    assert sorted(told.values_list("user_id", flat=True)) == sorted(v.pk for v in voters)
    assert not told.filter(user=bystander).exists()
    # A retry of the same fan-out tells nobody twice.
    with django_capture_on_commit_callbacks(execute=True):
        services.notify_voters(Decision.objects.get(pk=decision.pk))
    assert told.count() == 3
    with django_capture_on_commit_callbacks(execute=True):
        services.set_status(decision=decision, status=Status.DONE, by=editor)
    assert told.count() == 6
    assert told.filter(user=voters[0], params__status="done").count() == 1
    from activecitizen.notifications.kinds import render

    shown = render("decision_status", told.filter(params__status="done").first().params)
    assert "Посадить 100 лип" in shown.text


def test_a_decision_without_a_poll_tells_nobody():
    editor = make_editor()
    decision = make_decision(editor)
    services.set_status(decision=decision, status=Status.IN_PROGRESS, by=editor)
    assert not Notification.objects.filter(kind="decision_status").exists()
