"""A meeting on a clock: the tests pass `now` to every service, so the legal timeline (notice ten
days ahead, seven to sixty days of voting, paper ballots until 48 hours before the end) is
exercised without waiting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from activecitizen.accounts.models import User
from activecitizen.house import services
from activecitizen.house.models import Building, Meeting
from activecitizen.house.services import AgendaItemInput

NOTICE_AT = timezone.make_aware(datetime(2026, 3, 2, 10, 0))
STARTS = NOTICE_AT + timedelta(days=11)
ENDS = STARTS + timedelta(days=14)
DURING = STARTS + timedelta(days=2)


@dataclass
class Clock:
    notice: datetime = NOTICE_AT
    starts: datetime = STARTS
    ends: datetime = ENDS
    during: datetime = DURING


def items(*subjects: str) -> list[AgendaItemInput]:
    return [
        AgendaItemInput(title=f"Вопрос {n}", proposal=f"Принять решение {n}", subject=subject)
        for n, subject in enumerate(subjects or ("other",), start=1)
    ]


def draft(
    building: Building, admin: User, *subjects: str, form: str = Meeting.Form.ELECTRONIC
) -> Meeting:
    return services.create_meeting(
        building=building,
        by=admin,
        title="Годовое собрание",
        voting_starts_at=STARTS,
        voting_ends_at=ENDS,
        items=items(*subjects),
        form=form,
        place="ул. Тверская, д. 1, помещение ТСЖ" if form == Meeting.Form.MIXED else "",
    )


def voting(
    building: Building, admin: User, *subjects: str, form: str = Meeting.Form.ELECTRONIC
) -> Meeting:
    """A meeting whose voting is open at DURING."""
    meeting = draft(building, admin, *subjects, form=form)
    services.publish_notice(meeting=meeting, by=admin, now=NOTICE_AT)
    return services.start_voting(meeting=meeting, now=STARTS)


def vote(meeting: Meeting, user: User, *choices: str, now: datetime = DURING, key: str = ""):
    numbers = list(meeting.items.values_list("number", flat=True))
    picked = choices or ("for",) * len(numbers)
    return services.cast_meeting_vote(
        meeting=meeting,
        user=user,
        decisions=dict(zip(numbers, picked, strict=True)),
        idempotency_key=key,
        now=now,
    )
