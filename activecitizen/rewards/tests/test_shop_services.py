"""The shop's operations (DESIGN.md "Place an order", invariants 5, 6, 8, 9): what an order does
to stock, points and the ledger; every refusal writes nothing; refunds happen once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone, translation

from activecitizen.core.errors import DomainError
from activecitizen.notifications import selectors as inbox
from activecitizen.notifications.models import Notification
from activecitizen.rewards import services
from activecitizen.rewards.models import (
    Campaign,
    Donation,
    LedgerEntry,
    Order,
    OrderEvent,
    Partner,
    PartnerMember,
    PointsAccount,
    PromoCode,
    Reward,
    StatusLevel,
    Stock,
)
from activecitizen.rewards.tests.shop_fixtures import (
    later,
    new_cashier,
    new_partner,
    new_person,
    new_reward,
    point_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_order_rate_limit(settings):
    """These tests order far faster than a person could; the limit has its own test."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "orders_per_person": (10**6, 60)}


def balance(person) -> int:
    return PointsAccount.objects.get(pk=person.pk).balance


def ledger_sum(person) -> int:
    return LedgerEntry.objects.filter(account_id=person.pk).aggregate(s=Sum("amount"))["s"] or 0


def units(reward) -> int:
    return Stock.objects.filter(reward=reward).aggregate(s=Sum("quantity"))["s"]


def order(person, reward, **kwargs) -> Order:
    kwargs.setdefault("issue_point_id", point_of(reward))
    return services.place_order(user=person, reward_id=reward.pk, **kwargs).order


def snapshot():
    """Everything an order may write, to check that a refusal wrote none of it."""
    return (
        Order.objects.count(),
        LedgerEntry.objects.count(),
        list(Stock.objects.order_by("pk").values_list("quantity", flat=True)),
        list(PointsAccount.objects.order_by("pk").values_list("balance", flat=True)),
        PromoCode.objects.filter(order__isnull=False).count(),
        OrderEvent.objects.count(),
        Donation.objects.count(),
    )


def refused(code: str, call) -> DomainError:
    before = snapshot()
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.code == code, caught.value.message
    assert snapshot() == before, "a refused operation wrote something"
    return caught.value


# --- Placing an order --------------------------------------------------------------------------


def test_an_order_takes_a_unit_and_the_price_and_gives_a_ready_voucher():
    person = new_person(points=250)
    reward = new_reward(price=100, units=3, voucher_valid_days=7)
    placed = services.place_order(user=person, reward_id=reward.pk, issue_point_id=point_of(reward))
    got = placed.order
    assert placed.created
    assert got.status == Order.Status.READY
    assert (units(reward), balance(person), ledger_sum(person)) == (2, 150, 150)
    assert len(got.voucher_code) == 16 and set(got.voucher_code) <= set(services.VOUCHER_ALPHABET)
    assert got.valid_until - got.created_at == timedelta(days=7)
    entry = LedgerEntry.objects.get(idempotency_key=f"order:{got.pk}")
    assert (entry.amount, entry.reason) == (-100, "order")
    assert list(got.events.values_list("action", flat=True)) == ["placed"]


def test_voucher_codes_are_not_guessable_from_one_another():
    person = new_person(points=10_000)
    reward = new_reward(price=10, units=50)
    codes = {order(person, reward).voucher_code for _ in range(50)}
    assert len(codes) == 50
    # 16 symbols of 32: 80 bits; a shared prefix longer than a few symbols would mean a pattern.
    prefixes = {code[:4] for code in codes}
    assert len(prefixes) > 45


def test_a_reward_that_needs_preparation_waits_until_the_partner_marks_it_ready():
    person = new_person(points=100)
    reward = new_reward(price=100, needs_preparation=True, voucher_valid_days=3)
    placed = order(person, reward)
    assert placed.status == Order.Status.RESERVED and placed.valid_until is None
    cashier = new_cashier(reward.partner)
    ready = services.mark_ready(order_id=placed.pk, by=cashier)
    assert ready.status == Order.Status.READY
    assert ready.valid_until - ready.ready_at == timedelta(days=3)
    note = Notification.objects.get(user=person)
    assert note.kind == "order_ready" and note.url == f"/rewards/orders/{placed.pk}/"
    with translation.override("en"):
        assert inbox.shown(note).title == "Your order is ready for pick-up"
    with translation.override("ru"):
        assert reward.title in inbox.shown(note).text
    # Marking it again changes nothing and tells nobody twice.
    services.mark_ready(order_id=placed.pk, by=cashier)
    assert Notification.objects.filter(user=person).count() == 1


