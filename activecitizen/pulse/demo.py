"""Demo Pulse of the capital: about forty real Moscow facilities across the okrugs (parks,
public service centres, libraries, clinics, theatres …) rated by demo residents over the last
six months, with comments published, rejected and waiting for a moderator.

Registered as the "pulse" step of `manage.py seed_demo` (PulseConfig.ready()). Names and places
are real; coordinates are approximate; the ratings are invented. Ratings are written in bulk and
the totals recounted once (`services.recount_totals`): the demo writes history, which the
once-a-month rule and the rate limit of `rate_facility` are not for. Staff member
`+7 999 000-00-07` is responsible for the parks and sees them on /pulse/dashboard/.
Idempotent: facilities are found by name, and a facility that has ratings gets no more.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from activecitizen.accounts.models import User
from activecitizen.geo.models import District
from activecitizen.pulse import services
from activecitizen.pulse.models import Aspect, Category, Facility, FacilityRating

RESIDENT_PHONE_BASE = 79991000000  # residents +7 999 100-00-01 … (seed_demo makes them)
RESIDENTS_WANTED = 40
FACILITY_STAFF_PHONE = "+79990000007"
MODERATOR_PHONE = "+79990000003"
C = Category

# name, category, district, address, lat, lon, typical score (1..5)
FACILITIES: list[tuple[str, str, str, str, str, str, float]] = [
    ("Парк Горького", C.PARK, "Якиманка", "ул. Крымский Вал, 9", "55.729825", "37.603068", 4.7),
    (
        "Парк «Сокольники»",
        C.PARK,
        "Сокольники",
        "ул. Сокольнический Вал, 1, стр. 1",
        "55.792539",
        "37.677420",
        4.5,
    ),
    (
        "Парк «Зарядье»",
        C.PARK,
        "Тверской",
        "ул. Варварка, 6, стр. 1",
        "55.751244",
        "37.628727",
        4.8,
    ),
    ("Парк «Музеон»", C.PARK, "Якиманка", "ул. Крымский Вал, 2", "55.734985", "37.606373", 4.4),
    (
        "Измайловский парк",
        C.PARK,
        "Соколиная Гора",
        "Народный просп., 17",
        "55.774400",
        "37.754200",
        4.2,
    ),
    ("Парк «Кузьминки»", C.PARK, "Кузьминки", "ул. Кузьминская, 10", "55.694500", "37.786600", 4.0),
    (
        "Парк «Фили»",
        C.PARK,
        "Филёвский Парк",
        "Большая Филёвская ул., 22",
        "55.750900",
        "37.484300",
        4.3,
    ),
    (
        "Парк «Северное Тушино»",
        C.PARK,
        "Северное Тушино",
        "ул. Свободы, 56",
        "55.857700",
        "37.446900",
        4.1,
    ),
    (
        "МФЦ района Якиманка",
        C.SERVICE_CENTRE,
        "Якиманка",
        "ул. Большая Полянка, 28, корп. 1",
        "55.734100",
        "37.619300",
        4.5,
    ),
    (
        "МФЦ района Сокольники",
        C.SERVICE_CENTRE,
        "Сокольники",
        "ул. Стромынка, 11",
        "55.789100",
        "37.685400",
        4.3,
    ),
    (
        "МФЦ района Митино",
        C.SERVICE_CENTRE,
        "Митино",
        "ул. Митинская, 27",
        "55.843600",
        "37.363000",
        4.1,
    ),
    (
        "МФЦ района Марьино",
        C.SERVICE_CENTRE,
        "Марьино",
        "ул. Люблинская, 102",
        "55.650500",
        "37.742000",
        3.9,
    ),
    (
        "МФЦ района Ясенево",
        C.SERVICE_CENTRE,
        "Ясенево",
        "Новоясеневский просп., 24, корп. 2",
        "55.606000",
        "37.533000",
        4.4,
    ),
    (
        "МФЦ района Отрадное",
        C.SERVICE_CENTRE,
        "Отрадное",
        "ул. Декабристов, 10, корп. 1",
        "55.864700",
        "37.604900",
        4.0,
    ),
    (
        "МФЦ района Хамовники",
        C.SERVICE_CENTRE,
        "Хамовники",
        "ул. Льва Толстого, 7",
        "55.734300",
        "37.588700",
        4.6,
    ),
    (
        "Российская государственная библиотека",
        C.LIBRARY,
        "Арбат",
        "ул. Воздвиженка, 3/5",
        "55.751500",
        "37.609700",
        4.6,
    ),
    (
        "Библиотека-читальня им. Тургенева",
        C.LIBRARY,
        "Красносельский",
        "Бобров пер., 6, стр. 1",
        "55.764700",
        "37.637900",
        4.7,
    ),
    (
        "Библиотека им. Достоевского",
        C.LIBRARY,
        "Басманный",
        "Чистопрудный бульвар, 23, стр. 1",
        "55.761200",
        "37.645800",
        4.5,
    ),
    (
        "Библиотека № 180 (Митино)",
        C.LIBRARY,
        "Митино",
        "Пятницкое ш., 18",
        "55.855500",
        "37.353400",
        4.0,
    ),
    (
        "Библиотека «Просвещение» (Бирюлёво)",
        C.LIBRARY,
        "Бирюлёво Западное",
        "ул. Харьковская, 1, корп. 1",
        "55.591100",
        "37.651200",
        3.8,
    ),
    (
        "Городская поликлиника № 2",
        C.CLINIC,
        "Хорошёво-Мнёвники",
        "ул. Демьяна Бедного, 8",
        "55.778400",
        "37.480800",
        3.6,
    ),
    (
        "Городская поликлиника № 134",
        C.CLINIC,
        "Солнцево",
        "ул. Производственная, 2",
        "55.654700",
        "37.398800",
        3.4,
    ),
    (
        "Городская поликлиника № 219",
        C.CLINIC,
        "Северное Тушино",
        "ул. Героев Панфиловцев, 1",
        "55.859300",
        "37.435500",
        3.8,
    ),
    (
        "Детская поликлиника № 133",
        C.CLINIC,
        "Тёплый Стан",
        "ул. Островитянова, 16, корп. 1",
        "55.641600",
        "37.514900",
        3.9,
    ),
    (
        "Городская поликлиника № 23",
        C.CLINIC,
        "Люблино",
        "ул. Кузнечная, 1",
        "55.676900",
        "37.760500",
        3.3,
    ),
    (
        "Городская поликлиника № 12",
        C.CLINIC,
        "Вешняки",
        "Вешняковская ул., 10",
        "55.721500",
        "37.819800",
        3.7,
    ),
    (
        "Школа № 57",
        C.SCHOOL,
        "Хамовники",
        "Малый Знаменский пер., 7/10, стр. 5",
        "55.747600",
        "37.603000",
        4.6,
    ),
    ("Школа № 1535", C.SCHOOL, "Хамовники", "ул. Усачёва, 50", "55.726500", "37.565100", 4.5),
    (
        "Школа «Покровский квартал»",
        C.SCHOOL,
        "Басманный",
        "Покровский бульвар, 4/17",
        "55.757400",
        "37.647300",
        4.2,
    ),
    (
        "Школа № 1568 им. Пабло Неруды",
        C.SCHOOL,
        "Северное Медведково",
        "ул. Молодцова, 16",
        "55.882800",
        "37.656000",
        4.0,
    ),
    (
        "Транспортно-пересадочный узел «Рязанская»",
        C.TRANSPORT_HUB,
        "Рязанский",
        "Рязанский просп., 34",
        "55.717600",
        "37.793000",
        3.9,
    ),
    ("ТПУ «Ховрино»", C.TRANSPORT_HUB, "Ховрино", "ул. Дыбенко, 7", "55.877600", "37.482300", 3.7),
    (
        "ТПУ «Саларьево»",
        C.TRANSPORT_HUB,
        "Московский",
        "Киевское ш., 23-й км",
        "55.622700",
        "37.424600",
        3.5,
    ),
    (
        "Спорткомплекс «Лужники»",
        C.SPORTS_CENTRE,
        "Хамовники",
        "ул. Лужники, 24",
        "55.715800",
        "37.553700",
        4.6,
    ),
    (
        "Центр спорта «Янтарь»",
        C.SPORTS_CENTRE,
        "Строгино",
        "ул. Маршала Катукова, 26",
        "55.805800",
        "37.400500",
        4.1,
    ),
    (
        "Бассейн «Чайка»",
        C.SPORTS_CENTRE,
        "Хамовники",
        "Турчанинов пер., 3, стр. 1",
        "55.735400",
        "37.595200",
        4.2,
    ),
    (
        "Физкультурно-оздоровительный комплекс «Зябликово»",
        C.SPORTS_CENTRE,
        "Зябликово",
        "ул. Мусы Джалиля, 7",
        "55.626400",
        "37.746200",
        3.9,
    ),
    (
        "Третьяковская галерея",
        C.THEATRE_MUSEUM,
        "Якиманка",
        "Лаврушинский пер., 10",
        "55.741400",
        "37.620800",
        4.8,
    ),
    (
        "Музей Москвы",
        C.THEATRE_MUSEUM,
        "Хамовники",
        "Зубовский бульвар, 2",
        "55.734600",
        "37.592700",
        4.6,
    ),
    (
        "Театр «Et Cetera»",
        C.THEATRE_MUSEUM,
        "Басманный",
        "Фроловский пер., 2",
        "55.764100",
        "37.642800",
        4.5,
    ),
    (
        "Музей-заповедник «Царицыно»",
        C.THEATRE_MUSEUM,
        "Царицыно",
        "ул. Дольская, 1",
        "55.615800",
        "37.682400",
        4.7,
    ),
]

COMMENTS_GOOD = [
    "Чисто, много скамеек, вечером хорошее освещение.",
    "Очень вежливые сотрудники, всё сделали за десять минут.",
    "Ходим с детьми каждые выходные — всем нравится.",
    "Удобно добираться, есть пандусы и лифт.",
    "Отличное место, спасибо всем, кто здесь работает!",
]
COMMENTS_BAD = [
    "Пришлось ждать больше часа, электронная очередь не работала.",
    "Туалеты закрыты, урны переполнены.",
    "Мало парковочных мест для велосипедов.",
    "Не работает лифт, с коляской не подняться.",
]


def seed_pulse(rng: random.Random) -> str:
    now = timezone.now()
    residents = _residents()
    staff = _facility_staff()
    moderator = User.objects.filter(phone=MODERATOR_PHONE).first()
    districts = _districts()
    aspects = _aspects()
    made, rated = 0, 0
    with transaction.atomic():
        for name, category, district, address, lat, lon, typical in FACILITIES:
            facility, created = Facility.objects.get_or_create(
                name=name,
                defaults={
                    "category": category,
                    "district": districts.get(district) or _nearest(lat, lon),
                    "address": address,
                    "lat": Decimal(lat),
                    "lon": Decimal(lon),
                },
            )
            made += created
            if created and category == C.PARK:
                facility.responsible.add(staff)
            if facility.ratings_count or FacilityRating.objects.filter(facility=facility).exists():
                continue
            rated += _rate(
                facility, residents, aspects.get(category, []), typical, rng, now, moderator
            )
            services.recount_totals(facility_ids=[facility.pk])
    return f"{made} facilities created, {rated} ratings added"


def _rate(facility, residents, aspect_codes, typical, rng, now, moderator) -> int:
    ratings = []
    for resident in rng.sample(residents, k=min(len(residents), rng.randint(8, 30))):
        month_back = rng.randint(0, 5)
        moment = now - timedelta(
            days=30 * month_back + rng.randint(0, 25), hours=rng.randint(0, 23)
        )
        if moment > now:
            moment = now
        score = max(1, min(5, round(rng.gauss(typical, 0.8))))
        scored = {
            code: max(1, min(5, round(rng.gauss(typical, 1.0))))
            for code in aspect_codes
            if rng.random() < 0.7
        }
        comment, status = "", FacilityRating.CommentStatus.NONE
        if rng.random() < 0.3:
            comment = rng.choice(COMMENTS_GOOD if score >= 4 else COMMENTS_BAD)
            status = rng.choice(
                [FacilityRating.CommentStatus.PUBLISHED] * 3
                + [FacilityRating.CommentStatus.PENDING, FacilityRating.CommentStatus.REJECTED]
            )
        decided = status in (
            FacilityRating.CommentStatus.PUBLISHED,
            FacilityRating.CommentStatus.REJECTED,
        )
        ratings.append(
            FacilityRating(
                facility=facility,
                user=resident,
                score=score,
                aspects=scored,
                comment=comment,
                comment_status=status,
                month=services.month_of(moment),
                created_at=moment,
                moderated_by=moderator if decided else None,
                moderated_at=moment + timedelta(hours=3) if decided else None,
            )
        )
    # One person, one month, one facility: a second draw of the same month is dropped.
    FacilityRating.objects.bulk_create(ratings, ignore_conflicts=True)
    return len(ratings)


def _residents() -> list[User]:
    phones = [f"+{RESIDENT_PHONE_BASE + n}" for n in range(1, RESIDENTS_WANTED + 1)]
    found = list(User.objects.filter(phone__in=phones).order_by("phone"))
    if len(found) < 10:
        # `seed_demo` makes the residents first; alone (a test), a handful suffices.
        for n in range(1, 11):
            user, created = User.objects.get_or_create(
                phone=f"+{RESIDENT_PHONE_BASE + n}", defaults={"first_name": "Житель"}
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
        found = list(User.objects.filter(phone__in=phones).order_by("phone"))
    return found


def _facility_staff() -> User:
    staff, created = User.objects.get_or_create(
        phone=FACILITY_STAFF_PHONE,
        defaults={"first_name": "Светлана", "last_name": "Паркова", "is_staff": True},
    )
    if created:
        staff.set_unusable_password()
        staff.save(update_fields=["password"])
    return staff


def _districts() -> dict[str, District]:
    names = {spec[2] for spec in FACILITIES}
    return {d.name_ru: d for d in District.objects.filter(name_ru__in=names)}


def _nearest(lat: str, lon: str) -> District:
    """The district whose centre is nearest, for a name the city's data spells otherwise."""
    here = (Decimal(lat), Decimal(lon))
    return min(
        District.objects.all(),
        key=lambda d: (d.centre_lat - here[0]) ** 2 + (d.centre_lon - here[1]) ** 2,
    )


def _aspects() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for category, code in Aspect.objects.values_list("category", "code"):
        found.setdefault(category, []).append(code)
    return found
