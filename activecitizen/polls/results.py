"""A poll's results, built from the tally only: counts and percentages per option, breakdowns by
okrug, district, age, gender and channel with small cells suppressed, and who may see them.

The page, the partial that refreshes live results, the CSV and JSON downloads, the API and the
admin all read `poll_results`, so everyone sees the same numbers (issue 3, item 6).

Numbers change only when `services.tally` folds ballots in, and that moves
`Poll.ballots_counted`; results are cached under the poll, that count and the language. A cached
read costs no query beyond the poll the caller already has: a dictionary look-up in this process,
or one read of the shared cache when another process computed them.

Percentages are of the question's respondents (people who answered it), with two decimals,
rounded half up (12.345 → 12.35), each on its own: the options of a single-choice question add
up to 100 within ±0.005 per option (three options of a third each: 33.33 × 3 = 99.99).
"""

from __future__ import annotations

import csv
import io
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from activecitizen.geo.models import District, Okrug
from activecitizen.polls import selectors
from activecitizen.polls.ballots import AGE_BANDS
from activecitizen.polls.models import (
    Channel,
    FreeTextAnswer,
    Poll,
    Question,
    Tally,
    poll_log_name,
)
from activecitizen.polls.suppression import SMALLEST_SHOWN, protect
from activecitizen.transparency.services import checkpoint_note

DIMENSIONS = ("okrug", "district", "age_band", "gender", "channel")
# Tables that share cells through relations are protected together: an okrug is its districts.
BLOCKS = (("okrug", "district"), ("age_band",), ("gender",), ("channel",))
UNKNOWN = "unknown"

DIMENSION_TITLES: dict[str, Promise] = {
    "okrug": gettext_lazy("By okrug"),
    "district": gettext_lazy("By district"),
    "age_band": gettext_lazy("By age"),
    "gender": gettext_lazy("By gender"),
    "channel": gettext_lazy("By channel"),
}
DIMENSION_HEADINGS: dict[str, Promise] = {
    "okrug": gettext_lazy("Okrug"),
    "district": gettext_lazy("District"),
    "age_band": gettext_lazy("Age"),
    "gender": gettext_lazy("Gender"),
    "channel": gettext_lazy("Channel"),
}
AGE_ORDER = tuple(band for _low, _high, band in AGE_BANDS)
AGE_LABELS: dict[str, Promise | str] = {band: band.replace("-", "–") for band in AGE_ORDER} | {
    "<18": gettext_lazy("under 18"),
    "65+": gettext_lazy("65 and over"),
}
GENDER_ORDER = ("female", "male")
GENDER_LABELS: dict[str, Promise] = {
    "female": gettext_lazy("women"),
    "male": gettext_lazy("men"),
}
CHANNEL_ORDER = tuple(Channel.values)
NOT_GIVEN = gettext_lazy("not given")

# How long a computed result may be served. The key changes with every tally, so this only
# bounds how long a renamed district or an edited draft keeps its old text.
SHARED_TTL = 24 * 3600
LOCAL_TTL = 120
LOCAL_ENTRIES = 64
FREE_TEXTS_SHOWN = 100


# --- What results are -------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionResult:
    id: int
    text: str
    free_text: bool
    count: int
    percent: Decimal  # of the question's respondents, two decimals, rounded half up


@dataclass(frozen=True)
class BreakdownRow:
    value: str  # as in the tally: an okrug or district id, an age band, a gender, a channel
    label: str
    respondents: int | None  # None: hidden to protect privacy
    counts: tuple[int | None, ...]  # one per option of the question, in the question's order
    group: str = ""  # districts: the okrug's name


@dataclass(frozen=True)
class Breakdown:
    dimension: str
    title: str
    heading: str
    withheld: bool  # the whole table is not shown (too few voters to protect anyone)
    rows: tuple[BreakdownRow, ...]

    @property
    def hidden_cells(self) -> int:
        return sum((r.respondents is None) + sum(c is None for c in r.counts) for r in self.rows)


@dataclass(frozen=True)
class QuestionResult:
    id: int
    text: str
    kind: str
    respondents: int
    options: tuple[OptionResult, ...]
    breakdowns: tuple[Breakdown, ...]


