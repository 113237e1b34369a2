"""Audience rules: who may vote is exactly who is told (the Python check, the database filter
and the query a ballot runs agree for any rules and any people, and that query's demographic
snapshot is the Python one), and the reasons a person is left out."""

from datetime import date, timedelta

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activecitizen.accounts.models import Interest, User
from activecitizen.accounts.services import issue_api_token, revoke_api_token
from activecitizen.geo.models import District
from activecitizen.polls.audience import (
    Audience,
    Person,
    audience_filter,
    reasons_not_in_audience,
    voter_query,
)
from activecitizen.polls.ballots import age_band

pytestmark = pytest.mark.django_db

TODAY = date(2026, 2, 28)


def district_ids():
    return list(District.objects.order_by("pk").values_list("pk", flat=True)[:6])


people = st.lists(
    st.fixed_dictionaries(
        {
            "home": st.integers(0, 6),  # 6: no district
            "work": st.integers(0, 6),
            "birth": st.one_of(
                st.none(),
                st.dates(min_value=date(1930, 1, 1), max_value=date(2015, 12, 31)),
                # birthdays on the boundaries of the age rules, 29 February included
                st.sampled_from(
                    [
                        date(2008, 2, 28),
                        date(2008, 2, 29),
                        date(2008, 3, 1),
                        date(1961, 2, 28),
                        date(1961, 3, 1),
                    ]
                ),
            ),
            "gender": st.sampled_from(["", "female", "male"]),
            "interests": st.sets(st.integers(0, 4), max_size=3),
            "verification": st.sampled_from([1, 2]),
        }
    ),
    min_size=1,
    max_size=12,
)

audiences = st.fixed_dictionaries(
    {
        "okrugs": st.sets(st.integers(0, 5), max_size=2),
        "districts": st.sets(st.integers(0, 5), max_size=3),
        "match": st.sampled_from(["home", "work", "either"]),
        "age_min": st.one_of(st.none(), st.integers(14, 70)),
        "age_span": st.one_of(st.none(), st.integers(0, 40)),
        "gender": st.sampled_from(["", "female", "male"]),
        "interests": st.sets(st.integers(0, 4), max_size=2),
        "verification": st.sampled_from([1, 2]),
    }
)


@given(rules=audiences, crowd=people)
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_python_check_and_the_database_filter_agree(rules, crowd):
    districts = list(District.objects.filter(pk__in=district_ids()).order_by("pk"))
    okrugs = sorted({d.okrug_id for d in District.objects.all()})[:6]
    interests = list(Interest.objects.order_by("pk")[:5])
    age_max = None
    if rules["age_span"] is not None:
        age_max = (rules["age_min"] or 14) + rules["age_span"]
    audience = Audience(
        okrug_ids=frozenset(okrugs[i] for i in rules["okrugs"] if i < len(okrugs)),
        district_ids=frozenset(districts[i].pk for i in rules["districts"]),
        district_match=rules["match"],
        age_min=rules["age_min"],
        age_max=age_max,
        gender=rules["gender"],
        interest_ids=frozenset(interests[i].pk for i in rules["interests"]),
        min_verification=rules["verification"],
    )
    made = []
    try:
        for n, spec in enumerate(crowd):
            user = User.objects.create_user(
                f"+7916200{n:04d}",
                home_district=districts[spec["home"]] if spec["home"] < 6 else None,
                work_district=districts[spec["work"]] if spec["work"] < 6 else None,
                birth_date=spec["birth"],
                gender=spec["gender"],
                verification=spec["verification"],
            )
            user.interests.set([interests[i] for i in spec["interests"]])
            made.append(user)
        in_python = {
            u.pk
            for u in User.objects.filter(pk__in=[u.pk for u in made]).select_related(
                "home_district", "work_district"
            )
            if not reasons_not_in_audience(audience, Person.of(u), TODAY)
        }
        in_sql = set(
            User.objects.filter(pk__in=[u.pk for u in made])
            .filter(audience_filter(audience, TODAY))
            .values_list("pk", flat=True)
        )
        assert in_python == in_sql

        # The query a ballot runs inside its statement: the same people, by id or by a live
        # token, each with the snapshot the Python rules give; a revoked token finds nobody.
        by_user, by_token = (
            voter_query(audience, TODAY, "user"),
            voter_query(audience, TODAY, "token"),
        )
        for user in User.objects.filter(pk__in=[u.pk for u in made]).select_related(
            "home_district"
        ):
            token, _raw = issue_api_token(user=user)
            expected = None
            if user.pk in in_python:
                expected = (
                    user.pk,
                    user.home_district.okrug_id if user.home_district else None,
                    user.home_district_id,
                    age_band(user.birth_date, TODAY),
                    user.gender or "unknown",
                )
            with connection.cursor() as cursor:
                cursor.execute(by_user.sql, by_user.params_for(user.pk))
                assert cursor.fetchone() == expected
                cursor.execute(by_token.sql, by_token.params_for(token.key_hash))
                assert cursor.fetchone() == expected
                revoke_api_token(user=user, token_id=token.pk)
                cursor.execute(by_token.sql, by_token.params_for(token.key_hash))
                assert cursor.fetchone() is None
    finally:
        User.objects.filter(pk__in=[u.pk for u in made]).delete()


def test_reasons_name_what_is_missing():
    district = District.objects.order_by("pk").first()
    audience = Audience(
        okrug_ids=frozenset(),
        district_ids=frozenset({district.pk}),
        district_match="home",
        age_min=18,
        age_max=None,
        gender="",
        interest_ids=frozenset(),
        min_verification=2,
    )
    nobody = Person(
        home_district_id=None,
        home_okrug_id=None,
        work_district_id=None,
        work_okrug_id=None,
        birth_date=None,
        gender="",
        interest_ids=frozenset(),
        verification=1,
    )
    reasons = [str(r) for r in reasons_not_in_audience(audience, nobody, TODAY)]
    assert len(reasons) == 3  # no district, no birth date, not verified
    teen = Person(
        home_district_id=district.pk,
        home_okrug_id=district.okrug_id,
        work_district_id=None,
        work_okrug_id=None,
        birth_date=TODAY - timedelta(days=365 * 17),
        gender="",
        interest_ids=frozenset(),
        verification=2,
    )
    assert len(reasons_not_in_audience(audience, teen, TODAY)) == 1
