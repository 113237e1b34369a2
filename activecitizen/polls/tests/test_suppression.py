"""Small cells in breakdowns: never shown, never derivable (DESIGN.md invariant 4).

The checks here are written apart from `suppression.py` on purpose: a rank test with fractions
for "no hidden cell is a linear combination of what is known", and a reader who tries every
integer table consistent with what is shown for "no hidden cell has only one possible value".
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from itertools import product

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activecitizen.polls.results import (
    BLOCKS,
    QuestionSpec,
    block_problem,
    compute_results,
)
from activecitizen.polls.suppression import SMALLEST_SHOWN, protect

OKRUG_OF = {"1": "10", "2": "10", "3": "20", "4": "20"}
AGE_BANDS = ("18-24", "35-44", "65+", "unknown")


# --- ballots and their tally, as services.tally folds them ------------------------------------


def tally_counts(ballots: list[dict]) -> Counter:
    counts: Counter = Counter()
    for ballot in ballots:
        district = ballot["district"]
        values = {
            "total": "all",
            "okrug": OKRUG_OF[district] if district else "unknown",
            "district": district or "unknown",
            "age_band": ballot["age_band"],
            "gender": ballot["gender"],
            "channel": ballot["channel"],
        }
        for dimension, value in values.items():
            counts[(0, 0, dimension, value)] += 1
            for question, options in ballot["answers"].items():
                counts[(question, 0, dimension, value)] += 1
                for option in options:
                    counts[(question, option, dimension, value)] += 1
    return counts


@st.composite
def polls(draw, *, max_ballots: int = 60, max_questions: int = 2):
    questions = []
    for q in range(1, draw(st.integers(1, max_questions)) + 1):
        n_options = draw(st.integers(2, 4))
        kind = draw(st.sampled_from(["single", "multiple"]))
        low = draw(st.integers(1, n_options)) if kind == "multiple" else 1
        high = draw(st.integers(low, n_options)) if kind == "multiple" else 1
        questions.append(
            (
                QuestionSpec(
                    id=q,
                    text=f"Q{q}",
                    kind=kind,
                    min_choices=low,
                    max_choices=high,
                    options=tuple((q * 10 + i, f"O{i}", False) for i in range(n_options)),
                ),
                draw(st.booleans()),  # required
            )
        )
    # Few distinct rows and skewed choices, so that small cells and zeros are common.
    ballot = st.fixed_dictionaries(
        {
            "district": st.sampled_from(["1", "1", "2", "3", "4", None]),
            "age_band": st.sampled_from(AGE_BANDS),
            "gender": st.sampled_from(["female", "female", "male", "unknown"]),
            "channel": st.sampled_from(["web", "app", "app", "service_centre"]),
            "picks": st.lists(st.integers(0, 100), min_size=8, max_size=8),
        }
    )
    ballots = []
    for raw in draw(st.lists(ballot, max_size=max_ballots)):
        answers = {}
        for i, (spec, required) in enumerate(questions):
            pick = raw["picks"][i * 4 : i * 4 + 4]
            if not required and pick[0] < 20:
                continue
            options = [o for o, _t, _f in spec.options]
            if spec.kind == "single":
                # The first option is popular, the second less, the rest rare or never chosen.
                choice = 0 if pick[1] < 55 else 1 if pick[1] < 95 else 2 + pick[2] % 2
                answers[spec.id] = [options[min(choice, len(options) - 1)]]
            else:
                n = spec.min_choices + pick[1] % (spec.max_choices - spec.min_choices + 1)
                start = pick[2] % len(options)
                answers[spec.id] = sorted((options + options)[start : start + n])
        if answers:
            ballots.append({**raw, "answers": answers})
    return [spec for spec, _r in questions], tally_counts(ballots)


# --- an independent audit ---------------------------------------------------------------------


def reduced_rows(rows: list[dict], columns: list) -> list[dict]:
    """Reduced row echelon form over `columns`, with fractions (written apart from the code)."""
    matrix = [{c: Fraction(v) for c, v in row.items() if v} for row in rows]
    matrix = [row for row in matrix if row]
    reduced: list[dict] = []
    for column in columns:
        found = next((row for row in matrix if row.get(column)), None)
        if found is None:
            continue
        matrix.remove(found)
        pivot = {c: v / found[column] for c, v in found.items()}
        for group in (matrix, reduced):
            for i, row in enumerate(group):
                factor = row.get(column)
                if factor:
                    new = {c: row.get(c, 0) - factor * pivot.get(c, 0) for c in row | pivot}
                    group[i] = {c: v for c, v in new.items() if v}
        matrix = [row for row in matrix if row]
        reduced.append(pivot)
    return reduced


def rank(rows: list[dict], columns: list) -> int:
    return len(reduced_rows(rows, columns))


def restricted(relations: list[dict], hidden: set) -> list[dict]:
    return [{k: c for k, c in r.items() if k in hidden} for r in relations]


def derivable(relations: list[dict], hidden: set) -> set:
    """Hidden cells whose unit vector is in the row space of the relations over hidden cells."""
    columns = sorted(hidden, key=repr)
    return {
        next(iter(row))
        for row in reduced_rows(restricted(relations, hidden), columns)
        if len(row) == 1
    }


def derivable_by_rank(relations: list[dict], hidden: set, cell) -> bool:
    columns = sorted(hidden, key=repr)
    rows = restricted(relations, hidden)
    return rank([*rows, {cell: 1}], columns) == rank(rows, columns)


def other_values_exist(
    cells: dict, relations: list[dict], hidden: set, bound: int, limit: int = 200000
):
    """For each hidden cell, whether an integer table ≥ 0 agreeing with everything shown gives
    it another value: what a reader trying every table would find. No cell exceeds `bound` (the
    question's respondents). None: too big to try."""
    hidden = sorted(hidden, key=repr)
    if len(hidden) > 9:
        return None
    equations = []
    for relation in restricted(relations, set(hidden)):
        if relation:
            equations.append((relation, sum(c * cells[k] for k, c in relation.items())))
    found = {k: False for k in hidden}
    tries = 0

    def consistent(assigned: dict) -> bool:
        for relation, target in equations:
            low = high = 0
            for k, c in relation.items():
                if k in assigned:
                    low += c * assigned[k]
                    high += c * assigned[k]
                elif c > 0:
                    high += c * bound
                else:
                    low += c * bound
            if not low <= target <= high:
                return False
        return True

    def search(i: int, assigned: dict) -> None:
        nonlocal tries
        tries += 1
        if tries > limit or all(found.values()):
            return
        if i == len(hidden):
            for k in hidden:
                if assigned[k] != cells[k]:
                    found[k] = True
            return
        for value in range(bound + 1):
            assigned[hidden[i]] = value
            if consistent(assigned):
                search(i + 1, assigned)
            del assigned[hidden[i]]

    search(0, {})
    return None if tries > limit else found


def check(problem, protection) -> None:
    cells, relations = problem.cells, problem.relations
    if protection.withheld:
        return
    hidden = set(protection.hidden)
    assert hidden <= set(cells)
    for key, count in cells.items():
        if key not in hidden:
            assert not 0 < count < SMALLEST_SHOWN, f"{key} = {count} is shown"
    exposed = derivable(relations, hidden)
    assert not exposed, f"derivable: {sorted(exposed, key=repr)}"
    for cell in sorted(hidden, key=repr)[:3]:
        assert not derivable_by_rank(relations, hidden, cell)


# --- properties -------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(polls())
def test_no_small_cell_is_shown_or_derivable(poll):
    questions, counts = poll
    for block in BLOCKS:
        problem = block_problem(block, questions, counts, OKRUG_OF)
        check(problem, protect(problem.cells, problem.relations))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(polls(max_ballots=25, max_questions=1))
def test_a_reader_trying_every_table_pins_no_hidden_cell(poll):
    questions, counts = poll
    question = questions[0]
    if question.kind == "multiple" and question.min_choices == question.max_choices > 1:
        return  # not a totally unimodular system: the promise is the linear one (see above)
    for block in BLOCKS[1:]:  # two-way tables, small enough to try every table
        problem = block_problem(block, questions, counts, OKRUG_OF)
        protection = protect(problem.cells, problem.relations)
        if protection.withheld:
            continue
        found = other_values_exist(
            problem.cells,
            problem.relations,
            set(protection.hidden),
            bound=counts[(question.id, 0, "total", "all")],
        )
        if found is not None:
            assert all(found.values()), f"pinned: {[k for k, ok in found.items() if not ok]}"


# Two-way tables drawn cell by cell: zeros, small and large counts mixed, whole columns of zeros.
cell_counts = st.one_of(st.just(0), st.integers(1, 10), st.integers(11, 60))
two_way_tables = st.integers(2, 4).flatmap(
    lambda options: st.dictionaries(
        st.sampled_from(["female", "male", "unknown"]),
        st.lists(cell_counts, min_size=options, max_size=options),
        min_size=1,
    )
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(two_way_tables)
def test_two_way_tables_pin_no_hidden_cell(table):
    table = {row: counts for row, counts in table.items() if sum(counts)}
    if not table:
        return
    options = tuple(range(1, len(next(iter(table.values()))) + 1))
    problem, _q = two_way(table, options=options)
    protection = protect(problem.cells, problem.relations)
    problem.relations = reader_knowledge(table, options)  # the reader's, not the code's
    check(problem, protection)
    if not protection.withheld:
        found = other_values_exist(
            problem.cells,
            problem.relations,
            set(protection.hidden),
            bound=sum(map(sum, table.values())),
        )
        if found is not None:
            assert all(found.values()), f"pinned: {[k for k, ok in found.items() if not ok]}"


@settings(max_examples=60, deadline=None)
@given(polls())
def test_suppression_is_deterministic(poll):
    questions, counts = poll
    for block in BLOCKS:
        problem = block_problem(block, questions, counts, OKRUG_OF)
        first = protect(problem.cells, problem.relations)
        shuffled = dict(reversed(list(problem.cells.items())))
        assert protect(shuffled, problem.relations) == first
        assert protect(problem.cells, problem.relations) == first


@settings(max_examples=60, deadline=None)
@given(polls())
def test_totals_are_always_shown_and_breakdowns_add_up(poll):
    questions, counts = poll
    results = compute_results(
        poll_id=1, ballots_counted=0, questions=questions, counts=counts, district_okrugs=OKRUG_OF
    )
    assert results.total == counts[(0, 0, "total", "all")]
    for question in results.questions:
        assert question.respondents == counts[(question.id, 0, "total", "all")]
        for option in question.options:
            assert option.count == counts[(question.id, option.id, "total", "all")]
        for breakdown in question.breakdowns:
            shown = [c for row in breakdown.rows for c in (row.respondents, *row.counts)]
            assert not any(c is not None and 0 < c < SMALLEST_SHOWN for c in shown)
            if breakdown.withheld:
                assert breakdown.rows == ()
            elif all(c is not None for c in shown):
                assert sum(r.respondents for r in breakdown.rows) == question.respondents


# --- cases one can follow by hand -------------------------------------------------------------


def two_way(table: dict[str, list[int]], options=(1, 2, 3)):
    """A single-choice question's gender table from {row: counts per option}."""
    counts: Counter = Counter()
    for gender, row in table.items():
        for option, n in zip(options, row, strict=True):
            counts[(7, option, "gender", gender)] += n
            counts[(7, option, "total", "all")] += n
            counts[(7, 0, "gender", gender)] += n
            counts[(7, 0, "total", "all")] += n
    # Some ballots skip the question, so its respondents are not the ballots' own cells.
    counts[(0, 0, "total", "all")] = counts[(7, 0, "total", "all")] + 1
    question = QuestionSpec(
        id=7,
        text="Q",
        kind="single",
        min_choices=1,
        max_choices=1,
        options=tuple((o, str(o), False) for o in options),
    )
    return block_problem(("gender",), [question], counts, {}), question


def reader_knowledge(table: dict[str, list[int]], options) -> list[dict]:
    """What a reader of a single-choice gender table knows, written out here independently:
    each row's options add up to its respondents, each column and the respondents to totals."""
    rows = list(table)
    relations = [
        {**{(7, "gender", r, o): 1 for o in options}, (7, "gender", r, 0): -1} for r in rows
    ]
    relations += [{(7, "gender", r, o): 1 for r in rows} for o in (0, *options)]
    return relations


def test_a_small_cell_takes_a_cycle_of_others_with_it():
    problem, _q = two_way({"female": [40, 3, 50], "male": [45, 30, 60]})
    protection = protect(problem.cells, problem.relations)
    check(problem, protection)
    hidden = protection.hidden
    assert (7, "gender", "female", 2) in hidden
    # Row female and column 2 each need a second hidden cell, which need one more: a rectangle.
    assert len(hidden) == 4
    assert protection.primary == 1
    found = other_values_exist(problem.cells, problem.relations, set(hidden), bound=228)
    assert found is not None and all(found.values())


def test_zeros_may_protect_but_never_give_a_cell_away():
    # All three who chose option 2 are women: "men, option 2" = 0 is the natural partner.
    problem, _q = two_way({"female": [40, 3, 50], "male": [45, 0, 60]})
    protection = protect(problem.cells, problem.relations)
    check(problem, protection)
    assert (7, "gender", "male", 2) in protection.hidden
    found = other_values_exist(problem.cells, problem.relations, set(protection.hidden), bound=198)
    assert found is not None and all(found.values())


def test_a_column_of_hidden_zeros_protects_nothing():
    # Nobody chose option 3. Hiding both of its zeros next to the small cell would look like a
    # protection, but "these two add up to 0" tells a reader both are 0, and then the 3.
    problem, _q = two_way({"female": [40, 3, 0], "male": [45, 30, 0]})
    protection = protect(problem.cells, problem.relations)
    check(problem, protection)
    assert not {(7, "gender", "female", 3), (7, "gender", "male", 3)} <= protection.hidden
    found = other_values_exist(problem.cells, problem.relations, set(protection.hidden), bound=118)
    assert found is not None and all(found.values())


def test_a_breakdown_of_one_row_repeats_the_totals_so_it_is_withheld():
    problem, _q = two_way({"female": [40, 3, 50]})
    protection = protect(problem.cells, problem.relations)
    assert protection.withheld
    assert protection.hidden == frozenset(problem.cells)


def test_nothing_small_nothing_hidden():
    problem, _q = two_way({"female": [40, 0, 50], "male": [45, 30, 60]})
    protection = protect(problem.cells, problem.relations)
    assert protection.hidden == frozenset() and not protection.withheld


def test_an_okrug_is_the_sum_of_its_districts():
    # District 1 has 4 voters for option 1; districts 1 and 2 make okrug 10.
    ballots = []
    for district, option, n in [("1", 11, 4), ("1", 12, 30), ("2", 11, 25), ("2", 12, 40)]:
        ballots += [
            {
                "district": district,
                "age_band": "35-44",
                "gender": "female",
                "channel": "web",
                "answers": {1: [option]},
            }
        ] * n
    ballots += [
        {
            "district": d,
            "age_band": "35-44",
            "gender": "male",
            "channel": "app",
            "answers": {1: [o]},
        }
        for d in ("3", "4")
        for o in (11, 12)
        for _ in range(20)
    ]
    question = QuestionSpec(
        id=1,
        text="Q",
        kind="single",
        min_choices=1,
        max_choices=1,
        options=((11, "a", False), (12, "b", False)),
    )
    problem = block_problem(("okrug", "district"), [question], tally_counts(ballots), OKRUG_OF)
    protection = protect(problem.cells, problem.relations)
    check(problem, protection)
    assert (1, "district", "1", 11) in protection.hidden
    # Showing okrug 10 and district 2 in full would give district 1 away: one of them is hidden.
    okrug_and_sibling = {(1, d, v, 11) for d, v in (("okrug", "10"), ("district", "2"))}
    assert okrug_and_sibling & protection.hidden


def test_moscow_sized_tables_protect_every_small_cell():
    # 146 districts in 12 okrugs, ten options, a few hundred voters: mostly small cells.
    okrug_of = {str(d): str(100 + d % 12) for d in range(1, 147)}
    counts: Counter = Counter()
    state = 12345
    for _ in range(400):
        state = (state * 1103515245 + 12345) % 2**31
        district = str(1 + state % 146)
        option = 1 + (state >> 8) % 10
        for dimension, value in (("district", district), ("okrug", okrug_of[district])):
            counts[(1, option, dimension, value)] += 1
            counts[(1, 0, dimension, value)] += 1
            counts[(0, 0, dimension, value)] += 1
        counts[(1, option, "total", "all")] += 1
        counts[(1, 0, "total", "all")] += 1
        counts[(0, 0, "total", "all")] += 1
    question = QuestionSpec(
        id=1,
        text="Q",
        kind="single",
        min_choices=1,
        max_choices=1,
        options=tuple((o, str(o), False) for o in range(1, 11)),
    )
    problem = block_problem(("okrug", "district"), [question], counts, okrug_of)
    protection = protect(problem.cells, problem.relations)
    assert not protection.withheld
    check(problem, protection)


def test_every_combination_of_a_tiny_table():
    # Exhaustive over 2 × 2 tables with counts in {0, 2, 12}: the smallest cases by hand.
    for a, b, c, d in product((0, 2, 12), repeat=4):
        table = {"female": [a, b], "male": [c, d]}
        table = {k: v for k, v in table.items() if sum(v)}
        if not table:
            continue
        problem, _q = two_way(table, options=(1, 2))
        protection = protect(problem.cells, problem.relations)
        check(problem, protection)
        if not protection.withheld:
            found = other_values_exist(
                problem.cells, problem.relations, set(protection.hidden), bound=48
            )
            assert found is not None and all(found.values()), (table, protection)
