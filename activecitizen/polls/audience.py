"""Who a poll is for. The same rules decide who may vote and who is told about the poll.

`reasons_not_in_audience` checks one person in Python and says why not (the poll page, a
refused ballot); `audience_filter` is the same rules as a database filter over people
(announcements, and `voter_query`, which casting runs inside its one statement). Property
tests keep them in agreement.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from django.db.models import Case, Q, Value, When
from django.db.models.functions import Coalesce, NullIf
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from activecitizen.accounts.models import User
from activecitizen.polls.ballots import AGE_BANDS
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
    restriction: str = ""  # e.g. "building:12": only that section's people (see below)

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
            restriction=poll.audience_restriction,
        )


@dataclass(frozen=True)
class Restriction:
    """Who a section's own polls are for: `people(argument)` is a filter over users (e.g. the
    owners and residents of building 12 for "building:12"), `reason` what someone outside
    is told."""

    people: Callable[[str], Q]
    reason: Callable[[], str | Promise]


_RESTRICTIONS: dict[str, Restriction] = {}


def register_restriction(
    kind: str, *, people: Callable[[str], Q], reason: Callable[[], str | Promise]
) -> None:
    """Called by a section from its AppConfig.ready(): polls never import the sections that
    use them (DESIGN.md), they are told who "building:12" is."""
    _RESTRICTIONS[kind] = Restriction(people=people, reason=reason)


def restriction_filter(restriction: str) -> Q:
    """The people a restriction admits; an unknown kind admits nobody (a section removed)."""
    kind, _sep, argument = restriction.partition(":")
    known = _RESTRICTIONS.get(kind)
    if known is None:
        return Q(pk__in=[])
    return known.people(argument)


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
    user_id: int | None = None  # for a restricted audience, asked of the database

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
            user_id=user.pk,
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
    if audience.restriction:
        admitted = (
            person.user_id is not None
            and User.objects.filter(restriction_filter(audience.restriction))
            .filter(pk=person.user_id)
            .exists()
        )
        if not admitted:
            kind = audience.restriction.partition(":")[0]
            known = _RESTRICTIONS.get(kind)
            reasons.append(known.reason() if known else _("This poll is not open to you."))
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
    if audience.restriction:
        rule &= restriction_filter(audience.restriction)
    return rule


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


# Stands for the person in the compiled query until a ballot fills in its own.
_USER_PLACEHOLDER = -7_310_002_019
_TOKEN_PLACEHOLDER = "voter-token-placeholder"  # noqa: S105 - not a secret


@dataclass(frozen=True)
class VoterQuery:
    """SQL yielding one row (user_id, okrug_id, district_id, age_band, gender) for the person
    a ballot names, and only if they are active and in the audience; no row otherwise.

    The person is named by their id or by the SHA-256 of a live bearer token (`by`), so that
    an app's ballot needs no separate look-up of its token: who, whether they may vote, and
    their demographic snapshot are read inside the ballot's own statement.
    """

    sql: str
    params: tuple[Any, ...]
    person_at: int  # where the person goes in params

    def params_for(self, person: int | str) -> list[Any]:
        params = list(self.params)
        params[self.person_at] = person
        return params


@functools.lru_cache(maxsize=512)
def voter_query(audience: Audience, today: date, by: Literal["user", "token"]) -> VoterQuery:
    """The audience rules and the ballot's snapshot as one query, compiled once per poll
    audience and day (compiling a queryset costs more than the ballot's statement)."""
    people = User.objects.filter(audience_filter(audience, today))
    if by == "user":
        people = people.filter(pk=_USER_PLACEHOLDER)
    else:
        people = people.filter(
            api_tokens__key_hash=_TOKEN_PLACEHOLDER, api_tokens__revoked_at__isnull=True
        )
    band = [When(birth_date__isnull=True, then=Value("unknown"))]
    band.append(When(birth_date__gt=today, then=Value("unknown")))  # born "in the future"
    for _low, high, name in AGE_BANDS:
        # age <= high  ⇔  born after today minus (high + 1) years, as in audience_filter
        band.append(When(birth_date__gt=_years_before(today, high + 1), then=Value(name)))
    rows = people.annotate(
        snapshot_band=Case(*band, default=Value("unknown")),
        snapshot_gender=Coalesce(NullIf("gender", Value("")), Value("unknown")),
    ).values_list(
        "pk", "home_district__okrug_id", "home_district_id", "snapshot_band", "snapshot_gender"
    )
    sql, params = rows.query.sql_with_params()
    placeholder = _USER_PLACEHOLDER if by == "user" else _TOKEN_PLACEHOLDER
    (person_at,) = [i for i, value in enumerate(params) if value == placeholder]
    return VoterQuery(sql=sql, params=tuple(params), person_at=person_at)
