from decimal import Decimal

import pytest

from activecitizen.core.sms import MemorySmsBackend
from activecitizen.geo.models import District, Okrug


@pytest.fixture
def sms_outbox(settings):
    """Every SMS the code under test sends, in order."""
    settings.SMS_BACKEND = "memory"
    MemorySmsBackend.outbox = []
    return MemorySmsBackend.outbox


@pytest.fixture
def district(db):
    okrug, _ = Okrug.objects.get_or_create(
        code="T-1",
        defaults={
            "name_ru": "Тестовый",
            "name_en": "Test",
            "centre_lat": Decimal("55.75"),
            "centre_lon": Decimal("37.62"),
        },
    )
    found, _ = District.objects.get_or_create(
        code="T-1-1",
        defaults={
            "okrug": okrug,
            "name_ru": "Тестовый район",
            "name_en": "Test district",
            "centre_lat": Decimal("55.75"),
            "centre_lon": Decimal("37.62"),
        },
    )
    return found
