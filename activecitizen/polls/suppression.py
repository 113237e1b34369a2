"""Statistical disclosure control for published breakdowns: which cells to hide (DESIGN.md rule
"Published breakdowns", invariant 4).

A breakdown is a set of cells (counts of voters) tied together by linear relations that a reader
knows: a column adds up to an option's total, a row of a single-choice question adds up to the
row's respondents, an okrug adds up to its districts, and so on. A cell of 1 to 10 voters must
never be shown, and no hidden cell may be worked out exactly from the shown cells and the
relations (secondary suppression).

`protect` answers which cells to hide. It is exact: integer Gaussian elimination over the hidden
cells, kept in reduced row echelon form and updated cell by cell as cells are hidden, so an
audit after each hidden cell costs a few row operations, not a new elimination.

What the audit guarantees for the cells it hides:

1. No hidden cell is a linear combination of the relations and the shown values: its unit
   vector lies outside the row space of the relation matrix restricted to the hidden cells.
2. No hidden zero is pinned by non-negativity. Zeros may be hidden to protect others, but a
   reader knows counts are never negative: from "these hidden cells add up to 0" they learn
   that each is 0, and a small cell protected only by them would be exposed. The audit finds
   a direction in which every hidden zero can grow while the known sums stay put (by Tucker's
   lemma such a direction exists exactly when no non-negative combination of relations pins a
   zero); a hidden zero for which it finds none is shown again instead — showing a zero is
   allowed, and the audit then protects the cells it guarded by other means.

Together: the published table can be moved, staying non-negative and consistent with all that
is shown, to a point where every hidden cell is positive, and from there each hidden cell can
move both ways. So a reader solving "smallest and largest value of this cell, given what is
shown and that counts are not negative" never gets a single value, for any hidden cell.

Not audited: intervals that are merely narrow (a hidden 7 known to lie within 6..8), and
integer-only reasoning. For the tables of one single-choice question (rows, and columns with
okrugs made of districts: two laminar families, a totally unimodular system) integer reasoning
gives no more than the linear programme; where several questions share their respondents, or a
multiple-choice question fixes the number of choices, integer reasoning might in principle narrow
an interval further.

When a hidden cell cannot be protected whatever is hidden (a breakdown with one row repeats the
totals), the whole block is withheld: `Protection.withheld` is True and nothing of it is shown.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from math import gcd
from typing import TypeVar

# Cells of 1..SMALLEST_SHOWN-1 voters are never shown.
SMALLEST_SHOWN = 11

Cell = TypeVar("Cell", bound=Hashable)


@dataclass(frozen=True)
class Protection:
    """The outcome for one block of tables: the cells to hide, or the whole block withheld."""

    hidden: frozenset[Hashable]
    withheld: bool = False
    primary: int = 0  # how many cells are small themselves; the rest protect them
    stuck: Hashable | None = None  # withheld: the cell that nothing could protect

    @property
    def secondary(self) -> int:
        return len(self.hidden) - self.primary


def is_small(count: int) -> bool:
    return 0 < count < SMALLEST_SHOWN


def protect(cells: Mapping[Cell, int], relations: Iterable[Mapping[Cell, int]]) -> Protection:
    """The cells to hide so that no small cell is shown or derivable, and no hidden one either.

    `cells` maps every published cell to its count; `relations` are the linear facts a reader
    knows, each as {cell: coefficient} whose weighted sum is known (a total, or zero). A
    relation may name cells that are not in `cells`: known zeros (rows nobody is in).
    Deterministic: the same cells and relations (in the same order) give the same answer.
    """
    keys = sorted(cells, key=_sort_key)
    index = {key: i for i, key in enumerate(keys)}
    values = [cells[key] for key in keys]
    rows: list[dict[int, int]] = []
    seen: set[frozenset[tuple[int, int]]] = set()
    for relation in relations:
        row = {index[k]: c for k, c in relation.items() if c and k in index}
        if not row:
            continue
        signature = frozenset(_normalised(row).items())
        if signature in seen:
            continue
        seen.add(signature)
        rows.append(row)
    audit = _Audit(values, rows)
    primary = [i for i, v in enumerate(values) if is_small(v)]
    for i in primary:
        audit.hide(i)
    stuck = audit.secure()
    if stuck is not None:
        return Protection(
            hidden=frozenset(cells), withheld=True, primary=len(primary), stuck=keys[stuck]
        )
    return Protection(
        hidden=frozenset(keys[i] for i in audit.hidden), withheld=False, primary=len(primary)
    )


def _sort_key(key: Hashable) -> tuple[str, str]:
    # Keys are tuples of ints and strings from the results; any hashable works, in a stable order.
    return (type(key).__name__, repr(key))


def _normalised(row: dict[int, int]) -> dict[int, int]:
    divisor = 0
    for value in row.values():
        divisor = gcd(divisor, value)
    first = row[min(row)]
    if first < 0:
        divisor = -divisor
    return {k: v // divisor for k, v in row.items()}


class _Audit:
    """Relations in reduced row echelon form over the hidden cells, updated as cells are hidden.

    Every row is a linear form over all cells (hidden and shown) whose value the reader knows.
    Invariants: each hidden *pivot* cell appears in its pivot row only; a row pivoted on a hidden
    zero holds no hidden non-zero cell. Then a hidden cell is derivable iff it is a pivot whose
    row holds no other hidden cell (condition 1), and the rows pivoted on zeros span every
    relation among hidden zeros only, which is where non-negativity could pin one (condition 2).
    """

    def __init__(self, values: list[int], rows: list[dict[int, int]]) -> None:
        self.values = values
        self.rows = rows
        self.hidden: set[int] = set()
        self.revealed: set[int] = set()
        self.containing: list[set[int]] = [set() for _ in values]
        for r, row in enumerate(rows):
            for k in row:
                self.containing[k].add(r)
        # Which original relations a cell is in: "a cell in the same relation" is preferred.
        self.relations_of: list[frozenset[int]] = [frozenset(c) for c in self.containing]
        self.hidden_in_row = [0] * len(rows)
        self.pivot_of_row: list[int | None] = [None] * len(rows)
        self.row_of_pivot: dict[int, int] = {}

    # --- hiding a cell -----------------------------------------------------------------------

    def hide(self, cell: int) -> None:
        if cell in self.hidden:
            return
        self.hidden.add(cell)
        rows = self.containing[cell]
        for r in rows:
            self.hidden_in_row[r] += 1
        if not rows:
            return  # in no relation: nothing can be derived about it
        pivot = self._pivot_row_for(cell, rows)
        if pivot is None:
            return  # a free column: every row holding it now has one more unknown
        old = self.pivot_of_row[pivot]
        if old is not None:
            del self.row_of_pivot[old]  # a zero gives up its row to a non-zero cell
        self.pivot_of_row[pivot] = cell
        self.row_of_pivot[cell] = pivot
        for r in sorted(rows - {pivot}):
            self._eliminate(r, pivot, cell)

    def _pivot_row_for(self, cell: int, rows: set[int]) -> int | None:
        # A row with no hidden cell yet makes the new cell derivable: it becomes its pivot.
        free_rows = [r for r in rows if self.hidden_in_row[r] == 1]
        if free_rows:
            return min(free_rows, key=lambda r: (len(self.rows[r]), r))
        if self.values[cell] != 0:
            # Keep "rows pivoted on a zero hold only zeros": a non-zero cell takes such a row.
            zero_rows = [
                r for r in rows if (p := self.pivot_of_row[r]) is not None and self.values[p] == 0
            ]
            if zero_rows:
                return min(zero_rows, key=lambda r: (len(self.rows[r]), r))
        return None

    def _eliminate(self, r: int, p: int, cell: int) -> None:
        """Row r := a·row r − b·row p, so that `cell` (the pivot of p) leaves row r."""
        row, pivot_row = self.rows[r], self.rows[p]
        a, b = pivot_row[cell], row[cell]
        g = gcd(a, b)
        a, b = a // g, b // g
        if a < 0:
            a, b = -a, -b
        if a != 1:
            for k in row:
                row[k] *= a
        hidden, containing = self.hidden, self.containing
        change = 0
        for k, v in pivot_row.items():
            new = row.get(k, 0) - b * v
            if new:
                if k not in row:
                    containing[k].add(r)
                    if k in hidden:
                        change += 1
                row[k] = new
            elif k in row:
                del row[k]
                containing[k].discard(r)
                if k in hidden:
                    change -= 1
        self.hidden_in_row[r] += change
        if a != 1:
            divisor = 0
            for v in row.values():
                divisor = gcd(divisor, v)
                if divisor == 1:
                    break
            if divisor > 1:
                for k in row:
                    row[k] //= divisor

    def reveal(self, cell: int) -> None:
        """Show a hidden zero again: it is pinned anyway, so showing it tells nobody more.

        A zero hidden as protection can end up derivable, or in a relation among hidden zeros
        only (whose zeros non-negativity pins down). Either way a reader knows it is 0: it is
        as good as shown, and it is shown. It is never hidden again.
        """
        self.hidden.discard(cell)
        self.revealed.add(cell)
        for r in self.containing[cell]:
            self.hidden_in_row[r] -= 1
        p = self.row_of_pivot.pop(cell, None)
        if p is None:
            return
        self.pivot_of_row[p] = None
        others = sorted(k for k in self.rows[p] if k in self.hidden)
        if not others:
            return  # the row no longer holds a hidden cell
        # By the invariant the row holds only hidden zeros: the next one takes the row.
        new = others[0]
        self.pivot_of_row[p] = new
        self.row_of_pivot[new] = p
        for r in sorted(self.containing[new] - {p}):
            self._eliminate(r, p, new)

    # --- the audit and secondary suppression -------------------------------------------------

    def derivable(self) -> list[int]:
        """Hidden cells a reader can work out exactly: pivots whose row holds no other unknown."""
        return sorted(c for c, r in self.row_of_pivot.items() if self.hidden_in_row[r] == 1)

    def pinned_zero_rows(self) -> list[int]:
        """Rows among hidden zeros that may pin some of them to 0; [] when none can.

        The rows pivoted on a zero span every relation among hidden zeros only (the invariant).
        Non-negativity pins a zero exactly when some non-negative combination of them is
        non-zero (Tucker's lemma: otherwise the zeros can all be raised together). We look for
        the alternative instead, a direction that raises every hidden zero at once: free zeros
        move by v ≥ 1, each pivot zero by its row's expression, which must come out positive.
        Found: nothing is pinned. Not found (within a few rounds of reweighting): the rows that
        stay non-positive are returned, and their zeros will be shown — always safe, at worst
        showing a zero that could have stayed hidden.
        """
        zero_rows = [r for c, r in self.row_of_pivot.items() if self.values[c] == 0]
        if not zero_rows:
            return []
        weight: dict[int, int] = {}
        for r in zero_rows:
            for k in self.rows[r]:
                if k in self.hidden and self.pivot_of_row[r] != k:
                    weight[k] = 1
        failing: list[int] = []
        for _round in range(24):
            failing = []
            for r in zero_rows:
                row = self.rows[r]
                pivot = self.pivot_of_row[r]
                assert pivot is not None
                # c_p·u_p + Σ c_k·v_k = 0  →  u_p = −Σ c_k·v_k / c_p must be > 0
                raised = -sum(c * weight[k] for k, c in row.items() if k in weight)
                if raised * row[pivot] <= 0:
                    failing.append(r)
            if not failing:
                return []
            for r in failing:
                row = self.rows[r]
                sign = 1 if row[self.pivot_of_row[r]] > 0 else -1  # type: ignore[index]
                for k, c in row.items():
                    if k in weight and c * sign < 0:
                        weight[k] *= 2
        return sorted(failing)

    def secure(self) -> int | None:
        """Hide more cells until no hidden cell is exposed; the cell that cannot be protected
        whatever is hidden, if there is one.

        A derivable cell gets the best helper hidden; a derivable zero with no helper left is
        shown again, as are zeros that non-negativity may pin. Every round hides a cell never
        hidden before or shows one for good, so this ends.
        """
        while True:
            derivable = self.derivable()
            if derivable:
                cell = derivable[0]
                helper = self._best_helper(cell)
                if helper is not None:
                    self.hide(helper)
                elif self.values[cell] == 0:
                    self.reveal(cell)
                else:
                    return cell
                continue
            pinned = self.pinned_zero_rows()
            if not pinned:
                return None
            for r in pinned:
                pivot = self.pivot_of_row[r]
                if pivot is not None and pivot in self.hidden and self.values[pivot] == 0:
                    self.reveal(pivot)

    def _best_helper(self, cell: int) -> int | None:
        """The smallest shown cell whose hiding breaks the derivation of `cell`, if any.

        The derivation is the pivot row: a shown cell in it that is in no row without hidden
        cells becomes a free unknown of that row once hidden, so the row no longer pins `cell`.
        When no single cell helps, the smallest shown cell of the row is hidden anyway and the
        next rounds protect it in turn. Cells shown again by `reveal` are not candidates.
        """
        row = self.rows[self.row_of_pivot[cell]]
        own_relations = self.relations_of[cell]
        best: tuple[int, int, int, int] | None = None
        for k in row:
            if k in self.hidden or k in self.revealed:
                continue
            helps = not any(self.hidden_in_row[r] == 0 for r in self.containing[k])
            rank = (
                0 if helps else 1,
                self.values[k],
                0 if own_relations & self.relations_of[k] else 1,
                k,
            )
            if best is None or rank < best:
                best = rank
        return None if best is None else best[3]
