"""The count of an owners' meeting is exact: quorum and adoption are decided on fractions, the
boundaries of art. 46 fall on the right side, and the result does not depend on the order of the
votes. Pure tests: no database."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activecitizen.house.counting import (
    ENTRANCE_4_5,
    MAJORITY_OF_ALL,
    MAJORITY_OF_PARTICIPANTS,
    TWO_THIRDS_OF_ALL,
    UNANIMOUS,
    CountInput,
    ItemInput,
    VoteLine,
    area_m2,
    count_meeting,
    exact_m2_string,
    percent,
)

D = Decimal
F = Fraction


def line(owner, premises, area, decision=None, *, share=1, entrance=None, item=1):
    """One vote line; `decision` is the choice on `item` (None: did not decide on it)."""
    return VoteLine(
        owner_key=owner,
        premises_number=premises,
        entrance=entrance,
        area=D(area),
        share=F(share),
        decisions={} if decision is None else {item: decision},
    )


def count_one(decision_type, votes, *, total="100.00", owners_total=None, **kwargs):
    """Count a one-item meeting and return (meeting, the item's count)."""
    meeting = count_meeting(
        CountInput(
            total_area=D(total),
            items=[ItemInput(1, decision_type, kwargs.pop("entrance", None))],
            votes=votes,
            owners_total=len({v.owner_key for v in votes})
            if owners_total is None
            else owners_total,
            **kwargs,
        )
    )
    return meeting, meeting.item(1)


# --- Display rounding ---------------------------------------------------------------------------


def test_the_worked_example_95_of_2022_square_metres():
    # An owner of 95 m² in a building of 2,022 m² has 95/2022 of the votes: 4.698 %.
    _, item = count_one(MAJORITY_OF_ALL, [line("a", "1", "95", "for")], total="2022")
    assert item.for_area == F(95)
    assert item.for_area / item.base_area == F(95, 2022)
    assert percent(F(95), F(2022), places=3) == D("4.698")
    assert item.for_percent == D("4.70")


def test_percent_rounds_half_up_on_the_exact_value():
    assert percent(F(12345, 1000), F(100)) == D("12.35")  # banker's rounding would say 12.34
    assert percent(F(2), F(3)) == D("66.67")
    assert percent(F(1), F(3)) == D("33.33")
    assert percent(F(1), F(2)) == D("50.00")
    assert percent(F(1), F(1)) == D("100.00")
    assert percent(F(0), F(7)) == D("0.00")
    assert percent(F(5), F(0)) == D("0.00")  # nothing to measure against
    assert percent(F(1), F(8), places=0) == D("13")
    assert str(percent(F(1), F(8))) == "12.50"


def test_area_m2_rounds_to_a_hundredth_half_up():
    assert area_m2(F(95)) == D("95.00")
    assert area_m2(F(60, 3) + F(1, 200)) == D("20.01")  # 20.005 → 20.01
    assert area_m2(F(100, 3)) == D("33.33")
    assert str(area_m2(F(0))) == "0.00"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (F(95), "95.00"),
        (F(475, 10), "47.50"),
        (F(20225, 1000), "20.225"),
        (F(1, 8000), "0.000125"),
        (F(1, 2**6), "0.015625"),  # six places: still exact
        (F(1, 2**7), "0.007813"),  # 0.0078125 needs seven: rounded half up
        (F(1, 3), "0.333333"),
        (F(200, 3), "66.666667"),
    ],
)
def test_exact_m2_string(value, shown):
    assert exact_m2_string(value) == shown


# --- Boundaries: "more than" is strict, "at least" is not ----------------------------------------


def test_exactly_half_of_all_votes_fails_majority_of_all():
    meeting, item = count_one(
        MAJORITY_OF_ALL, [line("a", "1", "50.00", "for"), line("b", "2", "10.00", "against")]
    )
    assert meeting.quorum
    assert item.for_percent == D("50.00")
    assert not item.adopted


def test_half_of_all_votes_and_a_hundredth_of_a_metre_passes_majority_of_all():
    _, item = count_one(MAJORITY_OF_ALL, [line("a", "1", "50.01", "for")])
    assert item.adopted


def test_majority_of_all_counts_against_all_votes_not_the_participants():
    # 40 of 60 participating is 2/3 of the participants, but only 40 % of all votes.
    _, item = count_one(
        MAJORITY_OF_ALL, [line("a", "1", "40", "for"), line("b", "2", "20", "against")]
    )
    assert item.base_area == F(100)
    assert (item.for_percent, item.against_percent) == (D("40.00"), D("20.00"))
    assert not item.adopted


