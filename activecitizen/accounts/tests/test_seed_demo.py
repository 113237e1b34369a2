"""`manage.py seed_demo`: demo people for every role, idempotent."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from activecitizen.accounts.management.commands.seed_demo import STAFF
from activecitizen.accounts.models import User

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_staff_and_residents_once(district, settings):
    settings.POLLS_DEMO_SCALE = 0.01
    call_command("seed_demo", residents=40, no_progress=True)
    # Sections' demo steps add people of their own (the shop: partner staff); these are ours.
    assert User.objects.filter(is_staff=True, phone__in=[s[0] for s in STAFF]).count() == 6
    residents = User.objects.filter(phone__startswith="+79991")
    assert residents.count() == 40
    assert all(p.home_district_id and p.birth_date and p.first_name for p in residents)
    assert residents.filter(interests__isnull=False).distinct().count() > 20
    admin = User.objects.get(phone="+79990000001")
    assert admin.is_superuser
    editor = User.objects.get(phone="+79990000002")
    assert set(editor.groups.values_list("name", flat=True)) == {"citizen", "editor"}
    snapshot = sorted(residents.values_list("phone", "first_name", "last_name", "birth_date"))

    people = User.objects.count()
    call_command("seed_demo", residents=40, no_progress=True)
    assert User.objects.count() == people
    again = sorted(
        User.objects.filter(phone__startswith="+79991").values_list(
            "phone", "first_name", "last_name", "birth_date"
        )
    )
    assert again == snapshot


def test_seed_demo_needs_the_city_loaded(db):
    from activecitizen.geo.models import District

    District.objects.all().delete()
    User.objects.filter(home_district__isnull=False).delete()
    with pytest.raises(CommandError):
        call_command("seed_demo", residents=1, no_progress=True)
