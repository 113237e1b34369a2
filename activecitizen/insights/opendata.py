"""Open data: the published material as datasets anyone may download (CSV, JSON, the API), each
with its data dictionary.

Only what is already public goes out: results of polls whose results are published, exactly as
the public results page shows them (`polls.results`, small cells suppressed), published
decisions, and the facility indexes of Pulse of the capital.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from activecitizen.decisions import selectors as decision_selectors
from activecitizen.polls.models import Poll
from activecitizen.polls.results import poll_results
from activecitizen.pulse import selectors as pulse_selectors

# Polls whose results the city has published.
PUBLISHED_POLLS = (Poll.Status.PUBLISHED, Poll.Status.ARCHIVED)


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # integer, decimal, string, date
    meaning: Promise
    unit: Promise | str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "type": self.type,
            "meaning": str(self.meaning),
            "unit": str(self.unit),
        }


@dataclass(frozen=True)
class Dataset:
    name: str
    title: Promise
    description: Promise
    columns: tuple[Column, ...]
    rows: Callable[[], Iterator[dict[str, Any]]]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": str(self.title),
            "description": str(self.description),
            "columns": [c.as_dict() for c in self.columns],
            "csv_url": f"/insights/open-data/{self.name}.csv",
            "json_url": f"/insights/open-data/{self.name}.json",
            "api_url": f"/api/v1/open-data/{self.name}?format=json",
        }


VOTERS = _("voters")


def poll_result_rows() -> Iterator[dict[str, Any]]:
    """One row per option total and per shown or hidden breakdown cell, as the results page."""
    polls = Poll.objects.filter(status__in=PUBLISHED_POLLS).order_by("pk")
    for poll in polls:
        results = poll_results(poll)
        base = {"poll_id": poll.pk, "poll": poll.title}
        yield {
            **base,
            "question_id": 0,
            "question": "",
            "option_id": 0,
            "option": str(_("ballots")),
            "dimension": "total",
            "value": "all",
            "label": str(_("all voters")),
            "count": results.total,
            "percent": None,
        }
        for q in results.questions:
            question = {**base, "question_id": q.id, "question": q.text}
            yield {
                **question,
                "option_id": 0,
                "option": str(_("respondents")),
                "dimension": "total",
                "value": "all",
                "label": str(_("all voters")),
                "count": q.respondents,
                "percent": None,
            }
            for o in q.options:
                yield {
                    **question,
                    "option_id": o.id,
                    "option": o.text,
                    "dimension": "total",
                    "value": "all",
                    "label": str(_("all voters")),
                    "count": o.count,
                    "percent": str(o.percent),
                }
            for b in q.breakdowns:
                # A withheld table has no rows: nothing of it is published.
                for row in b.rows:
                    columns = [(0, str(_("respondents")), row.respondents)] + [
                        (o.id, o.text, n) for o, n in zip(q.options, row.counts, strict=True)
                    ]
                    for option_id, option, n in columns:
                        yield {
                            **question,
                            "option_id": option_id,
                            "option": option,
                            "dimension": b.dimension,
                            "value": row.value,
                            "label": row.label,
                            "count": n,
                            "percent": None,
                        }


def decision_rows() -> Iterator[dict[str, Any]]:
    decisions = decision_selectors.published().prefetch_related("steps", "districts").order_by("pk")
    for d in decisions:
        source = next(
            (
                (kind, value)
                for kind, value in (
                    ("poll", d.poll_id),
                    ("project", d.project_id),
                    ("novelty", d.novelty_id),
                )
                if value is not None
            ),
            ("", None),
        )
        yield {
            "decision_id": d.pk,
            "title": d.title,
            "status": d.status,
            "category": d.category,
            "department": d.department,
            "source_kind": source[0],
            "source_id": source[1],
            "planned_start": d.planned_start.isoformat() if d.planned_start else None,
            "planned_finish": d.planned_finish.isoformat() if d.planned_finish else None,
            "done_on": d.done_on.isoformat() if d.done_on else None,
            "progress": decision_selectors.progress(d),
            "district_ids": " ".join(str(x.pk) for x in d.districts.all()),
            "lat": str(d.lat) if d.lat is not None else None,
            "lon": str(d.lon) if d.lon is not None else None,
        }


def facility_index_rows() -> Iterator[dict[str, Any]]:
    for f in pulse_selectors.rankings():
        yield {
            "facility_id": f.pk,
            "name": f.name,
            "category": f.category,
            "address": f.address,
            "district_id": f.district_id,
            "lat": str(f.lat),
            "lon": str(f.lon),
            "ratings_count": f.ratings_count,
            "index": f"{f.index:.2f}",
        }


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            name="poll-results",
            title=_("Results of votes"),
            description=_(
                "Per option counts and breakdowns by okrug, district, age, gender and channel of "
                "every poll whose results are published, exactly as the results pages show them: "
                "a cell of 1 to 10 voters, and any cell that would let one be worked out, is blank."
            ),
            columns=(
                Column("poll_id", "integer", _("The poll's id.")),
                Column("poll", "string", _("The poll's title.")),
                Column("question_id", "integer", _("The question's id; 0: the poll's ballots.")),
                Column("question", "string", _("The question's text.")),
                Column("option_id", "integer", _("The option's id; 0: the respondents.")),
                Column("option", "string", _("The option's text.")),
                Column(
                    "dimension",
                    "string",
                    _("total, okrug, district, age_band, gender or channel."),
                ),
                Column("value", "string", _("The okrug or district id, age band, gender …")),
                Column("label", "string", _("The value's name.")),
                Column(
                    "count",
                    "integer",
                    _("How many voters; blank when hidden to protect privacy."),
                    VOTERS,
                ),
                Column(
                    "percent",
                    "decimal",
                    _("Share of the question's respondents (option totals only)."),
                    "%",
                ),
            ),
            rows=poll_result_rows,
        ),
        Dataset(
            name="decisions",
            title=_("Decisions"),
            description=_("Published decisions taken after votes, discussions and ratings."),
            columns=(
                Column("decision_id", "integer", _("The decision's id.")),
                Column("title", "string", _("What was decided.")),
                Column("status", "string", _("planned, in_progress, done or cancelled.")),
                Column("category", "string", _("The decision's category.")),
                Column("department", "string", _("The responsible department.")),
                Column("source_kind", "string", _("poll, project, novelty or blank.")),
                Column("source_id", "integer", _("The id of the poll, project or novelty.")),
                Column("planned_start", "date", _("Planned start (YYYY-MM-DD).")),
                Column("planned_finish", "date", _("Planned finish (YYYY-MM-DD).")),
                Column("done_on", "date", _("When it was done (YYYY-MM-DD).")),
                Column("progress", "integer", _("How far the work has got."), "%"),
                Column("district_ids", "string", _("Ids of the districts, space-separated.")),
                Column("lat", "decimal", _("Latitude (WGS 84)."), _("degrees")),
                Column("lon", "decimal", _("Longitude (WGS 84)."), _("degrees")),
            ),
            rows=decision_rows,
        ),
        Dataset(
            name="facility-index",
            title=_("Facility indexes"),
            description=_(
                "Active facilities of Pulse of the capital with their index: the mean score, "
                "pulled towards the category's mean while ratings are few."
            ),
            columns=(
                Column("facility_id", "integer", _("The facility's id.")),
                Column("name", "string", _("The facility's name.")),
                Column("category", "string", _("The facility's category.")),
                Column("address", "string", _("The facility's address.")),
                Column("district_id", "integer", _("The district's id.")),
                Column("lat", "decimal", _("Latitude (WGS 84)."), _("degrees")),
                Column("lon", "decimal", _("Longitude (WGS 84)."), _("degrees")),
                Column("ratings_count", "integer", _("How many ratings."), _("ratings")),
                Column("index", "decimal", _("The index, two decimals."), _("points of 5")),
            ),
            rows=facility_index_rows,
        ),
    )
}


def _safe_cell(value: Any) -> Any:
    # A spreadsheet runs a cell starting with these as a formula: keep texts as texts.
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + value
    return value


def as_csv(dataset: Dataset) -> str:
    """The whole dataset as CSV (RFC 4180, CRLF, a header row), BOM first for spreadsheets."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    names = dataset.column_names
    writer.writerow(names)
    for row in dataset.rows():
        writer.writerow(["" if row[n] is None else _safe_cell(row[n]) for n in names])
    return out.getvalue()


def page(dataset: Dataset, *, limit: int | None = None, offset: int = 0) -> tuple[int, list]:
    """(count, rows[offset:offset+limit]) of the dataset."""
    rows = list(dataset.rows())
    end = None if limit is None else offset + limit
    return len(rows), rows[offset:end]
