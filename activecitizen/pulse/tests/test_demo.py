"""The demo step: real-looking Moscow facilities rated by demo residents; twice adds nothing."""

import random

import pytest

from activecitizen.pulse import services
from activecitizen.pulse.demo import seed_pulse
from activecitizen.pulse.models import Facility, FacilityMonth, FacilityRating

pytestmark = pytest.mark.django_db


def test_the_demo_is_idempotent_and_consistent():
    report = seed_pulse(random.Random(7))
    assert "created" in report
    facilities = Facility.objects.count()
    ratings = FacilityRating.objects.count()
    assert facilities >= 40 and ratings > 300
    assert {"park", "clinic", "library", "service_centre"} <= set(
        Facility.objects.values_list("category", flat=True)
    )
    assert FacilityRating.objects.filter(comment_status="pending").exists()
    assert FacilityRating.objects.filter(comment_status="published").exists()
    assert FacilityMonth.objects.values("month").distinct().count() >= 5
    for f in Facility.objects.all():
        assert 55.1 < float(f.lat) < 56.1 and 36.8 < float(f.lon) < 37.95
    assert Facility.objects.filter(responsible__phone="+79990000007").exists()

    seed_pulse(random.Random(8))
    assert (Facility.objects.count(), FacilityRating.objects.count()) == (facilities, ratings)
    kept = sorted(Facility.objects.values_list("pk", "ratings_count", "score_sum"))
    services.recount_totals()
    assert sorted(Facility.objects.values_list("pk", "ratings_count", "score_sum")) == kept
