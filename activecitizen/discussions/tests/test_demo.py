"""The demo: four projects at different stages, one collecting on resident 1's district."""

from __future__ import annotations

import random

import pytest
from django.core.management import call_command

from activecitizen.accounts.models import User
from activecitizen.discussions.demo import seed_discussions
from activecitizen.discussions.models import Project, Proposal

pytestmark = pytest.mark.django_db


def test_demo_projects_are_seeded_idempotently():
    call_command("seed_demo", residents=20, no_progress=True, verbosity=0)
    assert Project.objects.count() == 4
    stages = {p.stage for p in Project.objects.all()}
    assert stages == {"proposals", "exposition", "protocol", "conclusion"}
    resident = User.objects.get(phone="+79991000001")
    collecting = Project.objects.get(title__startswith="Проект планировки")
    assert collecting.districts.filter(pk=resident.home_district_id).exists()
    statuses = set(Proposal.objects.values_list("status", flat=True))
    assert statuses == {"pending", "published", "rejected"}
    concluded = Project.objects.get(title__startswith="Жилой квартал")
    assert concluded.conclusion_text and concluded.documents.count() == 1
    before = Proposal.objects.count()
    seed_discussions(random.Random(1))
    assert (Project.objects.count(), Proposal.objects.count()) == (4, before)
    # Made afresh (documents, moderation through the services) it comes out the same.
    Proposal.objects.all().delete()
    Project.objects.all().delete()
    seed_discussions(random.Random(1))
    assert (Project.objects.count(), Proposal.objects.count()) == (4, before)
