"""The decisions pages: the map with its list and filters (bad filters are a 400), the list, a
decision's page, and the "What the city did" panel on a poll's results page."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from django.urls import reverse

from activecitizen.decisions import services
from activecitizen.decisions.models import Decision, Status
from activecitizen.decisions.tests.factories import make_decision, make_editor, some_districts
from activecitizen.polls.models import Poll
from activecitizen.polls.tests.factories import make_poll

pytestmark = pytest.mark.django_db


def _markers(html: str) -> list[dict]:
    found = re.search(r'id="decision-markers"[^>]*>(.*?)</script>', html, re.S)
    return json.loads(found.group(1)) if found else []


@pytest.fixture
def city():
    editor = make_editor()
    first, second = some_districts(2)
    park = make_decision(
        editor, title="Парк у пруда", district=first, planned_finish=date(2026, 9, 1)
    )
    road = make_decision(
        editor,
        title="Ремонт дороги",
        category=Poll.Category.TRANSPORT,
        district=second,
        planned_finish=date(2027, 6, 1),
        lat="55.700000",
        lon="37.500000",
    )
    services.set_status(decision=road, status=Status.IN_PROGRESS, by=editor)
    make_decision(editor, title="Черновик решения", is_published=False)
    return {"editor": editor, "park": park, "road": road, "first": first, "second": second}


def test_the_map_lists_decisions_with_markers_and_works_without_tiles(client, settings, city):
    settings.MAP_TILE_URL = "https://tiles.example/{z}/{x}/{y}.png"
    page = client.get(reverse("decisions:map"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "vendor/leaflet/leaflet.js" in html and "https://tiles.example/" in html
    assert {m["title"] for m in _markers(html)} == {"Парк у пруда", "Ремонт дороги"}
    assert {m["status"] for m in _markers(html)} == {"planned", "in_progress"}
    # The list under the map names both without any script; drafts are nowhere.
    listed = html.split('id="decision-list"')[1]
    assert "Парк у пруда" in listed and "Ремонт дороги" in listed
    assert "Черновик решения" not in html


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ({"status": "in_progress"}, "Ремонт дороги", "Парк у пруда"),
        ({"category": "parks"}, "Парк у пруда", "Ремонт дороги"),
        ({"year": "2027"}, "Ремонт дороги", "Парк у пруда"),
    ],
)
def test_the_map_filters(client, city, query, shown, hidden):
    html = client.get(reverse("decisions:map"), query).content.decode()
    assert shown in html and hidden not in html
    assert [m["title"] for m in _markers(html)] == [shown]


def test_the_district_filter(client, city):
    html = client.get(reverse("decisions:list"), {"district": city["first"].pk}).content.decode()
    assert "Парк у пруда" in html and "Ремонт дороги" not in html


@pytest.mark.parametrize(
    "query",
    [{"status": "flying"}, {"category": "space"}, {"district": "abc"}, {"year": "1800"}],
)
def test_bad_filters_are_a_400_naming_the_field(client, city, query):
    for name in ("decisions:list", "decisions:map"):
        answer = client.get(reverse(name), query)
        assert answer.status_code == 400
        assert 'class="errorlist' in answer.content.decode()
    assert Decision.objects.count() == 3


def test_no_match_says_so(client, city):
    html = client.get(reverse("decisions:list"), {"status": "cancelled"}).content.decode()
    assert 'id="decision-list-empty"' in html


def test_a_decision_page_shows_its_progress_steps_updates_and_source(client, city):
    editor = city["editor"]
    poll = make_poll(title="Какие деревья посадить?")
    decision = make_decision(editor, title="Посадить липы", poll=poll)
    services.add_step(decision=decision, title="Закупить саженцы", weight=1, by=editor)
    step = services.add_step(decision=decision, title="Посадить", weight=3, by=editor)
    services.complete_step(step=step, by=editor)
    services.post_update(decision=decision, text="Первые 30 лип посажены", by=editor)
    html = client.get(reverse("decisions:detail", args=[decision.pk])).content.decode()
    assert "Посадить липы" in html and "Закупить саженцы" in html
    assert 'data-testid="progress">75&nbsp;%' in html
    assert "Первые 30 лип посажены" in html
    assert reverse("polls:detail", args=[poll.pk]) in html and "Какие деревья посадить?" in html
    draft = Decision.objects.get(title="Черновик решения")
    assert client.get(reverse("decisions:detail", args=[draft.pk])).status_code == 404
    assert client.get("/decisions/99999999999/").status_code == 404


def test_a_cancelled_decision_says_why(client, city):
    services.set_status(
        decision=city["park"], status=Status.CANCELLED, by=city["editor"], reason="Пруд обмелел"
    )
    html = client.get(reverse("decisions:detail", args=[city["park"].pk])).content.decode()
    assert "Пруд обмелел" in html


def test_the_poll_results_page_shows_what_the_city_did(client):
    editor = make_editor()
    poll = make_poll(title="Что построить в парке?", status=Poll.Status.PUBLISHED)
    other = make_poll(title="Другой опрос", status=Poll.Status.PUBLISHED)
    make_decision(editor, title="Построить <скейт-парк>", poll=poll)
    make_decision(editor, title="Скрытое решение", poll=poll, is_published=False)
    html = client.get(reverse("polls:results", args=[poll.pk])).content.decode()
    assert 'id="city-did-title"' in html
    assert "Построить &lt;скейт-парк&gt;" in html and "Скрытое решение" not in html
    assert (
        'id="city-did-title"'
        not in client.get(reverse("polls:results", args=[other.pk])).content.decode()
    )
