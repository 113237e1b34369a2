"""The app's ballots' lane (polls/fast_ballots.py): it takes exactly the requests it may, answers
them as the API view would, and leaves everything else, every refusal included, to Django."""

from __future__ import annotations

import itertools
import json
import logging
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from activecitizen.accounts.services import issue_api_token
from activecitizen.core.testing.concurrency import run_together
from activecitizen.core.testing.wsgi import WsgiClient
from activecitizen.geo.models import District
from activecitizen.polls import services
from activecitizen.polls.fast_ballots import FastBallots
from activecitizen.polls.models import Ballot, Participation, Poll
from activecitizen.polls.tests.factories import first_answers, make_poll, make_resident
from activecitizen.rewards.models import LedgerEntry, PointsAccount
from activecitizen.transparency import services as transparency
from activecitizen.transparency.notes import Verifier, open_promise
from activecitizen.wsgi import django_application

pytestmark = pytest.mark.django_db

phones = (f"+7916555{i:04d}" for i in itertools.count())


class Django:
    """Django's WSGI application, noting each request that reaches it."""

    def __init__(self, application=django_application) -> None:
        self.application = application
        self.seen: list[str] = []

    def __call__(self, environ, start_response):
        self.seen.append(environ["PATH_INFO"])
        return self.application(environ, start_response)


@pytest.fixture
def django():
    return Django()


@pytest.fixture
def lane(django):
    return WsgiClient(FastBallots(django))


def resident_with_token(**fields):
    person = make_resident(next(phones), **fields)
    return person, issue_api_token(user=person, device="t")[1]


def post_ballot(client, poll_id, body, token=None, **extra):
    if token is not None:
        extra.setdefault("HTTP_AUTHORIZATION", f"Bearer {token}")
    return client.post(
        f"/api/v1/polls/{poll_id}/ballots",
        body if isinstance(body, (str, bytes)) else json.dumps(body),
        content_type="application/json",
        **extra,
    )


def test_an_apps_ballot_is_cast_in_the_lane(lane, django, settings):
    settings.POLLS_TALLY_ON_CAST = False
    poll = make_poll(points=20)
    person, token = resident_with_token()
    answer = post_ballot(lane, poll.pk, {"answers": first_answers(poll)}, token)
    assert answer.status_code == 201, answer.content
    assert django.seen == []
    receipt = answer.json()
    participation = Participation.objects.get()
    assert (participation.user, participation.channel) == (person, "app")
    assert receipt["ballot_id"] == participation.ballot_public_id
    assert Ballot.objects.get().public_id == receipt["ballot_id"]
    assert LedgerEntry.objects.get().amount == 20
    assert PointsAccount.objects.get(user=person).balance == 20
    promised = open_promise(receipt["promise"], Verifier.from_vkey(transparency.public_key()))
    assert promised.ballot_id == receipt["ballot_id"]
    assert promised.leaf_hash.hex() == receipt["leaf_hash"]

    # The second try is a refusal: Django says it, with the same receipt.
    again = post_ballot(lane, poll.pk, {"answers": first_answers(poll)}, token)
    assert (again.status_code, again.json()["code"]) == (409, "already_voted")
    assert again.json()["receipt"] == receipt
    assert django.seen == [f"/api/v1/polls/{poll.pk}/ballots"]
    assert Ballot.objects.count() == 1 and LedgerEntry.objects.count() == 1