def test_exactly_two_thirds_passes_even_though_66_67_is_shown():
    # Premises of 100 m² owned 2/3 + 1/3: the 2/3 owner's votes are exactly 2/3 of the building.
    votes = [
        line("a", "1", "100", "for", share=F(2, 3)),
        line("b", "1", "100", "against", share=F(1, 3)),
    ]
    _, item = count_one(TWO_THIRDS_OF_ALL, votes)
    assert item.for_area == F(200, 3)
    assert item.for_percent == D("66.67")
    assert item.adopted


def test_two_thirds_in_whole_metres_passes():
    _, item = count_one(TWO_THIRDS_OF_ALL, [line("a", "1", "200.00", "for")], total="300.00")
    assert item.adopted


@pytest.mark.parametrize(
    ("total", "votes"),
    [
        ("3000.00", [line("a", "1", "1999.99", "for")]),  # a hundredth of a metre short
        ("300.00", [line("a", "1", "300", "for", share=F(2, 3) - F(1, 10**9))]),  # a billionth
    ],
)
def test_a_hair_less_than_two_thirds_fails_though_66_67_is_shown(total, votes):
    _, item = count_one(TWO_THIRDS_OF_ALL, votes, total=total)
    assert item.for_percent == D("66.67")
    assert not item.adopted


def test_quorum_of_exactly_half_fails_and_nothing_is_adopted():
    meeting, item = count_one(MAJORITY_OF_PARTICIPANTS, [line("a", "1", "50.00", "for")])
    assert meeting.participating_percent == D("50.00")
    assert not meeting.quorum
    assert item.for_percent == D("100.00")  # every participant for, and still not adopted
    assert not item.adopted


def test_quorum_of_half_and_a_hundredth_holds():
    meeting, item = count_one(MAJORITY_OF_PARTICIPANTS, [line("a", "1", "50.01", "for")])
    assert meeting.quorum
    assert item.adopted


def test_majority_of_participants_is_measured_against_everyone_taking_part():
    # Owner c takes part but does not decide on item 1: still in the base, so 30 of 60 fails.
    votes = [line("a", "1", "30", "for"), line("b", "2", "10", "against"), line("c", "3", "20")]
    meeting, item = count_one(MAJORITY_OF_PARTICIPANTS, votes)
    assert meeting.participating_area == F(60)
    assert item.base_area == F(60)
    assert item.decided_area == F(40)
    assert item.for_percent == D("50.00")
    assert not item.adopted

    votes[0] = line("a", "1", "30.01", "for")
    _, item = count_one(MAJORITY_OF_PARTICIPANTS, votes)
    assert item.adopted


def test_unanimous_fails_with_one_abstention():
    votes = [line("a", "1", "60", "for"), line("b", "2", "39", "for"), line("c", "3", "1")]
    _, item = count_one(UNANIMOUS, [*votes[:2], line("c", "3", "1", "abstain")])
    assert not item.adopted
    _, item = count_one(UNANIMOUS, votes)  # c takes part but does not decide: not "for" either
    assert not item.adopted
    _, item = count_one(UNANIMOUS, [*votes[:2], line("c", "3", "1", "for")])
    assert item.for_percent == D("100.00")
    assert item.adopted


def test_unanimous_needs_every_owner_of_the_building_not_only_every_metre():
    votes = [line("a", "1", "100", "for")]
    _, item = count_one(UNANIMOUS, votes, owners_total=2)
    assert not item.adopted


# --- Item 4.5: the building and the entrance ----------------------------------------------------

ENTRANCES = {"entrance_areas": {1: D("300"), 2: D("700")}, "entrance_owners": {1: 3, 2: 3}}


def entrance_votes(entrance_1_for, entrance_2_for):
    """Owners a, b, c live in entrance 1 (100 m² each), d, e, f in entrance 2 (200, 250,
    250 m²); the first `n` of each entrance vote for, the rest against."""
    votes = []
    for i, (owner, area) in enumerate([("a", 100), ("b", 100), ("c", 100)]):
        choice = "for" if i < entrance_1_for else "against"
        votes.append(line(owner, f"1-{owner}", area, choice, entrance=1))
    for i, (owner, area) in enumerate([("d", 200), ("e", 250), ("f", 250)]):
        choice = "for" if i < entrance_2_for else "against"
        votes.append(line(owner, f"2-{owner}", area, choice, entrance=2))
    return votes


