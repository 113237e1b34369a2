"""Building blocks for the register's tests: people, a building with premises, owners.
Plain functions, so that property tests and any test module can use them."""

from __future__ import annotations

import itertools
from decimal import Decimal
from fractions import Fraction

from django.contrib.auth.models import Group

from activecitizen.accounts.models import User
from activecitizen.accounts.roles import Role
from activecitizen.geo.models import District
from activecitizen.house.models import Building, Ownership, Premises

_numbers = itertools.count(1)


def person(**fields) -> User:
    return User.objects.create_user(
        fields.pop("phone", None) or f"+7926{next(_numbers):07d}", **fields
    )


def house_administrator(*buildings: Building, **fields) -> User:
    """A staff member in the house administrators' group, administering `buildings`."""
    admin = person(is_staff=True, **fields)
    admin.groups.add(Group.objects.get(name=Role.HOUSE_ADMINISTRATOR))
    for building in buildings:
        building.administrators.add(admin)
    return User.objects.get(pk=admin.pk)  # fresh: no stale permission cache


def building(
    address: str | None = None, *, premises: int = 0, area: str = "50.00", **fields
) -> Building:
    """A building in the first district, with `premises` apartments 1…N of `area` m² each."""
    district = fields.pop("district", None) or District.objects.order_by("pk").first()
    made = Building.objects.create(
        address=address or f"ул. Тверская, д. {next(_numbers)}", district=district, **fields
    )
    Premises.objects.bulk_create(
        Premises(building=made, number=str(i), area=Decimal(area)) for i in range(1, premises + 1)
    )
    return made


def premises(building: Building, number: str = "1", area: str = "50.00", **fields) -> Premises:
    return Premises.objects.create(building=building, number=number, area=Decimal(area), **fields)


def ownership(
    premises: Premises, share: Fraction = Fraction(1), name: str = "Иванов Иван Иванович", **fields
) -> Ownership:
    """Written directly (no share check): for setting up a register a test then changes."""
    return Ownership.objects.create(
        premises=premises,
        owner_name=name,
        share_numerator=share.numerator,
        share_denominator=share.denominator,
        **fields,
    )
