"""The pages: list with filters, a project with its form or the reason why not, my proposals."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from activecitizen.discussions.models import Proposal
from activecitizen.discussions.tests.factories import (
    districts,
    make_person,
    make_project,
    pdf_file,
    proposal,
)

pytestmark = pytest.mark.django_db


def client_of(user=None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    if user is not None:
        client.force_login(user)
    return client


def test_the_list_shows_projects_with_filters_and_an_empty_state():
    home, elsewhere = districts()
    open_now = make_project(title="Парк у дома", district=home)
    make_project(title="ТПУ у метро", district=elsewhere, stage="conclusion")
    make_project(title="Черновик", is_published=False)
    client = client_of()
    page = client.get("/discussions/").content.decode()
    assert "Парк у дома" in page and "ТПУ у метро" in page and "Черновик" not in page
    page = client.get(f"/discussions/?district={home.pk}").content.decode()
    assert "Парк у дома" in page and "ТПУ у метро" not in page
    page = client.get("/discussions/?stage=conclusion").content.decode()
    assert "ТПУ у метро" in page and "Парк у дома" not in page
    page = client.get("/discussions/?stage=notice").content.decode()
    assert 'class="empty"' in page
    assert client.get("/discussions/?district=abc&stage=zzz&page=x").status_code == 200
    assert f"/discussions/{open_now.pk}/" in client.get("/discussions/").content.decode()


def test_an_entitled_resident_submits_from_the_page_and_sees_it_pending():
    home, _ = districts()
    project = make_project(district=home)
    person = make_person("+79161110001", home=home)
    client = client_of(person)
    page = client.get(f"/discussions/{project.pk}/").content.decode()
    assert 'name="text"' in page
    response = client.post(
        f"/discussions/{project.pk}/propose/",
        {
            "participant_type": "resident",
            "stance": "amendment",
            "text": "Добавьте скамейки http://example.org",
            "attachment": pdf_file("схема.pdf"),
        },
    )
    assert response.status_code == 302
    made = Proposal.objects.get()
    assert made.status == "pending" and made.attachment
    page = client.get(f"/discussions/{project.pk}/").content.decode()
    assert "Добавьте скамейки" in page  # the author sees their own pending proposal
    assert (
        "Добавьте скамейки" not in client_of().get(f"/discussions/{project.pk}/").content.decode()
    )
    # The author downloads their attachment; a stranger does not, until it is published.
    assert client.get(f"/discussions/proposals/{made.pk}/attachment/").status_code == 200
    stranger = client_of(make_person("+79161110005", home=home))
    assert stranger.get(f"/discussions/proposals/{made.pk}/attachment/").status_code == 404


def test_a_refused_submission_shows_the_reason_and_writes_nothing():
    home, elsewhere = districts()
    project = make_project(district=home)
    client = client_of(make_person("+79161110002", home=elsewhere))
    response = client.post(
        f"/discussions/{project.pk}/propose/",
        {"participant_type": "resident", "stance": "support", "text": "Поддерживаю"},
    )
    assert response.status_code == 403
    assert "территории" in response.content.decode()
    response = client.post(
        f"/discussions/{project.pk}/propose/",
        {
            "participant_type": "rights_holder",
            "document_reference": "ЕГРН 1",
            "stance": "support",
            "text": "Поддерживаю",
            "attachment": SimpleUploadedFile("plan.pdf", b"<html>not a pdf"),
        },
    )
    assert response.status_code == 422
    response = client.post(
        f"/discussions/{project.pk}/propose/",
        {"participant_type": "resident", "stance": "support", "text": "я" * 5001},
    )
    assert response.status_code == 422
    assert Proposal.objects.count() == 0


def test_outside_the_window_the_page_says_why_and_has_no_form():
    project = make_project(stage="exposition")
    client = client_of(make_person("+79161110001", home=districts()[0]))
    page = client.get(f"/discussions/{project.pk}/").content.decode()
    assert 'class="why-not"' in page and 'name="text"' not in page
    response = client.post(
        f"/discussions/{project.pk}/propose/",
        {"participant_type": "resident", "stance": "support", "text": "Поддерживаю"},
    )
    assert response.status_code == 409


def test_published_proposals_are_plain_text_and_counted_by_stance():
    home, _ = districts()
    project = make_project(district=home)
    author = make_person("+79161110001", home=home)
    proposal(project, author, status="published", text="<b>жирно</b> http://spam.example\nстрока")
    proposal(project, author, status="published", stance="objection", text="Против")
    proposal(project, author, status="rejected", rejection_reason="Спам и ссылки", text="Отклонено")
    page = client_of().get(f"/discussions/{project.pk}/").content.decode()
    assert "&lt;b&gt;жирно&lt;/b&gt;" in page
    assert 'href="http://spam.example' not in page
    assert "<br>строка" in page
    assert 'data-stance="support">1<' in page and 'data-stance="objection">1<' in page
    assert "Отклонено" not in page and "Спам и ссылки" not in page
    # The author alone sees the rejection and its reason, here and on "My proposals".
    mine = client_of(author)
    assert "Спам и ссылки" in mine.get(f"/discussions/{project.pk}/").content.decode()
    my_page = mine.get("/discussions/my/").content.decode()
    assert "Спам и ссылки" in my_page and "Против" in my_page
    other = client_of(make_person("+79161110002", home=home))
    assert "Спам и ссылки" not in other.get("/discussions/my/").content.decode()


def test_documents_download_and_unknown_pages_are_404():
    from activecitizen.discussions import services

    project = make_project()
    document = services.add_document(project=project, title="Чертёж", file=pdf_file())
    client = client_of()
    response = client.get(f"/discussions/{project.pk}/documents/{document.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert response["Content-Type"] == "application/pdf"
    hidden = make_project(is_published=False)
    assert client.get(f"/discussions/{hidden.pk}/").status_code == 404
    assert client.get("/discussions/999999/").status_code == 404
    assert client.get("/discussions/my/").status_code == 302  # sign in first
