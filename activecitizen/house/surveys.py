"""Building surveys: quick, not legally binding polls of a building's owners and residents,
run by the Votes engine (one ballot per person, results, the public log) with the building as
the audience."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from activecitizen.accounts.models import User
from activecitizen.core.errors import InvalidInput, PermissionDenied
from activecitizen.house.models import Building, Ownership, Resident
from activecitizen.house.selectors import may_administer
from activecitizen.notifications.services import notify
from activecitizen.polls.editing import QuestionDraft, open_section_poll
from activecitizen.polls.models import Poll

SURVEY_DAYS_MAX = 60
QUESTIONS_MAX = 10


def building_restriction(building_id: int) -> str:
    return f"building:{building_id}"


def building_people(argument: str) -> Q:
    """Owners and residents of the building "building:<id>" names: the survey's audience."""
    if not argument.isdigit():
        return Q(pk__in=[])
    building_id = int(argument)
    owners = Ownership.objects.filter(
        premises__building_id=building_id, owner__isnull=False
    ).values("owner_id")
    residents = Resident.objects.filter(building_id=building_id).values("user_id")
    return Q(pk__in=owners) | Q(pk__in=residents)


def not_your_building():
    return gettext_lazy("This survey is for the owners and residents of another building.")


def create_building_survey(
    *,
    building: Building,
    by: User,
    title: str,
    questions: Sequence[QuestionDraft],
    closes_at: datetime,
    description: str = "",
    now: datetime | None = None,
) -> Poll:
    """A survey of the building's owners and residents, open at once until `closes_at` (at
    most 60 days); only an administrator of the building asks it, and everyone it asks is
    told. No points: it is the building's own business, not the city's."""
    now = now or timezone.now()
    if not may_administer(by, building):
        raise PermissionDenied(
            _("Only an administrator of this building may ask its residents."), code="forbidden"
        )
    if not questions or len(questions) > QUESTIONS_MAX:
        raise InvalidInput(
            _("A survey has one to %(n)d questions.") % {"n": QUESTIONS_MAX}, field="questions"
        )
    if closes_at - now > timedelta(days=SURVEY_DAYS_MAX):
        raise InvalidInput(
            _("A survey runs for at most %(n)d days.") % {"n": SURVEY_DAYS_MAX},
            field="closes_at",
        )
    survey = open_section_poll(
        title=title,
        description=description,
        questions=questions,
        closes_at=closes_at,
        restriction=building_restriction(building.pk),
        by=by,
        category=Poll.Category.HOUSING,
        points=0,
        now=now,
    )
    people = User.objects.filter(building_people(str(building.pk))).values_list("pk", flat=True)
    for user_id in people:
        notify(
            user_id=user_id,
            kind="building_survey",
            params={"address": building.address, "title": survey.title},
            url=reverse("polls:detail", args=[survey.pk]),
            key=f"building_survey:{survey.pk}:{user_id}",
        )
    return survey


def surveys_of(building: Building):
    """The building's surveys, newest first."""
    return Poll.objects.filter(audience_restriction=building_restriction(building.pk)).order_by(
        "-opens_at", "-id"
    )