def count_entrance(votes):
    return count_one(ENTRANCE_4_5, votes, total="1000", entrance=1, **ENTRANCES)


def test_item_4_5_passes_with_both_majorities():
    # Building: 200 + 200 + 250 = 650 of 1000; entrance 1: 200 of 300 = exactly 2/3.
    _, item = count_entrance(entrance_votes(2, 2))
    assert item.for_area == F(650)
    assert (item.entrance, item.entrance_base_area, item.entrance_for_area) == (1, 300, 200)
    assert item.entrance_for_percent == D("66.67")
    assert item.adopted


def test_item_4_5_fails_without_two_thirds_of_the_entrance():
    # Building: 100 + 700 = 800 of 1000, far over half; entrance 1: 100 of 300.
    _, item = count_entrance(entrance_votes(1, 3))
    assert item.for_area == F(800)
    assert item.entrance_for_area == F(100)
    assert not item.adopted


def test_item_4_5_fails_without_half_of_the_building():
    # Entrance 1 unanimous (300 of 300), the building 300 + 200 = 500 of 1000: exactly half.
    _, item = count_entrance(entrance_votes(3, 1))
    assert item.entrance_for_area == F(300)
    assert item.for_area == F(500)
    assert not item.adopted


def test_item_4_5_counts_only_the_entrance_the_item_is_about():
    # All of entrance 2 votes for, which says nothing about entrance 1.
    _, item = count_entrance(entrance_votes(0, 3))
    assert item.entrance_for_area == F(0)
    assert not item.adopted


# --- Co-owners and owners of several premises ---------------------------------------------------


def test_co_owners_each_vote_their_share():
    both_for = [
        line("a", "7", "60", "for", share=F(1, 2)),
        line("b", "7", "60", "for", share=F(1, 2)),
    ]
    meeting, item = count_one(MAJORITY_OF_ALL, both_for)
    assert meeting.participating_area == F(60)
    assert item.for_area == F(60)
    assert item.for_owners == 2

    split = [
        line("a", "7", "60", "for", share=F(1, 2)),
        line("b", "7", "60", "against", share=F(1, 2)),
    ]
    meeting, item = count_one(MAJORITY_OF_ALL, split)
    assert (item.for_area, item.against_area) == (F(30), F(30))
    assert meeting.participating_area == F(60)
    assert not item.adopted


def test_an_owner_of_several_premises_adds_up_their_lines():
    votes = [
        line("a", "1", "35.50", "for"),
        line("a", "2", "20.25", "for"),
        line("a", "P-3", "14.00", "for", share=F(1, 2)),
    ]
    meeting, item = count_one(MAJORITY_OF_ALL, votes)
    assert item.for_area == F(3550 + 2025 + 700, 100)
    assert exact_m2_string(item.for_area) == "62.75"
    assert meeting.participating_owners == 1
    assert item.for_owners == 1
    assert item.adopted


def test_items_are_counted_independently_in_agenda_order():
    votes = [
        VoteLine("a", "1", None, D("40"), F(1), {1: "for", 2: "against", 3: "abstain"}),
        VoteLine("b", "2", None, D("30"), F(1), {1: "against", 2: "for"}),
    ]
    meeting = count_meeting(
        CountInput(
            total_area=D("100"),
            items=[
                ItemInput(3, MAJORITY_OF_PARTICIPANTS),
                ItemInput(1, MAJORITY_OF_PARTICIPANTS),
                ItemInput(2, MAJORITY_OF_ALL),
            ],
            votes=votes,
            owners_total=5,
        )
    )
    assert [i.number for i in meeting.items] == [3, 1, 2]
    assert meeting.participating_area == F(70)
    assert meeting.participating_percent == D("70.00")
    one, two, three = meeting.item(1), meeting.item(2), meeting.item(3)
    assert (one.for_area, one.against_area, one.abstain_area) == (40, 30, 0)
    assert one.for_percent == D("57.14")  # 40 / 70
    assert one.adopted
    assert (two.for_area, two.base_area, two.adopted) == (30, 100, False)
    assert (three.abstain_area, three.abstain_percent, three.adopted) == (40, D("57.14"), False)
    with pytest.raises(KeyError):
        meeting.item(4)


# --- Invalid input ------------------------------------------------------------------------------


