"""The register: a building's premises and owners imported from CSV, shares that never add up
to more than the whole premises, people's claims and their decision, residents."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from activecitizen.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from activecitizen.house import register, selectors
from activecitizen.house.models import Entrance, Ownership, Premises, PremisesClaim, Resident
from activecitizen.house.tests import house_fixtures as make

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def house():
    return make.building("ул. Профсоюзная, д. 43")


@pytest.fixture
def admin_of(house):
    return make.house_administrator(house)


def do_import(house, admin, text: str) -> register.RegisterImport:
    return register.import_register(building=house, csv_text=text, by=admin)


def reasons(report: register.RegisterImport) -> dict[int, str]:
    return {row.line: row.reason for row in report.rejected}


HEADER = "premises;entrance;kind;area;owner;phone;share;title_document\n"


# --- The import: the happy path ------------------------------------------------------------------


def test_a_russian_register_with_semicolons_decimal_commas_and_a_bom_is_imported(house, admin_of):
    signed_up = make.person(phone="+79161112233")
    text = (
        "\ufeff"
        + HEADER
        + "1;1;жилое;54,30;Иванов Иван Иванович;8 (916) 111-22-33;1;ЕГРН 77:01:0001001:1-1\n"
        + "2;1;жилое;40,5;Петрова Анна Сергеевна;;1/2;ЕГРН 77:01:0001001:2-77/011/2019-4\n"
        + "2;1;жилое;40,50;Петров Сергей Павлович;;1/2;ЕГРН 77:01:0001001:2-77/011/2019-5\n"
        + "Н-1;;нежилое;120;ООО «Ромашка»;;;\n"
    )
    report = do_import(house, admin_of, text)

    assert report.rejected == []
    assert (report.premises_created, report.ownerships_created) == (3, 4)
    first = Premises.objects.get(building=house, number="1")
    assert first.area == Decimal("54.30")
    assert first.entrance.number == 1
    assert first.ownerships.get().owner == signed_up
    second = Premises.objects.get(building=house, number="2")
    assert selectors.share_owned(second) == 1
    assert sorted(o.owner_name for o in second.ownerships.all()) == [
        "Петров Сергей Павлович",
        "Петрова Анна Сергеевна",
    ]
    shop = Premises.objects.get(building=house, number="Н-1")
    assert shop.kind == Premises.Kind.NON_RESIDENTIAL
    assert shop.entrance is None
    assert shop.ownerships.get().share == 1
    assert selectors.building_total_area(house) == Decimal("214.80")


def test_commas_as_delimiter_and_english_kinds_are_read(house, admin_of):
    text = (
        "premises,kind,area,owner,share\n"
        '12А,residential,"61,25",Smith John,1/3\n'
        "12А,residential,61.25,Smith Jane,2/3\n"
    )
    report = do_import(house, admin_of, text)
    assert report.rejected == []
    assert (report.premises_created, report.ownerships_created) == (1, 2)
    assert Premises.objects.get(number="12А").area == Decimal("61.25")


def test_a_phone_of_nobody_signed_up_adds_the_owner_by_name_and_says_so(house, admin_of):
    report = do_import(house, admin_of, HEADER + "7;;жилое;33;Сидоров;+7 916 000-00-99;1;\n")
    assert report.ownerships_created == 1
    assert Ownership.objects.get().owner is None
    assert [row.line for row in report.phones_unmatched] == [2]
    assert "+79160000099" in report.phones_unmatched[0].reason


# --- The import: every row it refuses, with its line -------------------------------------------


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (";1;жилое;50;Иванов;;1;", "premises number is missing"),
        ("№5!;1;жилое;50;Иванов;;1;", "is not a premises number"),
        ("5;1;жилое;0;Иванов;;1;", "more than 0 m²"),
        ("5;1;жилое;-12,5;Иванов;;1;", "more than 0 m²"),
        ("5;1;жилое;пятьдесят;Иванов;;1;", "is not an area"),
        ("5;1;жилое;50,123;Иванов;;1;", "more than 2 decimals"),
        ("5;1;жилое;;Иванов;;1;", "area is missing"),
        ("5;1;жилое;50;Иванов;;0;", "more than 0"),
        ("5;1;жилое;50;Иванов;;3/2;", "cannot be more than 1"),
        ("5;1;жилое;50;Иванов;;1/0;", "denominator is 0"),
        ("5;1;жилое;50;Иванов;;половина;", "is not a share"),
        ("5;1;квартира-студия;50;Иванов;;1;", 'Unknown kind of premises "квартира-студия"'),
        ("5;1;;50;Иванов;;1;", "Unknown kind of premises"),
        ("5;первый;жилое;50;Иванов;;1;", "is not an entrance number"),
        ("5;1;жилое;50;;;1;", "owner's name is missing"),
        ("5;1;жилое;50;Иванов;12345;1;", "phone"),
    ],
)
def test_a_bad_row_is_rejected_with_its_line_and_reason_and_writes_nothing(
    house, admin_of, row, reason
):
    text = HEADER + "1;1;жилое;40;Петров;;1;\n" + row + "\n" + "2;1;жилое;45;Сидоров;;1;\n"
    report = do_import(house, admin_of, text)

    assert list(reasons(report)) == [3]
    assert reason in reasons(report)[3]
    assert report.ownerships_created == 2
    # The good rows around it are written; the bad one left nothing behind.
    assert sorted(Premises.objects.filter(building=house).values_list("number", flat=True)) == [
        "1",
        "2",
    ]
    assert Ownership.objects.count() == 2


def test_shares_over_one_across_two_rows_are_refused_on_the_second(house, admin_of):
    text = HEADER + "3;;жилое;70;Первый;;2/3;\n" + "3;;жилое;70;Второй;;1/2;\n"
    report = do_import(house, admin_of, text)
    assert report.ownerships_created == 1
    assert list(reasons(report)) == [3]
    assert "would add up to 7/6" in reasons(report)[3]
    assert Premises.objects.get(number="3").ownerships.get().owner_name == "Первый"


def test_shares_over_one_against_ownerships_already_in_the_register_are_refused(house, admin_of):
    flat = make.premises(house, "8", "44.00")
    make.ownership(flat, Fraction(3, 4))
    report = do_import(
        house, admin_of, HEADER + "8;;жилое;44;Новый;;1/3;\n8;;жилое;44;Другой;;1/4;\n"
    )
    assert list(reasons(report)) == [2]
    assert "13/12" in reasons(report)[2]
    assert selectors.share_owned(flat) == 1  # 3/4 + the second row's 1/4


def test_the_same_number_with_another_area_is_refused(house, admin_of):
    make.premises(house, "9", "50.00")
    text = (
        HEADER
        + "9;;жилое;51;Иванов;;1/2;\n"
        + "10;;жилое;30;Петров;;1;\n10;;жилое;31;Сидоров;;1/2;\n"
    )
    report = do_import(house, admin_of, text)
    assert list(reasons(report)) == [2, 4]
    assert "area of 50.00 m², not 51.00 m²" in reasons(report)[2]
    assert "area of 30.00 m², not 31.00 m²" in reasons(report)[4]
    assert Premises.objects.get(number="9").area == Decimal("50.00")
    assert not Ownership.objects.filter(premises__number="9").exists()


def test_the_same_number_as_another_kind_or_entrance_is_refused(house, admin_of):
    text = (
        HEADER
        + "11;1;жилое;30;Иванов;;1/2;\n"
        + "11;1;нежилое;30;Петров;;1/2;\n"
        + "11;2;жилое;30;Сидоров;;1/2;\n"
    )
    report = do_import(house, admin_of, text)
    assert list(reasons(report)) == [3, 4]
    assert "as residential" in reasons(report)[3]
    assert "in entrance 1" in reasons(report)[4]


def test_a_refused_row_leaves_no_entrance_behind(house, admin_of):
    report = do_import(house, admin_of, HEADER + "1;4;жилое;30;Иванов;;2;\n")
    assert list(reasons(report)) == [2]
    assert not Entrance.objects.filter(building=house).exists()


def test_a_row_with_more_values_than_columns_is_refused(house, admin_of):
    report = do_import(house, admin_of, "premises;kind;area;owner\n1;жилое;30;Иванов;лишнее\n")
    assert "more values than the header" in reasons(report)[2]
    assert not Premises.objects.exists()


def test_blank_lines_are_skipped_and_lines_still_counted(house, admin_of):
    report = do_import(
        house, admin_of, HEADER + "\n1;;жилое;30;Иванов;;1;\n\n2;;жилое;0;Петров;;1;\n"
    )
    assert report.ownerships_created == 1
    assert list(reasons(report)) == [5]


# --- The import: files it refuses whole ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("\ufeff  \n\n", "empty"),
        ("1 Иванов 50\n", "must name the columns"),
        ("premises;kind;area;owner;colour\n1;жилое;30;Иванов;red\n", 'Unknown columns: "colour"'),
        ("premises;kind;owner\n1;жилое;Иванов\n", "Missing columns: area"),
        ("premises;номер;kind;area;owner\n", "named twice"),
    ],
)
def test_a_file_that_is_not_a_register_is_refused_and_writes_nothing(
    house, admin_of, text, message
):
    with pytest.raises(InvalidInput) as refused:
        do_import(house, admin_of, text)
    assert message in str(refused.value.message)
    assert not Premises.objects.exists()


def test_more_than_ten_thousand_rows_are_refused_whole(house, admin_of):
    rows = "".join(f"{i};;жилое;30;Иванов;;1;\n" for i in range(1, register.MAX_IMPORT_ROWS + 2))
    with pytest.raises(InvalidInput, match="at most 10000 rows"):
        do_import(house, admin_of, HEADER + rows)
    assert not Premises.objects.exists()


def test_only_the_buildings_administrator_may_import(house):
    stranger = make.person()
    other_admin = make.house_administrator(make.building())
    for who in (stranger, other_admin):
        with pytest.raises(PermissionDenied):
            do_import(house, who, HEADER + "1;;жилое;30;Иванов;;1;\n")
    assert not Premises.objects.exists()


def test_a_superuser_may_import_any_building(house):
    boss = make.person(is_superuser=True, is_staff=True)
    assert do_import(house, boss, HEADER + "1;;жилое;30;Иванов;;1;\n").ownerships_created == 1


# --- The model's own guards ----------------------------------------------------------------------


@pytest.mark.parametrize("area", ["0", "-1.50"])
def test_the_database_refuses_a_premises_without_area(house, area):
    with pytest.raises(IntegrityError), transaction.atomic():
        Premises.objects.create(building=house, number="1", area=Decimal(area))


def test_the_database_refuses_the_same_premises_number_twice(house):
    make.premises(house, "5")
    with pytest.raises(IntegrityError), transaction.atomic():
        make.premises(house, "5", "60.00")
    make.premises(make.building(), "5")  # another building may have its own number 5


def test_the_database_refuses_a_share_over_one(house):
    flat = make.premises(house)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ownership.objects.create(
            premises=flat, owner_name="А", share_numerator=3, share_denominator=2
        )


# --- add_ownership ------------------------------------------------------------------------------


def test_add_ownership_adds_co_owners_up_to_the_whole(house):
    flat = make.premises(house)
    register.add_ownership(premises=flat, owner_name="А", share=Fraction(1, 3))
    register.add_ownership(premises=flat, owner_name="Б", share=Fraction(2, 3))
    with pytest.raises(InvalidInput) as refused:
        register.add_ownership(premises=flat, owner_name="В", share=Fraction(1, 1000))
    assert refused.value.field == "share"
    assert flat.ownerships.count() == 2
    assert selectors.share_owned(flat) == 1


@pytest.mark.parametrize("share", [Fraction(0), Fraction(-1, 2), Fraction(5, 4)])
def test_add_ownership_refuses_a_share_outside_zero_to_one(house, share):
    with pytest.raises(InvalidInput):
        register.add_ownership(premises=make.premises(house), owner_name="А", share=share)
    assert not Ownership.objects.exists()


def test_add_ownership_needs_the_owners_name(house):
    with pytest.raises(InvalidInput) as refused:
        register.add_ownership(premises=make.premises(house), owner_name="  ", share=Fraction(1))
    assert refused.value.field == "owner_name"


# --- Claims --------------------------------------------------------------------------------------


def claim(house, user=None, share=Fraction(1, 2), **fields):
    flat = fields.pop("premises", None) or make.premises(house, fields.pop("number", "21"))
    return register.claim_premises(
        user=user or make.person(first_name="Мария", last_name="Козлова"),
        premises=flat,
        title_document=fields.pop("title_document", "ЕГРН 77:01:0001001:21-77/011/2021-1"),
        share=share,
    )


def test_a_confirmed_claim_makes_the_person_an_owner(house, admin_of):
    pending = claim(house)
    assert not selectors.is_owner(pending.user, house)

    ownership = register.confirm_claim(claim=pending, by=admin_of)

    assert ownership.owner == pending.user
    assert ownership.owner_name == "Мария Козлова"
    assert ownership.share == Fraction(1, 2)
    assert ownership.title_document == "ЕГРН 77:01:0001001:21-77/011/2021-1"
    pending.refresh_from_db()
    assert pending.status == PremisesClaim.Status.CONFIRMED
    assert pending.decided_by == admin_of
    assert pending.decided_at is not None
    assert selectors.is_owner(pending.user, house)
    assert list(selectors.owned_premises(pending.user)) == [pending.premises]
    assert list(selectors.owned_premises(pending.user, building=make.building())) == []


def test_a_claim_is_decided_once(house, admin_of):
    pending = claim(house)
    register.confirm_claim(claim=pending, by=admin_of)
    with pytest.raises(Conflict):
        register.confirm_claim(claim=pending, by=admin_of)
    with pytest.raises(Conflict):
        register.reject_claim(claim=pending, by=admin_of, reason="поздно")
    assert Ownership.objects.count() == 1


def test_a_claim_beyond_the_free_share_is_not_confirmed(house, admin_of):
    flat = make.premises(house, "30")
    make.ownership(flat, Fraction(2, 3))
    pending = claim(house, premises=flat, share=Fraction(1, 2))
    with pytest.raises(InvalidInput, match="7/6"):
        register.confirm_claim(claim=pending, by=admin_of)
    pending.refresh_from_db()
    assert pending.status == PremisesClaim.Status.PENDING
    assert flat.ownerships.count() == 1


def test_a_rejected_claim_keeps_the_reason_and_adds_no_owner(house, admin_of):
    pending = claim(house)
    with pytest.raises(InvalidInput) as refused:
        register.reject_claim(claim=pending, by=admin_of, reason="   ")
    assert refused.value.field == "reason"

    register.reject_claim(claim=pending, by=admin_of, reason="Выписка из ЕГРН на другое лицо")

    pending.refresh_from_db()
    assert pending.status == PremisesClaim.Status.REJECTED
    assert pending.reason == "Выписка из ЕГРН на другое лицо"
    assert pending.decided_by == admin_of
    assert not Ownership.objects.exists()


def test_another_buildings_administrator_cannot_decide_a_claim(house):
    pending = claim(house)
    other_admin = make.house_administrator(make.building())
    with pytest.raises(PermissionDenied):
        register.confirm_claim(claim=pending, by=other_admin)
    with pytest.raises(PermissionDenied):
        register.reject_claim(claim=pending, by=other_admin, reason="нет")
    pending.refresh_from_db()
    assert pending.status == PremisesClaim.Status.PENDING
    assert not Ownership.objects.exists()


def test_a_second_pending_claim_to_the_same_premises_is_a_conflict(house, admin_of):
    first = claim(house)
    with pytest.raises(Conflict):
        claim(house, user=first.user, premises=first.premises)
    register.reject_claim(claim=first, by=admin_of, reason="нечитаемая копия")
    again = claim(house, user=first.user, premises=first.premises)  # a new claim after a decision
    assert again.status == PremisesClaim.Status.PENDING


def test_the_database_keeps_one_pending_claim(house):
    first = claim(house)
    with pytest.raises(IntegrityError), transaction.atomic():
        PremisesClaim.objects.create(user=first.user, premises=first.premises, title_document="x")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title_document": "  "}, "title_document"),
        ({"share": Fraction(0)}, "share"),
        ({"share": Fraction(3, 2)}, "share"),
    ],
)
def test_a_claim_needs_a_title_document_and_a_share_in_zero_to_one(house, fields, field):
    with pytest.raises(InvalidInput) as refused:
        claim(house, **fields)
    assert refused.value.field == field
    assert not PremisesClaim.objects.exists()


# --- Residents -----------------------------------------------------------------------------------


def test_residents_are_added_and_removed_by_the_administrator(house, admin_of):
    tenant = make.person()
    flat = make.premises(house, "40")
    register.add_resident(building=house, user=tenant, premises=flat, by=admin_of)
    assert selectors.is_resident(tenant, house)
    assert not selectors.is_owner(tenant, house)
    with pytest.raises(Conflict):
        register.add_resident(building=house, user=tenant, by=admin_of)

    register.remove_resident(building=house, user=tenant, by=admin_of)
    assert not selectors.is_resident(tenant, house)
    with pytest.raises(NotFound):
        register.remove_resident(building=house, user=tenant, by=admin_of)


def test_residents_of_another_building_are_out_of_reach(house, admin_of):
    other = make.building()
    with pytest.raises(PermissionDenied):
        register.add_resident(building=other, user=make.person(), by=admin_of)
    with pytest.raises(InvalidInput):
        register.add_resident(
            building=house, user=make.person(), premises=make.premises(other), by=admin_of
        )
    assert not Resident.objects.exists()


# --- Selectors -----------------------------------------------------------------------------------


def test_total_area_is_the_exact_sum_of_the_premises():
    house = make.building()
    for number, area in enumerate(["95.00", "0.10", "0.20", "33.33", "33.33", "33.34", "1234.56"]):
        make.premises(house, str(number + 1), area)
    assert selectors.building_total_area(house) == Decimal("1429.86")
    assert selectors.building_total_area(make.building()) == Decimal("0.00")


def test_buildings_administered_by_lists_only_ones_own_and_all_for_a_superuser(house, admin_of):
    make.building()
    assert list(selectors.buildings_administered_by(admin_of)) == [house]
    boss = make.person(is_superuser=True)
    assert selectors.buildings_administered_by(boss).count() == 2
    assert not selectors.buildings_administered_by(make.person()).exists()
