"""The editors' workflow: checking a poll before it is scheduled, moving it through its life,
keeping its questions frozen once it has opened, and moderating own answers.

Every function here is a service in DESIGN.md's sense: keyword arguments, one transaction, a
`DomainError` (with a translated message) when the city's rules refuse, nothing written then.
The admin, the Celery tasks and the management commands call these; none of them changes a
poll's status by itself.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from activecitizen.accounts.models import User
from activecitizen.core.errors import Conflict, InvalidInput, PermissionDenied
from activecitizen.polls import services
from activecitizen.polls.models import FreeTextAnswer, Option, Poll, Question
from activecitizen.polls.notices import announce_results
from activecitizen.polls.selectors import forget_poll

logger = logging.getLogger(__name__)

# The design allows up to two "own answer" options per question.
MAX_OWN_ANSWERS = 2


class PollNotReady(InvalidInput):
    """The poll cannot be scheduled yet; `problems` says every reason, in the editor's words."""

    code = "poll_not_ready"

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            _("The poll is not ready to be scheduled: %(problems)s")
            % {"problems": " ".join(problems)}
        )
        self.problems = problems


# --- Checks ------------------------------------------------------------------------------------


def validate_poll_for_schedule(poll: Poll, *, now: datetime | None = None) -> list[str]:
    """Every reason this poll cannot be put before residents yet; empty when it can.

    Reads the poll's questions, options and audience from the database, so that it judges what
    is saved, not what a form holds.
    """
    now = now or timezone.now()
    problems: list[str] = []
    questions = list(Question.objects.filter(poll_id=poll.pk).prefetch_related("options"))
    if not questions:
        problems.append(_("Add at least one question."))
    for number, question in enumerate(questions, start=1):
        problems.extend(_question_problems(number, question))

    if poll.closes_at <= poll.opens_at:
        problems.append(_("The poll must close after it opens."))
    if poll.closes_at <= now:
        problems.append(_("The closing time has already passed: choose one in the future."))

    if poll.age_min is not None and poll.age_max is not None and poll.age_min > poll.age_max:
        problems.append(
            _("The youngest age (%(min)s) is above the oldest age (%(max)s).")
            % {"min": poll.age_min, "max": poll.age_max}
        )
    places = poll.audience_districts.exists() or poll.audience_okrugs.exists()
    if poll.scope == Poll.Scope.DISTRICT and not places:
        problems.append(_("A district poll must name its districts or okrugs."))
    if poll.scope == Poll.Scope.CITY and places:
        problems.append(
            _(
                "A city-wide poll cannot be limited to some districts or okrugs: "
                "choose the district scope, or remove them."
            )
        )
    if (
        poll.scope == Poll.Scope.SECTORAL
        and not poll.audience_restriction
        and not poll.audience_interests.exists()
        and poll.age_min is None
        and poll.age_max is None
        and not poll.audience_gender
    ):
        problems.append(
            _("A sectoral poll must name its audience: interests, an age range or a gender.")
        )
    return problems