@dataclass(frozen=True)
class PollResults:
    poll_id: int
    ballots_counted: int
    total: int  # ballots in the tally
    questions: tuple[QuestionResult, ...]
    geo_names: Mapping[str, Mapping[str, tuple[str, str]]]  # for labels: kind → id → (ru, en)
    district_okrugs: Mapping[str, str]
    labelled_in: str = ""  # the language of the labels, once labelled

    def as_dict(self) -> dict[str, Any]:
        """The JSON of API.md's GET /polls/{id}/results (percent as a decimal string)."""
        breakdowns: dict[str, list[dict[str, Any]]] = {d: [] for d in DIMENSIONS}
        for question in self.questions:
            for breakdown in question.breakdowns:
                breakdowns[breakdown.dimension].append(
                    {
                        "question_id": question.id,
                        "withheld": breakdown.withheld,
                        "option_ids": [o.id for o in question.options],
                        "rows": [
                            {
                                "value": row.value,
                                "label": row.label,
                                "respondents": row.respondents,
                                "counts": list(row.counts),
                            }
                            for row in breakdown.rows
                        ],
                    }
                )
        return {
            "poll_id": self.poll_id,
            "total": self.total,
            "questions": [
                {
                    "id": q.id,
                    "text": q.text,
                    "kind": q.kind,
                    "respondents": q.respondents,
                    "options": [
                        {"id": o.id, "text": o.text, "count": o.count, "percent": str(o.percent)}
                        for o in q.options
                    ],
                }
                for q in self.questions
            ],
            "breakdowns": breakdowns,
            "smallest_shown": SMALLEST_SHOWN,
            # Filled by results_as_dict, outside the cache (see results_checkpoint).
            "checkpoint": None,
        }


def percent_of(count: int, whole: int) -> Decimal:
    """count / whole as a percentage with two decimals, rounded half up; 0.00 when whole is 0."""
    if whole <= 0:
        return Decimal("0.00")
    hundredths = (count * 20000 + whole) // (2 * whole)
    return Decimal(hundredths).scaleb(-2)


# --- Computing them from the tally (no database in here) --------------------------------------


@dataclass(frozen=True)
class QuestionSpec:
    id: int
    text: str
    kind: str
    min_choices: int
    max_choices: int
    options: tuple[tuple[int, str, bool], ...]  # (id, text, own answer)

    @property
    def choices_per_answer(self) -> int | None:
        """How many options every answer has, when the rules fix it (a relation readers know)."""
        if self.kind == Question.Kind.SINGLE:
            return 1
        if self.min_choices == self.max_choices and self.min_choices > 0:
            return self.min_choices
        return None


Counts = Mapping[tuple[int, int, str, str], int]  # (question, option, dimension, value) → count


def compute_results(
    *,
    poll_id: int,
    ballots_counted: int,
    questions: Iterable[QuestionSpec],
    counts: Counts,
    district_okrugs: Mapping[str, str],
    geo_names: Mapping[str, Mapping[str, tuple[str, str]]] | None = None,
) -> PollResults:
    """Results from tally counts: totals as they are, breakdowns after suppression.

    `district_okrugs` maps a district id (as text) to its okrug's id (as text): the nesting a
    reader knows and the protection must respect. Labels come later (`label_results`).
    """
    questions = list(questions)
    total = counts.get((0, 0, "total", "all"), 0)
    tables: dict[tuple[int, str], Breakdown] = {}
    for block in BLOCKS:
        tables.update(_protected_block(block, questions, counts, district_okrugs))
    results = []
    for q in questions:
        respondents = counts.get((q.id, 0, "total", "all"), 0)
        results.append(
            QuestionResult(
                id=q.id,
                text=q.text,
                kind=q.kind,
                respondents=respondents,
                options=tuple(
                    OptionResult(
                        id=o_id,
                        text=text,
                        free_text=own,
                        count=(n := counts.get((q.id, o_id, "total", "all"), 0)),
                        percent=percent_of(n, respondents),
                    )
                    for o_id, text, own in q.options
                ),
                breakdowns=tuple(tables[(q.id, d)] for d in DIMENSIONS),
            )
        )
    return PollResults(
        poll_id=poll_id,
        ballots_counted=ballots_counted,
        total=total,
        questions=tuple(results),
        geo_names=geo_names or {},
        district_okrugs=dict(district_okrugs),
    )


def _respondents_key(q: QuestionSpec, full: bool, dimension: str, value: str) -> tuple:
    # A question every ballot answered has the ballots' own counts as its respondents: readers
    # see that from the totals, so all such questions share one cell per row.
    return (0, dimension, value, 0) if full else (q.id, dimension, value, 0)


