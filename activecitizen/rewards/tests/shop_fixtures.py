"""Building blocks for the shop's service tests: a partner, its issue point, rewards, people
with points. Plain functions, so that race tests (no fixtures across threads) can use them."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

from activecitizen.accounts.models import User
from activecitizen.geo.models import District
from activecitizen.rewards.models import (
    IssuePoint,
    Partner,
    PartnerMember,
    PromoCode,
    Reward,
    Stock,
)
from activecitizen.rewards.services import credit_points

_numbers = itertools.count(1)


def new_person(points: int = 0, **fields) -> User:
    person = User.objects.create_user(f"+7925{next(_numbers):07d}", **fields)
    if points:
        credit_points(
            user_id=person.pk,
            amount=points,
            reason="poll",
            reference=f"poll:{next(_numbers)}",
            idempotency_key=f"test:{person.pk}:{next(_numbers)}",
        )
    return person


def new_partner(kind: str = Partner.Kind.BUSINESS, **fields) -> Partner:
    return Partner.objects.create(name=f"Партнёр {next(_numbers)}", kind=kind, **fields)


def new_issue_point(partner: Partner, **fields) -> IssuePoint:
    district = fields.pop("district", None) or District.objects.order_by("pk").first()
    return IssuePoint.objects.create(
        partner=partner,
        name=fields.pop("name", f"Касса {next(_numbers)}"),
        address="ул. Тверская, 1",
        district=district,
        lat=district.centre_lat,
        lon=district.centre_lon,
        **fields,
    )


def new_reward(
    partner: Partner | None = None,
    *,
    price: int = 100,
    units: int | None = 10,
    point: IssuePoint | None = None,
    **fields,
) -> Reward:
    """A published pick-up reward with `units` at one issue point (or codes / a donation)."""
    partner = partner or new_partner()
    reward = Reward.objects.create(
        partner=partner,
        title=fields.pop("title", f"Билет {next(_numbers)}"),
        category=fields.pop("category", Reward.Category.TICKETS),
        price=price,
        is_published=fields.pop("is_published", True),
        **fields,
    )
    if reward.delivery == Reward.Delivery.PICK_UP and units is not None:
        Stock.objects.create(
            reward=reward, issue_point=point or new_issue_point(partner), quantity=units
        )
    elif reward.delivery == Reward.Delivery.PROMO_CODE and units:
        PromoCode.objects.bulk_create(
            PromoCode(reward=reward, code=f"CODE-{reward.pk}-{i}") for i in range(units)
        )
    return reward


def point_of(reward: Reward) -> int:
    return Stock.objects.filter(reward=reward).values_list("issue_point_id", flat=True).first()


def new_cashier(partner: Partner, role: str = PartnerMember.Role.CASHIER) -> User:
    cashier = new_person()
    PartnerMember.objects.create(partner=partner, user=cashier, role=role)
    return cashier


def later(days: float = 0, **kwargs) -> timezone.datetime:
    return timezone.now() + timedelta(days=days, **kwargs)
