"""Partners, issue points, rewards, cashiers and points for the shop's tests, in a few lines."""

from __future__ import annotations

import itertools
from decimal import Decimal

from activecitizen.accounts.models import User
from activecitizen.geo.models import District, Okrug
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


def a_district() -> District:
    """A district of the city the migrations loaded, or a made-up one when they are gone.

    Journeys cannot count on the loaded ones: once Playwright's event loop runs in the test
    thread, Django's connection is a context-local one without the serialized copy of the
    migrations' data, so a journey after any transactional test finds the tables flushed.
    """
    district = District.objects.order_by("pk").first()
    if district is not None:
        return district
    okrug = Okrug.objects.create(
        code="test-okrug",
        name_ru="Тестовый округ",
        centre_lat=Decimal("55.75"),
        centre_lon=Decimal("37.62"),
    )
    return District.objects.create(
        okrug=okrug,
        code="test-district",
        name_ru="Тестовый район",
        centre_lat=Decimal("55.75"),
        centre_lon=Decimal("37.62"),
    )


def make_partner(name: str | None = None, **fields) -> Partner:
    return Partner.objects.create(name=name or f"Партнёр {next(_numbers)}", **fields)


def make_issue_point(
    partner: Partner,
    *,
    name: str | None = None,
    district: District | None = None,
    address: str = "ул. Тверская, 1",
    opening_hours: str = "Пн–Пт 10:00–20:00",
    lat: str = "55.757000",
    lon: str = "37.615000",
    **fields,
) -> IssuePoint:
    return IssuePoint.objects.create(
        partner=partner,
        name=name or f"Касса {next(_numbers)}",
        district=district or a_district(),
        address=address,
        opening_hours=opening_hours,
        lat=Decimal(lat),
        lon=Decimal(lon),
        **fields,
    )


def make_reward(
    partner: Partner | None = None,
    *,
    title: str | None = None,
    price: int = 100,
    category: str = Reward.Category.TICKETS,
    delivery: str = Reward.Delivery.PICK_UP,
    units: int | dict[IssuePoint, int] = 5,
    codes: list[str] | None = None,
    **fields,
) -> Reward:
    """A published reward. Pick-up rewards get `units` at a new issue point of the partner (or
    the given {issue point: units}); promo-code rewards get `codes`."""
    partner = partner or make_partner()
    fields.setdefault("is_published", True)
    reward = Reward.objects.create(
        partner=partner,
        title=title or f"Билет {next(_numbers)}",
        price=price,
        category=category,
        delivery=delivery,
        **fields,
    )
    if delivery == Reward.Delivery.PICK_UP:
        stock = units if isinstance(units, dict) else {make_issue_point(partner): units}
        for point, quantity in stock.items():
            Stock.objects.create(reward=reward, issue_point=point, quantity=quantity)
    for code in codes or []:
        PromoCode.objects.create(reward=reward, code=code)
    return reward


def make_staff(partner: Partner, user: User, role: str = PartnerMember.Role.CASHIER) -> User:
    PartnerMember.objects.create(partner=partner, user=user, role=role)
    return user


def give_points(user: User, amount: int, reference: str = "poll:1") -> None:
    credit_points(
        user_id=user.pk,
        amount=amount,
        reason="poll",
        reference=reference,
        idempotency_key=f"test:{user.pk}:{next(_numbers)}",
    )
