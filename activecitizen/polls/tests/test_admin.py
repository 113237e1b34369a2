"""The editors' admin: writing a poll with its questions and options, preview, the buttons and
actions of its life, frozen questions, moderation, and the read-only records of voting."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone, translation

from activecitizen.accounts.models import User
from activecitizen.accounts.roles import Role
from activecitizen.accounts.services import sync_role_permissions
from activecitizen.polls import editing, services
from activecitizen.polls.admin import FrozenAwareFormSet, QuestionInlineForm
from activecitizen.polls.models import Ballot, FreeTextAnswer, Option, Participation, Poll, Question
from activecitizen.polls.tests.factories import first_answers, make_poll, make_resident

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/polls/poll/"
FROZEN = "Questions and options are frozen because the poll has opened."


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def staff_client(role: str, phone: str) -> tuple[Client, User]:
    editing.register_role_permissions()
    sync_role_permissions()
    person = User.objects.create_user(phone, is_staff=True, first_name=role)
    person.groups.add(Group.objects.get(name=role))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(person)
    return client, person


@pytest.fixture
def editor():
    return staff_client(Role.EDITOR, "+79990000002")


@pytest.fixture
def moderator():
    return staff_client(Role.MODERATOR, "+79990000003")


@pytest.fixture
def auditor():
    return staff_client(Role.AUDITOR, "+79990000004")


@pytest.fixture
def citizen():
    person = make_resident("+79991000001")
    person.groups.add(Group.objects.get_or_create(name=Role.CITIZEN)[0])
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(person)
    return client


def draft(**fields) -> Poll:
    fields.setdefault("opens_in", timedelta(days=1))
    return make_poll(status=Poll.Status.DRAFT, **fields)


def page(answer) -> str:
    assert answer.status_code == 200, answer.status_code
    return answer.content.decode()


def messages_of(answer) -> list[str]:
    return [str(m) for m in answer.context["messages"]] if answer.context else []


def management(prefix: str, total: int, initial: int) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def poll_form(poll: Poll | None = None, **changes) -> dict:
    """The poll's change form as the browser sends it, with its questions' inline forms."""
    opens = poll.opens_at if poll else timezone.now() + timedelta(days=2)
    closes = poll.closes_at if poll else opens + timedelta(days=14)
    local_opens, local_closes = timezone.localtime(opens), timezone.localtime(closes)
    data = {
        "title": poll.title if poll else "Велодорожки на набережных",
        "description": "",
        "category": poll.category if poll else Poll.Category.TRANSPORT,
        "scope": poll.scope if poll else Poll.Scope.CITY,
        "opens_at_0": local_opens.strftime("%Y-%m-%d"),
        "opens_at_1": local_opens.strftime("%H:%M:%S"),
        "closes_at_0": local_closes.strftime("%Y-%m-%d"),
        "closes_at_1": local_closes.strftime("%H:%M:%S"),
        "points": "20",
        "results_visibility": Poll.Results.LIVE,
        "district_match": Poll.DistrictMatch.EITHER,
        "age_min": "",
        "age_max": "",
        "audience_gender": "",
        "min_verification": "1",
    }
    questions = list(poll.questions.prefetch_related("options")) if poll else []
    data.update(management("questions", len(questions), len(questions)))
    for i, q in enumerate(questions):
        data.update(
            {
                f"questions-{i}-id": str(q.pk),
                f"questions-{i}-poll": str(poll.pk),
                f"questions-{i}-text": q.text,
                f"questions-{i}-kind": q.kind,
                f"questions-{i}-min_choices": str(q.min_choices),
                f"questions-{i}-max_choices": str(q.max_choices),
                f"questions-{i}-required": "on",
                f"questions-{i}-position": str(q.position),
                f"questions-{i}-options_text": "\n".join(
                    ("* " if o.free_text else "") + o.text for o in q.options.all()
                ),
            }
        )
    data.update(changes)
    return data


# --- The list ----------------------------------------------------------------------------------


def test_editors_see_the_list_with_badges_filters_and_search(editor):
    client, _person = editor
    draft(title="Велодорожки на набережных")
    make_poll(title="Часы работы поликлиник", status=Poll.Status.CLOSED)
    html = page(client.get(CHANGELIST))
    assert "Велодорожки на набережных" in html and "Часы работы поликлиник" in html
    assert 'class="poll-status poll-status-draft"' in html
    assert 'class="poll-status poll-status-closed"' in html
    assert "Preview" in html

    closed_only = page(client.get(CHANGELIST, {"status": "closed"}))
    assert "Часы работы поликлиник" in closed_only and "Велодорожки" not in closed_only
    found = page(client.get(CHANGELIST, {"q": "поликлиник"}))
    assert "Часы работы поликлиник" in found and "Велодорожки" not in found
    # The date hierarchy and the category and scope filters are there.
    assert "opens_at__year" in html or "opens_at__month" in html or "opens_at__day" in html
    assert "category__exact" in html and "scope__exact" in html


def test_citizens_and_other_roles_are_kept_out(citizen, moderator):
    poll = draft()
    for url in (
        CHANGELIST,
        f"{CHANGELIST}{poll.pk}/change/",
        f"{CHANGELIST}{poll.pk}/preview/",
        f"{CHANGELIST}add/",
    ):
        answer = citizen.get(url)
        assert answer.status_code in {302, 403}, url
        assert "Какие деревья" not in answer.content.decode()
    answer = citizen.post(f"{CHANGELIST}{poll.pk}/transition/schedule/")
    assert answer.status_code in {302, 403}
    assert Poll.objects.get(pk=poll.pk).status == Poll.Status.DRAFT

    moderator_client, _person = moderator
    assert moderator_client.get(f"{CHANGELIST}add/").status_code == 403
    assert moderator_client.post(f"{CHANGELIST}{poll.pk}/transition/schedule/").status_code == 403
    answer = moderator_client.post(
        CHANGELIST, {"action": "schedule_polls", "_selected_action": [poll.pk]}
    )
    assert Poll.objects.get(pk=poll.pk).status == Poll.Status.DRAFT


# --- Writing a poll ----------------------------------------------------------------------------


def test_an_editor_writes_a_poll_with_questions_and_options_on_one_page(editor):
    client, person = editor
    data = poll_form()
    data.update(management("questions", 2, 0))
    data.update(
        {
            "questions-0-text": "Где нужны велодорожки?",
            "questions-0-kind": Question.Kind.MULTIPLE,
            "questions-0-min_choices": "1",
            "questions-0-max_choices": "2",
            "questions-0-required": "on",
            "questions-0-position": "0",
            "questions-0-options_text": "Вдоль набережных\nК станциям МЦК\n\n* Свой вариант\n",
            "questions-1-text": "Пользуетесь ли вы велопрокатом?",
            "questions-1-kind": Question.Kind.SINGLE,
            "questions-1-min_choices": "1",
            "questions-1-max_choices": "3",  # one answer: the admin makes it 1
            "questions-1-required": "on",
            "questions-1-position": "1",
            "questions-1-options_text": "Да\nНет",
        }
    )
    answer = client.post(f"{CHANGELIST}add/", data)
    assert answer.status_code == 302, answer.context and answer.context["errors"]
    poll = Poll.objects.get(title="Велодорожки на набережных")
    assert poll.created_by == person
    assert poll.status == Poll.Status.DRAFT
    first, second = poll.questions.order_by("position")
    assert [(o.text, o.free_text) for o in first.options.order_by("position")] == [
        ("Вдоль набережных", False),
        ("К станциям МЦК", False),
        ("Свой вариант", True),
    ]
    assert (second.min_choices, second.max_choices) == (1, 1)
    assert editing.validate_poll_for_schedule(poll) == []

    # Editing the options again keeps the options whose text did not change.
    kept = first.options.get(text="Вдоль набережных").pk
    data = poll_form(poll)
    data["questions-0-options_text"] = "Вдоль набережных\nК станциям МЦД\n* Свой вариант"
    answer = client.post(f"{CHANGELIST}{poll.pk}/change/", data)
    assert answer.status_code == 302
    assert list(first.options.order_by("position").values_list("text", flat=True)) == [
        "Вдоль набережных",
        "К станциям МЦД",
        "Свой вариант",
    ]
    assert first.options.get(text="Вдоль набережных").pk == kept


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ("Да\nда", "is listed twice"),
        ("Да\n* Своё\n* Ещё\n* И ещё", "At most 2 own-answer options"),
        ("Да\n*", "Write the own-answer option"),
        ("Да\n" + "x" * 301, "longer than 300 characters"),
    ],
)
def test_bad_option_lists_are_form_errors(editor, options, error):
    client, _person = editor
    poll = draft()
    data = poll_form(poll, **{"questions-0-options_text": options})
    html = page(client.post(f"{CHANGELIST}{poll.pk}/change/", data))
    assert error in html
    assert poll.questions.get().options.count() == 3


def test_a_draft_page_lists_what_is_missing_before_scheduling(editor):
    client, _person = editor
    poll = draft(questions=[("Что посадить?", ["Липы"])])
    html = page(client.get(f"{CHANGELIST}{poll.pk}/change/"))
    assert "Before this poll can be scheduled:" in html
    assert "needs at least two options" in html
    assert f"{CHANGELIST}{poll.pk}/preview/" in html
    assert f"{CHANGELIST}{poll.pk}/transition/schedule/" in html
    assert 'name="questions-0-options_text"' in html

    ready = draft(title="Готовый опрос")
    html = page(client.get(f"{CHANGELIST}{ready.pk}/change/"))
    assert "The poll is ready to be scheduled." in html


def test_the_preview_shows_the_poll_as_residents_see_it(editor):
    client, _person = editor
    poll = draft(
        questions=[("Что посадить во дворе?", ["Липы", "Клёны", "Свой вариант"])],
        free_text_last=True,
        description="Двор на Братиславской улице",
    )
    html = page(client.get(f"{CHANGELIST}{poll.pk}/preview/"))
    assert "Какие деревья посадить во дворе?" in html
    assert "Двор на Братиславской улице" in html
    assert "Что посадить во дворе?" in html
    assert html.count('type="radio"') == 3
    assert 'placeholder="Your answer"' in html  # the own answer asks for a text
    assert "Choose one answer." in html
    assert "Who may vote" in html and "Scope: city-wide" in html
    assert "The poll is ready to be scheduled." in html
    assert "<form" not in html.split('id="content-main"')[1].split("</article>")[0]


# --- Its life ----------------------------------------------------------------------------------


def test_buttons_on_the_page_move_the_poll(editor):
    client, _person = editor
    poll = draft(opens_in=timedelta(seconds=-1))
    answer = client.post(f"{CHANGELIST}{poll.pk}/transition/schedule/", follow=True)
    assert Poll.objects.get(pk=poll.pk).status == Poll.Status.OPEN
    assert any("is now: open" in m for m in messages_of(answer))
    html = page(answer)
    assert FROZEN in html
    assert f"{CHANGELIST}{poll.pk}/transition/close/" in html

    client.post(f"{CHANGELIST}{poll.pk}/transition/close/")
    client.post(f"{CHANGELIST}{poll.pk}/transition/publish/")
    assert Poll.objects.get(pk=poll.pk).status == Poll.Status.PUBLISHED
    answer = client.post(f"{CHANGELIST}{poll.pk}/transition/close/", follow=True)
    assert any("Only an open poll can be closed." in m for m in messages_of(answer))
    assert client.get(f"{CHANGELIST}{poll.pk}/transition/archive/").status_code == 405
    assert client.post(f"{CHANGELIST}{poll.pk}/transition/explode/").status_code == 403


def test_actions_schedule_what_is_ready_and_say_what_is_not(editor):
    client, _person = editor
    ready = draft(title="Готовый опрос")
    broken = draft(title="Опрос без вариантов", questions=[("Что посадить?", ["Липы"])])
    answer = client.post(
        CHANGELIST,
        {"action": "schedule_polls", "_selected_action": [ready.pk, broken.pk]},
        follow=True,
    )
    assert Poll.objects.get(pk=ready.pk).status == Poll.Status.SCHEDULED
    assert Poll.objects.get(pk=broken.pk).status == Poll.Status.DRAFT
    said = " ".join(messages_of(answer))
    assert "“Готовый опрос” is now: scheduled." in said
    assert "“Опрос без вариантов” cannot be scheduled yet:" in said
    assert "needs at least two options" in said


@pytest.mark.parametrize(
    ("action", "before", "after"),
    [
        ("unschedule_polls", Poll.Status.SCHEDULED, Poll.Status.DRAFT),
        ("close_polls", Poll.Status.OPEN, Poll.Status.CLOSED),
        ("publish_polls", Poll.Status.CLOSED, Poll.Status.PUBLISHED),
        ("archive_polls", Poll.Status.PUBLISHED, Poll.Status.ARCHIVED),
    ],
)
def test_every_transition_is_an_action(editor, action, before, after):
    client, _person = editor
    poll = make_poll(status=before)
    wrong = make_poll(title="Не тот статус", status=Poll.Status.ARCHIVED)
    answer = client.post(
        CHANGELIST, {"action": action, "_selected_action": [poll.pk, wrong.pk]}, follow=True
    )
    assert Poll.objects.get(pk=poll.pk).status == after
    assert Poll.objects.get(pk=wrong.pk).status == Poll.Status.ARCHIVED
    assert any("“Не тот статус”" in m for m in messages_of(answer))


def test_only_drafts_can_be_deleted(editor):
    client, _person = editor
    poll = draft()
    opened = make_poll(title="Открытый", status=Poll.Status.OPEN)
    assert client.get(f"{CHANGELIST}{opened.pk}/delete/").status_code == 403
    assert "delete_selected" not in page(client.get(CHANGELIST))
    client.post(f"{CHANGELIST}{poll.pk}/delete/", {"post": "yes"})
    assert not Poll.objects.filter(pk=poll.pk).exists()
    assert Poll.objects.filter(pk=opened.pk).exists()


# --- Frozen once open ------------------------------------------------------------------------


def test_an_open_poll_says_its_questions_are_frozen_and_shows_them_read_only(editor):
    client, _person = editor
    poll = make_poll(status=Poll.Status.OPEN)
    html = page(client.get(f"{CHANGELIST}{poll.pk}/change/"))
    assert FROZEN in html
    assert 'name="questions-0-text"' not in html
    assert 'name="questions-0-options_text"' not in html
    assert "Липы" in html and "Берёзы" in html  # the options, as a list
    assert 'name="opens_at_0"' not in html and 'name="audience_gender"' not in html
    assert 'name="title"' in html  # the wording may still be corrected


def test_frozen_questions_refuse_changes_through_the_admin(editor):
    client, _person = editor
    poll = make_poll(status=Poll.Status.OPEN)
    question = poll.questions.get()
    data = poll_form(
        poll,
        title="Какие деревья посадить во дворе? (уточнено)",
        **{
            "questions-0-text": "Подменённый вопрос",
            "questions-0-options_text": "Один\nДругой",
        },
    )
    assert client.post(f"{CHANGELIST}{poll.pk}/change/", data).status_code == 302
    poll.refresh_from_db()
    assert poll.title.endswith("(уточнено)")
    question.refresh_from_db()
    assert question.text == "Что посадить?"
    assert list(question.options.values_list("text", flat=True)) == ["Липы", "Клёны", "Берёзы"]

    # The question's own page is read-only: a change or a deletion is forbidden.
    html = page(client.get(f"/admin/polls/question/{question.pk}/change/"))
    assert FROZEN in html
    question_form = {"text": "Подменённый", "kind": "single", "position": "0"}
    question_form.update(management("options", 0, 0))
    answer = client.post(f"/admin/polls/question/{question.pk}/change/", question_form)
    assert answer.status_code == 403
    assert (
        client.post(f"/admin/polls/question/{question.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Question.objects.get(pk=question.pk).text == "Что посадить?"


def test_a_poll_that_opened_while_its_form_was_open_refuses_the_changes():
    poll = draft()
    Poll.objects.filter(pk=poll.pk).update(status=Poll.Status.OPEN)  # the scheduler opened it
    question = poll.questions.get()
    from django.forms import inlineformset_factory

    FormSet = inlineformset_factory(
        Poll, Question, form=QuestionInlineForm, formset=FrozenAwareFormSet, extra=0
    )
    data = {
        **management("questions", 1, 1),
        "questions-0-id": str(question.pk),
        "questions-0-poll": str(poll.pk),
        "questions-0-text": "Подменённый вопрос",
        "questions-0-kind": "single",
        "questions-0-min_choices": "1",
        "questions-0-max_choices": "1",
        "questions-0-required": "on",
        "questions-0-position": "0",
        "questions-0-options_text": "Липы\nКлёны\nБерёзы",
    }
    formset = FormSet(data, instance=poll, prefix="questions")  # `poll` still says draft
    assert not formset.is_valid()
    assert formset.non_form_errors() == [FROZEN]


def test_question_page_adds_option_images_and_returns_to_the_poll(editor):
    client, _person = editor
    poll = draft()
    question = poll.questions.get()
    options = list(question.options.order_by("position"))
    data = {
        "text": "Что посадить во дворе?",
        "kind": "single",
        "min_choices": "1",
        "max_choices": "1",
        "required": "on",
        "position": "0",
        **management("options", 4, 3),
    }
    for i, option in enumerate(options):
        data.update(
            {
                f"options-{i}-id": str(option.pk),
                f"options-{i}-question": str(question.pk),
                f"options-{i}-position": str(i),
                f"options-{i}-text": option.text,
            }
        )
    data.update(
        {"options-3-position": "3", "options-3-text": "Свой вариант", "options-3-free_text": "on"}
    )
    answer = client.post(f"/admin/polls/question/{question.pk}/change/", data)
    assert answer.status_code == 302
    assert answer["Location"] == f"{CHANGELIST}{poll.pk}/change/"
    assert question.options.filter(free_text=True).count() == 1
    assert Question.objects.get(pk=question.pk).text == "Что посадить во дворе?"


def test_editing_a_scheduled_poll_into_a_broken_one_sends_it_back_to_draft(editor):
    client, person = editor
    poll = draft()
    editing.schedule_poll(poll=poll, by=person)
    data = poll_form(poll, **{"questions-0-options_text": "Липы"})
    answer = client.post(f"{CHANGELIST}{poll.pk}/change/", data, follow=True)
    assert Poll.objects.get(pk=poll.pk).status == Poll.Status.DRAFT
    assert any("went back to draft" in m for m in messages_of(answer))


# --- Own answers -------------------------------------------------------------------------------


def test_moderators_publish_and_reject_own_answers(moderator, editor):
    client, person = moderator
    poll = make_poll(status=Poll.Status.CLOSED, free_text_last=True)
    other = make_poll(title="Другой опрос", status=Poll.Status.CLOSED, free_text_last=True)
    own = Option.objects.get(question__poll=poll, free_text=True)
    dog = FreeTextAnswer.objects.create(poll=poll, option=own, text="Площадку для собак")
    rude = FreeTextAnswer.objects.create(poll=poll, option=own, text="Всё плохо!!!")
    FreeTextAnswer.objects.create(
        poll=other, option=Option.objects.get(question__poll=other, free_text=True), text="Иное"
    )
    url = "/admin/polls/freetextanswer/"
    html = page(client.get(url, {"poll__id__exact": poll.pk, "moderation__exact": "pending"}))
    assert "Площадку для собак" in html and "Всё плохо" in html and "Иное" not in html

    answer = client.post(
        url, {"action": "publish_answers", "_selected_action": [dog.pk]}, follow=True
    )
    assert "1 answer published." in messages_of(answer)
    client.post(url, {"action": "reject_answers", "_selected_action": [rude.pk]})
    dog.refresh_from_db()
    rude.refresh_from_db()
    assert (dog.moderation, dog.moderated_by) == ("published", person)
    assert rude.moderation == "rejected"

    # Editors read own answers but do not moderate them; nobody adds or deletes them.
    editor_client, _editor = editor
    html = page(editor_client.get(url))
    assert "publish_answers" not in html
    editor_client.post(url, {"action": "reject_answers", "_selected_action": [dog.pk]})
    assert FreeTextAnswer.objects.get(pk=dog.pk).moderation == "published"
    assert client.get(f"{url}add/").status_code == 403
    assert client.get(f"{url}{dog.pk}/delete/").status_code == 403


# --- Who took part, and the ballots --------------------------------------------------------


def test_participations_and_ballots_are_read_only_and_do_not_meet(auditor, editor, citizen):
    client, _person = auditor
    poll = make_poll()
    voter = make_resident("+79161112233")
    receipt = services.cast_ballot(
        poll_id=poll.pk, user=voter, answers=first_answers(poll), channel="web"
    )
    participation = Participation.objects.get()
    ballot = Ballot.objects.get()

    html = page(client.get(f"/admin/polls/participation/{participation.pk}/change/"))
    assert voter.phone in html
    assert receipt.ballot_id not in html and receipt.ballot_hash not in html
    assert receipt.leaf_hash not in html
    assert timezone.localtime(participation.cast_at).strftime("%H:%M") not in html

    html = page(client.get(f"/admin/polls/ballot/{ballot.pk}/change/"))
    assert receipt.ballot_id in html
    assert voter.phone not in html and voter.first_name not in html
    assert timezone.localtime(ballot.cast_at).strftime("%H:%M") not in html
    assert not re.search(r"/admin/polls/participation/\d+", html)
    shown = page(
        client.get(
            "/admin/polls/ballot/",
            {"poll": poll.pk, "age_band": ballot.age_band, "gender": "female", "channel": "web"},
        )
    )
    assert receipt.ballot_id in shown
    assert receipt.ballot_id not in page(client.get("/admin/polls/ballot/", {"gender": "male"}))

    for model, pk in (("participation", participation.pk), ("ballot", ballot.pk)):
        assert client.get(f"/admin/polls/{model}/add/").status_code == 403
        assert client.post(f"/admin/polls/{model}/{pk}/delete/", {"post": "yes"}).status_code == 403
        assert 'type="submit" value="Save"' not in page(
            client.get(f"/admin/polls/{model}/{pk}/change/")
        )
        assert page(client.get(f"/admin/polls/{model}/"))
        editor_client, _editor = editor
        assert editor_client.get(f"/admin/polls/{model}/").status_code == 403
        assert citizen.get(f"/admin/polls/{model}/").status_code in {302, 403}
    assert Participation.objects.count() == Ballot.objects.count() == 1
