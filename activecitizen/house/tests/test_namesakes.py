"""Two different owners of the same name, not registered yet, told apart by the register's
owner code: two owners in the head count, one paper ballot each; without codes, lines of one
name are one owner (as before)."""

from __future__ import annotations

import pytest

from activecitizen.core.errors import InvalidInput
from activecitizen.house import register, selectors, services
from activecitizen.house.models import Meeting, Ownership, RegisterEntry
from activecitizen.house.tests import house_fixtures as hf
from activecitizen.house.tests.meeting_fixtures import DURING, voting

pytestmark = pytest.mark.django_db

NAME = "Иванов Иван Иванович"


def namesakes(*codes: str):
    building = hf.building()
    admin = hf.house_administrator(building)
    for number, code in enumerate(codes, start=1):
        hf.ownership(hf.premises(building, str(number)), name=NAME, owner_code=code)
    return building, admin


def paper(meeting, admin, entries):
    return services.enter_paper_ballot(
        meeting=meeting,
        by=admin,
        entry_ids=[e.pk for e in entries],
        decisions={1: "for"},
        scan_reference="scan-1.pdf",
        now=DURING,
    )


def test_namesakes_with_codes_are_two_owners_with_a_ballot_each():
    building, admin = namesakes("1234", "5678")
    meeting = voting(building, admin, "other", form=Meeting.Form.MIXED)
    assert meeting.owners_total == 2
    first, second = RegisterEntry.objects.filter(meeting=meeting).order_by("premises_number")
    assert (first.owner_code, second.owner_code) == ("1234", "5678")
    with pytest.raises(InvalidInput) as mixed:
        paper(meeting, admin, [first, second])
    assert mixed.value.field == "entry_ids"
    paper(meeting, admin, [first])
    paper(meeting, admin, [second])
    count = selectors.count_of(meeting)
    assert count.participating_owners == 2 and count.owners_total == 2


def test_without_codes_lines_of_one_name_are_one_owner():
    building, admin = namesakes("", "")
    meeting = voting(building, admin, "other", form=Meeting.Form.MIXED)
    assert meeting.owners_total == 1
    paper(meeting, admin, list(RegisterEntry.objects.filter(meeting=meeting)))
    assert selectors.count_of(meeting).participating_owners == 1


def test_the_code_ignores_case_and_spaces_around_it():
    assert selectors.owner_key(None, NAME, " ab12 ") == selectors.owner_key(None, NAME, "AB12")
    assert selectors.owner_key(None, NAME, "ab12") != selectors.owner_key(None, NAME, "ab13")
    assert selectors.owner_key(None, NAME, "") != selectors.owner_key(None, NAME, "ab12")
    assert selectors.owner_key(7, NAME, "ab12") == selectors.owner_key(7, "Другое имя")


def test_the_import_reads_the_owner_code_column():
    building = hf.building()
    admin = hf.house_administrator(building)
    report = register.import_register(
        building=building,
        csv_text=(
            "premises;kind;area;owner;owner_code\n"
            f"1;residential;50;{NAME};1234\n"
            f"2;residential;50;{NAME};5678\n"
            f"3;residential;50;{NAME};1234\n"
        ),
        by=admin,
    )
    assert not report.rejected
    codes = dict(Ownership.objects.values_list("premises__number", "owner_code"))
    assert codes == {"1": "1234", "2": "5678", "3": "1234"}
    meeting = voting(building, admin, "other")
    assert meeting.owners_total == 2


def test_a_code_is_set_later_and_a_long_one_refused():
    namesakes("")
    ownership = Ownership.objects.get()
    register.set_owner_code(ownership=ownership, code="  77  ")
    assert Ownership.objects.get().owner_code == "77"
    with pytest.raises(InvalidInput):
        register.set_owner_code(ownership=ownership, code="9" * 41)
    assert Ownership.objects.get().owner_code == "77"
