"""The count of an owners' general meeting (Housing Code of the Russian Federation, art. 44–48):
quorum, and for every item the votes for, against and abstaining and whether it is adopted.

Pure Python on purpose: no Django, no database, so hypothesis can hammer it and the services,
the admin and the protocol all call the same function and print the same numbers.

Votes are square metres. An owner has as many votes as the area of their premises times their
share in it (art. 48 part 3), so a line's weight is `area × share`. Areas are `Decimal` and
shares `Fraction`; both convert to `Fraction` exactly, and every sum and comparison below is
done on fractions. Floats never enter: 0.1 + 0.2 != 0.3 is not a risk a protocol that can be
challenged in court may take (art. 46 part 6).

Rounding happens only for display (`percent`, `area_m2`, `exact_m2_string`). Adoption is
decided on exact fractions: exactly 2/3 passes "at least two thirds" although 66.67 % is shown,
and exactly 50 % fails "more than 50 %" although 50.00 % is shown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

# --- Decision types (the rule an item is adopted by) --------------------------------------------

# More than half of the votes of the owners taking part in the meeting (art. 46 part 1, the
# default rule).
MAJORITY_OF_PARTICIPANTS = "majority_of_participants"
# More than 50 % of all votes of the building's owners (art. 46 part 1, e.g. art. 44 part 2
# items 1.1, 4, 4.2, 4.7).
MAJORITY_OF_ALL = "majority_of_all"
# At least two thirds of all votes of the building's owners (art. 46 part 1, e.g. items 1–3).
TWO_THIRDS_OF_ALL = "two_thirds_of_all"
# Every owner of the building votes for: 100 % of all votes.
UNANIMOUS = "all_owners"
# Item 4.5: more than 50 % of all votes of the building and at least two thirds of the votes of
# the owners of premises in the entrance the item is about (art. 46 part 1.2).
ENTRANCE_4_5 = "item_4_5"

DECISION_TYPES: tuple[str, ...] = (
    MAJORITY_OF_PARTICIPANTS,
    MAJORITY_OF_ALL,
    TWO_THIRDS_OF_ALL,
    UNANIMOUS,
    ENTRANCE_4_5,
)

# --- Choices on a ballot ------------------------------------------------------------------------

FOR = "for"
AGAINST = "against"
ABSTAIN = "abstain"
CHOICES: tuple[str, ...] = (FOR, AGAINST, ABSTAIN)

HALF = Fraction(1, 2)
TWO_THIRDS = Fraction(2, 3)
_HUNDRED = Fraction(100)
# `exact_m2_string` prints at most this many decimals: enough for any product of a 0.01 m² area
# and a share whose denominator divides 10**4, and it is the rounding when more would be needed.
EXACT_PLACES = 6


# --- Input --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemInput:
    """One item of the agenda: its number, the rule it is adopted by and, for item 4.5, the
    entrance it concerns (ignored by the other rules)."""

    number: int
    decision_type: str
    entrance: int | None = None


@dataclass(frozen=True)
class VoteLine:
    """One ownership that voted: an owner (`owner_key`: a user id or a named owner) of a share
    in one premises.

    Co-owners are separate lines of the same premises, each with their own share (1/2 + 1/2);
    an owner of several premises has one line per premises. `decisions` maps an item number to
    "for", "against" or "abstain"; a missing item means the owner did not decide on it, and such
    a line still counts towards the quorum and the participants' base.
    """

    owner_key: str
    premises_number: str
    entrance: int | None
    area: Decimal
    share: Fraction
    decisions: Mapping[int, str] = field(default_factory=dict)

    @property
    def weight(self) -> Fraction:
        """The line's votes in m²: area × share, exact (`Fraction(Decimal)` loses nothing)."""
        return Fraction(self.area) * Fraction(self.share)


@dataclass(frozen=True)
class CountInput:
    """Everything the count needs, already read from the database by the caller.

    `total_area` is the sum of the areas of all premises of the building: all the votes there
    are (art. 48 part 3). `entrance_areas` is the same per entrance, the base of item 4.5's
    two thirds. `owners_total` and `entrance_owners` are head counts, used to check the lines
    (no more voters than owners) and for "every owner voted for" (UNANIMOUS).
    """

    total_area: Decimal
    items: Sequence[ItemInput]
    votes: Sequence[VoteLine]
    owners_total: int
    entrance_areas: Mapping[int, Decimal] = field(default_factory=dict)
    entrance_owners: Mapping[int, int] = field(default_factory=dict)


