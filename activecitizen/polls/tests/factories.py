"""Polls, questions and residents for tests: a few lines make a realistic poll."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from activecitizen.accounts.models import User
from activecitizen.geo.models import District
from activecitizen.polls.models import Option, Poll, Question


def make_poll(
    *,
    title: str = "Какие деревья посадить во дворе?",
    status: str = Poll.Status.OPEN,
    questions: list[tuple[str, list[str]]] | None = None,
    kind: str = Question.Kind.SINGLE,
    min_choices: int = 1,
    max_choices: int = 1,
    points: int = 20,
    districts: list[District] | None = None,
    opens_in: timedelta = timedelta(days=-1),
    lasts: timedelta = timedelta(days=7),
    free_text_last: bool = False,
    **fields,
) -> Poll:
    opens_at = timezone.now() + opens_in
    poll = Poll.objects.create(
        title=title,
        category=Poll.Category.PARKS,
        status=status,
        opens_at=opens_at,
        closes_at=opens_at + lasts,
        points=points,
        scope=Poll.Scope.DISTRICT if districts else Poll.Scope.CITY,
        **fields,
    )
    if districts:
        poll.audience_districts.set(districts)
    for qi, (text, options) in enumerate(
        questions or [("Что посадить?", ["Липы", "Клёны", "Берёзы"])]
    ):
        question = Question.objects.create(
            poll=poll,
            position=qi,
            text=text,
            kind=kind,
            min_choices=min_choices,
            max_choices=max_choices,
        )
        for oi, option in enumerate(options):
            Option.objects.create(
                question=question,
                position=oi,
                text=option,
                free_text=free_text_last and oi == len(options) - 1,
            )
    return poll


def make_resident(
    phone: str = "+79161234567",
    *,
    district: District | None = None,
    birth_date: date = date(1985, 6, 1),
    gender: str = "female",
    **fields,
) -> User:
    district = district or District.objects.order_by("pk").first()
    return User.objects.create_user(
        phone,
        first_name="Вера",
        home_district=district,
        birth_date=birth_date,
        gender=gender,
        **fields,
    )


def first_answers(poll: Poll) -> list[dict]:
    """Answers choosing the first option of every question."""
    return [
        {"question_id": q.pk, "option_ids": [q.options.order_by("position").first().pk]}
        for q in poll.questions.order_by("position")
    ]
