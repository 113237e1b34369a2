"""Demo public discussions: four Moscow planning projects at different stages, with proposals
of demo residents — published, awaiting moderation and rejected.

Registered as the "discussions" step of `manage.py seed_demo` (order 45). The project collecting
proposals now covers the home district of resident `+7 999 100-00-01`, who has not proposed
anything yet: a visitor signing in as them can try. The projects and the organiser's texts are
invented. Idempotent: projects are found by title; a found project keeps its proposals and only
has its dates moved, so that each stays at the stage described here on a long-lived demo.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.core.files.base import ContentFile
from django.utils import timezone

from activecitizen.accounts.models import User
from activecitizen.discussions import services
from activecitizen.discussions.models import ParticipantType, Project, ProjectDocument, Proposal
from activecitizen.geo.models import District

DEMO_RESIDENT_PHONE = "+79991000001"
MODERATOR_PHONE = "+79990000003"
RESIDENT_PHONE_BASE = 79991000000
DEMO_PDF = Path(__file__).with_name("data") / "demo-materials.pdf"
ORGANISER = "Комитет по архитектуре и градостроительству города Москвы"


@dataclass(frozen=True)
class DemoProject:
    title: str
    district: str | None  # name_ru; None: the home district of the demo resident
    lat: str
    lon: str
    description: str
    # Days from now: notice, exposition opens, closes, proposals open, close, protocol, conclusion
    days: tuple[int, int, int, int, int, int, int]
    proposals: tuple[tuple[int, str, str, str], ...]  # (resident no., stance, status, text)
    conclusion: str = ""


PROJECTS = [
    DemoProject(
        "Проект планировки территории квартала в районе проживания",
        None,
        "55.751244",
        "37.618423",
        "Проект планировки территории (ППТ) предусматривает благоустройство дворов, "
        "новую школу на 825 мест, реконструкцию улично-дорожной сети и размещение "
        "подземного паркинга на 300 машино-мест.\n\nОзнакомьтесь с материалами экспозиции "
        "и направьте предложения до окончания приёма.",
        (-10, -7, 7, -7, 7, 10, 17),
        (
            (
                2,
                "support",
                "published",
                "Поддерживаю строительство школы: в районе не хватает мест.",
            ),
            (3, "amendment", "published", "Прошу предусмотреть велодорожку вдоль новой улицы."),
            (4, "objection", "pending", "Против вырубки деревьев во дворе дома 5."),
            (5, "amendment", "rejected", "Сделайте бесплатную парковку у метро!!! http://spam"),
        ),
    ),
    DemoProject(
        "Реконструкция парка «Кузьминки»",
        "Кузьминки",
        "55.689400",
        "37.783300",
        "Реконструкция центральной части парка: новые прогулочные дорожки, восстановление "
        "прудов, площадки для детей и спорта, реставрация исторических построек усадьбы.",
        (-3, -1, 13, 2, 13, 16, 23),
        (),
    ),
    DemoProject(
        "Транспортно-пересадочный узел «Нижегородская»",
        "Нижегородский",
        "55.732300",
        "37.728500",
        "Проект планировки территории ТПУ: пересадка между МЦК, МЦД-2 и Большой кольцевой "
        "линией метро, перехватывающая парковка, общественно-деловой центр.",
        (-30, -27, -5, -27, -5, -1, 6),
        (
            (6, "support", "published", "Удобная пересадка нужна давно, поддерживаю."),
            (7, "amendment", "published", "Нужен крытый переход к остановкам автобусов."),
            (8, "objection", "published", "Против высотного делового центра у жилых домов."),
            (2, "amendment", "rejected", "Перенесите МЦК."),
        ),
    ),
    DemoProject(
        "Жилой квартал на Михалковской улице",
        "Коптево",
        "55.833000",
        "37.520000",
        "Проект планировки территории под жилую застройку с детским садом, поликлиникой "
        "и сквером на месте бывшей промзоны.",
        (-60, -57, -35, -57, -35, -30, -20),
        (
            (3, "support", "published", "Хорошо, что промзону заменят сквером."),
            (4, "objection", "published", "Высота домов 25 этажей слишком велика для района."),
            (5, "amendment", "published", "Прошу добавить спортивную площадку у детского сада."),
            (6, "amendment", "published", "Нужен светофор на пересечении с Михалковской."),
        ),
        conclusion=(
            "Учитывая поступившие предложения, организатор рекомендует:\n"
            "1. Снизить высотность жилых домов вдоль Михалковской улицы до 17 этажей.\n"
            "2. Предусмотреть спортивную площадку на территории детского сада.\n"
            "3. Направить предложение о светофоре в Департамент транспорта.\n\n"
            "Аргументы: предложения участников, проживающих на территории, "
            "обоснованы и не противоречат документам территориального планирования."
        ),
    ),
]


def _district(name: str | None, resident: User | None) -> District:
    if name is None:
        if resident is not None and resident.home_district_id:
            return resident.home_district
        return District.objects.order_by("pk").first()
    return District.objects.filter(name_ru=name).first() or District.objects.order_by("pk").first()


def _participant(author: User, district: District) -> tuple[str, str, bool]:
    """A participant type the author is entitled to on the demo territory."""
    if author.home_district_id == district.pk:
        return ParticipantType.RESIDENT, "", False
    if author.work_district_id == district.pk:
        return ParticipantType.WORKER, "", False
    return ParticipantType.RIGHTS_HOLDER, f"Выписка из ЕГРН № 77/100/{author.pk:04d}", True


def _dates(spec: DemoProject, now) -> dict:
    names = (
        "notice_published_at",
        "exposition_opens_at",
        "exposition_closes_at",
        "proposals_open_at",
        "proposals_close_at",
        "protocol_at",
        "conclusion_at",
    )
    return {name: now + timedelta(days=d) for name, d in zip(names, spec.days, strict=True)}


def seed_discussions(rng: random.Random) -> str:
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    resident = (
        User.objects.filter(phone=DEMO_RESIDENT_PHONE).select_related("home_district").first()
    )
    moderator = User.objects.filter(phone=MODERATOR_PHONE).first()
    if moderator is not None and not moderator.has_perm("discussions.moderate_proposal"):
        moderator = None
    moderator = moderator or User.objects.filter(is_superuser=True).order_by("pk").first()
    created = proposals = 0
    pdf = DEMO_PDF.read_bytes()
    for n, spec in enumerate(PROJECTS, start=1):
        dates = _dates(spec, now)
        project = Project.objects.filter(title=spec.title).first()
        if project is not None:
            Project.objects.filter(pk=project.pk).update(**dates)
            continue
        district = _district(spec.district, resident)
        project = Project.objects.create(
            title=spec.title,
            description=spec.description,
            organiser=ORGANISER,
            lat=Decimal(spec.lat),
            lon=Decimal(spec.lon),
            conclusion_text=spec.conclusion,
            is_published=True,
            **dates,
        )
        project.districts.add(district)
        document = ProjectDocument(project=project, title="Материалы проекта (демонстрация)")
        document.file.save(f"demo-materials-{n}.pdf", ContentFile(pdf), save=False)
        document.save()
        created += 1
        for number, stance, status, text in spec.proposals:
            author = User.objects.filter(phone=f"+{RESIDENT_PHONE_BASE + number}").first()
            if author is None:
                continue
            kind, reference, needs_verifying = _participant(author, district)
            # Written directly: collection of the past projects is closed, which the service
            # would rightly refuse; moderation goes through the services (points, notices).
            proposal = Proposal.objects.create(
                project=project,
                author=author,
                participant_type=kind,
                document_reference=reference,
                stance=stance,
                text=text,
                created_at=dates["proposals_open_at"] + timedelta(hours=number),
            )
            proposals += 1
            if moderator is None or status == "pending":
                continue
            if needs_verifying:
                services.verify_participant(proposal=proposal, by=moderator)
            if status == "published":
                services.publish_proposal(proposal=proposal, by=moderator)
            else:
                services.reject_proposal(
                    proposal=proposal,
                    by=moderator,
                    reason="Предложение не относится к предмету обсуждения.",
                )
    return f"{created} planning projects and {proposals} proposals created"