def valid(**changes):
    data = {
        "total_area": D("100"),
        "items": [ItemInput(1, MAJORITY_OF_ALL)],
        "votes": [line("a", "1", "60", "for", entrance=1)],
        "owners_total": 3,
        "entrance_areas": {1: D("100")},
        "entrance_owners": {1: 3},
    }
    data.update(changes)
    return CountInput(**data)


def test_the_valid_input_is_valid():
    assert count_meeting(valid()).item(1).adopted


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"total_area": D("0")}, "total area"),
        ({"total_area": D("-5")}, "total area"),
        ({"total_area": D("NaN")}, "finite"),
        ({"total_area": 100.0}, "not float"),
        ({"votes": [line("a", "1", "0", "for")]}, "area of 'a'"),
        ({"votes": [line("a", "1", "-1", "for")]}, "area of 'a'"),
        ({"votes": [VoteLine("a", "1", None, 60.5, F(1), {})]}, "not float"),
        ({"votes": [line("a", "1", "60", "for", share=F(0))]}, "share"),
        ({"votes": [line("a", "1", "60", "for", share=F(3, 2))]}, "share"),
        ({"votes": [line("a", "1", "60", "for", share=F(-1, 2))]}, "share"),
        ({"votes": [VoteLine("a", "1", None, D("60"), 0.5, {})]}, "not float"),
        ({"votes": [line("a", "1", "60", "yes")]}, "'yes' is not one of"),
        ({"votes": [line("a", "1", "60", "for", item=2)]}, "item 2"),
        ({"votes": [line("", "1", "60", "for")]}, "no owner"),
        ({"votes": [line("a", "1", "60", "for")] * 2}, "voted twice"),
        ({"votes": [line("a", "1", "101", "for")]}, "exceed the total area"),
        (
            {"votes": [line("a", "1", "60", "for", entrance=1)], "entrance_areas": {1: D("50")}},
            "entrance 1",
        ),
        (
            {
                "votes": [
                    line("a", "1", "60", "for", share=F(2, 3)),
                    line("b", "1", "60", "for", share=F(1, 2)),
                ]
            },
            "exceed 1",
        ),
        (
            {"votes": [line("a", "1", "60", "for"), line("b", "1", "40", "for", share=F(1, 2))]},
            "different areas",
        ),
        ({"items": [ItemInput(1, "simple")]}, "unknown decision type"),
        ({"items": [ItemInput(1, MAJORITY_OF_ALL), ItemInput(1, UNANIMOUS)]}, "twice"),
        ({"items": [ItemInput(1, ENTRANCE_4_5, 2)]}, "entrance 2 has no total area"),
        ({"items": [ItemInput(1, ENTRANCE_4_5)]}, "entrance None has no total area"),
        ({"owners_total": 0}, "1 owners voted"),
        ({"owners_total": -1}, "number of owners"),
        ({"entrance_owners": {1: 0}}, "in entrance 1"),
        ({"entrance_areas": {1: D("0")}}, "area of entrance 1"),
        ({"entrance_areas": {1: D("100.01")}}, "area of entrance 1"),
    ],
)
def test_invalid_input_raises_a_value_error(changes, message):
    with pytest.raises(ValueError, match=message):
        count_meeting(valid(**changes))


# --- Properties ---------------------------------------------------------------------------------

AGENDA = [
    ItemInput(1, MAJORITY_OF_PARTICIPANTS),
    ItemInput(2, MAJORITY_OF_ALL),
    ItemInput(3, TWO_THIRDS_OF_ALL),
    ItemInput(4, UNANIMOUS),
    ItemInput(5, ENTRANCE_4_5, 1),
]
choices = st.sampled_from(["for", "against", "abstain", None])
cents = st.integers(1, 20_000).map(lambda c: D(c).scaleb(-2))


@st.composite
def premises(draw, number, mood):
    """One premises and the lines of its owners who voted: up to three co-owners whose shares
    add up to at most 1 (some co-owners may not have voted); `mood` draws their choices."""
    area = draw(cents)
    entrance = draw(st.sampled_from([1, 2, None]))
    denominator = draw(st.integers(1, 12))
    parts = draw(st.lists(st.integers(1, denominator), min_size=1, max_size=3))
    shares, used = [], 0
    for part in parts:
        if used + part > denominator:
            break
        shares.append(F(part, denominator))
        used += part
    if used < denominator and draw(st.booleans()):
        shares.append(F(denominator - used, denominator))  # the whole premises voted
    owners = draw(st.lists(st.integers(0, 9), min_size=len(shares), max_size=4, unique=True))
    lines = []
    for share, owner in zip(shares, owners, strict=False):
        decisions = {item.number: draw(mood) for item in AGENDA}
        lines.append(
            VoteLine(
                owner_key=f"owner-{owner}",
                premises_number=str(number),
                entrance=entrance,
                area=area,
                share=share,
                decisions={n: c for n, c in decisions.items() if c is not None},
            )
        )
    return area, entrance, lines


