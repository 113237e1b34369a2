"""RSS 2.0 and Atom: valid XML with the latest 30 published items, drafts left out."""

from xml.etree import ElementTree

import pytest

from activecitizen.news.models import NewsItem
from activecitizen.news.tests.factories import make_item

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def test_rss_lists_the_latest_published_items(client):
    for n in range(32):
        make_item(f"Новость {n}", days_ago=n + 1)
    make_item("Черновик", published=False)
    answer = client.get("/news/rss/")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("application/rss+xml")
    root = ElementTree.fromstring(answer.content)  # noqa: S314 - our own feed
    assert root.tag == "rss" and root.get("version") == "2.0"
    titles = [i.findtext("title") for i in root.iter("item")]
    assert len(titles) == 30
    assert titles[0] == "Новость 0" and "Новость 31" not in titles and "Черновик" not in titles
    assert root.find("channel/item/link").text.startswith("http://testserver/news/")


def test_atom_is_valid_and_escapes_text(client):
    make_item("Новость <b>жирная</b>", lead="<script>x</script> & ещё")
    answer = client.get("/news/atom/")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(answer.content)  # noqa: S314 - our own feed
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 1
    assert entries[0].findtext(f"{ATOM}title") == "Новость <b>жирная</b>"
    assert entries[0].findtext(f"{ATOM}summary") == "<script>x</script> & ещё"


def test_per_kind_feeds(client):
    make_item("Новость")
    make_item("История", kind=NewsItem.Kind.STORY, person_name="Анна")
    root = ElementTree.fromstring(client.get("/news/rss/story/").content)  # noqa: S314 - our own feed
    assert [i.findtext("title") for i in root.iter("item")] == ["История"]
    assert client.get("/news/rss/gossip/").status_code == 404
