"""The demo step: news, four stories and two novelty announcements; twice adds nothing."""

import random

import pytest

from activecitizen.news.demo import seed_news
from activecitizen.news.models import NewsItem, Tag

pytestmark = pytest.mark.django_db


def test_the_demo_is_idempotent(client):
    seed_news(random.Random(1))
    count = NewsItem.objects.count()
    assert count >= 15
    assert NewsItem.objects.filter(kind="story", is_published=True).count() == 4
    assert NewsItem.objects.filter(kind="novelty").count() == 2
    assert NewsItem.objects.filter(districts__isnull=False).exists()
    assert NewsItem.objects.filter(districts__isnull=True).exists()
    assert Tag.objects.count() >= 5
    seed_news(random.Random(2))
    assert NewsItem.objects.count() == count
    assert client.get("/news/").status_code == 200
    assert client.get("/news/stories/").status_code == 200
    assert client.get("/news/rss/").status_code == 200
