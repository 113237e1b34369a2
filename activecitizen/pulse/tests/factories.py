"""Facilities and residents for the Pulse tests."""

from __future__ import annotations

import itertools
from decimal import Decimal

from django.contrib.auth.models import Group

from activecitizen.accounts.models import User
from activecitizen.accounts.roles import Role
from activecitizen.geo.models import District
from activecitizen.pulse.models import Category, Facility

_phones = itertools.count(1)


def make_resident(phone: str | None = None, **fields) -> User:
    return User.objects.create_user(phone or f"+7916555{next(_phones):04d}", **fields)


def make_moderator(phone: str = "+79160000333") -> User:
    user = User.objects.create_user(phone, is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=Role.MODERATOR)[0])
    return user


def make_facility(
    name: str = "Парк Горького",
    category: str = Category.PARK,
    district: District | None = None,
    **fields,
) -> Facility:
    return Facility.objects.create(
        name=name,
        category=category,
        address=fields.pop("address", "ул. Крымский Вал, 9"),
        district=district or District.objects.order_by("pk").first(),
        lat=fields.pop("lat", Decimal("55.729825")),
        lon=fields.pop("lon", Decimal("37.603068")),
        **fields,
    )