def test_only_the_partners_staff_mark_orders_ready():
    placed = order(new_person(points=100), new_reward(price=100, needs_preparation=True))
    stranger = new_cashier(new_partner())
    refused("order_not_found", lambda: services.mark_ready(order_id=placed.pk, by=stranger))


def test_a_promo_code_is_revealed_at_once_and_each_buyer_gets_another():
    reward = new_reward(
        price=50, units=2, category=Reward.Category.PROMO_CODES, delivery="promo_code"
    )
    first = order(new_person(points=50), reward, issue_point_id=None)
    second = order(new_person(points=50), reward, issue_point_id=None)
    assert first.status == second.status == Order.Status.ISSUED
    assert first.promo_code.code != second.promo_code.code
    late = new_person(points=50)
    refused(
        "sold_out",
        lambda: services.place_order(user=late, reward_id=reward.pk),
    )


def test_a_charity_reward_moves_the_points_to_the_charity():
    charity = new_partner(kind=Partner.Kind.CHARITY)
    reward = new_reward(
        charity, price=30, units=None, category=Reward.Category.CHARITY, delivery="donation"
    )
    person = new_person(points=100)
    for _ in range(2):
        order(person, reward, issue_point_id=None)
    charity.refresh_from_db()
    assert charity.points_received == 60
    assert balance(person) == 40
    assert Donation.objects.filter(partner=charity).aggregate(s=Sum("amount"))["s"] == 60


def test_the_same_idempotency_key_places_one_order():
    person = new_person(points=300)
    reward = new_reward(price=100)
    first = services.place_order(
        user=person, reward_id=reward.pk, issue_point_id=point_of(reward), idempotency_key="k1"
    )
    again = services.place_order(
        user=person, reward_id=reward.pk, issue_point_id=point_of(reward), idempotency_key="k1"
    )
    assert (first.created, again.created) == (True, False)
    assert first.order.pk == again.order.pk
    assert balance(person) == 200 and Order.objects.count() == 1
    other = new_reward(price=10)
    refused(
        "idempotency_key_reused",
        lambda: services.place_order(
            user=person, reward_id=other.pk, issue_point_id=point_of(other), idempotency_key="k1"
        ),
    )


def test_the_same_key_of_two_people_is_two_orders():
    reward = new_reward(price=10)
    a, b = new_person(points=10), new_person(points=10)
    for person in (a, b):
        order(person, reward, idempotency_key="same")
    assert Order.objects.count() == 2


# --- Refusals: a clear error and nothing written -------------------------------------------------


def test_not_enough_points():
    person = new_person(points=99)
    reward = new_reward(price=100)
    error = refused("insufficient_points", lambda: order(person, reward))
    assert error.status == 422
    nobody = new_person()
    refused("insufficient_points", lambda: order(nobody, reward))


def test_sold_out():
    reward = new_reward(price=10, units=1)
    order(new_person(points=10), reward)
    late = new_person(points=10)
    error = refused("sold_out", lambda: order(late, reward))
    assert error.status == 409


def test_limit_per_person_counts_open_and_issued_orders_but_not_cancelled_ones():
    person = new_person(points=1000)
    reward = new_reward(price=10, per_person_limit=2)
    first = order(person, reward)
    order(person, reward)
    refused("limit_reached", lambda: order(person, reward))
    services.cancel_order(order_id=first.pk, by=person)
    order(person, reward)  # the cancelled one no longer counts


def test_outside_the_sale_window():
    person = new_person(points=100)
    soon = new_reward(price=10, sale_starts_at=later(1))
    past = new_reward(price=10, sale_starts_at=later(-3), sale_ends_at=later(-1))
    refused("not_on_sale", lambda: order(person, soon))
    refused("not_on_sale", lambda: order(person, past))


def test_a_status_too_low(levels):
    top = StatusLevel.objects.order_by("-min_lifetime_points").first()
    reward = new_reward(price=10, min_status=top)
    person = new_person(points=top.min_lifetime_points - 1)
    error = refused("status_too_low", lambda: order(person, reward))
    assert error.status == 403
    order(new_person(points=top.min_lifetime_points), reward)


def test_a_campaign_is_open_to_those_who_took_part_in_its_polls_with_its_own_limit():
    campaign = Campaign.objects.create(
        title="Миллион призов",
        starts_at=later(-1),
        ends_at=later(30),
        qualifying_references="poll:501\npoll:502",
        per_person_limit=2,
    )
    a = new_reward(price=10, campaign=campaign)
    b = new_reward(price=10, campaign=campaign)
    outsider = new_person(points=100)
    refused("not_eligible", lambda: order(outsider, a))
    voter = new_person()
    services.credit_points(
        user_id=voter.pk, amount=25, reason="poll", reference="poll:502", idempotency_key="v"
    )
    order(voter, a)
    placed = order(voter, b)
    assert placed.campaign_id == campaign.pk
    refused("limit_reached", lambda: order(voter, a))
    campaign.ends_at = later(-0.5)
    campaign.starts_at = later(-2)
    campaign.save()
    services.cancel_order(order_id=placed.pk, by=voter)
    refused("not_on_sale", lambda: order(voter, b))


