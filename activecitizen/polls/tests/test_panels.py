"""Other sections add panels to a poll's results page without polls knowing them."""

import pytest
from django.urls import reverse
from django.utils.html import format_html

from activecitizen.polls import panels
from activecitizen.polls.models import Poll
from activecitizen.polls.tests.factories import make_poll

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(panels, "_panels", [])
    return panels


def test_registered_panels_render_on_the_results_page(client, registry):
    def safe(poll, request):
        return format_html('<section id="extra">{} · {}</section>', poll.title, request.path)

    def plain(poll, request):
        return "<b>escaped</b>"

    registry.register_results_panel(safe)
    registry.register_results_panel(safe)  # twice is once
    registry.register_results_panel(plain)
    poll = make_poll(title="Опрос", status=Poll.Status.PUBLISHED)
    url = reverse("polls:results", args=[poll.pk])
    html = client.get(url).content.decode()
    assert html.count('<section id="extra">') == 1
    assert f"Опрос · {url}" in html
    assert "&lt;b&gt;escaped&lt;/b&gt;" in html and "<b>escaped</b>" not in html


def test_without_panels_the_page_is_unchanged(client, registry):
    poll = make_poll(title="Опрос", status=Poll.Status.PUBLISHED)
    assert client.get(reverse("polls:results", args=[poll.pk])).status_code == 200