def _question_problems(number: int, question: Question) -> list[str]:
    problems: list[str] = []
    options = list(question.options.all())
    named = {"n": number, "text": _shorten(question.text)}
    if len(options) < 2:
        problems.append(_("Question %(n)s “%(text)s” needs at least two options.") % named)
    if question.kind == Question.Kind.SINGLE:
        if question.min_choices != 1 or question.max_choices != 1:
            problems.append(
                _(
                    "Question %(n)s “%(text)s” takes one answer: "
                    "“at least” and “at most” must both be 1."
                )
                % named
            )
    else:
        if question.min_choices < 1:
            problems.append(_("Question %(n)s “%(text)s”: “at least” must be 1 or more.") % named)
        if question.min_choices > question.max_choices:
            problems.append(
                _("Question %(n)s “%(text)s”: “at least” is more than “at most”.") % named
            )
        if question.max_choices > len(options):
            problems.append(
                _(
                    "Question %(n)s “%(text)s”: “at most” is %(max)s "
                    "but there are only %(options)s options."
                )
                % {**named, "max": question.max_choices, "options": len(options)}
            )
    if sum(1 for o in options if o.free_text) > MAX_OWN_ANSWERS:
        problems.append(
            _("Question %(n)s “%(text)s” has more than %(max)s own-answer options.")
            % {**named, "max": MAX_OWN_ANSWERS}
        )
    return problems


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ensure_editable(poll: Poll) -> None:
    """Refuse any change to the questions and options of a poll that has opened.

    Looks at the status in the database, not at the (possibly stale) object in hand: a poll
    opens by itself when its time comes, perhaps while an editor has its form open.
    """
    status = (
        Poll.objects.filter(pk=poll.pk).values_list("status", flat=True).first()
        if poll.pk
        else poll.status
    )
    if status is not None and status not in {Poll.Status.DRAFT, Poll.Status.SCHEDULED}:
        raise Conflict(
            _("Questions and options are frozen because the poll has opened."),
            code="poll_frozen",
        )


# --- Editing questions and options -------------------------------------------------------------


@dataclass(frozen=True)
class OptionDraft:
    """An answer option as an editor writes it: its text and whether it asks for an own answer."""

    text: str
    free_text: bool = False


def set_options(*, question: Question, options: Sequence[OptionDraft]) -> None:
    """Make the question's options exactly `options`, in this order.

    Options are matched by position, so an option whose text an editor corrects keeps its
    image; options past the new end are removed.
    """
    with transaction.atomic():
        poll = Poll.objects.select_for_update().get(pk=question.poll_id)
        ensure_editable(poll)
        existing = list(Option.objects.filter(question=question).order_by("position", "pk"))
        for position, draft in enumerate(options):
            if position < len(existing):
                option = existing[position]
                if (option.position, option.text, option.free_text) != (
                    position,
                    draft.text,
                    draft.free_text,
                ):
                    option.position = position
                    option.text = draft.text
                    option.free_text = draft.free_text
                    option.save(update_fields=["position", "text", "free_text"])
            else:
                Option.objects.create(
                    question=question, position=position, text=draft.text, free_text=draft.free_text
                )
        Option.objects.filter(pk__in=[o.pk for o in existing[len(options) :]]).delete()
    _forget(poll.pk)


def recheck_after_edit(*, poll: Poll, by: User) -> list[str]:
    """After an editor changed a poll: forget its cached shape and, if it is scheduled but no
    longer ready, move it back to draft (so a broken poll never opens by itself).

    Returns the problems found (empty when the poll is fine or not scheduled).
    """
    _forget(poll.pk)
    with transaction.atomic():
        fresh = Poll.objects.select_for_update().get(pk=poll.pk)
        if fresh.status != Poll.Status.SCHEDULED:
            return []
        problems = validate_poll_for_schedule(fresh)
        if problems:
            fresh.status = Poll.Status.DRAFT
            fresh.save(update_fields=["status", "updated_at"])
            logger.info("poll %s back to draft after an edit by %s", poll.pk, by.pk)
    poll.status = fresh.status
    _forget(poll.pk)
    return problems


# --- A poll's life -----------------------------------------------------------------------------


def schedule_poll(*, poll: Poll, by: User, now: datetime | None = None) -> Poll:
    """Draft → scheduled, after every check of `validate_poll_for_schedule` passes.

    A poll whose opening time has come opens at once, as `services.open_and_close_polls`
    would open it on its next run.
    """
    _require(by, "polls.change_poll")
    now = now or timezone.now()
    with transaction.atomic():
        fresh = _locked(poll)
        _expect(fresh, Poll.Status.DRAFT, _("Only a draft can be scheduled."))
        problems = validate_poll_for_schedule(fresh, now=now)
        if problems:
            raise PollNotReady(problems)
        fresh.status = Poll.Status.OPEN if fresh.opens_at <= now else Poll.Status.SCHEDULED
        fresh.save(update_fields=["status", "updated_at"])
        if fresh.status == Poll.Status.OPEN:
            # Opened at once: announced here, as `open_and_close_polls` would on opening it.
            services.announce_after_commit(fresh.pk)
    return _done(poll, fresh, by, "scheduled")


