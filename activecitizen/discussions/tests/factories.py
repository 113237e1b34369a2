"""Projects at a chosen stage, people on or off their territory, and files for the tests."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from activecitizen.accounts.models import User
from activecitizen.accounts.roles import Role
from activecitizen.accounts.services import sync_role_permissions
from activecitizen.discussions.apps import register_role_permissions
from activecitizen.discussions.models import Project, Proposal
from activecitizen.geo.models import District

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

# Days from now of each stage, by the stage the project should be at now.
STAGES = {
    "notice": (-1, 5, 20, 5, 20, 25, 30),
    "exposition": (-5, -2, 12, 2, 12, 15, 20),
    "proposals": (-10, -7, 7, -7, 7, 10, 17),
    "protocol": (-30, -27, -5, -27, -5, -1, 6),
    "conclusion": (-60, -57, -35, -57, -35, -30, -20),
}


def districts() -> tuple[District, District]:
    home, elsewhere = District.objects.order_by("pk")[:2]
    return home, elsewhere


def make_project(
    *, stage: str = "proposals", district: District | None = None, **fields
) -> Project:
    days = STAGES[stage]
    now = timezone.now()
    names = (
        "notice_published_at",
        "exposition_opens_at",
        "exposition_closes_at",
        "proposals_open_at",
        "proposals_close_at",
        "protocol_at",
        "conclusion_at",
    )
    values = {
        "title": "Проект планировки территории района",
        "description": "Благоустройство и новая школа.",
        "organiser": "Комитет по архитектуре и градостроительству города Москвы",
        "is_published": True,
        **{name: now + timedelta(days=d) for name, d in zip(names, days, strict=True)},
        **fields,
    }
    project = Project.objects.create(**values)
    project.districts.add(district or districts()[0])
    return project


def make_person(phone: str, *, home: District | None = None, work: District | None = None) -> User:
    return User.objects.create_user(
        phone, first_name="Вера", home_district=home, work_district=work
    )


def make_moderator(phone: str = "+79990000003") -> User:
    register_role_permissions()
    sync_role_permissions()
    person = User.objects.create_user(phone, is_staff=True, first_name="Мария")
    person.groups.add(Group.objects.get(name=Role.MODERATOR))
    return User.objects.get(pk=person.pk)  # fresh: no cached permissions


def pdf_file(name: str = "plan.pdf", size: int | None = None) -> SimpleUploadedFile:
    content = PDF_BYTES if size is None else PDF_BYTES + b"0" * (size - len(PDF_BYTES))
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def proposal(project: Project, author: User, **fields) -> Proposal:
    values = {
        "participant_type": "resident",
        "stance": "support",
        "text": "Поддерживаю.",
        **fields,
    }
    return Proposal.objects.create(project=project, author=author, **values)
