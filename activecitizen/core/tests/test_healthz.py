"""/healthz: the database, and the checks apps register (core.health), such as the transparency
logs' promise that a ballot is sealed within the maximum merge delay."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from activecitizen.core import health
from activecitizen.core.health import Health
from activecitizen.polls import services
from activecitizen.polls.tests.factories import first_answers, make_poll, make_resident
from activecitizen.transparency.models import QueuedEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _seal_only_when_told(settings):
    settings.POLLS_TALLY_ON_CAST = False
    settings.TRANSPARENCY_MERGE_DELAY = 10


def cast_ballot_ago(seconds: float) -> None:
    poll = make_poll()
    services.cast_ballot(
        poll_id=poll.pk, user=make_resident(), answers=first_answers(poll), channel="web"
    )
    QueuedEntry.objects.update(queued_at=timezone.now() - timedelta(seconds=seconds))


def test_the_transparency_check_is_registered():
    assert "transparency" in health.health_checks()


def test_healthz_reports_the_oldest_unsealed_ballot(client):
    body = client.get("/healthz").json()
    assert body == {
        "status": "ok",
        "checks": {"database": "ok", "transparency": "ok"},
        "oldest_unsealed_seconds": 0.0,
    }
    cast_ballot_ago(5)
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert 5 <= answer.json()["oldest_unsealed_seconds"] < 60


def test_a_ballot_waiting_past_twice_the_merge_delay_fails_healthz_until_tally(client):
    cast_ballot_ago(21)
    answer = client.get("/healthz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "degraded"
    assert body["checks"] == {"database": "ok", "transparency": "degraded"}
    assert body["oldest_unsealed_seconds"] >= 21
    assert services.tally() == 1
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"
    assert answer.json()["oldest_unsealed_seconds"] == 0.0


def test_a_failing_check_is_down_not_a_500(client):
    def broken() -> Health:
        raise RuntimeError("boom")

    with mock.patch.dict(health._checks, {"broken": broken}):
        answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json()["status"] == "down"
    assert answer.json()["checks"]["broken"] == "down"
    assert answer.json()["checks"]["database"] == "ok"


def test_registering_a_name_again_replaces_its_check():
    with mock.patch.dict(health._checks, clear=True):
        health.register_health_check("x", lambda: Health("ok"))
        health.register_health_check("x", lambda: Health("degraded"))
        assert [c().status for c in health.health_checks().values()] == ["degraded"]


def test_livez_answers_while_a_readiness_check_is_degraded(client):
    # A late sealer takes the site out of rotation (/healthz) but must not get it restarted.
    cast_ballot_ago(21)
    assert client.get("/healthz").status_code == 503
    answer = client.get("/livez")
    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})


def test_livez_is_503_when_the_database_is_down(client):
    from django.db import DatabaseError

    with mock.patch("activecitizen.core.views.connection.cursor", side_effect=DatabaseError):
        answer = client.get("/livez")
    assert (answer.status_code, answer.json()) == (503, {"status": "down"})
