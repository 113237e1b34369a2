import importlib
import itertools

import pytest
from django.contrib.auth.models import Permission

from activecitizen.accounts.models import User
from activecitizen.rewards.models import StatusLevel

seed = importlib.import_module("activecitizen.rewards.migrations.0003_seed_status_levels")

_phones = itertools.count(1)


def new_phone() -> str:
    return f"+7916{next(_phones):07d}"


@pytest.fixture
def make_person(db):
    def make(phone: str | None = None, **fields) -> User:
        return User.objects.create_user(phone or new_phone(), **fields)

    return make


@pytest.fixture
def person(make_person):
    return make_person("+79161234567", first_name="Анна")


@pytest.fixture
def levels(db):
    """The levels the data migration seeds (again, if a transactional test flushed them)."""
    for code, name_ru, name_en, points in seed.LEVELS:
        StatusLevel.objects.get_or_create(
            code=code,
            defaults={"name_ru": name_ru, "name_en": name_en, "min_lifetime_points": points},
        )
    return list(StatusLevel.objects.order_by("min_lifetime_points"))


@pytest.fixture
def points_officer(make_person):
    """Staff allowed to correct balances."""
    officer = make_person("+79990000077", is_staff=True)
    officer.user_permissions.add(
        Permission.objects.get(codename="adjust_points", content_type__app_label="rewards")
    )
    return User.objects.get(pk=officer.pk)  # fresh: no stale permission cache
