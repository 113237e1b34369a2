"""Decisions' services: creating and editing, the status transitions, setting the steps (and
the progress they give), updates, who may, and the poll's voters being told of each new status
once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from activecitizen.core.errors import Conflict, InvalidInput, PermissionDenied
from activecitizen.decisions import selectors, services
from activecitizen.decisions.models import Decision, DecisionStep, Status
from activecitizen.decisions.tests.factories import (
    make_decision,
    make_editor,
    make_resident,
    some_districts,
    voted,
)
from activecitizen.discussions.models import Project
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


def _steps_of(decision: Decision) -> list[tuple[str, int, int, int]]:
    return [(s.title, s.weight, s.percent, s.position) for s in decision.steps.all()]


def test_editing_changes_only_the_fields_given_and_checks_the_whole():
    editor = make_editor()
    first, second = some_districts(2)
    decision = make_decision(
        editor,
        district=first,
        planned_start=date(2026, 3, 1),
        planned_finish=date(2026, 9, 1),
        poll=make_poll(),
    )
    services.edit_decision(decision=decision, by=editor, title="  Парк у реки ", lon="37.7")
    decision.refresh_from_db()
    assert decision.title == "Парк у реки"
    assert (decision.lat, decision.lon) == (Decimal("55.760000"), Decimal("37.700000"))
    assert decision.planned_start == date(2026, 3, 1) and decision.poll is not None
    assert list(decision.districts.all()) == [first]
    services.edit_decision(
        decision=decision.pk, by=editor, districts=[second.pk], lat=None, lon=None
    )
    decision.refresh_from_db()
    assert list(decision.districts.all()) == [second] and not decision.has_point
    before = Decision.objects.values().get(pk=decision.pk)
    refused = [
        # A new start after the finish kept from before.
        ({"planned_start": date(2026, 10, 1)}, "planned_finish"),
        # A second source beside the poll kept from before.
        ({"novelty": make_novelty()}, "poll"),
        ({"lat": "55.7"}, "lat"),
        ({"lat": "-91", "lon": "37"}, "lat"),
        ({"title": " "}, "title"),
        ({"title": "Парк\x00"}, "title"),
        ({"category": "space"}, "category"),
        ({"department": "Д" * 201}, "department"),
        ({"districts": [first, 2_000_000_000]}, "districts"),
    ]
    for changes, field in refused:
        with pytest.raises(InvalidInput) as error:
            services.edit_decision(decision=decision, by=editor, **changes)
        assert error.value.field == field, changes
    assert Decision.objects.values().get(pk=decision.pk) == before
    assert list(decision.districts.all()) == [second]
    with pytest.raises(PermissionDenied):
        services.edit_decision(decision=decision, by=make_resident(is_staff=True), title="Чужое")
    with pytest.raises(InvalidInput) as missing:
        services.edit_decision(decision=2_000_000_000, by=editor, title="Нет такого")
    assert missing.value.field == "decision"


def test_a_done_decision_may_still_be_corrected():
    editor = make_editor()
    decision = make_decision(editor)
    services.set_status(decision=decision, status=Status.IN_PROGRESS, by=editor)
    services.set_status(decision=decision, status=Status.DONE, by=editor, on=date(2026, 5, 1))
    services.edit_decision(decision=decision, by=editor, description="Открыт 1 мая")
    decision.refresh_from_db()
    assert decision.description == "Открыт 1 мая" and decision.status == Status.DONE


def test_a_source_must_exist():
    editor = make_editor()
    with pytest.raises(InvalidInput) as unsaved:
        make_decision(editor, project=Project(title="Не сохранён"))
    assert unsaved.value.field == "project"
    with pytest.raises(InvalidInput) as district:
        make_decision(editor, districts=[2_000_000_000])
    assert district.value.field == "districts"
    assert not Decision.objects.exists()


def test_setting_the_steps_keeps_changes_adds_and_removes_in_order():
    editor = make_editor()
    decision = make_decision(editor)
    design = services.add_step(decision=decision, title="Проект", by=editor)
    dropped = services.add_step(decision=decision, title="Снос", by=editor)
    steps = services.set_steps(
        decision=decision,
        steps=[
            services.StepInput(title="Стройка", weight=7, percent=0, position=20),
            services.StepInput(
                title=" Проект ", weight=1, percent=100, position=10, step_id=design.pk
            ),
        ],
        by=editor,
    )
    assert [s.title for s in steps] == ["Проект", "Стройка"]
    assert _steps_of(decision) == [("Проект", 1, 100, 0), ("Стройка", 7, 0, 1)]
    assert decision.steps.get(title="Проект").pk == design.pk
    assert not DecisionStep.objects.filter(pk=dropped.pk).exists()
    # 1·100 / 8 = 12.5 → 13: the progress is the steps', recomputed exactly.
    assert selectors.progress(Decision.objects.get(pk=decision.pk)) == 13
    # Without positions, the list's order; equal positions keep the list's order too.
    services.set_steps(
        decision=decision,
        steps=[
            services.StepInput(title="Б", weight=2, percent=50, position=1),
            services.StepInput(title="А", weight=1, percent=50, position=1),
        ],
        by=editor,
    )
    assert _steps_of(decision) == [("Б", 2, 50, 0), ("А", 1, 50, 1)]
    assert selectors.progress(Decision.objects.get(pk=decision.pk)) == 50
    services.set_steps(decision=decision, steps=[], by=editor)
    assert not decision.steps.exists()
    assert selectors.progress(Decision.objects.get(pk=decision.pk)) == 0


def test_bad_steps_are_refused_naming_the_step_and_nothing_is_written():
    editor = make_editor()
    decision = make_decision(editor)
    other = make_decision(editor, title="Другое")
    kept = services.add_step(decision=decision, title="Проект", weight=2, percent=40, by=editor)
    foreign = services.add_step(decision=other, title="Чужой", by=editor)
    good = services.StepInput(title="Стройка")
    step = services.StepInput
    bad = [
        ([good, step(title="Ноль", weight=0)], "steps.1.weight"),
        ([good, step(title="Минус", weight=-3)], "steps.1.weight"),
        ([good, step(title="Да", weight=True)], "steps.1.weight"),
        ([good, step(title="Дробь", weight=1.5)], "steps.1.weight"),  # type: ignore[arg-type]
        ([step(title="Много", percent=101)], "steps.0.percent"),
        ([step(title="Мало", percent=-1)], "steps.0.percent"),
        ([step(title="  ")], "steps.0.title"),
        ([step(title="Ш" * 201)], "steps.0.title"),
        ([step(title="Ноль\x00")], "steps.0.title"),
        ([step(title="Место", position=-1)], "steps.0.position"),
        ([step(title="А", step_id=kept.pk), step(title="Б", step_id=kept.pk)], "steps.1.step_id"),
        ([good, step(title="Чужой", step_id=foreign.pk)], "steps.1.step_id"),
        ([good] * (services.STEPS_MAX + 1), "steps"),
    ]
    for steps, field in bad:
        with pytest.raises(InvalidInput) as refused:
            services.set_steps(decision=decision, steps=steps, by=editor)
        assert refused.value.field == field, steps[-1]
    assert _steps_of(decision) == [("Проект", 2, 40, 0)]
    assert _steps_of(other) == [("Чужой", 1, 0, 0)]
    with pytest.raises(PermissionDenied):
        services.set_steps(decision=decision, steps=[good], by=make_resident(is_staff=True))
    assert _steps_of(decision) == [("Проект", 2, 40, 0)]


def test_a_finished_decisions_steps_stay_but_may_be_given_again_unchanged():
    editor = make_editor()
    decision = make_decision(editor)
    step = services.add_step(decision=decision, title="Проект", weight=2, percent=40, by=editor)
    services.set_status(decision=decision, status=Status.CANCELLED, by=editor, reason="Нет денег")
    same = [services.StepInput(title="Проект", weight=2, percent=40, position=0, step_id=step.pk)]
    assert [s.pk for s in services.set_steps(decision=decision, steps=same, by=editor)] == [step.pk]
    with pytest.raises(Conflict) as refused:
        services.set_steps(
            decision=decision,
            steps=[services.StepInput(title="Проект", weight=2, percent=90, step_id=step.pk)],
            by=editor,
        )
    assert refused.value.code == "wrong_status" and refused.value.field == "steps"
    with pytest.raises(Conflict):
        services.set_steps(decision=decision, steps=[], by=editor)
    assert _steps_of(decision) == [("Проект", 2, 40, 0)]
