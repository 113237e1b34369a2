"""Demo city novelties: a dozen of Moscow's real kinds of innovation (electric buses, smart stops,
cycle lanes, "Моя Москва" services, new parks, the MCD), rated by demo residents.

Registered as the "novelties" step of `manage.py seed_demo` (NoveltiesConfig.ready()). The
descriptions are ours. Idempotent: novelties are found by title, and a resident's rating is
made only when they have none, through `services.rate_novelty` exactly as on the site (points
included). Resident `+7 999 100-00-01`, who demos every section, rates nothing here so that
every novelty is still theirs to rate.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from activecitizen.accounts.models import User
from activecitizen.geo.models import District
from activecitizen.novelties import services
from activecitizen.novelties.models import Novelty, Rating

RESIDENT_PHONE_BASE = 79991000000
RATERS = range(2, 62)  # residents +79991000002 … +79991000061
C = Novelty.Category


@dataclass(frozen=True)
class DemoNovelty:
    title: str
    category: str
    district: str | None  # a district's Russian name; None: city-wide
    launched_on: date
    description: str
    mean: float  # how residents like it, for drawing their stars
    raters: int  # how many of the demo residents rate it
    published: bool = True


NOVELTIES: tuple[DemoNovelty, ...] = (
    DemoNovelty(
        "Новые электробусы на маршрутах центра",
        C.TRANSPORT,
        None,
        date(2025, 9, 1),
        "На маршруты центра вышли электробусы нового поколения: низкий пол, USB-зарядки у "
        "сидений, климат-контроль и площадка для колясок и велосипедов. Заряжаются на конечных "
        "за 6–12 минут.",
        4.4,
        20,
    ),
    DemoNovelty(
        "Умные остановки с табло и подогревом",
        C.TRANSPORT,
        "Тверской",
        date(2025, 6, 15),
        "Остановки с электронным табло прибытия, кнопкой экстренной связи, Wi-Fi, зарядкой для "
        "телефона и подогревом скамеек зимой.",
        4.1,
        16,
    ),
    DemoNovelty(
        "Выделенные велодорожки на Садовом кольце",
        C.TRANSPORT,
        None,
        date(2025, 5, 20),
        "Отдельные велодорожки, отделённые от проезжей части бордюром, с собственными "
        "светофорами на перекрёстках и велопарковками у станций метро.",
        3.6,
        18,
    ),
    DemoNovelty(
        "Цифровой сервис «Моя Москва»: запись к врачу за минуту",
        C.DIGITAL_SERVICES,
        None,
        date(2025, 3, 10),
        "В приложении «Моя Москва» запись к врачу, перенос визита и электронная медкарта "
        "теперь в одном разделе; напоминание приходит за сутки.",
        4.6,
        24,
    ),
    DemoNovelty(
        "МЦД-5: новый диаметр до Коммунарки",
        C.TRANSPORT,
        "Сосенское",
        date(2025, 12, 1),
        "Пятый Московский центральный диаметр связал Новую Москву с центром без пересадок: "
        "поезда ходят каждые 10 минут в час пик, оплата по тарифу «Центральный».",
        4.3,
        14,
    ),
    DemoNovelty(
        "Новый парк на месте промзоны в Нагатинском Затоне",
        C.PARKS,
        "Нагатинский Затон",
        date(2025, 8, 23),
        "Двадцать гектаров бывшей промзоны стали парком у воды: прогулочная набережная, "
        "детские площадки, каток зимой и лодочная станция летом.",
        4.7,
        18,
    ),
    DemoNovelty(
        "Ночные концерты в библиотеках",
        C.CULTURE,
        None,
        date(2025, 10, 4),
        "Раз в месяц городские библиотеки открыты до полуночи: камерные концерты, лекции и "
        "чтения. Вход свободный по регистрации.",
        4.0,
        12,
    ),
    DemoNovelty(
        "Поликлиника без очередей: электронная очередь и автоматы с талонами",
        C.HEALTHCARE,
        "Марьино",
        date(2025, 4, 7),
        "Новая система электронной очереди: табло в холле, SMS о приближении очереди и "
        "терминалы самозаписи на каждом этаже.",
        3.4,
        16,
    ),
    DemoNovelty(
        "Раздельный сбор отходов во дворах",
        C.ECOLOGY,
        "Митино",
        date(2025, 7, 1),
        "Во дворах появились контейнеры для пластика, стекла и бумаги с понятными наклейками "
        "и QR-кодом с правилами сортировки.",
        3.8,
        20,
    ),
    DemoNovelty(
        "Электронные дневники с расписанием кружков",
        C.EDUCATION,
        None,
        date(2025, 9, 1),
        "В электронном дневнике теперь видно расписание кружков и секций школы, а записаться "
        "можно в два нажатия.",
        3.9,
        14,
    ),
    DemoNovelty(
        "Капитальный ремонт подъездов с выбором дизайна",
        C.HOUSING,
        "Хамовники",
        date(2025, 2, 17),
        "Жители выбирают один из трёх вариантов отделки подъезда голосованием; ремонт идёт по "
        "графику, который виден в приложении.",
        3.2,
        12,
    ),
    DemoNovelty(
        "Пешеходная зона на Пятницкой улице",
        C.CITY_LIFE,
        None,
        date(2025, 6, 1),
        "Пятницкая стала пешеходной по выходным: уличные музыканты, веранды кафе и ярмарки "
        "местных мастеров.",
        4.2,
        16,
    ),
    DemoNovelty(
        "Беспилотные трамваи на линии в Сокольниках",
        C.TRANSPORT,
        "Сокольники",
        date(2026, 9, 1),
        "Испытания трамвая с системой автономного движения. Опубликуем, когда начнутся "
        "пассажирские рейсы.",
        4.0,
        0,
        published=False,
    ),
)

FEEDBACK = (
    "",
    "",
    "",
    "Стало намного удобнее, спасибо!",
    "Хорошо бы продлить на выходные.",
    "Не хватает информации на месте: где и как пользоваться.",
    "Пользуюсь каждый день.",
    "Идея хорошая, но пока работает с перебоями.",
)


def _stars(rng: random.Random, mean: float) -> int:
    return max(1, min(5, round(rng.gauss(mean, 0.9))))


def _novelty(spec: DemoNovelty, districts: dict[str, District]) -> Novelty:
    found = Novelty.objects.filter(title=spec.title).first()
    if found is not None:
        return found
    return services.save_novelty(
        novelty=Novelty(
            title=spec.title,
            category=spec.category,
            district=districts.get(spec.district) if spec.district else None,
            launched_on=spec.launched_on,
            description=spec.description,
            is_published=spec.published,
        ),
        is_new=True,
    )


def seed_novelties(rng: random.Random) -> str:
    names = [n.district for n in NOVELTIES if n.district]
    districts = {d.name_ru: d for d in District.objects.filter(name_ru__in=names)}
    phones = [f"+{RESIDENT_PHONE_BASE + n}" for n in RATERS]
    people = list(User.objects.filter(phone__in=phones).order_by("phone"))
    made = 0
    for spec in NOVELTIES:
        novelty = _novelty(spec, districts)
        if not spec.published or not people:
            continue
        rated = set(Rating.objects.filter(novelty=novelty).values_list("user_id", flat=True))
        # The same residents every run (a per-novelty draw), so a re-run finds them all rated.
        picker = random.Random(f"{rng.random()}:{spec.title}")
        for person in picker.sample(people, min(spec.raters, len(people))):
            stars = _stars(picker, spec.mean)
            feedback = picker.choice(FEEDBACK)
            if person.pk in rated:
                continue
            services.rate_novelty(
                novelty_id=novelty.pk,
                user=person,
                stars=stars,
                feedback=feedback,
                idempotency_key=f"demo:{novelty.pk}:{person.pk}",
            )
            made += 1
    return f"{len(NOVELTIES)} novelties, {made} ratings added"
