"""The demo step: decisions across Moscow's okrugs, some after the demo polls, in every status,
with steps, updates and points on the map. Idempotent: a decision's title is its identity."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from activecitizen.accounts.models import User
from activecitizen.decisions import services
from activecitizen.decisions.models import Decision, Status
from activecitizen.geo.models import District
from activecitizen.polls.models import Poll

EDITOR_PHONE = "+79990000002"
C = Poll.Category
S = Status


@dataclass(frozen=True)
class DemoDecision:
    title: str
    category: str
    district: str
    status: str
    department: str
    poll: str = ""
    steps: tuple[tuple[str, int, int], ...] = ()  # title, weight, percent
    reason: str = ""


DEPT_TRANSPORT = "Департамент транспорта и развития дорожно-транспортной инфраструктуры"
DEPT_HOUSING = "Департамент ЖКХ города Москвы"
DEPT_CULTURE = "Департамент культуры города Москвы"
DEPT_HEALTH = "Департамент здравоохранения города Москвы"
DEPT_SPORT = "Департамент спорта города Москвы"
DEPT_NATURE = "Департамент природопользования и охраны окружающей среды"
DEPT_EDU = "Департамент образования и науки города Москвы"
DEPT_SOCIAL = "Департамент труда и социальной защиты населения"

DECISIONS: tuple[DemoDecision, ...] = (
    DemoDecision(
        "Обновить 24 двора в Марьине",
        C.PARKS,
        "Марьино",
        S.IN_PROGRESS,
        DEPT_HOUSING,
        "Благоустройство дворов в районе Марьино",
        (("Проект благоустройства", 1, 100), ("Детские площадки", 3, 60), ("Озеленение", 2, 10)),
    ),
    DemoDecision(
        "Продлить трамвайный маршрут № 3",
        C.TRANSPORT,
        "Пресненский",
        S.PLANNED,
        DEPT_TRANSPORT,
        "Новые трамвайные маршруты: куда продлить линии",
        (("Проект путей", 2, 30), ("Укладка путей", 5, 0), ("Запуск маршрута", 1, 0)),
    ),
    DemoDecision(
        "Велодорожка вдоль Яузы",
        C.TRANSPORT,
        "Басманный",
        S.DONE,
        DEPT_TRANSPORT,
        "Велодорожки: где проложить новые маршруты",
        (("Разметка", 1, 100), ("Освещение", 1, 100)),
    ),
    DemoDecision(
        "Велодорожка по Профсоюзной улице",
        C.TRANSPORT,
        "Коньково",
        S.IN_PROGRESS,
        DEPT_TRANSPORT,
        "Велодорожки: где проложить новые маршруты",
        (("Проект", 1, 100), ("Разметка", 2, 50)),
    ),
    DemoDecision(
        "Скандинавская ходьба и танцы в «Московском долголетии»",
        C.CULTURE,
        "Тверской",
        S.DONE,
        DEPT_SOCIAL,
        "«Московское долголетие»: какие занятия добавить",
    ),
    DemoDecision(
        "Программа концертов на День города",
        C.CULTURE,
        "Тверской",
        S.DONE,
        DEPT_CULTURE,
        "Концерты на День города",
    ),
    DemoDecision(
        "Назвать новый парк в Зеленограде",
        C.PARKS,
        "Крюково",
        S.IN_PROGRESS,
        DEPT_NATURE,
        "Название нового парка в Зеленограде",
        (("Указ о названии", 1, 100), ("Указатели и навигация", 1, 0)),
    ),
    DemoDecision(
        "Поликлиники открыты по субботам до 20:00",
        C.HEALTHCARE,
        "Хамовники",
        S.DONE,
        DEPT_HEALTH,
        "Часы работы поликлиник в выходные",
    ),
    DemoDecision(
        "Три воркаут-площадки в Митине",
        C.SPORT,
        "Митино",
        S.IN_PROGRESS,
        DEPT_SPORT,
        "Воркаут-площадки в Митине",
        (("Площадка у пруда", 1, 100), ("Площадка в парке", 1, 100), ("Площадка у школы", 1, 20)),
    ),
    DemoDecision(
        "Фестиваль «Московская весна»: новые площадки",
        C.CULTURE,
        "Арбат",
        S.PLANNED,
        DEPT_CULTURE,
        "Программа фестиваля «Московская весна»",
    ),
    DemoDecision(
        "Горячие завтраки в школах без доплаты",
        C.EDUCATION,
        "Черёмушки",
        S.IN_PROGRESS,
        DEPT_EDU,
        "Школьное питание: завтраки и обеды",
        (("Новое меню", 1, 100), ("Закупки", 2, 40)),
    ),
    DemoDecision(
        "Экологические тропы в Битцевском лесу",
        C.ECOLOGY,
        "Ясенево",
        S.IN_PROGRESS,
        DEPT_NATURE,
        "Битцевский лес: новые экологические тропы",
        (("Настилы", 3, 70), ("Информационные стенды", 1, 50), ("Смотровая площадка", 2, 0)),
    ),
    DemoDecision(
        "Электробусы на Садовом кольце",
        C.TRANSPORT,
        "Мещанский",
        S.CANCELLED,
        DEPT_TRANSPORT,
        "Электробусы на Садовом кольце",
        reason="Маршрут перенесли: на Садовом кольце в эти годы ремонтируют путепроводы.",
    ),
    DemoDecision(
        "Новый сквер у станции метро «Бабушкинская»", C.PARKS, "Бабушкинский", S.DONE, DEPT_HOUSING
    ),
    DemoDecision(
        "Ремонт поликлиники № 12",
        C.HEALTHCARE,
        "Гольяново",
        S.IN_PROGRESS,
        DEPT_HEALTH,
        steps=(("Кровля", 2, 100), ("Фасад", 2, 50), ("Внутренняя отделка", 4, 10)),
    ),
    DemoDecision("Пешеходный переход у школы № 1500", C.SAFETY, "Перово", S.DONE, DEPT_TRANSPORT),
    DemoDecision(
        "Освещение набережной в Кузьминках", C.SAFETY, "Кузьминки", S.PLANNED, DEPT_HOUSING
    ),
    DemoDecision(
        "Каток с искусственным льдом в Бирюлёве",
        C.SPORT,
        "Бирюлёво Восточное",
        S.IN_PROGRESS,
        DEPT_SPORT,
        steps=(("Основание", 1, 100), ("Холодильная установка", 1, 0)),
    ),
    DemoDecision("Библиотека-коворкинг в Строгине", C.CULTURE, "Строгино", S.DONE, DEPT_CULTURE),
    DemoDecision(
        "Раздельный сбор отходов во дворах Отрадного",
        C.ECOLOGY,
        "Отрадное",
        S.IN_PROGRESS,
        DEPT_HOUSING,
        steps=(("Контейнерные площадки", 3, 80), ("Разъяснение жителям", 1, 100)),
    ),
    DemoDecision("Капитальный ремонт домов на Соколе", C.HOUSING, "Сокол", S.PLANNED, DEPT_HOUSING),
    DemoDecision("Детская площадка в Коммунарке", C.PARKS, "Сосенское", S.DONE, DEPT_HOUSING),
    DemoDecision(
        "Выделенная полоса для автобусов на Варшавском шоссе",
        C.TRANSPORT,
        "Нагорный",
        S.CANCELLED,
        DEPT_TRANSPORT,
        reason="После обсуждения с жителями решили продлить трамвайную линию вместо полосы.",
    ),
    DemoDecision(
        "Спортивный кластер в Южном Бутове", C.SPORT, "Южное Бутово", S.PLANNED, DEPT_SPORT
    ),
    DemoDecision(
        "Новая станция проката велосипедов в Лефортове",
        C.TRANSPORT,
        "Лефортово",
        S.DONE,
        DEPT_TRANSPORT,
    ),
)


def _district(name: str) -> District | None:
    return (
        District.objects.filter(name_ru=name).first()
        or District.objects.filter(name_ru__icontains=name.split()[0]).first()
    )


def _as_history(decision: Decision, spec: DemoDecision, done_on: date | None) -> None:
    """The status a demo decision has reached, written as the past it is: `services.set_status`
    would tell the demo poll's voters today of work "done" months ago (and step through every
    status to get there)."""
    Decision.objects.filter(pk=decision.pk).update(
        status=spec.status, done_on=done_on, cancel_reason=spec.reason
    )


def seed_decisions(rng: random.Random) -> str:
    editor = User.objects.filter(phone=EDITOR_PHONE).first()
    if editor is None:
        return "skipped: the demo editor is missing (seed_demo creates the people first)"
    known = set(
        Decision.objects.filter(title__in=[d.title for d in DECISIONS]).values_list(
            "title", flat=True
        )
    )
    polls = {
        p.title: p for p in Poll.objects.filter(title__in=[d.poll for d in DECISIONS if d.poll])
    }
    today = timezone.localdate()
    made = 0
    with transaction.atomic():
        for spec in DECISIONS:
            if spec.title in known:
                continue
            district = _district(spec.district)
            lat = lon = None
            if district is not None:
                # A little off the district's centre: markers of one district do not overlap.
                lat = district.centre_lat + Decimal(rng.randint(-80, 80)) / 10000
                lon = district.centre_lon + Decimal(rng.randint(-120, 120)) / 10000
            start = today - timedelta(days=rng.randint(60, 400))
            finish = start + timedelta(days=rng.randint(120, 540))
            done_on = None
            if spec.status == S.DONE:
                done_on = min(today - timedelta(days=rng.randint(1, 50)), finish)
                done_on = max(done_on, start)
            # The editor's own services: the demo's decisions pass the rules every decision does.
            decision = services.create_decision(
                by=editor,
                title=spec.title,
                description=(
                    "Решение принято по итогам голосования жителей."
                    if spec.poll
                    else "Решение принято по обращениям жителей района."
                ),
                category=spec.category,
                department=spec.department,
                poll=polls.get(spec.poll),
                planned_start=start,
                planned_finish=finish,
                lat=lat,
                lon=lon,
                districts=[district] if district is not None else [],
                is_published=True,
            )
            services.set_steps(
                decision=decision,
                steps=[services.StepInput(title=t, weight=w, percent=p) for t, w, p in spec.steps],
                by=editor,
            )
            if spec.status != S.PLANNED:
                _as_history(decision, spec, done_on)
            if spec.status in (S.IN_PROGRESS, S.DONE):
                services.post_update(
                    decision=decision,
                    text="Работы начались: подрядчик вышел на площадку.",
                    by=editor,
                )
            if spec.status == S.DONE:
                services.post_update(
                    decision=decision,
                    text="Работы завершены. Спасибо всем, кто голосовал!",
                    by=editor,
                )
            made += 1
        # The decisions above are history: nobody is told of them as new near their home.
        Decision.objects.filter(
            title__in=[d.title for d in DECISIONS], neighbours_told_at__isnull=True
        ).update(neighbours_told_at=timezone.now())
        made += _fresh_decision_near_the_demo_resident(editor, today)
    # Told after the commit, as the periodic task would: the demo resident finds
    # "New near your home" in their inbox.
    services.tell_neighbours_of_new_decisions()
    return f"{made} decisions created"


FRESH_TITLE = "Пешеходный переход со светофором у школы"
DEMO_RESIDENT_PHONE = "+79991000001"


def _fresh_decision_near_the_demo_resident(editor: User, today: date) -> int:
    resident = User.objects.filter(phone=DEMO_RESIDENT_PHONE, home_lat__isnull=False).first()
    if resident is None or Decision.objects.filter(title=FRESH_TITLE).exists():
        return 0
    assert resident.home_lat is not None and resident.home_lon is not None
    # About 330 m north of their home.
    services.create_decision(
        by=editor,
        title=FRESH_TITLE,
        description="Решение принято по обращениям жителей: переход появится до конца года.",
        category=Poll.Category.TRANSPORT,
        department="Департамент транспорта",
        planned_start=today,
        planned_finish=today + timedelta(days=90),
        lat=resident.home_lat + Decimal("0.003"),
        lon=resident.home_lon,
        districts=[resident.home_district] if resident.home_district else [],
        is_published=True,
    )
    return 1
