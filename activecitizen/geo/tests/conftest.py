import json
from pathlib import Path

import pytest

from activecitizen.geo.selectors import forget_boundaries


@pytest.fixture(autouse=True)
def _fresh_boundaries():
    # district_at keeps boundaries in memory; each test's database holds its own.
    forget_boundaries()
    yield
    forget_boundaries()


def square(x: float, y: float, size: float) -> list[list[float]]:
    """A closed anticlockwise ring: the square with its south-west corner at (x, y)."""
    return [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]


def district_feature(code, name, okrug_code, okrug_name, ring, **properties):
    return {
        "type": "Feature",
        "properties": {
            "NAME": name,
            "OKATO": code,
            "NAME_AO": okrug_name,
            "OKATO_AO": okrug_code,
            "ABBREV_AO": okrug_name[:3].upper(),
            "TYPE_MO": "Муниципальный округ",
            **properties,
        },
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def write_json(path: Path, document) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def feature_collection(*features) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


@pytest.fixture(autouse=True)
def _english_messages():
    # These tests read the loader's messages in their English source form.
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client