@dataclass(frozen=True)
class QuestionDraft:
    text: str
    options: Sequence[str]


def open_section_poll(
    *,
    title: str,
    description: str,
    questions: Sequence[QuestionDraft],
    closes_at: datetime,
    restriction: str,
    by: User,
    category: str = Poll.Category.HOUSING,
    points: int = 0,
    now: datetime | None = None,
) -> Poll:
    """A poll another section runs for its own people (a building's survey): single-choice
    questions, open at once until `closes_at`, its audience only the people `restriction`
    names (see audience.register_restriction). The calling section has checked that `by` may
    ask them; the poll passes the same checks as an editor's before it opens."""
    now = now or timezone.now()
    title, description = (title or "").strip(), (description or "").strip()
    if not title:
        raise InvalidInput(_("Give the poll a title."), code="required", field="title")
    if len(title) > Poll._meta.get_field("title").max_length:
        raise InvalidInput(_("The title is too long."), code="too_long", field="title")
    if not restriction:
        raise ValueError("a section's poll names whom it is for")
    if closes_at <= now:
        raise InvalidInput(_("The poll must close in the future."), field="closes_at")
    with transaction.atomic():
        poll = Poll.objects.create(
            title=title,
            description=description,
            category=category,
            scope=Poll.Scope.SECTORAL,
            opens_at=now,
            closes_at=closes_at,
            points=points,
            audience_restriction=restriction,
            created_by=by,
        )
        for position, draft in enumerate(questions):
            text = (draft.text or "").strip()
            if not text:
                raise InvalidInput(
                    _("Question %(n)s has no text.") % {"n": position + 1}, field="questions"
                )
            question = Question.objects.create(poll=poll, position=position, text=text[:500])
            Option.objects.bulk_create(
                Option(question=question, position=n, text=text)
                for n, text in enumerate(o.strip()[:300] for o in draft.options if o.strip())
            )
        problems = validate_poll_for_schedule(poll, now=now)
        if problems:
            raise PollNotReady(problems)  # rolls the poll back: nothing is written
        poll.status = Poll.Status.OPEN
        poll.save(update_fields=["status", "updated_at"])
    logger.info("section poll %s opened for %s by %s", poll.pk, restriction, by.pk)
    _forget(poll.pk)
    return poll


def unschedule_poll(*, poll: Poll, by: User) -> Poll:
    """Scheduled → draft: the poll will not open until it is scheduled again."""
    _require(by, "polls.change_poll")
    with transaction.atomic():
        fresh = _locked(poll)
        _expect(
            fresh,
            Poll.Status.SCHEDULED,
            _("Only a scheduled poll can go back to draft; an opened poll cannot."),
        )
        fresh.status = Poll.Status.DRAFT
        fresh.save(update_fields=["status", "updated_at"])
    return _done(poll, fresh, by, "unscheduled")


def close_poll_now(*, poll: Poll, by: User, now: datetime | None = None) -> Poll:
    """Open → closed before its time; the closing time becomes now, so pages say the truth."""
    _require(by, "polls.change_poll")
    now = now or timezone.now()
    with transaction.atomic():
        fresh = _locked(poll)
        _expect(fresh, Poll.Status.OPEN, _("Only an open poll can be closed."))
        fresh.status = Poll.Status.CLOSED
        fields = ["status", "updated_at"]
        if fresh.opens_at < now < fresh.closes_at:
            fresh.closes_at = now
            fields.append("closes_at")
        fresh.save(update_fields=fields)
    return _done(poll, fresh, by, "closed")


