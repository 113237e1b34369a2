"""Points in the admin: levels editable, accounts and ledger read-only, corrections by form."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from activecitizen.rewards.models import Adjustment, LedgerEntry, PointsAccount
from activecitizen.rewards.services import credit_points

pytestmark = pytest.mark.django_db

ADJUST = "admin:rewards_pointsaccount_adjust"


def earn(person, amount, key):
    credit_points(
        user_id=person.pk, amount=amount, reason="poll", reference="poll:1", idempotency_key=key
    )


def viewer(make_person, *codenames):
    staff = make_person(is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="rewards", codename__in=codenames)
    )
    return staff


@pytest.fixture
def officer_client(client, points_officer):
    points_officer.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="rewards",
            codename__in=["view_pointsaccount", "view_ledgerentry"],
        )
    )
    client.force_login(points_officer)
    return client


def test_the_ledger_is_searchable_by_phone_typed_any_way(client, person, make_person, levels):
    other = make_person()
    earn(person, 20, "mine")
    earn(other, 30, "theirs")
    client.force_login(viewer(make_person, "view_ledgerentry"))
    page = client.get(reverse("admin:rewards_ledgerentry_changelist"), {"q": "8 916 123-45-67"})
    assert page.status_code == 200
    assert [e.idempotency_key for e in page.context["cl"].result_list] == ["mine"]


def test_ledger_entries_cannot_be_added_changed_or_deleted(client, person, make_person):
    earn(person, 20, "k")
    entry = LedgerEntry.objects.get()
    everything = [f"{action}_ledgerentry" for action in ("view", "add", "change", "delete")]
    client.force_login(viewer(make_person, *everything))
    assert client.get(reverse("admin:rewards_ledgerentry_add")).status_code == 403
    delete = reverse("admin:rewards_ledgerentry_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    change = reverse("admin:rewards_ledgerentry_change", args=[entry.pk])
    client.post(change, {"amount": 1_000_000, "reason": "campaign"})
    entry.refresh_from_db()
    assert (entry.amount, entry.reason) == (20, "poll")
    assert PointsAccount.objects.get().balance == 20


def test_account_balances_are_read_only(client, person, make_person, levels):
    earn(person, 1000, "k")
    codenames = ["view_pointsaccount", "change_pointsaccount", "delete_pointsaccount"]
    client.force_login(viewer(make_person, *codenames))
    listing = client.get(reverse("admin:rewards_pointsaccount_changelist"))
    assert listing.status_code == 200
    assert "Активный гражданин" in listing.content.decode()
    change = reverse("admin:rewards_pointsaccount_change", args=[person.pk])
    client.post(change, {"balance": 5, "lifetime": 5})
    assert PointsAccount.objects.get().balance == 1000
    # Without the permission there is no way to the correction form.
    assert "Correct" not in client.get(change, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert client.get(reverse(ADJUST)).status_code == 403


def test_an_officer_corrects_a_balance_through_the_form(officer_client, person, points_officer):
    earn(person, 50, "k")
    account_page = officer_client.get(
        reverse("admin:rewards_pointsaccount_change", args=[person.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert f'{reverse(ADJUST)}?phone=%2B79161234567"' in account_page.content.decode()
    form = officer_client.get(reverse(ADJUST), {"phone": person.phone})
    assert form.status_code == 200
    token = form.context["form"]["token"].value()
    posted = {"phone": "8 (916) 123-45-67", "amount": -20, "note": "Ошибка", "token": token}
    answer = officer_client.post(reverse(ADJUST), posted)
    assert answer.status_code == 302
    assert answer["Location"] == reverse("admin:rewards_pointsaccount_change", args=[person.pk])
    # The same form sent again (a double click, a reload) corrects once.
    officer_client.post(reverse(ADJUST), posted)
    assert PointsAccount.objects.get().balance == 30
    adjustment = Adjustment.objects.get()
    assert (adjustment.made_by, adjustment.note, adjustment.entry.amount) == (
        points_officer,
        "Ошибка",
        -20,
    )
    entry_page = officer_client.get(
        reverse("admin:rewards_ledgerentry_change", args=[adjustment.entry.pk])
    )
    assert "Ошибка" in entry_page.content.decode()


def test_the_form_refuses_what_the_rules_refuse(officer_client, person):
    earn(person, 10, "k")
    cases = [
        {"phone": person.phone, "amount": -11, "note": "more than the balance"},
        {"phone": "+79990001234", "amount": 5, "note": "nobody has this phone"},
        {"phone": person.phone, "amount": 0, "note": "zero"},
        {"phone": person.phone, "amount": 5, "note": ""},
    ]
    for number, fields in enumerate(cases):
        answer = officer_client.post(reverse(ADJUST), {**fields, "token": f"t{number}"})
        assert answer.status_code == 422, fields
        assert answer.context["form"].errors
    assert PointsAccount.objects.get().balance == 10
    assert not Adjustment.objects.exists()
