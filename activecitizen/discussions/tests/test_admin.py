"""The moderators' queue in the admin: actions call the services; other staff cannot act."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from activecitizen.accounts.models import User
from activecitizen.accounts.roles import Role
from activecitizen.discussions.tests.factories import (
    districts,
    make_moderator,
    make_person,
    make_project,
    proposal,
)
from activecitizen.rewards.models import PointsAccount

pytestmark = pytest.mark.django_db
QUEUE = "/admin/discussions/proposal/"


def admin_client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_a_moderator_publishes_and_rejects_from_the_queue():
    home, _ = districts()
    project = make_project(district=home)
    author = make_person("+79161110001", home=home)
    first = proposal(project, author, text="Первое")
    second = proposal(project, author, text="Второе")
    client = admin_client(make_moderator())
    page = client.get(QUEUE)
    assert page.status_code == 200 and "Первое" in page.content.decode()
    client.post(QUEUE, {"action": "publish", "_selected_action": [first.pk]})
    # Without a reason nothing is rejected; with one it is.
    client.post(QUEUE, {"action": "reject", "_selected_action": [second.pk], "reason": ""})
    second.refresh_from_db()
    assert second.status == "pending"
    client.post(QUEUE, {"action": "reject", "_selected_action": [second.pk], "reason": "Дубль"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "published" and PointsAccount.objects.get(pk=author.pk).balance == 10
    assert (second.status, second.rejection_reason) == ("rejected", "Дубль")
    # The queue shows what awaits moderation only.
    assert "Первое" not in client.get(QUEUE).content.decode()


def test_staff_without_the_moderator_role_cannot_moderate():
    home, _ = districts()
    project = make_project(district=home)
    made = proposal(project, make_person("+79161110001", home=home))
    make_moderator()  # syncs the roles' permissions
    editor = User.objects.create_user("+79990000002", is_staff=True)
    editor.groups.add(Group.objects.get(name=Role.EDITOR))
    client = admin_client(editor)
    assert client.get(QUEUE).status_code == 200  # editors look
    client.post(QUEUE, {"action": "publish", "_selected_action": [made.pk]})
    made.refresh_from_db()
    assert made.status == "pending"
    citizen = admin_client(User.objects.create_user("+79161110009", is_staff=True))
    assert citizen.get(QUEUE).status_code == 403


def test_an_editor_adds_a_project_document_only_if_it_is_a_pdf_or_image():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from activecitizen.discussions.admin import ProjectDocumentForm

    project = make_project()
    bad = ProjectDocumentForm(
        data={"title": "План", "position": 0, "project": project.pk},
        files={"file": SimpleUploadedFile("plan.pdf", b"GIF89a")},
    )
    assert not bad.is_valid() and "file" in bad.errors


def test_the_project_pages_of_the_admin_open_for_a_superuser():
    project = make_project()
    boss = User.objects.create_superuser("+79990000001")
    client = admin_client(boss)
    assert client.get("/admin/discussions/project/").status_code == 200
    assert client.get("/admin/discussions/project/add/").status_code == 200
    assert client.get(f"/admin/discussions/project/{project.pk}/change/").status_code == 200
    made = proposal(project, make_person("+79161110001", home=districts()[0]))
    assert client.get(f"/admin/discussions/proposal/{made.pk}/change/").status_code == 200
