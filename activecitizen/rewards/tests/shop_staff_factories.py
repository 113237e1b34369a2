"""Partners, their issue points and staff, rewards with stock: the shop as staff keep it."""

from __future__ import annotations

import itertools
from decimal import Decimal

from django.contrib.auth.models import Group

from activecitizen.accounts.models import User
from activecitizen.accounts.roles import Role
from activecitizen.geo.models import District
from activecitizen.geo.selectors import district_at
from activecitizen.rewards.models import IssuePoint, Partner, PartnerMember, Reward, Stock
from activecitizen.rewards.services import credit_points

_numbers = itertools.count(1)


def new_phone() -> str:
    return f"+7926{next(_numbers):07d}"


def person(phone: str | None = None, **fields) -> User:
    return User.objects.create_user(phone or new_phone(), **fields)


def with_role(user: User, role: str) -> User:
    user.groups.add(Group.objects.get(name=role))
    return User.objects.get(pk=user.pk)  # fresh: no stale permission cache


def superuser() -> User:
    return person(is_staff=True, is_superuser=True)


def editor() -> User:
    return with_role(person(is_staff=True), Role.EDITOR)


def partner(name: str = "Театр «Проба»", kind: str = Partner.Kind.CITY) -> Partner:
    return Partner.objects.create(name=name, kind=kind)


def member(of: Partner, role: str = PartnerMember.Role.MANAGER, user: User | None = None) -> User:
    """A manager (staff, in the partner_manager role) or a cashier of the partner."""
    if user is None:
        manager = role == PartnerMember.Role.MANAGER
        user = with_role(
            person(is_staff=manager),
            Role.PARTNER_MANAGER if manager else Role.PARTNER_CASHIER,
        )
    PartnerMember.objects.create(partner=of, user=user, role=role)
    return user


def inside(district_name: str = "Марьино") -> tuple[District, Decimal, Decimal]:
    """A district and a point inside its border (its centre, checked)."""
    district = District.objects.get(name_ru=district_name)
    lat, lon = district.centre_lat, district.centre_lon
    found = district_at(lat=lat, lon=lon)
    assert found is not None and found.pk == district.pk, district_name
    return district, lat, lon


def point(of: Partner, name: str = "Касса", district_name: str = "Марьино") -> IssuePoint:
    district, lat, lon = inside(district_name)
    return IssuePoint.objects.create(
        partner=of, name=name, address="ул. Пробная, 1", district=district, lat=lat, lon=lon
    )


def reward(
    of: Partner,
    title: str = "Билет в театр",
    *,
    stock: dict[IssuePoint, int] | None = None,
    **fields,
) -> Reward:
    fields.setdefault("category", Reward.Category.TICKETS)
    fields.setdefault("price", 100)
    fields.setdefault("is_published", True)
    made = Reward.objects.create(partner=of, title=title, **fields)
    for where, quantity in (stock or {}).items():
        Stock.objects.create(reward=made, issue_point=where, quantity=quantity)
    return made


def fund(user: User, amount: int, key: str = "") -> None:
    credit_points(
        user_id=user.pk,
        amount=amount,
        reason="poll",
        reference="poll:1",
        idempotency_key=key or f"test-fund:{user.pk}:{amount}",
    )