# A table's layout: per row, (value, respondents cell, option cells in the question's order).
Layout = dict[tuple[int, str], list[tuple[str, tuple, list[tuple]]]]


@dataclass
class BlockProblem:
    """The published cells of a block of tables and every relation a reader knows among them.

    Cells are (question, dimension, value, option) with option 0 for the row's respondents;
    question 0 is the ballots themselves, the respondents of every question all ballots answered.
    """

    cells: dict[tuple, int]
    relations: list[dict[tuple, int]]
    layout: Layout


def block_problem(
    block: tuple[str, ...],
    questions: list[QuestionSpec],
    counts: Counts,
    district_okrugs: Mapping[str, str],
) -> BlockProblem:
    total = counts.get((0, 0, "total", "all"), 0)
    values_of: dict[str, set[str]] = {d: set() for d in block}
    for _q, _o, dimension, value in counts:
        if dimension in values_of:
            values_of[dimension].add(value)

    cells: dict[tuple, int] = {}
    relations: list[dict[tuple, int]] = []
    layout: Layout = {}
    for q in questions:
        full = total > 0 and counts.get((q.id, 0, "total", "all"), 0) == total
        per_answer = q.choices_per_answer
        for dimension in block:
            table = []
            for value in sorted(values_of[dimension]):
                respondents = counts.get((q.id, 0, dimension, value), 0)
                if respondents <= 0:
                    continue  # nobody in this row answered: a row of known zeros, not shown
                r_key = _respondents_key(q, full, dimension, value)
                cells[r_key] = respondents
                o_keys = []
                for o_id, _text, _own in q.options:
                    key = (q.id, dimension, value, o_id)
                    cells[key] = counts.get((q.id, o_id, dimension, value), 0)
                    o_keys.append(key)
                table.append((value, r_key, o_keys))
                if per_answer is not None:
                    # Every answer in the row chose `per_answer` options.
                    relation = {k: 1 for k in o_keys}
                    relation[r_key] = -per_answer
                    relations.append(relation)
            layout[(q.id, dimension)] = table
            # Each column adds up to its total (shown), the respondents to the question's.
            relations.append({row_r: 1 for _v, row_r, _o in table})
            for i in range(len(q.options)):
                relations.append({row_o[i]: 1 for _v, _r, row_o in table})
        if "okrug" in block and "district" in block:
            relations.extend(_nesting(q, layout, district_okrugs))
    return BlockProblem(cells=cells, relations=relations, layout=layout)


def _protected_block(
    block: tuple[str, ...],
    questions: list[QuestionSpec],
    counts: Counts,
    district_okrugs: Mapping[str, str],
) -> dict[tuple[int, str], Breakdown]:
    """The block's tables after suppression. A question whose small cells cannot be protected
    (its table has one row, say) has these tables withheld, and the others are protected anew
    without it: readers then know nothing of its cells here, so it constrains nobody."""
    found: dict[tuple[int, str], Breakdown] = {}
    remaining = list(questions)
    while True:
        problem = block_problem(block, remaining, counts, district_okrugs)
        protection = protect(problem.cells, problem.relations)
        stuck = protection.stuck
        if not (protection.withheld and isinstance(stuck, tuple) and stuck[0] != 0):
            break
        remaining = [q for q in remaining if q.id != stuck[0]]
        found.update(_withheld(block, stuck[0]))
    if protection.withheld:  # a cell every remaining question shares: nothing is shown
        for q in remaining:
            found.update(_withheld(block, q.id))
        return found

    def shown(key: tuple) -> int | None:
        return None if key in protection.hidden else problem.cells[key]

    for (q_id, dimension), table in problem.layout.items():
        found[(q_id, dimension)] = Breakdown(
            dimension=dimension,
            title="",
            heading="",
            withheld=False,
            rows=tuple(
                BreakdownRow(
                    value=value,
                    label="",
                    respondents=shown(r_key),
                    counts=tuple(shown(k) for k in o_keys),
                )
                for value, r_key, o_keys in table
            ),
        )
    return found


def _withheld(block: tuple[str, ...], question_id: int) -> dict[tuple[int, str], Breakdown]:
    return {
        (question_id, d): Breakdown(dimension=d, title="", heading="", withheld=True, rows=())
        for d in block
    }


