"""The protocol and conclusion: counts equal the published proposals; PDFs made offline."""

from __future__ import annotations

import socket

import pytest
from django.test import Client

from activecitizen.discussions import protocol
from activecitizen.discussions.tests.factories import districts, make_person, make_project, proposal

pytestmark = pytest.mark.django_db

PLAN = [
    ("resident", "support", "published"),
    ("resident", "objection", "published"),
    ("worker", "amendment", "published"),
    ("deputy", "support", "published"),
    ("resident", "support", "pending"),
    ("resident", "objection", "rejected"),
]


@pytest.fixture
def closed_project():
    home, _ = districts()
    project = make_project(
        stage="conclusion", district=home, conclusion_text="Рекомендуем учесть предложения 1 и 3."
    )
    for n, (kind, stance, status) in enumerate(PLAN):
        author = make_person(f"+7916111000{n}", home=home)
        proposal(
            project,
            author,
            participant_type=kind,
            stance=stance,
            status=status,
            text=f"Текст {n} <script>alert(1)</script>",
            rejection_reason="нет" if status == "rejected" else "",
        )
    return project


def test_protocol_counts_equal_the_published_proposals(closed_project):
    made = protocol.protocol_of(closed_project)
    assert made.total == 4
    assert made.by_stance.as_dict() == {"support": 2, "objection": 1, "amendment": 1}
    assert made.by_participant_type.as_dict() == {
        "resident": 2,
        "worker": 1,
        "rights_holder": 0,
        "deputy": 1,
    }
    assert made.by_stance.total == made.by_participant_type.total == len(made.entries)


def test_protocol_page_lists_published_proposals_escaped(closed_project):
    response = Client().get(f"/discussions/{closed_project.pk}/protocol/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="entry"') == 4
    assert "Текст 4" not in html and "Текст 5" not in html  # pending and rejected stay out
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_pdfs_start_with_pdf_and_need_no_network(closed_project, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("a document must be made without the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    client = Client()
    for path in ("protocol.pdf", "conclusion.pdf"):
        response = client.get(f"/discussions/{closed_project.pk}/{path}")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")


def test_the_fetcher_refuses_everything_but_data_urls():
    fetcher = protocol.offline_fetcher()
    for url in ("http://example.org/x.png", "file:///etc/passwd"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 2


def test_conclusion_page_has_the_recommendations_and_counts(closed_project):
    response = Client().get(f"/discussions/{closed_project.pk}/conclusion/")
    assert response.status_code == 200
    assert "Рекомендуем учесть предложения 1 и 3." in response.content.decode()
    assert 'class="num total-count">4<' in response.content.decode()


@pytest.mark.parametrize("path", ["protocol/", "protocol.pdf", "conclusion/", "conclusion.pdf"])
def test_documents_are_not_public_before_their_dates(path):
    project = make_project(stage="proposals", conclusion_text="Текст")
    assert Client().get(f"/discussions/{project.pk}/{path}").status_code == 404


def test_protocol_is_public_before_the_conclusion():
    project = make_project(stage="protocol")
    client = Client()
    assert client.get(f"/discussions/{project.pk}/protocol/").status_code == 200
    assert client.get(f"/discussions/{project.pk}/conclusion/").status_code == 404
