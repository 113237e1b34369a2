"""`manage.py run_scheduler`: the periodic tasks of the embedded mode, run inline."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from celery import shared_task
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.core.management import call_command

RUNS: list[str] = []


@shared_task
def record_run(label: str) -> str:
    RUNS.append(label)
    return label


@shared_task
def break_down() -> None:
    raise RuntimeError("the SMS gateway is down")


TASK = "activecitizen.core.tests.test_scheduler"


@pytest.fixture(autouse=True)
def _no_runs_yet():
    RUNS.clear()


@pytest.fixture
def state(tmp_path):
    return tmp_path / "scheduler.json"


@pytest.fixture
def schedule(settings):
    settings.CELERY_BROKER_URL = ""
    settings.CELERY_BEAT_SCHEDULE = {
        "every-five-minutes": {
            "task": f"{TASK}.record_run",
            "schedule": timedelta(minutes=5),
            "args": ("timedelta",),
        },
        "broken": {"task": f"{TASK}.break_down", "schedule": 30},
        "every-ninety-seconds": {
            "task": f"{TASK}.record_run",
            "schedule": 90,
            "kwargs": {"label": "seconds"},
        },
        "every-minute-by-crontab": {
            "task": f"{TASK}.record_run",
            "schedule": crontab(minute="*"),
            "args": ("crontab",),
        },
    }
    return settings.CELERY_BEAT_SCHEDULE


def test_once_runs_every_entry_and_survives_a_failing_task(schedule, state, caplog):
    caplog.set_level(logging.INFO, logger="activecitizen.scheduler")

    call_command("run_scheduler", "--once", "--state", str(state))

    assert sorted(RUNS) == ["crontab", "seconds", "timedelta"]
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(failures) == 1
    assert "broken" in failures[0].getMessage()
    assert "the SMS gateway is down" in caplog.text
    assert set(json.loads(state.read_text())) == set(schedule)


def test_once_again_runs_only_the_entries_that_are_due(schedule, state):
    call_command("run_scheduler", "--once", "--state", str(state))
    RUNS.clear()

    call_command("run_scheduler", "--once", "--state", str(state))
    assert RUNS == []  # nothing is due seconds after everything ran

    last_runs = json.loads(state.read_text())
    two_minutes_ago = datetime.now(UTC) - timedelta(minutes=2)
    last_runs["every-ninety-seconds"] = two_minutes_ago.isoformat()
    last_runs["every-five-minutes"] = two_minutes_ago.isoformat()
    state.write_text(json.dumps(last_runs))

    call_command("run_scheduler", "--once", "--state", str(state))
    assert RUNS == ["seconds"]


def test_an_unusable_schedule_is_refused(settings, state):
    settings.CELERY_BROKER_URL = ""
    settings.CELERY_BEAT_SCHEDULE = {"odd": {"task": f"{TASK}.record_run", "schedule": "hourly"}}
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="unsupported schedule"):
        call_command("run_scheduler", "--once", "--state", str(state))
    assert RUNS == []


def test_with_a_broker_it_leaves_the_schedule_to_celery_beat(schedule, settings, state, capsys):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"

    call_command("run_scheduler", "--once", "--state", str(state))

    assert "celery -A activecitizen beat" in capsys.readouterr().err
    assert RUNS == []
    assert not state.exists()


@pytest.mark.django_db
def test_every_configured_periodic_task_runs(settings, state, caplog):
    """The project's own CELERY_BEAT_SCHEDULE: every task exists and runs without error."""
    settings.CELERY_BROKER_URL = ""
    assert django_settings.CELERY_BEAT_SCHEDULE, "the project schedules no periodic tasks"
    caplog.set_level(logging.INFO, logger="activecitizen.scheduler")

    call_command("run_scheduler", "--once", "--state", str(state))

    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    ran = caplog.text
    for name in django_settings.CELERY_BEAT_SCHEDULE:
        assert f"periodic task {name} " in ran