def _nesting(
    q: QuestionSpec, layout: Layout, district_okrugs: Mapping[str, str]
) -> list[dict[tuple, int]]:
    """Each okrug's row equals the sum of its districts' rows, column by column."""
    children: dict[str, list[tuple[str, tuple, list[tuple]]]] = {}
    for row in layout[(q.id, "district")]:
        value = row[0]
        parent = UNKNOWN if value == UNKNOWN else district_okrugs.get(value)
        if parent is not None:
            children.setdefault(parent, []).append(row)
    relations = []
    for okrug, r_key, o_keys in layout[(q.id, "okrug")]:
        kids = children.get(okrug, [])
        relation = {r_key: 1}
        for _value, kid_r, _o in kids:
            relation[kid_r] = relation.get(kid_r, 0) - 1
        relations.append(relation)
        for i, key in enumerate(o_keys):
            relation = {key: 1}
            for _value, _r, kid_o in kids:
                relation[kid_o[i]] = -1
            relations.append(relation)
    # A parent with no row of its own is a known zero: its districts add up to zero too.
    present = {row[0] for row in layout[(q.id, "okrug")]}
    for okrug, kids in children.items():
        if okrug not in present:
            relations.append({kid_r: 1 for _v, kid_r, _o in kids})
            for i in range(len(q.options)):
                relations.append({kid_o[i]: 1 for _v, _r, kid_o in kids})
    return relations


# --- Labels in the reader's language ----------------------------------------------------------


def label_results(results: PollResults, language: str) -> PollResults:
    """Names for every row in `language` (the current one), rows in the order readers expect."""
    lang = (language or "ru").split("-")[0]
    okrug_names = results.geo_names.get("okrug", {})
    district_names = results.geo_names.get("district", {})

    def geo_name(names: Mapping[str, tuple[str, str]], value: str) -> str:
        if value == UNKNOWN:
            return str(NOT_GIVEN)
        ru, en = names.get(value, ("", ""))
        return (en if lang == "en" and en else ru) or f"#{value}"

    def labelled_rows(dimension: str, rows: tuple[BreakdownRow, ...]) -> tuple[BreakdownRow, ...]:
        if dimension == "okrug":
            named = [replace(r, label=geo_name(okrug_names, r.value)) for r in rows]
            return tuple(sorted(named, key=lambda r: (r.value == UNKNOWN, r.label, r.value)))
        if dimension == "district":
            named = [
                replace(
                    r,
                    label=geo_name(district_names, r.value),
                    group=geo_name(okrug_names, results.district_okrugs.get(r.value, UNKNOWN)),
                )
                for r in rows
            ]
            return tuple(
                sorted(named, key=lambda r: (r.value == UNKNOWN, r.group, r.label, r.value))
            )
        vocabularies: dict[str, tuple[tuple[str, ...], Mapping[str, Promise | str]]] = {
            "age_band": (AGE_ORDER, AGE_LABELS),
            "gender": (GENDER_ORDER, GENDER_LABELS),
            "channel": (CHANNEL_ORDER, {c.value: c.label for c in Channel}),
        }
        order, names = vocabularies[dimension]
        named = [
            replace(r, label=str(names.get(r.value, NOT_GIVEN if r.value == UNKNOWN else r.value)))
            for r in rows
        ]
        position = {v: i for i, v in enumerate(order)}
        return tuple(sorted(named, key=lambda r: (position.get(r.value, len(order)), r.value)))

    questions = tuple(
        replace(
            q,
            breakdowns=tuple(
                replace(
                    b,
                    title=str(DIMENSION_TITLES[b.dimension]),
                    heading=str(DIMENSION_HEADINGS[b.dimension]),
                    rows=labelled_rows(b.dimension, b.rows),
                )
                for b in q.breakdowns
            ),
        )
        for q in results.questions
    )
    return replace(results, questions=questions, labelled_in=lang)


# --- Reading them, cached ---------------------------------------------------------------------

_local: OrderedDict[tuple, tuple[float, PollResults]] = OrderedDict()
_local_lock = threading.Lock()


def _version(poll: Poll) -> str:
    # ballots_counted moves with every tally; updated_at with every edit of a draft.
    stamp = poll.updated_at.timestamp() if poll.updated_at else 0
    return f"{poll.pk}:{poll.ballots_counted}:{stamp:.6f}"


