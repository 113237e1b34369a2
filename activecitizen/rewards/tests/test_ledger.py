"""The points ledger (DESIGN.md invariant 5): credits and debits once per key, the balance is
the sum of the entries and never negative, a refused debit writes nothing."""

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activecitizen.core.errors import Conflict, InvalidInput, PermissionDenied
from activecitizen.rewards.models import Adjustment, LedgerEntry, PointsAccount
from activecitizen.rewards.services import adjust_points, credit_points, debit_points

pytestmark = pytest.mark.django_db


def credit(user, amount, key, reason="poll"):
    return credit_points(
        user_id=user.pk, amount=amount, reason=reason, reference="poll:1", idempotency_key=key
    )


def debit(user, amount, key, reason="order"):
    return debit_points(
        user_id=user.pk, amount=amount, reason=reason, reference="order:1", idempotency_key=key
    )


def balance_of(user):
    return PointsAccount.objects.get(pk=user.pk).balance


def assert_ledger_adds_up(user):
    account = PointsAccount.objects.get(pk=user.pk)
    entries = LedgerEntry.objects.filter(account=account)
    assert account.balance == (entries.aggregate(s=Sum("amount"))["s"] or 0)
    assert account.balance >= 0
    assert account.lifetime == (entries.filter(amount__gt=0).aggregate(s=Sum("amount"))["s"] or 0)


def test_a_credit_retried_with_the_same_key_counts_once(person):
    first = credit(person, 20, "poll:1:user:1")
    again = [credit(person, 20, "poll:1:user:1") for _ in range(3)]
    assert first.credited and first.amount == 20
    assert [c.credited for c in again] == [False, False, False]
    assert LedgerEntry.objects.count() == 1
    account = PointsAccount.objects.get(pk=person.pk)
    assert (account.balance, account.lifetime) == (20, 20)


def test_a_debit_takes_points_once_per_key_and_keeps_lifetime(person):
    credit(person, 100, "c1")
    first = debit(person, 30, "order:7")
    retried = debit(person, 30, "order:7")
    assert (first.debited, first.amount) == (True, 30)
    assert (retried.debited, retried.amount) == (False, 0)
    account = PointsAccount.objects.get(pk=person.pk)
    assert (account.balance, account.lifetime) == (70, 100)
    assert LedgerEntry.objects.get(idempotency_key="order:7").amount == -30
    assert_ledger_adds_up(person)


def test_a_debit_of_exactly_the_balance_leaves_zero(person):
    credit(person, 40, "c1")
    debit(person, 40, "d1")
    assert balance_of(person) == 0


def test_a_debit_over_the_balance_is_refused_and_writes_nothing(person):
    credit(person, 50, "c1")
    with pytest.raises(InvalidInput) as refused:
        debit(person, 51, "order:8")
    assert refused.value.code == "insufficient_points"
    assert refused.value.status == 422
    assert "51" in str(refused.value.message) and "50" in str(refused.value.message)
    assert balance_of(person) == 50
    assert not LedgerEntry.objects.filter(idempotency_key="order:8").exists()
    # The key stays free: once there are enough points the same order can go through.
    credit(person, 10, "c2")
    assert debit(person, 51, "order:8").debited
    assert balance_of(person) == 9


def test_a_refused_debit_inside_a_larger_transaction_undoes_only_itself(person):
    credit(person, 10, "c1")
    with transaction.atomic():
        credit(person, 5, "c2")
        with pytest.raises(InvalidInput):
            debit(person, 100, "d1")
    assert balance_of(person) == 15
    assert set(LedgerEntry.objects.values_list("idempotency_key", flat=True)) == {"c1", "c2"}


def test_a_person_without_points_cannot_spend_any(person):
    with pytest.raises(InvalidInput) as refused:
        debit(person, 1, "d1")
    assert refused.value.code == "insufficient_points"
    assert not PointsAccount.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_a_key_reused_for_another_debit_is_a_conflict(person, make_person):
    other = make_person()
    credit(person, 50, "c1")
    credit(other, 50, "c2")
    debit(person, 10, "order:1")
    with pytest.raises(Conflict) as for_other_amount:
        debit(person, 20, "order:1")
    with pytest.raises(Conflict) as for_other_person:
        debit(other, 10, "order:1")
    assert for_other_amount.value.code == for_other_person.value.code == "idempotency_key_reused"
    assert (balance_of(person), balance_of(other)) == (40, 50)


@pytest.mark.parametrize("amount", [0, -5])
def test_debits_and_credits_are_positive_numbers(person, amount):
    with pytest.raises(ValueError):
        debit(person, amount, "d1")
    with pytest.raises(ValueError):
        credit(person, amount, "c1")


