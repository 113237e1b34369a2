"""Who a poll is for. The same rules decide who may vote and who is told about the poll.

`reasons_not_in_audience` checks one person in Python (casting, the poll page);
`audience_filter` is the same rules as a database filter over people (announcements). A
property test keeps the two in agreement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from activecitizen.accounts.models import User
from activecitizen.polls.models import Poll


@dataclass(frozen=True)
class Audience:
    """A poll's audience rules, read once (polls are cached while open)."""

    okrug_ids: frozenset[int]
    district_ids: frozenset[int]
    district_match: str
    age_min: int | None
    age_max: int | None
    gender: str
    interest_ids: frozenset[int]
    min_verification: int

    @classmethod
    def of(cls, poll: Poll) -> Audience:
        return cls(
            okrug_ids=frozenset(o.pk for o in poll.audience_okrugs.all()),
            district_ids=frozenset(d.pk for d in poll.audience_districts.all()),
            district_match=poll.district_match,
            age_min=poll.age_min,
            age_max=poll.age_max,
            gender=poll.audience_gender,
            interest_ids=frozenset(i.pk for i in poll.audience_interests.all()),
            min_verification=poll.min_verification,
        )


@dataclass(frozen=True)
class Person:
    """What the audience rules look at, read once per request."""

    home_district_id: int | None
    home_okrug_id: int | None
    work_district_id: int | None
    work_okrug_id: int | None
    birth_date: date | None
    gender: str
    interest_ids: frozenset[int]
    verification: int

    @classmethod
    def of(cls, user: User) -> Person:
        # A person from the request cache carries their okrugs and interests already.
        okrugs = getattr(user, "_okrug_ids", None)
        if okrugs is None:
            home, work = user.home_district, user.work_district
            okrugs = (home.okrug_id if home else None, work.okrug_id if work else None)
        interest_ids = getattr(user, "_interest_ids", None)
        if interest_ids is None:
            interest_ids = frozenset(user.interests.values_list("pk", flat=True))
        return cls(
            home_district_id=user.home_district_id,
            home_okrug_id=okrugs[0],
            work_district_id=user.work_district_id,
            work_okrug_id=okrugs[1],
            birth_date=user.birth_date,
            gender=user.gender,
            interest_ids=interest_ids,
            verification=user.verification,
        )


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def reasons_not_in_audience(audience: Audience, person: Person, today: date) -> list[str | Promise]:
    """Why this person is not among the poll's audience; empty when they are."""
    reasons: list[str | Promise] = []
    places = []
    if audience.district_match in {Poll.DistrictMatch.HOME, Poll.DistrictMatch.EITHER}:
        places.append((person.home_district_id, person.home_okrug_id))
    if audience.district_match in {Poll.DistrictMatch.WORK, Poll.DistrictMatch.EITHER}:
        places.append((person.work_district_id, person.work_okrug_id))
    if audience.okrug_ids and not any(o in audience.okrug_ids for _d, o in places):
        reasons.append(_("This poll is for people who live or work in other okrugs."))
    if audience.district_ids and not any(d in audience.district_ids for d, _o in places):
        if not any(d is not None for d, _o in places):
            reasons.append(_("Tell us your district in your profile: this poll is for a district."))
        else:
            reasons.append(_("This poll is for people who live or work in other districts."))
    if audience.age_min is not None or audience.age_max is not None:
        if person.birth_date is None:
            reasons.append(
                _("Tell us your birth date in your profile: this poll is for an age group.")
            )
        else:
            age = age_on(person.birth_date, today)
            if audience.age_min is not None and age < audience.age_min:
                reasons.append(
                    _("This poll is for people aged %(n)s and over.") % {"n": audience.age_min}
                )
            if audience.age_max is not None and age > audience.age_max:
                reasons.append(
                    _("This poll is for people aged %(n)s and under.") % {"n": audience.age_max}
                )
    if audience.gender and person.gender != audience.gender:
        reasons.append(_("This poll is for another group of residents."))
    if audience.interest_ids and not (audience.interest_ids & person.interest_ids):
        reasons.append(
            _('This poll is for residents with other interests (see "About me" in your profile).')
        )
    if person.verification < audience.min_verification:
        reasons.append(
            _(
                "This poll is for verified residents: "
                "verify your residence at a public service centre."
            )
        )
    return reasons


def audience_filter(audience: Audience, today: date) -> Q:
    """The same rules as `reasons_not_in_audience`, as a filter over active people."""
    rule = Q(is_active=True)
    place_fields = []
    if audience.district_match in {Poll.DistrictMatch.HOME, Poll.DistrictMatch.EITHER}:
        place_fields.append(("home_district_id", "home_district__okrug_id"))
    if audience.district_match in {Poll.DistrictMatch.WORK, Poll.DistrictMatch.EITHER}:
        place_fields.append(("work_district_id", "work_district__okrug_id"))
    if audience.okrug_ids:
        any_okrug = Q()
        for _district, okrug in place_fields:
            any_okrug |= Q(**{f"{okrug}__in": audience.okrug_ids})
        rule &= any_okrug
    if audience.district_ids:
        any_district = Q()
        for district, _okrug in place_fields:
            any_district |= Q(**{f"{district}__in": audience.district_ids})
        rule &= any_district
    if audience.age_min is not None:
        # age >= n  ⇔  born on or before today minus n years
        rule &= Q(birth_date__lte=_years_before(today, audience.age_min))
    if audience.age_max is not None:
        # age <= n  ⇔  born after today minus (n + 1) years
        rule &= Q(birth_date__gt=_years_before(today, audience.age_max + 1))
    if audience.gender:
        rule &= Q(gender=audience.gender)
    if audience.interest_ids:
        rule &= Q(
            pk__in=User.interests.through.objects.filter(
                interest_id__in=audience.interest_ids
            ).values("user_id")
        )
    rule &= Q(verification__gte=audience.min_verification)
    return rule


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)
