"""An owners' meeting of a big building: the count and the protocol.

Workload: a building of BENCH_HOUSE_PREMISES premises (default 2,000) in 8 entrances, areas
from 28.40 to 120.00 m², one owner per premises except every tenth, which two co-owners hold
1/2 each; a meeting of 10 agenda items (every decision type but item 4.5) whose register is
frozen by the real `start_voting`; about 64 % of the register's 2,200 owners voted (~1,400
owners; ballots and ballot lines bulk-inserted, as the services would write them; a few on
paper), then voting is closed and the protocol published by the services. Measured in-process
(DEBUG off, local-memory cache):
- `selectors.count_of(meeting)`: p50/p95 of 20 runs (target < 100 ms);
- `protocol.protocol_of(meeting)` (the count plus the annex): p50 of 10 runs;
- the protocol's HTML page rendered: p50 of 10 runs;
- the PDF, first (uncached: WeasyPrint, target < 3 s) and again (from the cache);
- the XML.

BENCH_HOUSE_VERBOSE=1 prints every run of the count; BENCH_HOUSE_GC_FREEZE=1 moves the set-up's
objects out of the garbage collector's way first (gc.freeze(), as a web server's workers would
after forking), to tell a collection's pause from the count's own time; BENCH_HOUSE_DUMP=<file>
writes the protocol's HTML for profiling the PDF apart.

Database: $DATABASE_URL if it is PostgreSQL, else a fresh database on 127.0.0.1:5432 (dropped
afterwards).
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PREMISES = int(os.environ.get("BENCH_HOUSE_PREMISES", "2000"))
TURNOUT = float(os.environ.get("BENCH_HOUSE_TURNOUT", "0.64"))
ITEMS = 10
RUNS = 20


def main() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from harness import postgres_database

    with postgres_database("house") as url:
        os.environ.update(
            DATABASE_URL=url,
            DJANGO_SETTINGS_MODULE="activecitizen.settings",
            DEBUG="0",
            LOG_LEVEL="WARNING",
        )
        os.environ.setdefault("SECRET_KEY", "bench-house-" + "x" * 40)
        os.environ.pop("REDIS_URL", None)
        run()


def timed(fn, runs: int) -> list[float]:
    """Milliseconds of `runs` calls, sorted."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return sorted(times)


