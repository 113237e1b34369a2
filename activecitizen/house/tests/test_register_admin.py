"""The register in the admin: a house administrator sees and changes only their own buildings;
the CSV import page reports every rejected row; claims are confirmed and rejected by actions."""

from __future__ import annotations

from fractions import Fraction

import pytest
from django.contrib.admin import helpers
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from activecitizen.house import register
from activecitizen.house.models import Ownership, Premises, PremisesClaim
from activecitizen.house.tests import house_fixtures as make

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def mine():
    return make.building("ул. Моя, д. 1", premises=2)


@pytest.fixture
def theirs():
    return make.building("ул. Чужая, д. 2", premises=3)


@pytest.fixture
def administrator(client, mine):
    admin = make.house_administrator(mine)
    client.force_login(admin)
    return admin


def url(name: str, *args) -> str:
    return reverse(f"admin:house_{name}", args=args)


def test_a_house_administrator_lists_only_their_buildings(client, administrator, mine, theirs):
    page = client.get(url("building_changelist"))
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [mine]
    assert "ул. Моя, д. 1" in page.text
    assert "ул. Чужая, д. 2" not in page.text
    assert 'field-total_area">100.00<' in page.text  # two premises of 50 m²


def test_another_buildings_rows_are_not_found(client, administrator, theirs):
    assert client.get(url("building_change", theirs.pk)).status_code == 404
    assert client.get(url("building_import", theirs.pk)).status_code == 404
    flat = theirs.premises.first()
    assert client.get(url("premises_change", flat.pk)).status_code == 404


def test_a_house_administrator_lists_only_their_premises_and_claims(
    client, administrator, mine, theirs
):
    page = client.get(url("premises_changelist"))
    assert {p.building_id for p in page.context["cl"].result_list} == {mine.pk}
    register.claim_premises(
        user=make.person(),
        premises=theirs.premises.first(),
        title_document="ЕГРН",
        share=Fraction(1),
    )
    own = register.claim_premises(
        user=make.person(), premises=mine.premises.first(), title_document="ЕГРН", share=Fraction(1)
    )
    claims = client.get(url("premisesclaim_changelist"))
    assert list(claims.context["cl"].result_list) == [own]


def test_the_premises_form_offers_only_their_buildings(client, administrator, mine, theirs):
    form = client.get(url("premises_add")).context["adminform"].form
    assert list(form.fields["building"].queryset) == [mine]


def test_a_premises_added_in_another_building_is_refused(client, administrator, theirs):
    data = {
        "building": theirs.pk,
        "number": "99",
        "kind": Premises.Kind.RESIDENTIAL,
        "area": "40.00",
        "cadastral_number": "",
        "entrance": "",
        "ownerships-TOTAL_FORMS": "0",
        "ownerships-INITIAL_FORMS": "0",
    }
    page = client.post(url("premises_add"), data)
    assert page.status_code == 200  # the form again, with an error on building
    assert "building" in page.context["adminform"].form.errors
    assert not Premises.objects.filter(number="99").exists()


def test_a_superuser_sees_every_building(client, mine, theirs):
    client.force_login(make.person(is_staff=True, is_superuser=True))
    page = client.get(url("building_changelist"))
    assert set(page.context["cl"].result_list) == {mine, theirs}


def test_the_import_page_reports_created_and_rejected_rows(client, administrator, mine):
    text = (
        "premises;kind;area;owner;share\n"
        "10;жилое;45,5;Иванов И. И.;1\n"
        "11;жилое;0;Петров П. П.;1\n"
        "12;офис;30;Сидоров С. С.;1\n"
    )
    page = client.post(url("building_import", mine.pk), {"text": text})
    assert page.status_code == 200
    report = page.context["report"]
    assert (report.premises_created, report.ownerships_created) == (1, 1)
    assert "2 rows rejected" in page.text
    assert "more than 0 m²" in page.text
    assert "Unknown kind of premises &quot;офис&quot;" in page.text
    assert Premises.objects.filter(building=mine, number="10").exists()