# --- Output -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemCount:
    """The count of one item.

    Areas are exact fractions of m². Percents are of `base_area`, the votes the item's rule is
    measured against: the participants' votes (`participating_area`) for
    MAJORITY_OF_PARTICIPANTS, all votes of the building (`total_area`) for every other rule.
    For ENTRANCE_4_5 the `entrance_*` fields hold the second condition, measured against the
    entrance's total area; they are None for other rules.
    """

    number: int
    decision_type: str
    base_area: Fraction
    for_area: Fraction
    against_area: Fraction
    abstain_area: Fraction
    for_percent: Decimal
    against_percent: Decimal
    abstain_percent: Decimal
    adopted: bool
    # Distinct owners with at least one line "for" this item (the protocol lists head counts).
    for_owners: int = 0
    entrance: int | None = None
    entrance_base_area: Fraction | None = None
    entrance_for_area: Fraction | None = None
    entrance_for_percent: Decimal | None = None

    @property
    def decided_area(self) -> Fraction:
        """Votes of participants who decided on this item (for + against + abstain)."""
        return self.for_area + self.against_area + self.abstain_area


@dataclass(frozen=True)
class MeetingCount:
    """The count of the meeting: the quorum and every item, in the order of the agenda given.

    `total_area` and `participating_area` are exact m² (fractions); `participating_percent` is
    of `total_area`, for display. Without a quorum (`quorum` False) no item is adopted, but the
    items are still counted: the protocol shows how the votes went.
    """

    total_area: Fraction
    participating_area: Fraction
    participating_percent: Decimal
    participating_owners: int
    owners_total: int
    quorum: bool
    items: list[ItemCount]

    def item(self, number: int) -> ItemCount:
        """The count of item `number` (KeyError if the agenda has no such item)."""
        for item in self.items:
            if item.number == number:
                return item
        raise KeyError(number)


# --- Display rounding ---------------------------------------------------------------------------


def _round_half_up(x: Fraction, places: int) -> Decimal:
    """`x` rounded to `places` decimals, ties away from zero (Decimal's ROUND_HALF_UP), exactly:
    the rounding is done on integers, so no intermediate Decimal context can round first."""
    scale = 10**places
    magnitude = abs(x) * scale
    # floor(|x|·10^p + 1/2): a tie (…5 exactly) goes up, away from zero.
    units = (magnitude.numerator * 2 + magnitude.denominator) // (magnitude.denominator * 2)
    if x < 0:
        units = -units
    return Decimal(units).scaleb(-places)


def percent(part: Fraction, whole: Fraction, places: int = 2) -> Decimal:
    """`part` as a percentage of `whole`, for display: `places` decimals (2 by default),
    rounded half up (ROUND_HALF_UP: 4.695 → 4.70, 66.6666… → 66.67), and 0 when `whole` is 0
    (nobody to measure against: an empty base shows 0 %, not an error).

    The rounding is computed from the exact fraction, so it is the true half-up rounding of the
    exact percentage. Never decide adoption on this value: 2/3 shows as 66.67 and 50 % + a
    hair shows as 50.00.
    """
    whole = Fraction(whole)
    if whole == 0:
        return Decimal(0).scaleb(-places)
    return _round_half_up(Fraction(part) * _HUNDRED / whole, places)


def area_m2(x: Fraction) -> Decimal:
    """A weight in m² rounded to 0.01 m², half up, for display (tables, summaries)."""
    return _round_half_up(Fraction(x), 2)


def _terminating_places(x: Fraction) -> int | None:
    """How many decimals `x` needs to be written exactly, or None if it never terminates (its
    denominator has a prime factor other than 2 and 5)."""
    d = x.denominator
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    if d != 1:
        return None
    return max(twos, fives)


def exact_m2_string(x: Fraction) -> str:
    """`x` m² written for the protocol: exactly when the decimal terminates within 6 places
    (at least 2 places, more only as needed: "95.00", "20.225", "0.000125"), otherwise rounded
    half up to 6 places ("33.333333" for 100/3).

    Why: the protocol's per-item figures (for + against + abstain + not decided) must add up
    to the participants' figure, which m² rounded to 0.01 do not always do; exact figures do.
    Shares with odd denominators (1/3) are the only case that needs the 6-place rounding.
    """
    x = Fraction(x)
    places = _terminating_places(x)
    if places is None or places > EXACT_PLACES:
        return str(_round_half_up(x, EXACT_PLACES))
    return str(_round_half_up(x, max(places, 2)))


# --- Validation ---------------------------------------------------------------------------------