def run() -> None:
    import django

    django.setup()
    from datetime import datetime, timedelta
    from decimal import Decimal

    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone, translation
    from harness import Recorder, machine, percentile

    from activecitizen.accounts.models import User
    from activecitizen.geo.models import District
    from activecitizen.house import protocol, selectors, services
    from activecitizen.house.models import (
        BallotLine,
        Building,
        Entrance,
        Meeting,
        MeetingBallot,
        Ownership,
        Premises,
        RegisterEntry,
    )
    from activecitizen.house.services import AgendaItemInput

    call_command("migrate", verbosity=0)
    translation.activate("ru")
    rng = random.Random(44)

    # --- The building, its register and a counted meeting ------------------------------------
    admin = User.objects.create_user("+79990004444", first_name="Анна", last_name="Орлова")
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    building = Building.objects.create(
        address="г. Москва, ул. Профсоюзная, д. 43, корп. 1",
        district=District.objects.order_by("pk").first(),
        documents_kept_at="ГБУ «Жилищник района Черёмушки»",
    )
    entrances = Entrance.objects.bulk_create(
        Entrance(building=building, number=n) for n in range(1, 9)
    )
    premises = Premises.objects.bulk_create(
        (
            Premises(
                building=building,
                entrance=entrances[i * len(entrances) // PREMISES],
                number=str(i + 1),
                area=Decimal(rng.randrange(2840, 12001)) / 100,
            )
            for i in range(PREMISES)
        ),
        batch_size=2000,
    )
    ownerships = []
    for i, p in enumerate(premises):
        if i % 10 == 9:
            for half in ("А", "Б"):
                ownerships.append(
                    Ownership(
                        premises=p,
                        owner_name=f"Совладелец {half} кв. {p.number}",
                        share_numerator=1,
                        share_denominator=2,
                    )
                )
        else:
            ownerships.append(Ownership(premises=p, owner_name=f"Собственник кв. {p.number}"))
    Ownership.objects.bulk_create(ownerships, batch_size=2000)

    notice = timezone.make_aware(datetime(2026, 3, 2, 10, 0))
    starts, ends = notice + timedelta(days=11), notice + timedelta(days=25)
    subjects = ["other", "1.1", "4", "other", "2", "other", "3", "other", "4", "reduction"]
    meeting = services.create_meeting(
        building=building,
        by=admin,
        title="Годовое общее собрание собственников",
        voting_starts_at=starts,
        voting_ends_at=ends,
        items=[
            AgendaItemInput(
                title=f"Вопрос повестки № {n}: " + "утвердить смету и порядок работ " * 3,
                proposal="Утвердить предложенное решение в редакции инициатора собрания.",
                subject=subject,
            )
            for n, subject in enumerate(subjects, start=1)
        ],
        initiator_name="Орлова Анна Сергеевна",
        form=Meeting.Form.MIXED,
        place="ул. Профсоюзная, д. 43, помещение совета дома",
    )
    services.publish_notice(meeting=meeting, by=admin, now=notice)
    services.start_voting(meeting=meeting, now=starts)

    entries = list(RegisterEntry.objects.filter(meeting=meeting).order_by("pk"))
    voting = [e for e in entries if rng.random() < TURNOUT]
    weights = {"for": 0.7, "against": 0.2, "abstain": 0.1}
    ballots = []
    for n, entry in enumerate(voting):
        paper = n % 50 == 0
        ballots.append(
            MeetingBallot(
                meeting=meeting,
                public_id=f"{meeting.pk:04d}{n:028x}",
                owner_name=entry.owner_name,
                channel=MeetingBallot.Channel.PAPER if paper else MeetingBallot.Channel.ELECTRONIC,
                decisions={
                    str(i): rng.choices(list(weights), list(weights.values()))[0]
                    for i in range(1, ITEMS + 1)
                },
                scan_reference=f"scan-{n:05d}.pdf" if paper else "",
                content="{}",
                leaf_hash="0" * 64,
                cast_at=starts + timedelta(minutes=n),
            )
        )
    ballots = MeetingBallot.objects.bulk_create(ballots, batch_size=2000)
    BallotLine.objects.bulk_create(
        (BallotLine(ballot=b, entry=e) for b, e in zip(ballots, voting, strict=True)),
        batch_size=2000,
    )
    services.end_voting(meeting=meeting, now=ends)
    services.publish_protocol(meeting=meeting, by=admin, now=ends + timedelta(days=1))
    meeting = Meeting.objects.select_related("building", "administrator").get(pk=meeting.pk)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")

    workload = {
        "premises": PREMISES,
        "register_entries": len(entries),
        "ballots": len(ballots),
        "items": ITEMS,
        "database": "PostgreSQL",
        "in_process": True,
    }
    print(f"machine: {machine()}")
    print(f"workload: {workload}")

    # --- The figures -------------------------------------------------------------------------
    count = selectors.count_of(meeting)
    made = protocol.protocol_of(meeting)
    if os.environ.get("BENCH_HOUSE_DUMP"):  # the protocol's HTML, to profile the PDF apart
        Path(os.environ["BENCH_HOUSE_DUMP"]).write_text(protocol.render_html(made, for_pdf=True))
    assert made.annex_area == count.participating_area  # invariant 7 at scale
    if os.environ.get("BENCH_HOUSE_GC_FREEZE"):  # diagnosis: are the slow runs collections?
        import gc

        gc.freeze()
    count_ms = timed(lambda: selectors.count_of(meeting), RUNS)
    if os.environ.get("BENCH_HOUSE_VERBOSE"):
        print("count_of runs, ms:", [round(t, 1) for t in count_ms])
    protocol_ms = timed(lambda: protocol.protocol_of(meeting), 10)
    html_ms = timed(lambda: protocol.render_html(made), 10)
    xml_ms = timed(lambda: protocol.render_xml(made), 10)
    cache.clear()
    began = time.perf_counter()
    pdf = protocol.protocol_pdf(meeting)
    pdf_first_s = time.perf_counter() - began
    began = time.perf_counter()
    again = protocol.protocol_pdf(meeting)
    pdf_cached_ms = (time.perf_counter() - began) * 1000
    assert again == pdf and pdf.startswith(b"%PDF")

    rows = [
        ("count_of p50", statistics.median(count_ms), "ms"),
        ("count_of p95", percentile(count_ms, 0.95), "ms"),
        ("protocol_of p50", statistics.median(protocol_ms), "ms"),
        ("protocol HTML render p50", statistics.median(html_ms), "ms"),
        ("protocol XML render p50", statistics.median(xml_ms), "ms"),
        ("protocol PDF first (uncached)", pdf_first_s * 1000, "ms"),
        ("protocol PDF from cache", pdf_cached_ms, "ms"),
    ]
    for name, value, unit in rows:
        print(f"{name:<32} {value:10.1f} {unit}")
    print(
        f"participating {made.participating_m2} of {made.total_m2} m² "
        f"({made.participating_percent} %), quorum {made.quorum}; "
        f"PDF {len(pdf) / 1024:.0f} KiB"
    )
    recorder = Recorder("house", workload=workload)
    for name, value, unit in rows:
        recorder.figure(name, round(value, 2), unit)
    recorder.figure("protocol PDF size", round(len(pdf) / 1024), "KiB")


if __name__ == "__main__":
    main()