def test_an_issue_point_is_required_and_must_give_this_reward():
    person = new_person(points=100)
    reward = new_reward(price=10)
    elsewhere = new_reward(price=10)
    error = refused("required", lambda: order(person, reward, issue_point_id=None))
    assert error.field == "issue_point_id"
    refused("invalid", lambda: order(person, reward, issue_point_id=point_of(elsewhere)))
    refused("invalid", lambda: order(person, reward, issue_point_id=10**9))


def test_unpublished_rewards_and_inactive_partners_are_not_found():
    person = new_person(points=100)
    draft = new_reward(price=10, is_published=False)
    refused("reward_not_found", lambda: order(person, draft))
    closed = new_reward(new_partner(is_active=False), price=10)
    refused("reward_not_found", lambda: order(person, closed))
    refused("reward_not_found", lambda: services.place_order(user=person, reward_id=10**9))


def test_a_too_long_idempotency_key():
    person = new_person(points=100)
    reward = new_reward(price=10)
    refused("invalid", lambda: order(person, reward, idempotency_key="k" * 201))


# --- Cancelling and expiring: refunded once ------------------------------------------------------


def test_cancelling_returns_the_unit_and_the_points_once():
    person = new_person(points=100)
    reward = new_reward(price=60, units=1)
    placed = order(person, reward)
    cancelled = services.cancel_order(order_id=placed.pk, by=person)
    assert cancelled.status == Order.Status.CANCELLED
    assert (units(reward), balance(person), ledger_sum(person)) == (1, 100, 100)
    refused("order_cancelled", lambda: services.cancel_order(order_id=placed.pk, by=person))
    assert LedgerEntry.objects.filter(reason="refund").count() == 1
    actions = list(placed.events.values_list("action", flat=True))
    assert actions == ["placed", "cancelled", "refunded"]


def test_only_the_owner_cancels_and_not_after_pick_up():
    person = new_person(points=100)
    reward = new_reward(price=10)
    placed = order(person, reward)
    refused("order_not_found", lambda: services.cancel_order(order_id=placed.pk, by=new_person()))
    services.issue_voucher(code=placed.voucher_code, by=new_cashier(reward.partner))
    refused("already_issued", lambda: services.cancel_order(order_id=placed.pk, by=person))


def test_orders_not_collected_in_time_expire_and_are_refunded_once():
    person = new_person(points=100)
    reward = new_reward(price=40, units=2, voucher_valid_days=1)
    due = order(person, reward)
    fresh = order(person, reward)
    Order.objects.filter(pk=due.pk).update(valid_until=later(-0.01))
    assert services.expire_orders() == 1
    assert services.expire_orders() == 0
    due.refresh_from_db()
    fresh.refresh_from_db()
    assert (due.status, fresh.status) == (Order.Status.EXPIRED, Order.Status.READY)
    assert (units(reward), balance(person), ledger_sum(person)) == (1, 60, 60)
    assert LedgerEntry.objects.filter(reason="refund", reference=f"order:{due.pk}").count() == 1
    assert due.events.filter(action="expired", by__isnull=True).exists()


def test_people_are_reminded_once_a_day_before_their_voucher_expires():
    person = new_person(points=100)
    reward = new_reward(price=10, voucher_valid_days=5)
    soon, not_yet = order(person, reward), order(person, reward)
    Order.objects.filter(pk=soon.pk).update(valid_until=later(hours=20))
    assert services.remind_expiring_orders() == 1
    assert services.remind_expiring_orders() == 0
    note = Notification.objects.get(user=person)
    assert note.kind == "order_expiring" and str(soon.pk) in note.url
    with translation.override("en"):
        assert "Pick up your order" in inbox.shown(note).title
    assert not Notification.objects.filter(url__contains=f"/{not_yet.pk}/").exists()


# --- The cashier's desk --------------------------------------------------------------------------


def test_a_cashier_issues_a_voucher_once_and_every_action_is_logged():
    person = new_person(points=100)
    reward = new_reward(price=10)
    placed = order(person, reward)
    cashier = new_cashier(reward.partner)
    typed = placed.voucher_display.lower().replace("0", "o")  # as someone might type it
    found = services.find_voucher(code=typed, by=cashier)
    assert found.pk == placed.pk
    issued = services.issue_voucher(code=placed.voucher_code, by=cashier)
    assert (issued.status, issued.issued_by_id) == (Order.Status.ISSUED, cashier.pk)
    log = list(placed.events.values_list("action", "by"))
    assert log == [("placed", person.pk), ("checked", cashier.pk), ("issued", cashier.pk)]
    refused("already_issued", lambda: services.issue_voucher(code=placed.voucher_code, by=cashier))


