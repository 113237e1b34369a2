"""Building surveys: polls of the Votes engine whose audience is one building's owners and
residents; only its administrator asks them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from activecitizen.core.errors import InvalidInput, PermissionDenied
from activecitizen.house import surveys
from activecitizen.house.models import Resident
from activecitizen.house.tests import house_fixtures as hf
from activecitizen.polls import selectors as poll_selectors
from activecitizen.polls import services as poll_services
from activecitizen.polls.audience import Audience, audience_filter
from activecitizen.polls.editing import QuestionDraft
from activecitizen.polls.models import Ballot, Poll
from activecitizen.polls.tests.factories import first_answers
from activecitizen.rewards.models import LedgerEntry

pytestmark = pytest.mark.django_db

QUESTION = QuestionDraft(text="Когда красить подъезд?", options=["В мае", "В сентябре"])


@pytest.fixture
def house():
    building = hf.building()
    admin = hf.house_administrator(building)
    owner, tenant, stranger = hf.person(), hf.person(), hf.person()
    hf.ownership(hf.premises(building, "1", "50.00"), owner=owner)
    Resident.objects.create(building=building, user=tenant)
    elsewhere = hf.building()
    hf.ownership(hf.premises(elsewhere, "1", "40.00"), owner=stranger)
    return building, admin, owner, tenant, stranger


def ask(building, by, **changes):
    fields = {
        "building": building,
        "by": by,
        "title": "Покраска подъезда",
        "questions": [QUESTION],
        "closes_at": timezone.now() + timedelta(days=7),
    }
    return surveys.create_building_survey(**{**fields, **changes})


def test_owners_and_residents_answer_a_survey_of_their_building(house, settings):
    settings.POLLS_TALLY_ON_CAST = True
    building, admin, owner, tenant, stranger = house
    survey = ask(building, admin)
    assert survey.status == Poll.Status.OPEN and survey.points == 0
    for person in (owner, tenant):
        assert poll_services.cast_ballot(
            poll_id=survey.pk, user=person, answers=first_answers(survey), channel="web"
        )
    with pytest.raises(PermissionDenied) as refused:
        poll_services.cast_ballot(
            poll_id=survey.pk, user=stranger, answers=first_answers(survey), channel="web"
        )
    assert refused.value.code == "not_in_audience"
    with translation.override("en"):
        assert "another building" in str(refused.value.message)
    assert Ballot.objects.filter(poll=survey).count() == 2
    assert not LedgerEntry.objects.exists()  # no points for a building's own survey


def test_the_survey_is_listed_for_its_building_only(house):
    building, admin, owner, tenant, stranger = house
    survey = ask(building, admin)
    for person, sees in ((owner, True), (tenant, True), (stranger, False), (admin, False)):
        listed = {p.poll.pk for p in poll_selectors.polls_for(person) if p.can_vote}
        assert (survey.pk in listed) is sees
    # Who is told about it: the same people, by the same rule as a database filter.
    from activecitizen.accounts.models import User

    told = User.objects.filter(audience_filter(Audience.of(survey), timezone.localdate()))
    assert set(told.values_list("pk", flat=True)) == {owner.pk, tenant.pk}


def test_only_the_buildings_administrator_asks_and_bad_surveys_write_nothing(house):
    building, admin, owner, _tenant, _stranger = house
    other_admin = hf.house_administrator(hf.building())
    for person in (owner, other_admin):
        with pytest.raises(PermissionDenied):
            ask(building, person)
    bad = [
        {"title": " "},
        {"questions": []},
        {"questions": [QuestionDraft(text="Один вариант?", options=["Да"])]},
        {"questions": [QuestionDraft(text=" ", options=["Да", "Нет"])]},
        {"closes_at": timezone.now() - timedelta(minutes=1)},
        {"closes_at": timezone.now() + timedelta(days=61)},
    ]
    for changes in bad:
        with pytest.raises(InvalidInput):
            ask(building, admin, **changes)
    assert not Poll.objects.exists()


def test_everyone_asked_is_told(house):
    from activecitizen.notifications.models import Notification

    building, admin, owner, tenant, _stranger = house
    survey = ask(building, admin)
    told = Notification.objects.filter(kind="building_survey")
    assert set(told.values_list("user_id", flat=True)) == {owner.pk, tenant.pk}
    assert told.first().url == f"/polls/{survey.pk}/"


def test_the_administrator_opens_a_survey_in_the_admin(client, house):
    building, admin, _owner, _tenant, _stranger = house
    client.force_login(admin)
    url = f"/admin/house/building/{building.pk}/survey/"
    assert client.get(url).status_code == 200
    refused = client.post(
        url, {"title": "Опрос", "question": "Вопрос?", "options": "Да", "days": 7}
    )
    assert refused.status_code == 422 and not Poll.objects.exists()  # one answer is too few
    answer = client.post(
        url,
        {"title": "Покраска", "question": "Когда?", "options": "В мае\nВ сентябре\n", "days": 7},
    )
    assert answer.status_code == 302
    survey = Poll.objects.get()
    assert survey.audience_restriction == f"building:{building.pk}"
    assert list(survey.questions.get().options.values_list("text", flat=True)) == [
        "В мае",
        "В сентябре",
    ]
    other = hf.house_administrator(hf.building())
    client.force_login(other)
    assert client.get(url).status_code == 404