def test_the_import_page_reads_an_uploaded_windows_1251_file(client, administrator, mine):
    text = "premises;kind;area;owner\n10;жилое;45,5;Иванов И. И.\n"
    upload = SimpleUploadedFile("реестр.csv", text.encode("cp1251"), content_type="text/csv")
    page = client.post(url("building_import", mine.pk), {"text": "", "file": upload})
    assert page.status_code == 200
    assert Ownership.objects.get(premises__building=mine).owner_name == "Иванов И. И."


def test_an_uploaded_file_that_is_not_text_is_refused_and_nothing_imported(
    client, administrator, mine
):
    text = "premises;kind;area;owner\n10;жилое;45,5;Иванов И. И.\n"
    upload = SimpleUploadedFile("реестр.csv", text.encode("utf-16"), content_type="text/csv")
    page = client.post(url("building_import", mine.pk), {"text": "", "file": upload})
    assert page.status_code == 422
    assert "NUL bytes" in page.text
    assert not Ownership.objects.filter(premises__building=mine).exists()


def test_a_file_that_is_not_a_register_is_shown_as_an_error(client, administrator, mine):
    page = client.post(url("building_import", mine.pk), {"text": "colour;size\nred;1\n"})
    assert page.status_code == 422
    assert "Unknown columns" in page.text
    assert Premises.objects.filter(building=mine).count() == 2


def test_the_building_page_links_to_the_import(client, administrator, mine):
    page = client.get(url("building_change", mine.pk))
    assert url("building_import", mine.pk) in page.text


def test_claims_are_confirmed_and_rejected_by_actions(client, administrator, mine):
    flats = list(mine.premises.order_by("number"))
    first = register.claim_premises(
        user=make.person(), premises=flats[0], title_document="ЕГРН 1", share=Fraction(1)
    )
    second = register.claim_premises(
        user=make.person(), premises=flats[1], title_document="ЕГРН 2", share=Fraction(1)
    )
    changelist = url("premisesclaim_changelist")
    client.post(
        changelist,
        {"action": "confirm_claims", helpers.ACTION_CHECKBOX_NAME: [first.pk], "index": 0},
    )
    first.refresh_from_db()
    assert first.status == PremisesClaim.Status.CONFIRMED
    assert Ownership.objects.get(premises=flats[0]).owner == first.user

    # Rejecting asks for the reason first, and does nothing without one.
    asked = client.post(
        changelist,
        {"action": "reject_claims", helpers.ACTION_CHECKBOX_NAME: [second.pk], "index": 0},
    )
    assert asked.status_code == 200
    assert "reason" in asked.context["form"].fields
    client.post(
        changelist,
        {
            "action": "reject_claims",
            helpers.ACTION_CHECKBOX_NAME: [second.pk],
            "apply": "1",
            "reason": "",
        },
    )
    second.refresh_from_db()
    assert second.status == PremisesClaim.Status.PENDING
    client.post(
        changelist,
        {
            "action": "reject_claims",
            helpers.ACTION_CHECKBOX_NAME: [second.pk],
            "apply": "1",
            "reason": "Копия выписки нечитаема",
        },
    )
    second.refresh_from_db()
    assert second.status == PremisesClaim.Status.REJECTED
    assert second.reason == "Копия выписки нечитаема"
    assert second.decided_by == administrator


def test_the_administrator_gives_a_namesake_a_code_and_nothing_else_changes(
    client, administrator, mine
):
    ownership = make.ownership(make.premises(mine, "5"), name="Петров Пётр Петрович")
    url = reverse("admin:house_ownership_change", args=[ownership.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'name="owner_code"' in page.content.decode()
    answer = client.post(
        url, {"owner_code": " 4411 ", "owner_name": "Someone else", "share_numerator": "1"}
    )
    assert answer.status_code == 302
    ownership.refresh_from_db()
    assert ownership.owner_code == "4411"
    assert ownership.owner_name == "Петров Пётр Петрович"  # read-only here


def test_another_buildings_ownership_is_not_theirs_to_change(client, administrator, theirs):
    ownership = make.ownership(make.premises(theirs, "9"), name="Сидоров С. С.")
    answer = client.post(
        reverse("admin:house_ownership_change", args=[ownership.pk]), {"owner_code": "1"}
    )
    assert answer.status_code in (302, 403, 404)
    assert Ownership.objects.get(pk=ownership.pk).owner_code == ""