def test_a_cashier_of_another_partner_sees_nothing_of_the_order():
    placed = order(new_person(points=100), new_reward(price=10))
    stranger = new_cashier(new_partner())
    error = refused(
        "other_partner", lambda: services.issue_voucher(code=placed.voucher_code, by=stranger)
    )
    assert error.status == 403
    refused("other_partner", lambda: services.find_voucher(code=placed.voucher_code, by=stranger))
    resident = new_person()
    refused("other_partner", lambda: services.issue_voucher(code=placed.voucher_code, by=resident))


def test_unknown_malformed_cancelled_expired_and_unready_vouchers_are_refused():
    reward = new_reward(price=10, units=5, needs_preparation=True)
    cashier = new_cashier(reward.partner, role=PartnerMember.Role.MANAGER)
    refused("voucher_not_found", lambda: services.issue_voucher(code="0" * 16, by=cashier))
    refused("invalid", lambda: services.issue_voucher(code="not a code!", by=cashier))
    person = new_person(points=100)
    unready = order(person, reward)
    refused(
        "order_not_ready", lambda: services.issue_voucher(code=unready.voucher_code, by=cashier)
    )
    cancelled = order(person, reward)
    services.cancel_order(order_id=cancelled.pk, by=person)
    refused(
        "order_cancelled", lambda: services.issue_voucher(code=cancelled.voucher_code, by=cashier)
    )
    late = services.mark_ready(order_id=order(person, reward).pk, by=cashier)
    Order.objects.filter(pk=late.pk).update(valid_until=later(-0.01))
    # Past its deadline before the expiry task ran: refused, and left for the task to refund.
    refused("order_expired", lambda: services.issue_voucher(code=late.voucher_code, by=cashier))
    services.expire_orders()
    refused("order_expired", lambda: services.issue_voucher(code=late.voucher_code, by=cashier))


# --- Promo code pools ----------------------------------------------------------------------------


def test_a_manager_uploads_codes_and_sees_what_was_refused():
    reward = new_reward(price=10, units=0, category="promo_codes", delivery="promo_code")
    manager = new_cashier(reward.partner, role=PartnerMember.Role.MANAGER)
    report = services.upload_promo_codes(
        reward_id=reward.pk, text="AAA-1\n\nBBB-2\nAAA-1\nhas space\n" + "x" * 101, by=manager
    )
    assert (report.added, report.duplicates) == (2, 1)
    assert [line for line, _why in report.rejected] == [5, 6]
    again = services.upload_promo_codes(reward_id=reward.pk, text="BBB-2\nCCC-3", by=manager)
    assert (again.added, again.duplicates) == (1, 1)
    assert PromoCode.objects.filter(reward=reward).count() == 3


def test_a_cashier_may_not_upload_codes_and_a_pick_up_reward_takes_none():
    reward = new_reward(price=10, units=0, category="promo_codes", delivery="promo_code")
    cashier = new_cashier(reward.partner)
    refused(
        "forbidden",
        lambda: services.upload_promo_codes(reward_id=reward.pk, text="A", by=cashier),
    )
    ticket = new_reward(price=10)
    manager = new_cashier(ticket.partner, role=PartnerMember.Role.MANAGER)
    refused(
        "invalid", lambda: services.upload_promo_codes(reward_id=ticket.pk, text="A", by=manager)
    )
    refused(
        "required",
        lambda: services.upload_promo_codes(
            reward_id=reward.pk,
            text="\n",
            by=new_cashier(reward.partner, role=PartnerMember.Role.MANAGER),
        ),
    )


def test_deadline_is_measured_from_the_moment_of_ordering():
    person = new_person(points=100)
    reward = new_reward(price=10, voucher_valid_days=2)
    moment = timezone.now() - timedelta(hours=1)
    placed = services.place_order(
        user=person, reward_id=reward.pk, issue_point_id=point_of(reward), now=moment
    ).order
    assert placed.valid_until == moment + timedelta(days=2)


def test_ordering_too_fast_is_throttled_but_a_retry_is_not(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "orders_per_person": (2, 60)}
    person = new_person(points=1000)
    reward = new_reward(price=10)
    first = order(person, reward, idempotency_key="a")
    order(person, reward, idempotency_key="b")
    error = refused("rate_limited", lambda: order(person, reward, idempotency_key="c"))
    assert error.status == 429 and error.retry_after >= 1
    assert order(person, reward, idempotency_key="a").pk == first.pk  # the retry still answers
