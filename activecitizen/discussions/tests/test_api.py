"""The discussions API (API.md shapes): lists, a project, proposals, submitting, mine."""

from __future__ import annotations

import pytest
from django.test import Client

from activecitizen.accounts.services import issue_api_token
from activecitizen.discussions.models import Proposal
from activecitizen.discussions.tests.factories import (
    districts,
    make_person,
    make_project,
    pdf_file,
    proposal,
)

pytestmark = pytest.mark.django_db


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_api_token(user=user, device='test')[1]}"}


def post(project, user, body):
    return Client().post(
        f"/api/v1/discussions/{project.pk}/proposals",
        body,
        content_type="application/json",
        **bearer(user),
    )


def test_list_detail_and_published_proposals():
    from activecitizen.discussions import services

    home, elsewhere = districts()
    project = make_project(district=home)
    make_project(title="Другой", district=elsewhere, stage="conclusion")
    services.add_document(project=project, title="Чертёж", file=pdf_file())
    author = make_person("+79161110001", home=home)
    proposal(project, author, status="published", stance="objection")
    proposal(project, author)  # pending: not public
    client = Client()
    listed = client.get(f"/api/v1/discussions?district={home.pk}&stage=proposals").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == project.pk
    assert listed["items"][0]["stage"] == "proposals"
    assert client.get("/api/v1/discussions?stage=conclusion").json()["count"] == 1
    detail = client.get(f"/api/v1/discussions/{project.pk}").json()
    assert [s["code"] for s in detail["stages"]] == [
        "notice",
        "exposition",
        "proposals",
        "protocol",
        "conclusion",
    ]
    assert detail["counts"] == {"support": 0, "objection": 1, "amendment": 0}
    assert detail["collecting"] is True and detail["protocol_url"] is None
    assert detail["documents"][0]["title"] == "Чертёж"
    published = client.get(f"/api/v1/discussions/{project.pk}/proposals").json()
    assert published["count"] == 1 and "author" not in published["items"][0]
    bad = client.get("/api/v1/discussions?district=999999999")
    assert bad.status_code == 422 and bad.json()["field"] == "district"
    assert client.get("/api/v1/discussions/999999").json()["code"] == "not_found"


def test_submitting_201_403_409_422_429():
    home, elsewhere = districts()
    project = make_project(district=home)
    resident = make_person("+79161110001", home=home)
    outsider = make_person("+79161110002", home=elsewhere)
    body = {"participant_type": "resident", "stance": "support", "text": "Поддерживаю"}
    created = post(project, resident, body)
    assert created.status_code == 201
    assert created.json()["status"] == "pending"
    refused = post(project, outsider, body)
    assert refused.status_code == 403 and refused.json()["code"] == "not_entitled"
    holder = post(project, outsider, {**body, "participant_type": "rights_holder"})
    assert holder.status_code == 403 and holder.json()["field"] == "document_reference"
    long = post(project, resident, {**body, "text": "я" * 5001})
    assert long.status_code == 422 and long.json()["field"] == "text"
    assert post(project, resident, {**body, "stance": "maybe"}).status_code == 422
    closed = make_project(district=home, stage="protocol")
    late = post(closed, resident, body)
    assert late.status_code == 409 and late.json()["code"] == "not_collecting"
    for _n in range(4):
        assert post(project, resident, body).status_code == 201
    limited = post(project, resident, body)
    assert limited.status_code == 429 and "Retry-After" in limited
    assert Proposal.objects.count() == 5
    anonymous = Client().post(
        f"/api/v1/discussions/{project.pk}/proposals", body, content_type="application/json"
    )
    assert anonymous.status_code == 401


def test_my_proposals_with_the_rejection_reason():
    home, _ = districts()
    project = make_project(district=home)
    author = make_person("+79161110001", home=home)
    proposal(project, author, status="rejected", rejection_reason="Не по теме")
    other = make_person("+79161110002", home=home)
    mine = Client().get("/api/v1/me/proposals", **bearer(author)).json()
    assert mine["count"] == 1 and mine["items"][0]["rejection_reason"] == "Не по теме"
    assert Client().get("/api/v1/me/proposals", **bearer(other)).json()["count"] == 0
    assert Client().get("/api/v1/me/proposals").status_code == 401
