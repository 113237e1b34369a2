"""Reads behind the officials' dashboard: participation over time, who took part (breakdowns
suppressed as poll results are), and each section's totals for a period.

Breakdowns count ballots from their demographic snapshot (okrug, district, age band, gender,
channel) and go through `polls.suppression.protect` with the relations a reader knows: every
table adds up to the total shown, and each okrug is the sum of its districts. A cell of 1 to 10
voters is never shown, nor derivable from the total minus the others (invariant 4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from activecitizen.decisions.models import Decision
from activecitizen.decisions.models import Status as DecisionStatus
from activecitizen.discussions.models import Proposal
from activecitizen.geo.models import District, Okrug
from activecitizen.house.models import MeetingBallot
from activecitizen.novelties.models import Rating
from activecitizen.polls.models import Ballot, Channel, Participation
from activecitizen.polls.results import (
    AGE_LABELS,
    AGE_ORDER,
    CHANNEL_ORDER,
    GENDER_LABELS,
    GENDER_ORDER,
    NOT_GIVEN,
    UNKNOWN,
)
from activecitizen.polls.suppression import SMALLEST_SHOWN, protect
from activecitizen.pulse.models import FacilityRating
from activecitizen.rewards.models import Order

WEEKS = 26
TOP_DISTRICTS = 20
OTHER = "other"


@dataclass(frozen=True)
class Row:
    value: str
    label: str
    count: int | None  # None: hidden to protect privacy


@dataclass(frozen=True)
class Table:
    dimension: str
    title: str
    total: int
    rows: tuple[Row, ...]
    withheld: bool = False  # too few voters to show any row

    @property
    def hidden(self) -> int:
        return sum(r.count is None for r in self.rows)

    @property
    def largest(self) -> int:
        return max([r.count or 0 for r in self.rows] + [1])


@dataclass(frozen=True)
class Week:
    starts: date
    count: int


@dataclass(frozen=True)
class Dashboard:
    date_from: date
    date_to: date
    poll_id: int | None
    ballots: int
    weeks: tuple[Week, ...]
    tables: tuple[Table, ...]
    totals: tuple[tuple[str, int], ...]
    decisions: tuple[tuple[str, str, int], ...]  # (status, label, count)
    smallest_shown: int = SMALLEST_SHOWN


def _bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    start = datetime.combine(date_from, time.min, tzinfo=zone)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def ballots_in(date_from: date, date_to: date, poll_id: int | None = None) -> QuerySet[Ballot]:
    start, end = _bounds(date_from, date_to)
    ballots = Ballot.objects.filter(cast_at__gte=start, cast_at__lt=end)
    if poll_id is not None:
        ballots = ballots.filter(poll_id=poll_id)
    return ballots


def weekly_participation(
    date_to: date, poll_id: int | None = None, *, weeks: int = WEEKS
) -> tuple[Week, ...]:
    """Ballots per week (Monday to Sunday, the city's time) for the `weeks` weeks up to
    `date_to`, from Participation.cast_at; empty weeks count 0."""
    last_monday = date_to - timedelta(days=date_to.weekday())
    first = last_monday - timedelta(weeks=weeks - 1)
    start, end = _bounds(first, date_to)
    found = Participation.objects.filter(cast_at__gte=start, cast_at__lt=end)
    if poll_id is not None:
        found = found.filter(poll_id=poll_id)
    per_day = (
        found.annotate(day=TruncDate("cast_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = [0] * weeks
    for row in per_day:
        index = (row["day"] - first).days // 7
        if 0 <= index < weeks:
            counts[index] += row["n"]
    return tuple(Week(starts=first + timedelta(weeks=i), count=n) for i, n in enumerate(counts))


def _key(value: object) -> str:
    return UNKNOWN if value in (None, "") else str(value)


def protect_tables(
    counts: Mapping[str, Mapping[str, int]],
    total: int,
    district_okrugs: Mapping[str, str] | None = None,
) -> tuple[dict[tuple[str, str], int | None], bool]:
    """Suppress one block of one-way tables (dimension → value → count) that all add up to
    `total`; with `district_okrugs`, each okrug row is also the sum of its districts' rows.
    Returns the shown count per (dimension, value) (None: hidden) and whether the block is
    withheld altogether."""
    cells = {(d, v): n for d, table in counts.items() for v, n in table.items() if n > 0}
    relations: list[dict[tuple[str, str], int]] = []
    for dimension, table in counts.items():
        relations.append({(dimension, v): 1 for v, n in table.items() if n > 0})
    if district_okrugs is not None and "okrug" in counts and "district" in counts:
        children: dict[str, list[str]] = {}
        for district, n in counts["district"].items():
            if n > 0:
                parent = UNKNOWN if district == UNKNOWN else district_okrugs.get(district)
                if parent is not None:
                    children.setdefault(parent, []).append(district)
        for okrug in set(children) | {o for o, n in counts["okrug"].items() if n > 0}:
            relation = {("district", d): -1 for d in children.get(okrug, [])}
            if counts["okrug"].get(okrug, 0) > 0:
                relation[("okrug", okrug)] = 1
            relations.append(relation)
    protection = protect(cells, relations)
    if protection.withheld:
        return {}, True
    return {k: (None if k in protection.hidden else n) for k, n in cells.items()}, False


def _labels(dimension: str, lang: str) -> Mapping[str, str | Promise]:
    if dimension == "age_band":
        return AGE_LABELS
    if dimension == "gender":
        return GENDER_LABELS
    if dimension == "channel":
        return {c.value: c.label for c in Channel}
    model = Okrug if dimension == "okrug" else District
    return {
        str(pk): (en if lang == "en" and en else ru)
        for pk, ru, en in model.objects.values_list("pk", "name_ru", "name_en")
    }


TITLES: dict[str, Promise] = {
    "okrug": gettext_lazy("By okrug"),
    "district": gettext_lazy("By district (top 20)"),
    "age_band": gettext_lazy("By age"),
    "gender": gettext_lazy("By gender"),
    "channel": gettext_lazy("By channel"),
}
ORDERS = {"age_band": AGE_ORDER, "gender": GENDER_ORDER, "channel": CHANNEL_ORDER}


def breakdowns(ballots: QuerySet[Ballot], total: int) -> tuple[Table, ...]:
    """The five breakdowns of `ballots` (whose count is `total`), suppressed."""
    fields = {
        "okrug": "okrug_id",
        "district": "district_id",
        "age_band": "age_band",
        "gender": "gender",
        "channel": "channel",
    }
    counts: dict[str, dict[str, int]] = {}
    for dimension, field in fields.items():
        rows = ballots.values(field).annotate(n=Count("pk")).order_by()
        counts[dimension] = {}
        for row in rows:
            key = _key(row[field])
            counts[dimension][key] = counts[dimension].get(key, 0) + row["n"]
    district_okrugs = {
        str(pk): str(okrug)
        for pk, okrug in District.objects.filter(
            pk__in=[int(v) for v in counts["district"] if v.isdigit()]
        ).values_list("pk", "okrug_id")
    }
    shown: dict[tuple[str, str], int | None] = {}
    withheld: set[str] = set()
    for block in (("okrug", "district"), ("age_band",), ("gender",), ("channel",)):
        cells, out = protect_tables(
            {d: counts[d] for d in block}, total, district_okrugs if len(block) == 2 else None
        )
        shown.update(cells)
        if out:
            withheld.update(block)
    lang = (get_language() or "ru").split("-")[0]
    tables = []
    for dimension in fields:
        labels = _labels(dimension, lang)
        rows = [
            Row(
                value=v,
                label=str(NOT_GIVEN if v == UNKNOWN else labels.get(v, f"#{v}")),
                count=shown.get((dimension, v)),
            )
            for v, n in counts[dimension].items()
            if n > 0
        ]
        if dimension in withheld:
            rows = []
        elif dimension in ORDERS:
            position = {v: i for i, v in enumerate(ORDERS[dimension])}
            rows.sort(key=lambda r: (position.get(r.value, len(position)), r.value))
        else:
            # Largest first; hidden rows never take part in the ranking (it would tell that
            # they lie between two shown counts), they follow, by name.
            rows.sort(key=lambda r: (r.count is None, -(r.count or 0), r.label, r.value))
        if dimension == "district" and len(rows) > TOP_DISTRICTS:
            top = [r for r in rows if r.count is not None][:TOP_DISTRICTS]
            # The rest as one row: total minus the rows shown, which anyone could work out.
            rest = total - sum(r.count or 0 for r in top)
            rows = [*top, Row(value=OTHER, label=_("other districts"), count=rest)]
        tables.append(
            Table(
                dimension=dimension,
                title=str(TITLES[dimension]),
                total=total,
                rows=tuple(rows),
                withheld=dimension in withheld,
            )
        )
    return tuple(tables)


def section_totals(date_from: date, date_to: date, ballots: int) -> tuple[tuple[str, int], ...]:
    start, end = _bounds(date_from, date_to)
    return (
        (_("Ballots"), ballots),
        (
            _("Proposals in discussions"),
            Proposal.objects.filter(created_at__gte=start, created_at__lt=end).count(),
        ),
        (
            _("Novelty ratings"),
            Rating.objects.filter(created_at__gte=start, created_at__lt=end).count(),
        ),
        (
            _("Facility ratings"),
            FacilityRating.objects.filter(created_at__gte=start, created_at__lt=end).count(),
        ),
        (
            _("Reward orders"),
            Order.objects.filter(created_at__gte=start, created_at__lt=end).count(),
        ),
        (
            _("Owners' meeting ballots"),
            MeetingBallot.objects.filter(cast_at__gte=start, cast_at__lt=end).count(),
        ),
    )


def decisions_by_status() -> tuple[tuple[str, str, int], ...]:
    counts = dict(
        Decision.objects.values("status")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("status", "n")
    )
    return tuple((s.value, str(s.label), counts.get(s.value, 0)) for s in DecisionStatus)


def dashboard(*, date_from: date, date_to: date, poll_id: int | None = None) -> Dashboard:
    ballots = ballots_in(date_from, date_to, poll_id)
    total = ballots.count()
    return Dashboard(
        date_from=date_from,
        date_to=date_to,
        poll_id=poll_id,
        ballots=total,
        weeks=weekly_participation(date_to, poll_id),
        tables=breakdowns(ballots, total),
        totals=section_totals(date_from, date_to, total),
        decisions=decisions_by_status(),
    )