def test_the_lanes_receipt_is_the_api_views_receipt(lane, django):
    poll = make_poll()
    _, mine = resident_with_token()
    _, theirs = resident_with_token()
    fast = post_ballot(lane, poll.pk, {"answers": first_answers(poll)}, mine)
    usual = post_ballot(Client(), poll.pk, {"answers": first_answers(poll)}, theirs)
    assert django.seen == []
    assert fast.status_code == usual.status_code == 201
    # The same fields in the same order, and the same spelling of each kind of value.
    fast_receipt, usual_receipt = fast.json(), usual.json()
    assert list(fast_receipt) == list(usual_receipt)
    same = ["poll_id", "origin", "channel", "max_merge_delay"]
    assert [fast_receipt[k] for k in same] == [usual_receipt[k] for k in same]
    log = Verifier.from_vkey(transparency.public_key())
    for receipt in (fast_receipt, usual_receipt):
        assert re.fullmatch(r"[0-9a-f]{32}", receipt["ballot_id"])
        assert re.fullmatch(r"[0-9a-f]{64}", receipt["ballot_hash"])
        assert re.fullmatch(r"[0-9a-f]{64}", receipt["leaf_hash"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z", receipt["cast_at"])
        assert open_promise(receipt["promise"], log).ballot_id == receipt["ballot_id"]
    # The headers Django's middleware gives every answer; a receipt has no words, so no
    # Content-Language (nor Vary: Accept-Language).
    skipped = {"Content-Language", "Vary"}
    assert {k: v for k, v in fast.headers.items() if k not in skipped} == {
        k: (str(len(fast.content)) if k == "Content-Length" else v)
        for k, v in usual.headers.items()
        if k not in skipped
    }


def test_the_lane_knows_every_middleware_it_stands_in_for():
    # The lane answers without Django's middleware. A middleware added to the site (a rate
    # limit, say) would not see the app's ballots: review polls/fast_ballots.py, then add it
    # here.
    assert settings.MIDDLEWARE == [
        "django.middleware.security.SecurityMiddleware",  # its response headers: in the lane
        "whitenoise.middleware.WhiteNoiseMiddleware",  # static files only
        "activecitizen.core.middleware.RejectNulCharactersMiddleware",  # the lane's path has none
        "django.contrib.sessions.middleware.SessionMiddleware",  # a token, not a session
        "django.middleware.locale.LocaleMiddleware",  # a receipt has no words
        "django.middleware.common.CommonMiddleware",  # Content-Length: in the lane
        "django.middleware.csrf.CsrfViewMiddleware",  # the API is CSRF-exempt; tokens need none
        "django.contrib.auth.middleware.AuthenticationMiddleware",  # the token is the person
        "django.contrib.messages.middleware.MessageMiddleware",  # pages only
        "django.middleware.clickjacking.XFrameOptionsMiddleware",  # its header: in the lane
        "activecitizen.core.api.ApiErrorShapeMiddleware",  # errors: Django's, not the lane's
    ]


def ballot_request(poll, token):
    return {
        "path": f"/api/v1/polls/{poll.pk}/ballots",
        "data": json.dumps({"answers": first_answers(poll)}),
        "content_type": "application/json",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
    }


def no_token(request):
    del request["HTTP_AUTHORIZATION"]


def lower_case_scheme(request):
    request["HTTP_AUTHORIZATION"] = request["HTTP_AUTHORIZATION"].replace("Bearer", "bearer")


def query_string(request):
    request["path"] += "?x=1"


def leading_zero(request):
    request["path"] = request["path"].replace("/polls/", "/polls/0")


def setting(**values):
    return lambda request: request.update(values)


# (what is unusual, how the request changes, the answer Django gives)
LEFT_TO_DJANGO = [
    ("no token", no_token, 401, "not_authenticated"),
    ("a token nobody holds", setting(HTTP_AUTHORIZATION="Bearer nobodys"), 401, None),
    ("a token spelt oddly", setting(HTTP_AUTHORIZATION="Bearer a.b"), 401, None),
    ("a lower-case scheme", lower_case_scheme, 201, None),
    ("a query string", query_string, 201, None),
    ("a poll id with a leading zero", leading_zero, 201, None),
    ("a poll id beyond any", setting(path="/api/v1/polls/2147483648/ballots"), 422, "invalid"),
    ("an oversize Idempotency-Key", setting(HTTP_IDEMPOTENCY_KEY="k" * 201), 422, "invalid"),
    ("not JSON", setting(data="{answers"), 400, "malformed"),
    ("no body", setting(data=""), 400, "malformed"),
    ("a body of the wrong shape", setting(data='{"answers": "all"}'), 422, "invalid"),
    ("a host the site does not serve", setting(HTTP_HOST="evil.example"), 400, "bad_request"),
]


@pytest.mark.parametrize(
    ("unusual", "change", "status", "code"), LEFT_TO_DJANGO, ids=[c[0] for c in LEFT_TO_DJANGO]
)
def test_anything_unusual_is_left_to_django(lane, django, unusual, change, status, code):
    poll = make_poll()
    _, token = resident_with_token()
    request = ballot_request(poll, token)
    change(request)
    answer = lane.post(**request)
    assert django.seen, "the lane took it"
    assert answer.status_code == status, answer.content
    if code is not None:
        assert answer.json()["code"] == code
    assert Ballot.objects.count() == (1 if status == 201 else 0)


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("closed", 409, "poll_closed"),
        ("not yet open", 409, "poll_not_open"),
        ("draft", 404, "poll_not_found"),
        ("no such poll", 404, "poll_not_found"),
        ("another district's", 403, "not_in_audience"),
        ("an unknown question", 422, "unknown_question"),
        ("no answer", 422, "missing_answer"),
    ],
)
def test_refusals_are_djangos_to_say(lane, django, case, status, code):
    person, token = resident_with_token()
    other = District.objects.exclude(pk=person.home_district_id).first()
    poll = {
        "closed": lambda: make_poll(status=Poll.Status.CLOSED),
        "not yet open": lambda: make_poll(opens_in=timedelta(days=1)),
        "draft": lambda: make_poll(status=Poll.Status.DRAFT),
        "no such poll": lambda: make_poll(),
        "another district's": lambda: make_poll(districts=[other]),
        "an unknown question": lambda: make_poll(),
        "no answer": lambda: make_poll(),
    }[case]()
    poll_id = poll.pk + 1000 if case == "no such poll" else poll.pk
    answers = {
        "an unknown question": [{"question_id": 999999, "option_ids": [1]}],
        "no answer": [],
    }.get(case, first_answers(poll))
    answer = post_ballot(lane, poll_id, {"answers": answers}, token, HTTP_ACCEPT_LANGUAGE="ru")
    assert (answer.status_code, answer.json()["code"]) == (status, code)
    assert django.seen == [f"/api/v1/polls/{poll_id}/ballots"]
    # Said in the reader's language, as every API error.
    assert re.search("[а-яё]", answer.json()["message"], re.IGNORECASE)
    assert answer["Content-Language"] == "ru"
    assert not Ballot.objects.exists() and not LedgerEntry.objects.exists()