def publish_results(*, poll: Poll, by: User) -> Poll:
    """Closed → results published. Ballots still queued are counted first, so the published
    numbers are the final ones."""
    _require(by, "polls.change_poll")
    services.tally(poll_id=poll.pk)
    with transaction.atomic():
        fresh = _locked(poll)
        _expect(fresh, Poll.Status.CLOSED, _("Results can be published only for a closed poll."))
        fresh.status = Poll.Status.PUBLISHED
        fresh.save(update_fields=["status", "updated_at"])
        poll_id = fresh.pk
        # After commit, so nobody is told of results a rollback took back.
        transaction.on_commit(lambda: announce_results(poll_id))
    return _done(poll, fresh, by, "results published")


def archive_poll(*, poll: Poll, by: User) -> Poll:
    """Results published → archived: off the current lists, results kept."""
    _require(by, "polls.change_poll")
    with transaction.atomic():
        fresh = _locked(poll)
        _expect(
            fresh,
            Poll.Status.PUBLISHED,
            _("Only a poll whose results are published can be archived."),
        )
        fresh.status = Poll.Status.ARCHIVED
        fresh.save(update_fields=["status", "updated_at"])
    return _done(poll, fresh, by, "archived")


def _require(by: User, permission: str) -> None:
    if not (by.is_active and by.has_perm(permission)):
        raise PermissionDenied(_("Your role does not allow this."), code="forbidden")


def _locked(poll: Poll) -> Poll:
    return Poll.objects.select_for_update().get(pk=poll.pk)


def _expect(poll: Poll, status: str, message: str) -> None:
    if poll.status != status:
        raise Conflict(
            _("%(rule)s This poll is: %(status)s.")
            % {"rule": message, "status": Poll.Status(poll.status).label},
            code="wrong_status",
        )


def _done(poll: Poll, fresh: Poll, by: User, what: str) -> Poll:
    # The caller's object follows the database, so an admin page shows the new state.
    poll.status = fresh.status
    poll.closes_at = fresh.closes_at
    logger.info("poll %s %s by %s", poll.pk, what, by.pk)
    _forget(poll.pk)
    return fresh


def _forget(poll_id: int) -> None:
    # Now, and again after commit: a reader between the two could cache the old shape.
    forget_poll(poll_id)
    transaction.on_commit(lambda: forget_poll(poll_id))


# --- Own answers -------------------------------------------------------------------------------


def moderate_free_text(*, answer: FreeTextAnswer, decision: str, by: User) -> FreeTextAnswer:
    """Publish or reject an own answer. A moderator may change their mind later."""
    _require(by, "polls.change_freetextanswer")
    allowed = {FreeTextAnswer.Moderation.PUBLISHED, FreeTextAnswer.Moderation.REJECTED}
    if decision not in allowed:
        raise InvalidInput(
            _("A moderation decision is either “published” or “rejected”."), field="decision"
        )
    with transaction.atomic():
        fresh = FreeTextAnswer.objects.select_for_update().get(pk=answer.pk)
        fresh.moderation = decision
        fresh.moderated_by = by
        fresh.save(update_fields=["moderation", "moderated_by"])
    answer.moderation = fresh.moderation
    answer.moderated_by = by
    return fresh


# --- Roles -------------------------------------------------------------------------------------


def register_role_permissions() -> None:
    """What editors, moderators and auditors may do with votes in the admin.

    Called from PollsConfig.ready(); the role groups receive these after every migrate.
    Participations (who voted) are for auditors only; ballots carry nobody.
    """
    from activecitizen.accounts.roles import Role, grant

    grant(
        Role.EDITOR,
        *(
            f"polls.{action}_{model}"
            for model in ("poll", "question", "option")
            for action in ("view", "add", "change", "delete")
        ),
        "polls.view_freetextanswer",
    )
    grant(
        Role.MODERATOR,
        "polls.view_poll",
        "polls.view_question",
        "polls.view_option",
        "polls.view_freetextanswer",
        "polls.change_freetextanswer",
    )
    grant(
        Role.AUDITOR,
        *(
            f"polls.view_{model}"
            for model in ("poll", "question", "option", "participation", "ballot", "freetextanswer")
        ),
    )