def poll_results(poll: Poll) -> PollResults:
    """The results of `poll` (as loaded by the caller: pass a fresh one), labelled in the
    current language. Cached per (poll, ballots counted, language)."""
    language = (get_language() or "ru").split("-")[0]
    if not poll.ballots_counted:
        # Nothing counted yet (a draft an editor previews, say): cheap, and texts may still change.
        return label_results(compute_poll_results(poll), language)
    version = _version(poll)
    local_key = (version, language)
    now = time.monotonic()
    with _local_lock:
        hit = _local.get(local_key)
        if hit is not None and hit[0] > now:
            _local.move_to_end(local_key)
            return hit[1]
    shared_key = f"polls:results:v1:{version}"
    computed = cache.get(shared_key)
    if computed is None:
        computed = compute_poll_results(poll)
        cache.set(shared_key, computed, SHARED_TTL)
    results = label_results(computed, language)
    with _local_lock:
        _local[local_key] = (now + LOCAL_TTL, results)
        _local.move_to_end(local_key)
        while len(_local) > LOCAL_ENTRIES:
            _local.popitem(last=False)
    return results


def forget_results(poll_id: int | None = None) -> None:
    """Drop this process's copies (all, or one poll's); the shared cache keys move by themselves."""
    with _local_lock:
        for key in [k for k in _local if poll_id is None or k[0].startswith(f"{poll_id}:")]:
            del _local[key]


def compute_poll_results(poll: Poll) -> PollResults:
    """Results straight from the tally rows, without any cache (five small queries)."""
    questions = [
        QuestionSpec(
            id=q.pk,
            text=q.text,
            kind=q.kind,
            min_choices=q.min_choices,
            max_choices=q.max_choices,
            options=tuple((o.pk, o.text, o.free_text) for o in q.options.all()),
        )
        for q in Question.objects.filter(poll=poll).prefetch_related("options")
    ]
    counts = {
        (q, o, d, v): n
        for q, o, d, v, n in Tally.objects.filter(poll=poll).values_list(
            "question_id", "option_id", "dimension", "value", "count"
        )
    }
    district_ids = {int(v) for (_q, _o, d, v) in counts if d == "district" and v.isdigit()}
    okrug_ids = {int(v) for (_q, _o, d, v) in counts if d == "okrug" and v.isdigit()}
    districts = list(
        District.objects.filter(pk__in=district_ids).values_list(
            "pk", "okrug_id", "name_ru", "name_en"
        )
    )
    okrug_ids |= {okrug for _pk, okrug, _ru, _en in districts}
    okrugs = Okrug.objects.filter(pk__in=okrug_ids).values_list("pk", "name_ru", "name_en")
    return compute_results(
        poll_id=poll.pk,
        ballots_counted=poll.ballots_counted,
        questions=questions,
        counts=counts,
        district_okrugs={str(pk): str(okrug) for pk, okrug, _ru, _en in districts},
        geo_names={
            "okrug": {str(pk): (ru, en) for pk, ru, en in okrugs},
            "district": {str(pk): (ru, en) for pk, _o, ru, en in districts},
        },
    )


# --- Who sees what ----------------------------------------------------------------------------