def test_an_idempotent_retry_gets_the_first_receipt(lane, django):
    poll = make_poll()
    _, token = resident_with_token()
    body = {"answers": first_answers(poll)}
    first = post_ballot(lane, poll.pk, body, token, HTTP_IDEMPOTENCY_KEY="k-1")
    retry = post_ballot(lane, poll.pk, body, token, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert len(django.seen) == 1  # the retry was refused in the lane, and Django replayed it
    assert Ballot.objects.count() == 1


def test_https_only_sites_send_plain_http_to_django(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600
    # Middleware reads its settings when it is built, as at a server's start.
    django = Django(WSGIHandler())
    lane = WsgiClient(FastBallots(django))
    poll = make_poll()
    _, token = resident_with_token()
    plain = post_ballot(lane, poll.pk, {"answers": first_answers(poll)}, token)
    assert plain.status_code == 301 and len(django.seen) == 1
    secure = post_ballot(lane, poll.pk, {"answers": first_answers(poll)}, token, secure=True)
    assert secure.status_code == 201 and len(django.seen) == 1
    assert secure["Strict-Transport-Security"] == "max-age=3600"


def test_a_fault_in_the_lane_is_answered_by_django(lane, django, monkeypatch, caplog):
    # Whatever goes wrong in the lane, Django meets the request afresh: here the fault passes,
    # and the person gets their receipt rather than an error.
    real = services.cast_ballot
    faults = iter([RuntimeError("a passing fault")])

    def flaky(**kwargs):
        fault = next(faults, None)
        if fault is not None:
            raise fault
        return real(**kwargs)

    monkeypatch.setattr(services, "cast_ballot", flaky)
    poll = make_poll()
    _, token = resident_with_token()
    with caplog.at_level(logging.WARNING, logger="activecitizen.polls.fast_ballots"):
        answer = post_ballot(lane, poll.pk, {"answers": first_answers(poll)}, token)
    assert answer.status_code == 201
    assert len(django.seen) == 1
    assert "a passing fault" in caplog.text
    assert Ballot.objects.count() == 1


answer_values = st.one_of(
    st.none(),
    st.integers(min_value=-3, max_value=3),
    st.text(max_size=5),
    st.lists(st.integers(min_value=-2, max_value=2), max_size=3),
)


@st.composite
def near_valid(draw, options_by_question):
    """Each question answered with none, one or two of its own options, sometimes left out."""
    answers = []
    for question_id, options in options_by_question.items():
        if draw(st.integers(0, 7)) == 0:
            continue
        how_many = draw(st.sampled_from([1, 1, 1, 0, 2]))
        chosen = draw(
            st.lists(st.sampled_from(options), min_size=how_many, max_size=how_many, unique=True)
        )
        answers.append({"question_id": question_id, "option_ids": chosen})
    return {"answers": draw(st.permutations(answers))}


@st.composite
def ballots(draw, options_by_question):
    """Bodies near and far from a valid ballot: known and unknown ids, choices too few and
    too many, texts where none belong, fields of the wrong type, garbage."""
    question_ids = list(options_by_question)
    option_ids = [o for options in options_by_question.values() for o in options]
    answer = st.fixed_dictionaries(
        {
            "question_id": st.one_of(
                st.sampled_from(question_ids), st.integers(), st.text(max_size=3)
            ),
            "option_ids": st.one_of(
                st.lists(st.sampled_from(option_ids), max_size=4),
                st.lists(st.integers(min_value=-1, max_value=10**6), max_size=2),
                answer_values,
            ),
        },
        optional={"text": st.one_of(st.none(), st.text(max_size=20), st.integers())},
    )
    return draw(
        st.one_of(
            near_valid(options_by_question),
            near_valid(options_by_question),
            st.fixed_dictionaries({"answers": st.lists(answer, max_size=3)}),
            st.fixed_dictionaries({"answers": answer_values}),
            st.dictionaries(st.text(max_size=8), answer_values, max_size=2),
            answer_values,
        )
    )


@pytest.fixture
def two_question_poll():
    return make_poll(
        questions=[("Что посадить?", ["Липы", "Клёны"]), ("Когда?", ["Весной", "Осенью"])]
    )


def test_the_lane_and_django_agree_on_any_body(two_question_poll, settings):
    settings.POLLS_TALLY_ON_CAST = False
    poll = two_question_poll
    options_by_question = {q.pk: [o.pk for o in q.options.all()] for q in poll.questions.all()}
    outcomes = []

    @hypothesis_settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(body=ballots(options_by_question))
    @example(body={"answers": first_answers(poll)})
    def agree(body):
        _, mine = resident_with_token()
        _, theirs = resident_with_token()
        before = Ballot.objects.count()
        fast = post_ballot(WsgiClient(), poll.pk, body, mine)
        usual = post_ballot(Client(), poll.pk, body, theirs)
        assert fast.status_code == usual.status_code, (body, fast.content, usual.content)
        outcomes.append(fast.status_code)
        if fast.status_code == 201:
            assert Ballot.objects.count() == before + 2
        else:
            assert fast.json()["code"] == usual.json()["code"]
            assert fast.json()["field"] == usual.json()["field"]
            assert Ballot.objects.count() == before

    agree()
    # Both ways were walked: ballots cast and ballots refused.
    assert 201 in outcomes and any(status >= 400 for status in outcomes)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_simultaneous_ballots_of_one_person_through_the_lane_make_one(settings):
    settings.POLLS_TALLY_ON_CAST = False
    poll = make_poll(points=20)
    person, token = resident_with_token()
    body = json.dumps({"answers": first_answers(poll)})

    def vote(i):
        answer = WsgiClient().post(
            f"/api/v1/polls/{poll.pk}/ballots",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        return answer.status_code, answer.json()

    results, errors = run_together(20, vote)
    assert errors == []
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 19
    won = next(body for status, body in results if status == 201)
    assert {body["receipt"]["ballot_id"] for status, body in results if status == 409} == {
        won["ballot_id"]
    }
    assert Participation.objects.count() == Ballot.objects.count() == 1
    assert LedgerEntry.objects.count() == 1
    assert PointsAccount.objects.get(user=person).balance == 20


def test_the_sites_wsgi_application_is_the_lane_in_front_of_django():
    # What gunicorn and runserver serve, and what WsgiClient sends its requests through.
    application = WsgiClient().handler.application
    assert isinstance(application, FastBallots)
    assert application.django_application is django_application
