"""The Votes pages: the list, a poll and its ballot form, the receipt, my votes, the desk."""

import re

import pytest
from django.contrib.auth.models import Group

from activecitizen.accounts.models import User
from activecitizen.geo.models import District
from activecitizen.polls.models import Ballot, Participation, Poll
from activecitizen.polls.tests.factories import make_poll, make_resident

pytestmark = pytest.mark.django_db


@pytest.fixture
def voter(client):
    person = make_resident()
    client.force_login(person)
    return person


def ballot_form(poll, choice=0, token="t-1"):  # noqa: S107 - a form token, not a secret
    data = {"ballot_token": token}
    for question in poll.questions.all():
        data[f"q{question.pk}"] = str(question.options.order_by("position")[choice].pk)
    return data


def test_the_list_shows_my_district_polls_and_not_others(client, voter):
    make_poll(title="Двор на Тверской", districts=[voter.home_district])
    other = District.objects.exclude(pk=voter.home_district_id).first()
    make_poll(title="Двор в другом районе", districts=[other])
    page = client.get("/polls/").content.decode()
    assert "Двор на Тверской" in page
    assert "Двор в другом районе" not in page


def test_voting_on_the_page_leads_to_the_receipt(client, voter):
    poll = make_poll(points=20)
    page = client.get(f"/polls/{poll.pk}/").content.decode()
    assert 'name="ballot_token"' in page and f'name="q{poll.questions.get().pk}"' in page
    answer = client.post(f"/polls/{poll.pk}/vote/", ballot_form(poll))
    assert answer.status_code == 302
    assert answer["Location"] == f"/polls/{poll.pk}/receipt/"
    receipt = client.get(answer["Location"]).content.decode()
    participation = Participation.objects.get()
    assert participation.ballot_public_id in receipt
    assert participation.ballot_hash in receipt
    detail = client.get(f"/polls/{poll.pk}/").content.decode()
    assert 'name="ballot_token"' not in detail  # no second ballot form


def test_a_double_click_is_one_ballot(client, voter):
    poll = make_poll()
    client.post(f"/polls/{poll.pk}/vote/", ballot_form(poll, token="same"))
    second = client.post(f"/polls/{poll.pk}/vote/", ballot_form(poll, choice=1, token="same"))
    assert second.status_code == 302
    assert Ballot.objects.count() == 1


def test_a_missing_answer_shows_the_form_again_with_the_error(client, voter):
    poll = make_poll(questions=[("Первый?", ["Да", "Нет"]), ("Второй?", ["Да", "Нет"])])
    first = poll.questions.order_by("position").first()
    data = {"ballot_token": "x", f"q{first.pk}": str(first.options.first().pk)}
    answer = client.post(f"/polls/{poll.pk}/vote/", data)
    assert answer.status_code == 422
    html = answer.content.decode()
    assert 'aria-invalid="true"' in html
    assert re.search(rf'value="{first.options.first().pk}"\s+checked', html)  # choice kept
    assert not Ballot.objects.exists()


def test_a_forged_option_is_refused(client, voter):
    poll = make_poll()
    other = make_poll(title="Другой")
    data = {
        "ballot_token": "x",
        f"q{poll.questions.get().pk}": str(other.questions.get().options.first().pk),
    }
    assert client.post(f"/polls/{poll.pk}/vote/", data).status_code == 422
    data[f"q{poll.questions.get().pk}"] = "not-a-number"
    assert client.post(f"/polls/{poll.pk}/vote/", data).status_code == 422
    assert not Ballot.objects.exists()


def test_an_outsider_sees_why(client, voter):
    other = District.objects.exclude(pk=voter.home_district_id).first()
    poll = make_poll(districts=[other])
    page = client.get(f"/polls/{poll.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You cannot vote in this poll" in page
    assert "other districts" in page
    assert client.post(f"/polls/{poll.pk}/vote/", ballot_form(poll)).status_code == 403


def test_anonymous_visitors_are_asked_to_sign_in(client):
    poll = make_poll()
    page = client.get(f"/polls/{poll.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sign in to vote." in page
    assert client.post(f"/polls/{poll.pk}/vote/", ballot_form(poll)).status_code == 302
    assert not Ballot.objects.exists()


def test_drafts_are_not_shown(client, voter):
    draft = make_poll(status=Poll.Status.DRAFT)
    assert client.get(f"/polls/{draft.pk}/").status_code == 404


def test_my_votes_lists_receipts(client, voter):
    poll = make_poll(title="Фестиваль варенья")
    client.post(f"/polls/{poll.pk}/vote/", ballot_form(poll))
    page = client.get("/polls/my-votes/").content.decode()
    assert "Фестиваль варенья" in page


def test_home_page_lists_open_polls_for_me(client, voter):
    make_poll(title="Новый трамвайный маршрут")
    assert "Новый трамвайный маршрут" in client.get("/").content.decode()


# --- The service-centre desk -------------------------------------------------------------------


@pytest.fixture
def officer(client):
    person = User.objects.create_user("+79990000010", first_name="Ольга")
    person.groups.add(Group.objects.get(name="service_centre_officer"))
    client.force_login(person)
    return person


def test_an_officer_casts_a_ballot_for_a_resident(client, officer):
    resident = make_resident("+79161112233")
    poll = make_poll()
    found = client.get("/polls/service-centre/", {"phone": "8 916 111-22-33"}).content.decode()
    assert poll.title in found
    answer = client.post(f"/polls/service-centre/{resident.pk}/polls/{poll.pk}/", ballot_form(poll))
    assert answer.status_code == 302
    participation = Participation.objects.get()
    assert participation.user == resident
    assert participation.assisted_by == officer
    assert participation.channel == "service_centre"
    assert Ballot.objects.get().channel == "service_centre"


def test_one_ballot_across_channels(client, officer):
    from activecitizen.polls import services

    resident = make_resident("+79161112233")
    poll = make_poll()
    services.cast_ballot(
        poll_id=poll.pk,
        user=resident,
        answers=[
            {
                "question_id": poll.questions.get().pk,
                "option_ids": [poll.questions.get().options.first().pk],
            }
        ],
        channel="app",
    )
    client.post(f"/polls/service-centre/{resident.pk}/polls/{poll.pk}/", ballot_form(poll))
    assert Ballot.objects.count() == 1


def test_unknown_phone_at_the_desk(client, officer):
    answer = client.get("/polls/service-centre/", {"phone": "+79169998877"})
    assert answer.status_code == 422
    assert client.get("/polls/service-centre/", {"phone": "garbage"}).status_code == 422


def test_residents_cannot_use_the_desk(client, voter):
    resident = make_resident("+79161112233")
    poll = make_poll()
    assert client.get("/polls/service-centre/").status_code == 403
    assert (
        client.post(
            f"/polls/service-centre/{resident.pk}/polls/{poll.pk}/", ballot_form(poll)
        ).status_code
        == 403
    )
    assert not Ballot.objects.exists()
