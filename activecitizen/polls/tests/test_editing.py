"""The editors' workflow: checks before scheduling, every transition and its refusals, frozen
questions, own-answer moderation, and what each role may do."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone, translation

from activecitizen.accounts.models import Interest, User
from activecitizen.accounts.roles import Role
from activecitizen.accounts.services import sync_role_permissions
from activecitizen.core.errors import Conflict, InvalidInput, PermissionDenied
from activecitizen.geo.models import District, Okrug
from activecitizen.polls import editing, services
from activecitizen.polls.models import FreeTextAnswer, Option, Poll, Question, Tally
from activecitizen.polls.selectors import poll_shape
from activecitizen.polls.tests.factories import first_answers, make_poll, make_resident
from activecitizen.transparency.models import QueuedEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    # The messages are asserted in English, whatever the site's default language.
    with translation.override("en"):
        yield


def staff(role: str, phone: str) -> User:
    """A staff member holding `role`, with the permissions the roles get after migrate."""
    editing.register_role_permissions()
    sync_role_permissions()
    person = User.objects.create_user(phone, is_staff=True, first_name=role)
    person.groups.add(Group.objects.get(name=role))
    return User.objects.get(pk=person.pk)  # no stale permission cache


@pytest.fixture
def editor() -> User:
    return staff(Role.EDITOR, "+79990000002")


@pytest.fixture
def moderator() -> User:
    return staff(Role.MODERATOR, "+79990000003")


def draft(**fields) -> Poll:
    """A poll that is ready to schedule: opens tomorrow, one single-choice question."""
    fields.setdefault("opens_in", timedelta(days=1))
    scope = fields.pop("scope", None)
    poll = make_poll(status=Poll.Status.DRAFT, **fields)
    if scope:
        Poll.objects.filter(pk=poll.pk).update(scope=scope)
        poll.scope = scope
    return poll


# --- Checks before scheduling ------------------------------------------------------------------


def test_a_complete_draft_has_no_problems():
    assert editing.validate_poll_for_schedule(draft()) == []


def test_a_poll_without_questions_is_not_ready():
    poll = draft()
    poll.questions.all().delete()
    assert editing.validate_poll_for_schedule(poll) == ["Add at least one question."]


def test_a_question_needs_two_options():
    poll = draft(questions=[("Что посадить?", ["Липы"])])
    [problem] = editing.validate_poll_for_schedule(poll)
    assert "needs at least two options" in problem and "Что посадить?" in problem


@pytest.mark.parametrize(
    ("kind", "min_choices", "max_choices", "expected"),
    [
        (Question.Kind.SINGLE, 1, 2, "takes one answer"),
        (Question.Kind.MULTIPLE, 0, 2, "“at least” must be 1 or more"),
        (Question.Kind.MULTIPLE, 3, 2, "“at least” is more than “at most”"),
        (Question.Kind.MULTIPLE, 1, 4, "“at most” is 4 but there are only 3 options"),
    ],
)
def test_choice_limits_must_fit_the_options(kind, min_choices, max_choices, expected):
    poll = draft(kind=kind, min_choices=min_choices, max_choices=max_choices)
    problems = editing.validate_poll_for_schedule(poll)
    assert len(problems) == 1 and expected in problems[0]


def test_a_sane_multiple_choice_question_passes():
    poll = draft(kind=Question.Kind.MULTIPLE, min_choices=1, max_choices=3)
    assert editing.validate_poll_for_schedule(poll) == []


def test_at_most_two_own_answer_options():
    poll = draft(questions=[("Что посадить?", ["Липы", "Клёны", "Своё", "Ещё своё"])])
    Option.objects.filter(text__in=["Клёны", "Своё", "Ещё своё"]).update(free_text=True)
    [problem] = editing.validate_poll_for_schedule(poll)
    assert "more than 2 own-answer options" in problem
    Option.objects.filter(text="Клёны").update(free_text=False)
    assert editing.validate_poll_for_schedule(poll) == []


def test_timing_must_make_sense():
    poll = draft()
    poll.closes_at = poll.opens_at  # the database refuses to store it; a form may still hold it
    assert "The poll must close after it opens." in editing.validate_poll_for_schedule(poll)
    past = draft(opens_in=timedelta(days=-10), lasts=timedelta(days=2))
    assert editing.validate_poll_for_schedule(past) == [
        "The closing time has already passed: choose one in the future."
    ]


def test_the_audience_must_be_sane():
    poll = draft()
    poll.age_min, poll.age_max = 60, 18
    assert editing.validate_poll_for_schedule(poll) == [
        "The youngest age (60) is above the oldest age (18)."
    ]

    district_poll = draft(scope=Poll.Scope.DISTRICT)
    assert editing.validate_poll_for_schedule(district_poll) == [
        "A district poll must name its districts or okrugs."
    ]
    district_poll.audience_okrugs.add(Okrug.objects.first())
    assert editing.validate_poll_for_schedule(district_poll) == []

    city_poll = draft()
    city_poll.audience_districts.add(District.objects.first())
    [problem] = editing.validate_poll_for_schedule(city_poll)
    assert "city-wide poll cannot be limited" in problem

    sectoral = draft(scope=Poll.Scope.SECTORAL)
    [problem] = editing.validate_poll_for_schedule(sectoral)
    assert "sectoral poll must name its audience" in problem
    sectoral.audience_interests.add(Interest.objects.get(code="cyclist"))
    assert editing.validate_poll_for_schedule(sectoral) == []


# --- Transitions -------------------------------------------------------------------------------


def test_scheduling_a_draft_and_opening_it_later(editor):
    poll = draft()
    assert poll_shape(poll.pk).status == Poll.Status.DRAFT  # now cached
    editing.schedule_poll(poll=poll, by=editor)
    assert poll.status == Poll.Status.SCHEDULED
    assert Poll.objects.get(pk=poll.pk).status == Poll.Status.SCHEDULED
    assert poll_shape(poll.pk).status == Poll.Status.SCHEDULED  # the cache forgot the draft

    assert services.open_and_close_polls(now=poll.opens_at + timedelta(seconds=1)) == (1, 0)
    assert Poll.objects.get(pk=poll.pk).status == Poll.Status.OPEN


def test_a_poll_whose_time_has_come_opens_when_scheduled(editor):
    poll = draft(opens_in=timedelta(minutes=-5))
    editing.schedule_poll(poll=poll, by=editor)
    assert Poll.objects.get(pk=poll.pk).status == Poll.Status.OPEN
    receipt = services.cast_ballot(
        poll_id=poll.pk, user=make_resident(), answers=first_answers(poll), channel="web"
    )
    assert receipt.ballot_id


def test_an_unready_poll_is_not_scheduled(editor):
    poll = draft(questions=[("Что посадить?", ["Липы"])], scope=Poll.Scope.DISTRICT)
    with pytest.raises(editing.PollNotReady) as refused:
        editing.schedule_poll(poll=poll, by=editor)
    assert refused.value.code == "poll_not_ready"
    assert refused.value.status == 422
    assert len(refused.value.problems) == 2
    assert Poll.objects.get(pk=poll.pk).status == Poll.Status.DRAFT


@pytest.mark.parametrize(
    ("transition", "status"),
    [
        (editing.schedule_poll, Poll.Status.SCHEDULED),
        (editing.schedule_poll, Poll.Status.OPEN),
        (editing.unschedule_poll, Poll.Status.DRAFT),
        (editing.unschedule_poll, Poll.Status.OPEN),
        (editing.close_poll_now, Poll.Status.SCHEDULED),
        (editing.close_poll_now, Poll.Status.CLOSED),
        (editing.publish_results, Poll.Status.OPEN),
        (editing.publish_results, Poll.Status.PUBLISHED),
        (editing.archive_poll, Poll.Status.CLOSED),
        (editing.archive_poll, Poll.Status.ARCHIVED),
    ],
)
def test_a_transition_from_the_wrong_status_is_refused(editor, transition, status):
    poll = make_poll(status=status)
    with pytest.raises(Conflict) as refused:
        transition(poll=poll, by=editor)
    assert refused.value.code == "wrong_status"
    assert "This poll is:" in refused.value.message
    assert Poll.objects.get(pk=poll.pk).status == status


def test_back_to_draft(editor):
    poll = draft()
    editing.schedule_poll(poll=poll, by=editor)
    editing.unschedule_poll(poll=poll, by=editor)
    assert Poll.objects.get(pk=poll.pk).status == Poll.Status.DRAFT
    # It no longer opens by itself.
    services.open_and_close_polls(now=poll.opens_at + timedelta(hours=1))
    assert Poll.objects.get(pk=poll.pk).status == Poll.Status.DRAFT


def test_closing_early_stops_the_ballots(editor):
    poll = make_poll(status=Poll.Status.OPEN)
    assert poll_shape(poll.pk).accepts_ballots(timezone.now())
    before = timezone.now()
    editing.close_poll_now(poll=poll, by=editor)
    poll.refresh_from_db()
    assert poll.status == Poll.Status.CLOSED
    assert before <= poll.closes_at <= timezone.now()
    with pytest.raises(Conflict) as refused:
        services.cast_ballot(
            poll_id=poll.pk, user=make_resident(), answers=first_answers(poll), channel="web"
        )
    assert refused.value.code == "poll_closed"


def test_publishing_counts_the_last_ballots_first(editor, settings):
    settings.POLLS_TALLY_ON_CAST = False
    poll = make_poll(status=Poll.Status.OPEN)
    services.cast_ballot(
        poll_id=poll.pk, user=make_resident(), answers=first_answers(poll), channel="web"
    )
    editing.close_poll_now(poll=poll, by=editor)
    assert QueuedEntry.objects.filter(log__origin_id=f"poll-{poll.pk}").count() == 1
    editing.publish_results(poll=poll, by=editor)
    poll.refresh_from_db()
    assert poll.status == Poll.Status.PUBLISHED
    assert poll.ballots_counted == 1
    assert not QueuedEntry.objects.filter(log__origin_id=f"poll-{poll.pk}").exists()
    assert Tally.objects.get(poll=poll, question_id=0, dimension="total").count == 1


def test_archiving_keeps_the_results(editor):
    poll = make_poll(status=Poll.Status.PUBLISHED)
    editing.archive_poll(poll=poll, by=editor)
    assert Poll.objects.get(pk=poll.pk).status == Poll.Status.ARCHIVED


def test_the_whole_life_of_a_poll(editor):
    poll = draft(opens_in=timedelta(seconds=-1))
    for step, status in [
        (editing.schedule_poll, Poll.Status.OPEN),
        (editing.close_poll_now, Poll.Status.CLOSED),
        (editing.publish_results, Poll.Status.PUBLISHED),
        (editing.archive_poll, Poll.Status.ARCHIVED),
    ]:
        step(poll=poll, by=editor)
        assert Poll.objects.get(pk=poll.pk).status == status == poll.status


def test_only_editors_move_polls(moderator):
    citizen = make_resident()
    poll = draft()
    for person in (citizen, moderator):
        with pytest.raises(PermissionDenied):
            editing.schedule_poll(poll=poll, by=person)
    assert Poll.objects.get(pk=poll.pk).status == Poll.Status.DRAFT


# --- Frozen questions --------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Poll.Status.DRAFT, Poll.Status.SCHEDULED])
def test_questions_of_a_poll_not_yet_open_are_editable(status):
    editing.ensure_editable(make_poll(status=status))


@pytest.mark.parametrize(
    "status",
    [Poll.Status.OPEN, Poll.Status.CLOSED, Poll.Status.PUBLISHED, Poll.Status.ARCHIVED],
)
def test_questions_are_frozen_once_the_poll_opens(status):
    with pytest.raises(Conflict) as refused:
        editing.ensure_editable(make_poll(status=status))
    assert refused.value.code == "poll_frozen"
    assert refused.value.message == "Questions and options are frozen because the poll has opened."


def test_the_freeze_reads_the_database_not_a_stale_object():
    poll = draft()
    Poll.objects.filter(pk=poll.pk).update(status=Poll.Status.OPEN)  # opened by the scheduler
    assert poll.status == Poll.Status.DRAFT
    with pytest.raises(Conflict):
        editing.ensure_editable(poll)


def test_options_are_set_in_order_keeping_what_did_not_change():
    poll = draft(questions=[("Что посадить?", ["Липы", "Клёны", "Берёзы"])])
    question = poll.questions.get()
    lime, maple, _birch = question.options.order_by("position")
    editing.set_options(
        question=question,
        options=[
            editing.OptionDraft("Липы"),
            editing.OptionDraft("Клёны остролистные"),
            editing.OptionDraft("Свой вариант", free_text=True),
            editing.OptionDraft("Дубы"),
        ],
    )
    options = list(question.options.order_by("position"))
    assert [(o.text, o.free_text) for o in options] == [
        ("Липы", False),
        ("Клёны остролистные", False),
        ("Свой вариант", True),
        ("Дубы", False),
    ]
    assert options[0].pk == lime.pk and options[1].pk == maple.pk

    editing.set_options(question=question, options=[editing.OptionDraft("Липы")])
    assert list(question.options.values_list("text", flat=True)) == ["Липы"]


def test_options_of_an_open_poll_cannot_be_set():
    poll = make_poll(status=Poll.Status.OPEN)
    question = poll.questions.get()
    with pytest.raises(Conflict):
        editing.set_options(question=question, options=[editing.OptionDraft("Другое")])
    assert question.options.count() == 3


def test_a_scheduled_poll_broken_by_an_edit_goes_back_to_draft(editor):
    poll = draft()
    editing.schedule_poll(poll=poll, by=editor)
    assert editing.recheck_after_edit(poll=poll, by=editor) == []
    question = poll.questions.get()
    editing.set_options(question=question, options=[editing.OptionDraft("Липы")])
    problems = editing.recheck_after_edit(poll=poll, by=editor)
    assert problems and "needs at least two options" in problems[0]
    assert Poll.objects.get(pk=poll.pk).status == Poll.Status.DRAFT == poll.status


# --- Own answers -------------------------------------------------------------------------------


def own_answer(poll: Poll) -> FreeTextAnswer:
    option = Option.objects.filter(question__poll=poll).last()
    return FreeTextAnswer.objects.create(poll=poll, option=option, text="Площадку для собак")


def test_a_moderator_publishes_and_rejects_own_answers(moderator):
    answer = own_answer(make_poll(status=Poll.Status.CLOSED, free_text_last=True))
    editing.moderate_free_text(answer=answer, decision="published", by=moderator)
    answer.refresh_from_db()
    assert answer.moderation == FreeTextAnswer.Moderation.PUBLISHED
    assert answer.moderated_by == moderator
    editing.moderate_free_text(answer=answer, decision="rejected", by=moderator)
    assert FreeTextAnswer.objects.get(pk=answer.pk).moderation == "rejected"


def test_moderation_refuses_unknown_decisions_and_other_roles(moderator, editor):
    answer = own_answer(make_poll(status=Poll.Status.CLOSED, free_text_last=True))
    with pytest.raises(InvalidInput):
        editing.moderate_free_text(answer=answer, decision="pending", by=moderator)
    with pytest.raises(PermissionDenied):
        editing.moderate_free_text(answer=answer, decision="published", by=editor)
    assert FreeTextAnswer.objects.get(pk=answer.pk).moderation == "pending"


# --- Roles -------------------------------------------------------------------------------------


def test_roles_get_their_permissions(editor, moderator):
    assert editor.has_perms(["polls.change_poll", "polls.add_question", "polls.change_option"])
    assert editor.has_perm("polls.view_freetextanswer")
    assert not editor.has_perm("polls.change_freetextanswer")
    assert not editor.has_perm("polls.view_participation")
    assert moderator.has_perm("polls.change_freetextanswer")
    assert not moderator.has_perm("polls.change_poll")
    auditor = staff(Role.AUDITOR, "+79990000004")
    assert auditor.has_perms(["polls.view_participation", "polls.view_ballot"])
    assert not auditor.has_perm("polls.change_poll")


# --- Opening and closing by the clock (cron) ---------------------------------------------------


def test_the_command_opens_and_closes_polls_and_says_which():
    due = make_poll(title="Пора открывать", status=Poll.Status.SCHEDULED)
    later = make_poll(title="Ещё рано", status=Poll.Status.SCHEDULED, opens_in=timedelta(days=1))
    over = make_poll(
        title="Пора закрывать",
        status=Poll.Status.OPEN,
        opens_in=timedelta(days=-8),
        lasts=timedelta(days=7),
    )
    poll_shape(over.pk)  # cached as open
    out = StringIO()
    call_command("open_close_polls", stdout=out)
    said = out.getvalue()
    assert f"#{due.pk} «Пора открывать»: opened" in said
    assert f"#{over.pk} «Пора закрывать»: closed" in said
    assert "1 poll opened, 1 poll closed." in said
    assert "Ещё рано" not in said
    assert Poll.objects.get(pk=due.pk).status == Poll.Status.OPEN
    assert Poll.objects.get(pk=over.pk).status == Poll.Status.CLOSED
    assert Poll.objects.get(pk=later.pk).status == Poll.Status.SCHEDULED
    assert poll_shape(over.pk).status == Poll.Status.CLOSED

    again = StringIO()
    call_command("open_close_polls", stdout=again)
    assert again.getvalue().strip() == "0 polls opened, 0 polls closed."
    quiet = StringIO()
    call_command("open_close_polls", stdout=quiet, verbosity=0)
    assert quiet.getvalue() == ""
