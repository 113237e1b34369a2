"""The demo shop: partners across every okrug, a hundred rewards with stock and code pools, the
running campaign, partner staff, residents' orders in every status, and a second run that adds
nothing."""

from __future__ import annotations

import random

import pytest
from django.core.management import call_command
from django.db.models import Sum

from activecitizen.accounts.models import User
from activecitizen.geo.models import Okrug
from activecitizen.geo.selectors import district_at
from activecitizen.rewards import demo
from activecitizen.rewards.models import (
    Campaign,
    IssuePoint,
    LedgerEntry,
    Order,
    OrderEvent,
    Partner,
    PartnerMember,
    PointsAccount,
    PromoCode,
    Reward,
    Stock,
)

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, object]:
    return {
        "partners": Partner.objects.count(),
        "points": IssuePoint.objects.count(),
        "rewards": Reward.objects.count(),
        "stock": list(Stock.objects.order_by("pk").values_list("pk", "quantity")),
        "codes": PromoCode.objects.count(),
        "free codes": PromoCode.objects.filter(order__isnull=True).count(),
        "campaigns": Campaign.objects.count(),
        "members": PartnerMember.objects.count(),
        "people": User.objects.count(),
        "orders": list(Order.objects.order_by("pk").values_list("pk", "status")),
        "events": OrderEvent.objects.count(),
        "ledger": LedgerEntry.objects.count(),
        "donated": list(Partner.objects.order_by("pk").values_list("points_received", flat=True)),
    }


@pytest.fixture
def seeded(settings):
    """The whole demo as `make run` seeds it (few ballots, thirty residents)."""
    settings.POLLS_DEMO_SCALE = 0.002
    call_command("seed_demo", residents=30, no_progress=True, verbosity=0)
    return snapshot()


def test_the_demo_shop_has_a_city_worth_of_partners_and_rewards(seeded):
    assert Partner.objects.count() == len(demo.PARTNERS) >= 15
    assert Partner.objects.filter(kind=Partner.Kind.CHARITY).count() == 2
    assert Reward.objects.count() == 100
    assert set(Reward.objects.values_list("category", flat=True)) == set(Reward.Category.values)
    # Issue points in every okrug, each inside the border of its district.
    assert set(IssuePoint.objects.values_list("district__okrug", flat=True)) == set(
        Okrug.objects.values_list("pk", flat=True)
    )
    for point in IssuePoint.objects.all():
        found = district_at(lat=point.lat, lon=point.lon)
        assert found is not None and found.pk == point.district_id, point.name
    # Pick-up rewards have stock at their own partner's points; a few are sold out.
    for reward in Reward.objects.filter(delivery=Reward.Delivery.PICK_UP):
        stock = Stock.objects.filter(reward=reward)
        assert stock.exists(), reward.title
        assert all(s.issue_point.partner_id == reward.partner_id for s in stock)
    sold_out = [
        r
        for r in Reward.objects.filter(delivery=Reward.Delivery.PICK_UP)
        if not Stock.objects.filter(reward=r).aggregate(n=Sum("quantity"))["n"]
    ]
    assert sold_out
    codes = Reward.objects.filter(delivery=Reward.Delivery.PROMO_CODE)
    assert sum(1 for r in codes if r.promo_codes.exists()) == codes.count() - 1  # one sold out
    assert not Reward.objects.filter(delivery="donation").exclude(partner__kind="charity")


def test_the_campaign_runs_for_people_who_took_part_in_demo_polls(seeded):
    campaign = Campaign.objects.get(title=demo.CAMPAIGN_TITLE)
    assert campaign.is_running()
    assert len(campaign.references) == len(demo.CAMPAIGN_POLLS)
    assert all(ref.startswith("poll:") for ref in campaign.references)
    assert campaign.rewards.count() == sum(
        item.campaign for spec in demo.PARTNERS for item in spec.rewards
    )
    assert LedgerEntry.objects.filter(reference__in=campaign.references).exists()


def test_staff_and_residents_orders_in_every_status(seeded):
    irina = PartnerMember.objects.get(user__phone=demo.CASHIER_PHONE)
    assert irina.role == "cashier" and irina.partner.name == demo.PARTNERS[0].name
    manager = User.objects.get(phone=demo.manager_phone(1))
    assert manager.is_staff and manager.groups.filter(name="partner_manager").exists()
    assert PartnerMember.objects.get(user=manager).role == "manager"
    cashier = User.objects.get(phone=demo.cashier_phone(1))
    assert not cashier.is_staff and cashier.groups.filter(name="partner_cashier").exists()

    statuses = set(Order.objects.values_list("status", flat=True))
    assert statuses == set(Order.Status.values)
    assert Order.objects.filter(user__phone__startswith="+79991").count() == Order.objects.count()
    # Each went through the services: an event per step, refunds once, stock never negative.
    assert OrderEvent.objects.filter(action="issued", by__isnull=False).count() == (
        Order.objects.filter(status="issued", reward__delivery="pick_up").count()
    )
    assert OrderEvent.objects.filter(action="refunded").count() == (
        Order.objects.filter(status__in=["cancelled", "expired"]).count()
    )
    assert not Stock.objects.filter(quantity__lt=0).exists()
    for account in PointsAccount.objects.all():
        entries = LedgerEntry.objects.filter(account=account).aggregate(n=Sum("amount"))["n"]
        assert account.balance == entries >= 0
    assert Partner.objects.filter(kind="charity", points_received__gt=0).exists()


def test_seeding_twice_adds_nothing(seeded, settings):
    assert demo.seed_shop(random.Random(2026)).startswith("nothing new")
    assert snapshot() == seeded
    call_command("seed_demo", residents=30, no_progress=True, verbosity=0)
    assert snapshot() == seeded


def test_the_shop_alone_needs_no_people_and_no_polls():
    summary = demo.seed_shop(random.Random(1))
    assert summary.startswith(f"{len(demo.PARTNERS)} partners")
    assert Reward.objects.count() == 100
    assert not Order.objects.exists() and not Campaign.objects.exists()
    assert demo.seed_shop(random.Random(1)).startswith("nothing new")