@st.composite
def meetings(draw, spare=None):
    """A valid meeting; with `spare`, one more premises of that owner that did not vote (its
    area is in the building's), for the monotonicity property."""
    # Now and then the whole building votes for everything, so that unanimity is reached too.
    mood = draw(st.sampled_from([choices, choices, choices, st.just("for")]))
    drawn = [draw(premises(i, mood)) for i in range(draw(st.integers(0, 12)))]
    if spare is not None:
        extra_area = draw(cents)
        extra_entrance = draw(st.sampled_from([1, 2, None]))
        drawn.append((extra_area, extra_entrance, []))
    votes = [vote for _, _, lines in drawn for vote in lines]
    # Premises nobody voted for, and areas outside any entrance, make up the rest.
    entrance_areas = {1: D(0), 2: D(0)}
    outside = D(0)
    for area, entrance, _ in drawn:
        if entrance is None:
            outside += area
        else:
            entrance_areas[entrance] += area
    for entrance in entrance_areas:
        # An entrance needs an area; all of it may have voted, or premises may be left over.
        least = D("0.01") if entrance_areas[entrance] == 0 else D(0)
        entrance_areas[entrance] += draw(st.sampled_from([least, D("0.01"), draw(cents)]))
    outside += draw(st.sampled_from([D(0), D(0), D("0.01"), D(1000)]))
    total = entrance_areas[1] + entrance_areas[2] + outside
    voters = {v.owner_key for v in votes} | ({spare} if spare else set())
    per_entrance = {
        e: len({v.owner_key for v in votes if v.entrance == e} | ({spare} if spare else set()))
        for e in (1, 2)
    }
    data = CountInput(
        total_area=total,
        items=AGENDA,
        votes=votes,
        owners_total=len(voters) + draw(st.sampled_from([0, 0, 1, 5])),
        entrance_areas=entrance_areas,
        entrance_owners=per_entrance,
    )
    if spare is None:
        return data
    new_line = VoteLine(
        spare, "spare", extra_entrance, extra_area, F(1), {i.number: "for" for i in AGENDA}
    )
    return data, new_line


@settings(deadline=None)
@given(data=meetings(), order=st.data())
def test_the_count_does_not_depend_on_the_order_of_the_votes(data, order):
    permuted = order.draw(st.permutations(data.votes))
    again = CountInput(
        total_area=data.total_area,
        items=data.items,
        votes=permuted,
        owners_total=data.owners_total,
        entrance_areas=data.entrance_areas,
        entrance_owners=data.entrance_owners,
    )
    assert count_meeting(again) == count_meeting(data)


@settings(deadline=None)
@given(data=meetings())
def test_the_count_is_bounded_and_consistent(data):
    meeting = count_meeting(data)
    assert 0 <= meeting.participating_area <= meeting.total_area
    assert meeting.quorum == (meeting.participating_area * 2 > meeting.total_area)
    assert D(0) <= meeting.participating_percent <= D(100)
    for item in meeting.items:
        assert item.for_area + item.against_area + item.abstain_area <= meeting.participating_area
        for shown in (item.for_percent, item.against_percent, item.abstain_percent):
            assert D(0) <= shown <= D(100)
        if item.entrance_for_percent is not None:
            assert D(0) <= item.entrance_for_percent <= D(100)
        if item.adopted:
            assert meeting.quorum
            assert item.for_area * 2 > item.base_area


@settings(deadline=None)
@given(pair=meetings(spare="owner-new"))
def test_another_vote_for_never_rejects_an_adopted_item(pair):
    data, new_line = pair
    before = count_meeting(data)
    after = count_meeting(
        CountInput(
            total_area=data.total_area,
            items=data.items,
            votes=[*data.votes, new_line],
            owners_total=data.owners_total,
            entrance_areas=data.entrance_areas,
            entrance_owners=data.entrance_owners,
        )
    )
    assert after.participating_area == before.participating_area + new_line.weight
    for was, now in zip(before.items, after.items, strict=True):
        assert now.for_area == was.for_area + new_line.weight
        if was.adopted:
            assert now.adopted, was.decision_type
