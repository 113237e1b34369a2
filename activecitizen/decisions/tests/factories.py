"""Editors, voters and decisions for the decisions tests."""

from __future__ import annotations

import itertools
from decimal import Decimal

from django.contrib.auth.models import Group
from django.utils import timezone

from activecitizen.accounts.models import User
from activecitizen.accounts.roles import Role
from activecitizen.accounts.services import sync_role_permissions
from activecitizen.decisions import services
from activecitizen.decisions.models import Decision
from activecitizen.geo.models import District
from activecitizen.polls.models import Channel, Participation, Poll

_phones = itertools.count(1)


def make_resident(phone: str | None = None, **fields) -> User:
    return User.objects.create_user(phone or f"+7916777{next(_phones):04d}", **fields)


def make_editor(phone: str | None = None) -> User:
    sync_role_permissions()
    user = make_resident(phone, is_staff=True)
    user.groups.add(Group.objects.get(name=Role.EDITOR))
    return User.objects.get(pk=user.pk)  # fresh: no cached permissions


def make_decision(editor: User | None = None, **fields) -> Decision:
    fields.setdefault("title", "Обновить двор на Тверской, 8")
    fields.setdefault("category", Poll.Category.PARKS)
    fields.setdefault("is_published", True)
    if "district" in fields:
        fields["districts"] = [fields.pop("district")]
    fields.setdefault("lat", Decimal("55.760000"))
    fields.setdefault("lon", Decimal("37.610000"))
    return services.create_decision(by=editor or make_editor(), **fields)


def voted(poll: Poll, user: User) -> Participation:
    n = next(_phones)
    return Participation.objects.create(
        poll=poll,
        user=user,
        cast_at=timezone.now(),
        channel=Channel.WEB,
        ballot_public_id=f"b{n:031d}",
        ballot_hash="0" * 64,
        leaf_hash="0" * 64,
    )


def some_districts(n: int = 2) -> list[District]:
    return list(District.objects.order_by("pk")[:n])
