"""Run the periodic tasks of settings.CELERY_BEAT_SCHEDULE inline, for the embedded mode.

Without a Celery broker there is no beat and no worker: this small loop stands in for both, so
that `make run` does its housekeeping too. Each entry runs at its interval (a timedelta, a
number of seconds, or a celery schedule such as crontab) using celery's own `is_due`; a failing
task is logged and the loop goes on. The time of each entry's last run is kept in a small JSON
file so that a restart does not run everything again at once. With CELERY_BROKER_URL set, use
`celery -A activecitizen beat` and workers instead.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from celery.schedules import BaseSchedule, schedule
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils.module_loading import import_string

logger = logging.getLogger("activecitizen.scheduler")

# Never sleep longer than this between checks, so that crontab entries and a changed clock are
# noticed in good time.
MAX_SLEEP_SECONDS = 60.0


@dataclass
class Entry:
    name: str
    task_path: str
    schedule: BaseSchedule
    args: tuple
    kwargs: dict
    last_run_at: datetime | None = None

    def due(self) -> tuple[bool, float]:
        """(whether to run now, seconds until the next check) — never-run entries run now."""
        if self.last_run_at is None:
            return True, 0.0
        is_due, next_check = self.schedule.is_due(self.last_run_at)
        return bool(is_due), float(next_check)


def as_schedule(value: Any, *, app) -> BaseSchedule:
    if isinstance(value, BaseSchedule):
        return value
    if isinstance(value, timedelta):
        return schedule(value, app=app)
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return schedule(timedelta(seconds=value), app=app)
    raise CommandError(f"unsupported schedule {value!r}: use a timedelta, seconds or a crontab")


def load_entries(beat_schedule: dict[str, dict], *, app) -> list[Entry]:
    entries = []
    for name, spec in beat_schedule.items():
        if "task" not in spec or "schedule" not in spec:
            raise CommandError(f"CELERY_BEAT_SCHEDULE[{name!r}] needs 'task' and 'schedule'")
        entries.append(
            Entry(
                name=name,
                task_path=spec["task"],
                schedule=as_schedule(spec["schedule"], app=app),
                args=tuple(spec.get("args", ())),
                kwargs=dict(spec.get("kwargs", {})),
            )
        )
    return entries


def find_task(task_path: str, *, app):
    """The task at that dotted path, or else the celery task registered under that name."""
    try:
        return import_string(task_path)
    except ImportError:
        # A task with a custom name: load every app's tasks module and look it up. (Done only
        # then, because celery's Django fix-up calls django.setup() again on the way.)
        app.loader.import_default_modules()
        if task_path in app.tasks:
            return app.tasks[task_path]
        raise


class StateFile:
    """When each entry last ran, so that restarting the loop does not rerun everything."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, datetime]:
        try:
            raw = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        loaded = {}
        for name, value in raw.items():
            try:
                loaded[name] = datetime.fromisoformat(value)
            except (TypeError, ValueError):
                continue
        return loaded

    def save(self, entries: list[Entry]) -> None:
        data = {e.name: e.last_run_at.isoformat() for e in entries if e.last_run_at}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, indent=1, sort_keys=True))
        temporary.replace(self.path)


class Command(BaseCommand):
    help = (
        "Run the periodic tasks of CELERY_BEAT_SCHEDULE inline at their intervals "
        "(the embedded mode, without a Celery broker)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="run every entry that is due now, then exit"
        )
        parser.add_argument(
            "--state",
            default=None,
            help="file that keeps the last run of each entry (default: VAR_DIR/scheduler.json)",
        )

    def handle(self, *args, once: bool = False, state: str | None = None, **options) -> None:
        if settings.CELERY_BROKER_URL:
            self.stderr.write(
                "CELERY_BROKER_URL is set: periodic tasks belong to Celery beat. Run "
                "`celery -A activecitizen beat` (and `celery -A activecitizen worker`) instead."
            )
            return

        from activecitizen.celery import app

        entries = load_entries(settings.CELERY_BEAT_SCHEDULE, app=app)
        state_file = StateFile(Path(state) if state else Path(settings.VAR_DIR) / "scheduler.json")
        last_runs = state_file.load()
        for entry in entries:
            entry.last_run_at = last_runs.get(entry.name)
        if not entries:
            logger.info("CELERY_BEAT_SCHEDULE is empty: nothing to run")
            if once:
                return

        stop = threading.Event()
        if not once:
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stop.set())
            logger.info(
                "scheduler started with %d periodic task(s): %s",
                len(entries),
                ", ".join(e.name for e in entries),
            )
        while not stop.is_set():
            next_check = MAX_SLEEP_SECONDS
            for entry in entries:
                is_due, wait = entry.due()
                if is_due:
                    self.run_entry(entry, app=app)
                    state_file.save(entries)
                    is_due, wait = entry.due()
                next_check = min(next_check, wait)
            if once:
                break
            # A long-lived process: drop database connections that went stale while asleep.
            close_old_connections()
            stop.wait(max(0.5, next_check))
        if not once:
            logger.info("scheduler stopped")

    def run_entry(self, entry: Entry, *, app) -> None:
        entry.last_run_at = entry.schedule.now()
        started = time.monotonic()
        try:
            task = find_task(entry.task_path, app=app)
            if hasattr(task, "apply"):
                result = task.apply(args=entry.args, kwargs=entry.kwargs, throw=True).get()
            else:
                result = task(*entry.args, **entry.kwargs)
        except Exception:
            logger.exception(
                "periodic task %s (%s) failed after %.0f ms",
                entry.name,
                entry.task_path,
                (time.monotonic() - started) * 1000,
            )
        else:
            logger.info(
                "periodic task %s (%s) ran in %.0f ms: %r",
                entry.name,
                entry.task_path,
                (time.monotonic() - started) * 1000,
                result,
            )