def is_editor(user: Any) -> bool:
    """Staff who work on polls (editors, moderators, auditors): they see results at any time."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm("polls.view_poll")
    )


def voting_over(poll: Poll, *, now: Any = None) -> bool:
    now = now or timezone.now()
    if poll.status in {Poll.Status.CLOSED, Poll.Status.PUBLISHED, Poll.Status.ARCHIVED}:
        return True
    return poll.status == Poll.Status.OPEN and now >= poll.closes_at


def results_visible(poll: Poll, user: Any) -> bool:
    """Whether `user` (None or anonymous for a visitor) may see the poll's results now.

    Editors always. Everyone else: once voting is over (closed, published, archived, or open
    past its closing time), or while it is open when the poll shows results live.
    """
    if is_editor(user):
        return True
    if voting_over(poll):
        return True
    return poll.status == Poll.Status.OPEN and poll.results_visibility == Poll.Results.LIVE


def refreshes_live(poll: Poll) -> bool:
    """Whether a results page should keep refreshing itself: ballots are still coming in."""
    return poll.status == Poll.Status.OPEN and not voting_over(poll)


@dataclass(frozen=True)
class FreeText:
    option_id: int
    option: str
    text: str
    moderation: str

    @property
    def moderation_label(self) -> str:
        return str(FreeTextAnswer.Moderation(self.moderation).label)


@dataclass(frozen=True)
class FreeTexts:
    items: tuple[FreeText, ...]
    count: int  # all that this reader may see, of which `items` are the first
    all_shown: bool  # False for the public: only moderated, published ones


def free_texts(poll: Poll, user: Any, *, limit: int = FREE_TEXTS_SHOWN) -> FreeTexts:
    """Own answers: published ones for everyone, every one (with its moderation) for editors."""
    editor = bool(is_editor(user) and user.has_perm("polls.view_freetextanswer"))
    found = FreeTextAnswer.objects.filter(poll=poll)
    if not editor:
        found = found.filter(moderation=FreeTextAnswer.Moderation.PUBLISHED)
    rows = found.order_by("option__question__position", "option__position", "pk").values_list(
        "option_id", "option__text", "text", "moderation"
    )[:limit]
    items = tuple(FreeText(*row) for row in rows)
    count = len(items) if len(items) < limit else found.count()
    return FreeTexts(items=items, count=count, all_shown=editor)


# --- Downloads --------------------------------------------------------------------------------

CSV_COLUMNS = (
    "question_id",
    "question",
    "option_id",
    "option",
    "dimension",
    "value",
    "label",
    "count",
    "percent",
)


def _safe_cell(text: str) -> str:
    # A spreadsheet runs a cell starting with these as a formula: keep texts as texts.
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def results_as_csv(poll: Poll) -> str:
    """One row per question, option (0: the respondents) and breakdown cell; a hidden cell's
    count is blank. Labels are in the current language; the header is for machines."""
    results = poll_results(poll)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    respondents, everyone = _("respondents"), _("all voters")

    def write(question: QuestionResult | None, option: tuple[int, str], *rest: object) -> None:
        q_id, q_text = (question.id, _safe_cell(question.text)) if question else (0, "")
        writer.writerow([q_id, q_text, option[0], _safe_cell(option[1]), *rest])

    write(None, (0, _("ballots")), "total", "all", everyone, results.total, "")
    for q in results.questions:
        write(q, (0, respondents), "total", "all", everyone, q.respondents, "")
        for o in q.options:
            write(q, (o.id, o.text), "total", "all", everyone, o.count, f"{o.percent}")
        for b in q.breakdowns:
            for row in b.rows:
                label = _safe_cell(row.label)
                columns = [((0, respondents), row.respondents)] + [
                    ((o.id, o.text), n) for o, n in zip(q.options, row.counts, strict=True)
                ]
                for option, n in columns:
                    write(q, option, b.dimension, row.value, label, "" if n is None else n, "")
    return out.getvalue()


def results_checkpoint(poll: Poll) -> dict[str, Any] | None:
    """{"size", "note"} of the signed checkpoint the counts are the tally of, or None.

    Read apart from the cached results (one query for it and one for its cosignatures): a
    witness's cosignature may arrive after the results were computed and cached.
    """
    checkpoint = selectors.results_checkpoint(poll)
    if checkpoint is None:
        return None
    return {"size": checkpoint.size, "note": checkpoint_note(checkpoint)}


def results_as_dict(poll: Poll) -> dict[str, Any]:
    """The JSON download and the API's body (API.md: GET /polls/{id}/results)."""
    return {**poll_results(poll).as_dict(), "checkpoint": results_checkpoint(poll)}


def results_context(poll: Poll, user: Any) -> dict[str, Any]:
    """What polls/results.html and polls/_results.html need (the caller checked visibility)."""
    return {
        "poll": poll,
        "results": poll_results(poll),
        "live": refreshes_live(poll),
        "free_texts": free_texts(poll, user),
        "smallest_shown": SMALLEST_SHOWN,
        "checkpoint": _checkpoint_for_page(poll),
    }


def _checkpoint_for_page(poll: Poll) -> dict[str, Any] | None:
    # The page names the checkpoint by size and root and links to the published note: it
    # needs no cosignatures, so one query.
    checkpoint = selectors.results_checkpoint(poll)
    if checkpoint is None:
        return None
    return {
        "size": checkpoint.size,
        "root": bytes(checkpoint.root).hex(),
        "url": checkpoint_url(poll.pk),
    }


def checkpoint_url(poll_id: int) -> str:
    """Where the poll log's latest signed checkpoint is published (the transparency API)."""
    return f"/api/v1/transparency/logs/{poll_log_name(poll_id)}/checkpoint"
