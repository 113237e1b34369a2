"""Owners demanding a meeting (10 % of the votes) and administrators' announcements."""

from __future__ import annotations

from fractions import Fraction

import pytest

from activecitizen.core.errors import Conflict, InvalidInput, PermissionDenied
from activecitizen.house import community
from activecitizen.house.models import Announcement, MeetingDemand, Resident
from activecitizen.house.tests import house_fixtures as hf
from activecitizen.notifications.models import Notification

pytestmark = pytest.mark.django_db


def building_of(*areas: str):
    building = hf.building()
    admin = hf.house_administrator(building)
    owners = []
    for n, area in enumerate(areas, start=1):
        owner = hf.person()
        hf.ownership(hf.premises(building, str(n), area), owner=owner)
        owners.append(owner)
    return building, admin, owners


def test_a_demand_reaches_ten_percent_and_the_administrators_are_told_once():
    # 1,000 m²: owners of 40 + 50 m² hold 9 %, a third with 10 m² brings it to exactly 10 %.
    building, admin, owners = building_of("40.00", "50.00", "10.00", "900.00")
    demand = community.demand_meeting(building=building, by=owners[0], agenda="Смена УК")
    community.sign_demand(demand=demand, by=owners[1])
    assert community.demand_share(demand) == Fraction(9, 100)
    assert demand.status == MeetingDemand.Status.COLLECTING
    assert not Notification.objects.filter(kind="meeting_demanded").exists()
    demand = community.sign_demand(demand=demand, by=owners[2])
    assert community.demand_share(demand) == Fraction(1, 10)
    assert demand.status == MeetingDemand.Status.REACHED
    demand = community.sign_demand(demand=demand, by=owners[3])
    told = Notification.objects.filter(kind="meeting_demanded")
    assert list(told.values_list("user_id", flat=True)) == [admin.pk]


def test_only_owners_sign_and_only_once():
    building, _admin, owners = building_of("40.00", "60.00")
    tenant = hf.person()
    Resident.objects.create(building=building, user=tenant)
    with pytest.raises(PermissionDenied):
        community.demand_meeting(building=building, by=tenant, agenda="Вопрос")
    with pytest.raises(InvalidInput):
        community.demand_meeting(building=building, by=owners[0], agenda="  ")
    demand = community.demand_meeting(building=building, by=owners[0], agenda="Вопрос")
    with pytest.raises(Conflict):
        community.sign_demand(demand=demand, by=owners[0])
    with pytest.raises(PermissionDenied):
        community.sign_demand(demand=demand, by=tenant)
    assert demand.signatures.count() == 1


def test_an_announcement_reaches_owners_and_tenants():
    building, admin, owners = building_of("40.00", "60.00")
    tenant = hf.person()
    Resident.objects.create(building=building, user=tenant)
    with pytest.raises(PermissionDenied):
        community.post_announcement(building=building, by=owners[0], title="Т", text="Т")
    with pytest.raises(InvalidInput):
        community.post_announcement(building=building, by=admin, title="", text="Текст")
    assert not Announcement.objects.exists()
    community.post_announcement(
        building=building, by=admin, title="Отключение воды", text="15 мая с 10 до 14"
    )
    told = set(
        Notification.objects.filter(kind="building_announcement").values_list("user_id", flat=True)
    )
    assert told == {owners[0].pk, owners[1].pk, tenant.pk}