def test_an_unknown_reason_is_refused(person):
    credit(person, 10, "c1")
    with pytest.raises(ValueError):
        debit(person, 5, "d1", reason="bribe")
    assert balance_of(person) == 10


# --- The property: any sequence of credits and debits, keys repeated -------------------------

operations = st.lists(
    st.tuples(
        st.sampled_from(["credit", "debit"]),
        st.integers(min_value=0, max_value=1),  # which of two people
        st.integers(min_value=1, max_value=60),  # points
        st.integers(min_value=0, max_value=7),  # key: few, so they repeat
    ),
    max_size=30,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_any_sequence_keeps_the_balance_equal_to_the_entries(make_person, ops):
    with transaction.atomic():
        people = [make_person(), make_person()]
        balance = {0: 0, 1: 0}
        lifetime = {0: 0, 1: 0}
        used: dict[str, tuple[int, int]] = {}  # key → (whose, signed amount)
        for kind, who, amount, key_number in ops:
            key = f"key:{key_number}"
            signed = amount if kind == "credit" else -amount
            if kind == "credit":
                done = credit(people[who], amount, key)
                assert done.credited == (key not in used)
            elif key in used and used[key] != (who, signed):
                with pytest.raises(Conflict):
                    debit(people[who], amount, key)
                continue
            elif key in used:
                assert not debit(people[who], amount, key).debited
            elif balance[who] < amount:
                with pytest.raises(InvalidInput):
                    debit(people[who], amount, key)
                continue
            else:
                assert debit(people[who], amount, key).debited
            if key not in used:
                used[key] = (who, signed)
                balance[who] += signed
                lifetime[who] += max(signed, 0)
        for who, user in enumerate(people):
            account = PointsAccount.objects.filter(pk=user.pk).first()
            if account is None:
                assert balance[who] == lifetime[who] == 0
                continue
            assert (account.balance, account.lifetime) == (balance[who], lifetime[who])
            assert_ledger_adds_up(user)
        # Each example starts from nothing.
        transaction.set_rollback(True)


# --- Staff corrections --------------------------------------------------------------------------


def test_a_correction_adds_an_adjustment_entry_with_who_and_why(person, points_officer):
    credit(person, 30, "c1")
    entry = adjust_points(
        user_id=person.pk, amount=-10, by=points_officer, note="Двойное начисление"
    )
    assert (entry.amount, entry.reason) == (-10, LedgerEntry.Reason.ADJUSTMENT)
    adjustment = Adjustment.objects.get()
    assert (adjustment.entry, adjustment.made_by, adjustment.note) == (
        entry,
        points_officer,
        "Двойное начисление",
    )
    plus = adjust_points(user_id=person.pk, amount=25, by=points_officer, note="Опрос 12")
    assert plus.amount == 25
    account = PointsAccount.objects.get(pk=person.pk)
    assert (account.balance, account.lifetime) == (45, 55)
    assert_ledger_adds_up(person)


def test_a_correction_submitted_twice_counts_once(person, points_officer):
    for _ in range(2):
        adjust_points(
            user_id=person.pk, amount=15, by=points_officer, note="x", idempotency_key="form-1"
        )
    assert balance_of(person) == 15
    assert Adjustment.objects.count() == 1


def test_a_correction_never_makes_a_balance_negative(person, points_officer):
    credit(person, 5, "c1")
    with pytest.raises(InvalidInput) as refused:
        adjust_points(user_id=person.pk, amount=-6, by=points_officer, note="списание")
    assert refused.value.code == "insufficient_points"
    assert balance_of(person) == 5
    assert not Adjustment.objects.exists()
    assert LedgerEntry.objects.count() == 1


def test_only_staff_with_the_permission_correct_balances(person, make_person):
    plain_staff = make_person(is_staff=True)
    with pytest.raises(PermissionDenied):
        adjust_points(user_id=person.pk, amount=10, by=plain_staff, note="x")
    with pytest.raises(PermissionDenied):
        adjust_points(user_id=person.pk, amount=10, by=person, note="x")
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize(
    ("amount", "note", "field"),
    [(0, "x", "amount"), (100_001, "x", "amount"), (10, "  ", "note"), (10, "я" * 501, "note")],
)
def test_a_correction_needs_a_sensible_amount_and_a_reason(
    person, points_officer, amount, note, field
):
    with pytest.raises(InvalidInput) as refused:
        adjust_points(user_id=person.pk, amount=amount, by=points_officer, note=note)
    assert refused.value.field == field
    assert not LedgerEntry.objects.exists()