def _exact(value: object, what: str) -> Fraction:
    """`value` (Decimal, int or Fraction) as an exact, finite Fraction.

    Floats and strings are refused rather than converted: a float area is already inexact (the
    binary value of 60.1 is not 60.1), and the caller should fix its source, not us guess.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int | Fraction):
        raise ValueError(f"{what} must be a Decimal, int or Fraction, not {type(value).__name__}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{what} must be a finite number, not {value}")
    return Fraction(value)


def _count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} must be a whole number ≥ 0, not {value!r}")
    return value


def _validate(data: CountInput) -> tuple[Fraction, dict[int, Fraction]]:
    """Check the input and return the exact total area and entrance areas.

    Raises ValueError with a message saying what is wrong: the services translate it for the
    organiser. Beyond each value's range it checks the lines against each other, because a
    line counted twice or shares over 1 would silently inflate the votes of a legally binding
    decision.
    """
    total = _exact(data.total_area, "The total area of the building")
    if total <= 0:
        raise ValueError(f"The total area of the building must be more than 0, not {total}")
    owners_total = _count(data.owners_total, "The number of owners")

    entrance_areas: dict[int, Fraction] = {}
    for entrance, area in data.entrance_areas.items():
        exact = _exact(area, f"The area of entrance {entrance}")
        if exact <= 0 or exact > total:
            raise ValueError(
                f"The area of entrance {entrance} must be more than 0 and at most the total "
                f"area of the building, not {area}"
            )
        entrance_areas[entrance] = exact
    for entrance, owners in data.entrance_owners.items():
        _count(owners, f"The number of owners in entrance {entrance}")

    numbers: set[int] = set()
    for item in data.items:
        if item.number in numbers:
            raise ValueError(f"Item {item.number} is on the agenda twice")
        numbers.add(item.number)
        if item.decision_type not in DECISION_TYPES:
            raise ValueError(
                f"Item {item.number}: unknown decision type {item.decision_type!r} "
                f"(expected one of {', '.join(DECISION_TYPES)})"
            )
        if item.decision_type == ENTRANCE_4_5 and item.entrance not in entrance_areas:
            raise ValueError(
                f"Item {item.number} is decided by the entrance rule (item 4.5) but entrance "
                f"{item.entrance} has no total area"
            )

    seen: set[tuple[str, str]] = set()
    premises: dict[str, tuple[Fraction, int | None, Fraction]] = {}  # area, entrance, shares
    participating = Fraction(0)
    per_entrance: dict[int, Fraction] = {}
    voters: set[str] = set()
    entrance_voters: dict[int, set[str]] = {}
    for line in data.votes:
        who = f"{line.owner_key!r} (premises {line.premises_number})"
        if not isinstance(line.owner_key, str) or not line.owner_key:
            raise ValueError(f"A vote of premises {line.premises_number} has no owner")
        line_area = _exact(line.area, f"The area of {who}")
        if line_area <= 0:
            raise ValueError(f"The area of {who} must be more than 0, not {line.area}")
        share = _exact(line.share, f"The share of {who}")
        if not 0 < share <= 1:
            raise ValueError(f"The share of {who} must be more than 0 and at most 1, not {share}")
        if (line.owner_key, line.premises_number) in seen:
            raise ValueError(f"{who} voted twice")
        seen.add((line.owner_key, line.premises_number))
        for number, choice in line.decisions.items():
            if number not in numbers:
                raise ValueError(f"{who} decided on item {number}, which is not on the agenda")
            if choice not in CHOICES:
                raise ValueError(
                    f"{who} on item {number}: {choice!r} is not one of {', '.join(CHOICES)}"
                )

        # Co-owners' lines of one premises must agree on it, and their shares fit in it.
        known = premises.get(line.premises_number)
        if known is None:
            premises[line.premises_number] = (line_area, line.entrance, share)
        else:
            known_area, known_entrance, shares = known
            if known_area != line_area or known_entrance != line.entrance:
                raise ValueError(
                    f"Premises {line.premises_number} has different areas or entrances "
                    "in different votes"
                )
            if shares + share > 1:
                raise ValueError(f"The shares voted in premises {line.premises_number} exceed 1")
            premises[line.premises_number] = (line_area, line.entrance, shares + share)

        weight = line_area * share
        participating += weight
        voters.add(line.owner_key)
        if line.entrance is not None:
            per_entrance[line.entrance] = per_entrance.get(line.entrance, Fraction(0)) + weight
            entrance_voters.setdefault(line.entrance, set()).add(line.owner_key)

    if participating > total:
        raise ValueError(
            f"The votes ({exact_m2_string(participating)} m²) exceed the total area of the "
            f"building ({exact_m2_string(total)} m²)"
        )
    for entrance, weight in per_entrance.items():
        if entrance in entrance_areas and weight > entrance_areas[entrance]:
            raise ValueError(
                f"The votes in entrance {entrance} ({exact_m2_string(weight)} m²) exceed "
                f"its area ({exact_m2_string(entrance_areas[entrance])} m²)"
            )
    if len(voters) > owners_total:
        raise ValueError(f"{len(voters)} owners voted but the building has {owners_total}")
    for entrance, keys in entrance_voters.items():
        if entrance in data.entrance_owners and len(keys) > data.entrance_owners[entrance]:
            raise ValueError(
                f"{len(keys)} owners voted in entrance {entrance} but it has "
                f"{data.entrance_owners[entrance]}"
            )
    return total, entrance_areas


# --- The count ----------------------------------------------------------------------------------


def _adopted(
    decision_type: str,
    *,
    for_area: Fraction,
    participating: Fraction,
    total: Fraction,
    for_owners: int,
    owners_total: int,
    entrance_for: Fraction | None,
    entrance_area: Fraction | None,
) -> bool:
    """Whether an item passes its rule, on exact fractions (the quorum is checked by the
    caller). "More than" is strict and "at least" is not, exactly as the Code words them."""
    if decision_type == MAJORITY_OF_PARTICIPANTS:
        return for_area > participating * HALF
    if decision_type == MAJORITY_OF_ALL:
        return for_area > total * HALF
    if decision_type == TWO_THIRDS_OF_ALL:
        return for_area >= total * TWO_THIRDS
    if decision_type == UNANIMOUS:
        # All votes for, and as many owners for as the building has: the head count guards
        # against an area register that misses an owner whose votes are then never asked.
        return for_area == total and for_owners >= owners_total
    if decision_type == ENTRANCE_4_5:
        assert entrance_for is not None and entrance_area is not None
        return for_area > total * HALF and entrance_for >= entrance_area * TWO_THIRDS
    raise ValueError(f"Unknown decision type {decision_type!r}")  # pragma: no cover (validated)


def count_meeting(data: CountInput) -> MeetingCount:
    """Count the meeting: the quorum, then every item of the agenda in the order given.

    The quorum (art. 45 part 3) is participating votes strictly more than 50 % of all votes;
    the participants are every line given, whether or not it decided on a given item. Without
    a quorum no item is adopted. The result does not depend on the order of `data.votes`: all
    sums are exact.

    Raises ValueError when the input is invalid (see `_validate`).
    """
    total, entrance_areas = _validate(data)

    # Every weight as a whole number of 1/scale m²: summing integers instead of fractions
    # makes a 2,000-flat meeting's count several times faster, and stays exact (a weight is
    # area × share, and the scale is a common multiple of every such denominator).
    weights = [line.weight for line in data.votes]
    scale = math.lcm(1, *(w.denominator for w in weights))
    units = [w.numerator * (scale // w.denominator) for w in weights]
    participating = Fraction(sum(units), scale)
    quorum = participating > total * HALF
    voters = {line.owner_key for line in data.votes}

    items: list[ItemCount] = []
    for item in data.items:
        tallies = {FOR: 0, AGAINST: 0, ABSTAIN: 0}
        for_owners: set[str] = set()
        entrance_units = 0
        for line, weight in zip(data.votes, units, strict=True):
            choice = line.decisions.get(item.number)
            if choice is None:
                continue
            tallies[choice] += weight
            if choice == FOR:
                for_owners.add(line.owner_key)
                if item.entrance is not None and line.entrance == item.entrance:
                    entrance_units += weight
        sums = {choice: Fraction(n, scale) for choice, n in tallies.items()}
        entrance_for = Fraction(entrance_units, scale)

        base = participating if item.decision_type == MAJORITY_OF_PARTICIPANTS else total
        is_entrance = item.decision_type == ENTRANCE_4_5
        entrance_area = (
            entrance_areas[item.entrance] if is_entrance and item.entrance is not None else None
        )
        adopted = quorum and _adopted(
            item.decision_type,
            for_area=sums[FOR],
            participating=participating,
            total=total,
            for_owners=len(for_owners),
            owners_total=data.owners_total,
            entrance_for=entrance_for if is_entrance else None,
            entrance_area=entrance_area,
        )
        items.append(
            ItemCount(
                number=item.number,
                decision_type=item.decision_type,
                base_area=base,
                for_area=sums[FOR],
                against_area=sums[AGAINST],
                abstain_area=sums[ABSTAIN],
                for_percent=percent(sums[FOR], base),
                against_percent=percent(sums[AGAINST], base),
                abstain_percent=percent(sums[ABSTAIN], base),
                adopted=adopted,
                for_owners=len(for_owners),
                entrance=item.entrance if is_entrance else None,
                entrance_base_area=entrance_area,
                entrance_for_area=entrance_for if is_entrance else None,
                entrance_for_percent=(
                    percent(entrance_for, entrance_area) if entrance_area is not None else None
                ),
            )
        )

    return MeetingCount(
        total_area=total,
        participating_area=participating,
        participating_percent=percent(participating, total),
        participating_owners=len(voters),
        owners_total=data.owners_total,
        quorum=quorum,
        items=items,
    )
