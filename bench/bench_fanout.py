"""Notifications fan-out: announcing one poll to 1,000,000 people (the issue: never blocks the
editor's request; under 60 s of worker time on this machine).

Workload: on PostgreSQL ($DATABASE_URL, else a fresh database on the local server, dropped
afterwards), BENCH_PEOPLE residents (default 1,000,000) inserted by one INSERT … SELECT over
generate_series (minimal fields: a phone, the model's defaults for the rest), then one open
city-wide poll whose audience is all of them.

Measured, in-process (DEBUG off):
- the editor's part: `polls.notices.announce_new_poll` with a broker configured, i.e. what the
  request does — build the job and queue the first batch (the queueing itself is recorded, not
  sent: no broker runs here);
- the worker's part: every batch task (`notifications.services.fan_out_step`, BENCH_BATCH ids,
  default 5,000) run in this process one after another, as a single worker would, each
  reading its ids by keyset and inserting the Notification rows in one INSERT … SELECT over
  the id array (ON CONFLICT DO NOTHING):
  total seconds, rows/s, the slowest batch;
- a retried batch (the first one again): time, rows added (must be 0).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from harness import ROOT, Recorder, machine, postgres_database, production_env

PEOPLE = int(os.environ.get("BENCH_PEOPLE", "1000000"))
BATCH = int(os.environ.get("BENCH_BATCH", "5000"))


def main() -> None:
    with postgres_database("fanout") as url:
        var_dir = Path(tempfile.mkdtemp(prefix="activecitizen-bench-fanout-"))
        os.environ.update(production_env(var_dir, DATABASE_URL=url))
        os.environ["DJANGO_SETTINGS_MODULE"] = "activecitizen.settings"
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        load()
        measure()


def load() -> None:
    from django.db import connection

    from activecitizen.accounts.models import User

    started = time.perf_counter()
    columns, values, params = [], [], []
    for field in User._meta.concrete_fields:
        if field.primary_key or field.null:
            continue
        columns.append(field.column)
        if field.name == "phone":
            values.append("'+7' || lpad(i::text, 10, '0')")
        elif field.name == "password":
            values.append("'!'")  # unusable
        else:
            values.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {User._meta.db_table} ({', '.join(columns)}) "  # noqa: S608 - own names
            f"SELECT {', '.join(values)} FROM generate_series(1, %s) AS i",
            [*params, PEOPLE],
        )
        cursor.execute(f"ANALYZE {User._meta.db_table}")
    print(f"loaded {PEOPLE:,} people in {time.perf_counter() - started:.1f} s")


def measure() -> None:
    from datetime import timedelta

    from django.conf import settings
    from django.db import connection
    from django.urls import reverse
    from django.utils import timezone

    from activecitizen.notifications import services, tasks
    from activecitizen.notifications.models import Notification
    from activecitizen.polls.models import Poll
    from activecitizen.polls.notices import announce_new_poll

    services.FAN_OUT_BATCH = BATCH
    now = timezone.now()
    poll = Poll.objects.create(
        title="Какие деревья посадить в парках?",
        category=Poll.Category.PARKS,
        status=Poll.Status.OPEN,
        opens_at=now - timedelta(minutes=1),
        closes_at=now + timedelta(days=7),
        points=20,
        scope=Poll.Scope.CITY,
    )

    reverse("polls:detail", args=[poll.pk])  # a serving process has its URLconf loaded

    # The editor's request, with a broker: only the first batch is queued.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    queued: list[tuple] = []
    tasks.fan_out_batch.delay = lambda *args: queued.append(args)  # type: ignore[method-assign]
    started = time.perf_counter()
    announce_new_poll(poll.pk)
    editor_ms = (time.perf_counter() - started) * 1000
    assert len(queued) == 1, queued
    job, cursor = queued[0]
    job["batch_size"] = BATCH

    # The worker: the batches one after another, in this process.
    batch_times = []
    started = time.perf_counter()
    first_after = cursor
    while cursor is not None:
        t = time.perf_counter()
        cursor = services.fan_out_step(job, after_id=cursor)
        batch_times.append(time.perf_counter() - t)
    worker_s = time.perf_counter() - started
    rows = Notification.objects.filter(kind="poll_new").count()

    # A retried batch adds nothing.
    t = time.perf_counter()
    services.fan_out_step(job, after_id=first_after)
    retry_ms = (time.perf_counter() - t) * 1000
    added = Notification.objects.filter(kind="poll_new").count() - rows
    with connection.cursor() as c:
        c.execute("SELECT pg_size_pretty(pg_total_relation_size('notifications_notification'))")
        size = c.fetchone()[0]

    workload = {"people": PEOPLE, "batch": BATCH, "batches": len(batch_times)}
    recorder = Recorder("fanout", workload=workload)
    recorder.figure("editor's request (announce: queue the first batch)", round(editor_ms, 2), "ms")
    recorder.figure("worker time, all batches one after another", round(worker_s, 2), "s")
    recorder.figure("rows inserted per second", round(rows / worker_s), "rows/s")
    recorder.figure("slowest batch", round(max(batch_times) * 1000, 1), "ms")
    recorder.figure("retried batch", round(retry_ms, 1), "ms", rows_added=added)
    print(f"machine: {machine()}")
    print(f"people {PEOPLE:,}, batches of {BATCH:,}: {len(batch_times)} batches")
    print(f"editor's request (enqueue only): {editor_ms:.1f} ms")
    print(f"worker time: {worker_s:.1f} s for {rows:,} rows = {rows / worker_s:,.0f} rows/s")
    print(
        f"batch: median {sorted(batch_times)[len(batch_times) // 2] * 1000:.0f} ms, "
        f"slowest {max(batch_times) * 1000:.0f} ms"
    )
    print(f"retried first batch: {retry_ms:.0f} ms, rows added {added}")
    print(f"notifications table with indexes: {size}")
    nearby(recorder)
    print(f"figures appended to {recorder.path}")


def nearby(recorder) -> None:
    """ "Something new within 1 km of my home" over the same million: every person gets a home
    point spread evenly over a 39 × 31 km box of Moscow (about 830 homes per km², so about
    2,600 within 1 km of a point), then one decision's neighbours are told, all batches here."""
    from django.conf import settings
    from django.db import connection

    from activecitizen.accounts.models import User
    from activecitizen.geo.distance import distance_m
    from activecitizen.notifications import services
    from activecitizen.notifications.models import Notification

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {User._meta.db_table} SET "  # noqa: S608 - our own table
            "home_lat = round((55.55 + random() * 0.35)::numeric, 4), "
            "home_lon = round((37.35 + random() * 0.50)::numeric, 4)"
        )
        cursor.execute(f"VACUUM ANALYZE {User._meta.db_table}")
    print(f"home points for {PEOPLE:,} people in {time.perf_counter() - started:.1f} s")

    settings.CELERY_TASK_ALWAYS_EAGER = True
    lat, lon = "55.75124", "37.59293"
    started = time.perf_counter()
    services.tell_neighbours(
        kind="decision_nearby",
        params={"decision": "Новый сквер", "status": "planned"},
        url="/decisions/1/",
        key_prefix="decision:1:nearby",
        lat=lat,
        lon=lon,
    )
    seconds = time.perf_counter() - started
    told = Notification.objects.filter(kind="decision_nearby").count()
    # Checked against Python's haversine over everyone in the box: the database told exactly
    # the people within 1 km.
    homes = User.objects.filter(
        home_lat__range=("55.741", "55.762"), home_lon__range=("37.576", "37.610")
    ).values_list("home_lat", "home_lon")
    expected = sum(
        1 for a, b in homes if distance_m(float(lat), float(lon), float(a), float(b)) < 1000
    )
    recorder.figure(
        "new near my home: tell the neighbours within 1 km",
        round(seconds, 3),
        "s",
        told=told,
        expected=expected,
    )
    print(f"near my home: {told:,} told (haversine says {expected:,}) in {seconds * 1000:.0f} ms")


if __name__ == "__main__":
    main()
