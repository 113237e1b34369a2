"""The page /city/districts/: okrugs with their districts, in the reader's language."""

import re

import pytest

from activecitizen.geo.models import District, Okrug

pytestmark = pytest.mark.django_db


def test_the_page_lists_every_okrug_and_its_districts(client):
    answer = client.get("/city/districts/", HTTP_ACCEPT_LANGUAGE="ru")
    assert answer.status_code == 200
    html = answer.content.decode()
    headings = re.findall(r'<h2 id="okrug-\d+">([^<]+)', html)
    assert sorted(h.strip() for h in headings) == sorted(
        Okrug.objects.values_list("name_ru", flat=True)
    )
    assert "Тверской" in html
    assert "Филёвский Парк" in html
    assert '© <a href="https://www.openstreetmap.org/copyright">' in html  # ODbL credit


def test_the_page_speaks_english_when_asked(client):
    html = client.get("/city/districts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.search(r'<h2 id="okrug-\d+">Central', html)
    assert "Filyovsky Park" in html
    assert "Troitsk" in html


def test_without_districts_the_page_says_how_to_load_them(client):
    District.objects.all().delete()
    Okrug.objects.all().delete()
    html = client.get("/city/districts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "manage.py load_city" in html
    assert "<h2" not in html
