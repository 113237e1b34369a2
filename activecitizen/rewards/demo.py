"""Demo shop: sixteen partners with issue points across every okrug, a hundred rewards with
stock and promo-code pools, the "Миллион призов" campaign, partner staff, and demo residents'
orders in every status.

Registered as the "shop" step of `manage.py seed_demo` (RewardsConfig.ready()), after the
polls' step, so the campaign can name demo polls. The names are invented. Idempotent: partners,
issue points, rewards, the campaign and staff are looked up by name or phone, stock and code
pools are filled only when a reward is new, and each demo order carries an Idempotency-Key, so a
second run adds nothing. Orders are placed, cancelled, issued and expired through the shop's
services, exactly as residents and cashiers do it; the residents' points come from a
correction by the demo administrator that says why.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.utils import timezone

from activecitizen.accounts.models import User
from activecitizen.accounts.roles import Role
from activecitizen.core.errors import DomainError
from activecitizen.geo.models import District, Okrug
from activecitizen.geo.selectors import district_at
from activecitizen.rewards import services
from activecitizen.rewards.models import (
    Campaign,
    IssuePoint,
    Order,
    Partner,
    PartnerMember,
    PromoCode,
    Reward,
    Stock,
)

ADMIN_PHONE = "+79990000001"
CASHIER_PHONE = "+79990000005"  # seed_demo's partner cashier: works at the first partner
RESIDENT_PHONE_BASE = 79991000000
RESIDENTS_WITH_ORDERS = 30  # residents +79991000001 … +79991000030
RESIDENT_POINTS = 5000
CAMPAIGN_TITLE = "Миллион призов"
CAMPAIGN_POLLS = (
    "Новые трамвайные маршруты: куда продлить линии",
    "Часы работы поликлиник в выходные",
    "Программа фестиваля «Московская весна»",
    "Школьное питание: завтраки и обеды",
)
PROMO_CODES_PER_REWARD = 40

T, TR, B, S, P, C = (
    Reward.Category.TICKETS,
    Reward.Category.TRANSPORT,
    Reward.Category.BIKES,
    Reward.Category.SOUVENIRS,
    Reward.Category.PROMO_CODES,
    Reward.Category.CHARITY,
)
PICK_UP, CODE, GIFT = (
    Reward.Delivery.PICK_UP,
    Reward.Delivery.PROMO_CODE,
    Reward.Delivery.DONATION,
)


def manager_phone(number: int) -> str:
    return f"+799900011{number:02d}"


def cashier_phone(number: int) -> str:
    return f"+799900012{number:02d}"


@dataclass(frozen=True)
class DemoReward:
    title: str
    price: int
    category: str = ""  # the partner's, unless said
    delivery: str = PICK_UP
    prepared: bool = False  # the partner marks each order ready
    limit: int | None = None
    campaign: bool = False  # one of the "Миллион призов" rewards
    sold_out: bool = False  # no stock or no codes: the catalogue shows "sold out"


@dataclass(frozen=True)
class DemoPartner:
    number: int  # staff phones end in it
    name: str
    kind: str
    category: str
    description: str
    contact: str
    hours: str
    place: str  # what an issue point is called: "Касса", "Станция проката" …
    points: int  # how many issue points (0: codes and donations only)
    rewards: tuple[DemoReward, ...]
    staff: bool = False  # a demo manager (and a cashier if it has issue points)


def _r(title: str, price: int, **kw) -> DemoReward:
    return DemoReward(title, price, **kw)


PARTNERS: tuple[DemoPartner, ...] = (
    DemoPartner(
        1,
        "Театр «Зеркальная сцена»",
        Partner.Kind.CITY,
        T,
        "Драматический театр с двумя сценами: классика и новая драма.",
        "Ольга Сценарева",
        "Ежедневно 11:00–20:00",
        "Касса театра",
        2,
        (
            _r("Билет на спектакль «Вишнёвый сад»", 1200, limit=2, campaign=True),
            _r("Билет на спектакль «Ревизор»", 1000, limit=2),
            _r("Билет на спектакль «Мастер и Маргарита»", 1500, limit=2, prepared=True),
            _r("Билет на спектакль «Горе от ума»", 900, limit=2),
            _r("Билет на спектакль «Три сестры»", 1100, limit=2, sold_out=True),
            _r("Билет на спектакль «Бесприданница»", 800, limit=2),
            _r("Билет на спектакль «Чайка»", 1000, limit=2, campaign=True),
            _r("Экскурсия за кулисы театра", 600, limit=1, prepared=True),
        ),
        staff=True,
    ),
    DemoPartner(
        2,
        "Театр юного зрителя «Синяя птица»",
        Partner.Kind.CITY,
        T,
        "Спектакли для детей и подростков, семейные утренники по выходным.",
        "Илья Кулисов",
        "Вт–Вс 10:00–19:00",
        "Касса",
        2,
        (
            _r("Детский билет на спектакль «Маугли»", 500),
            _r("Детский билет на спектакль «Конёк-Горбунок»", 500, campaign=True),
            _r("Семейный билет на «Снежную королеву»", 1400, limit=1),
            _r("Билет на спектакль «Буратино»", 450),
            _r("Билет на спектакль «Алиса в Зазеркалье»", 600),
            _r("Билет на спектакль «Двенадцать месяцев»", 550),
        ),
    ),
    DemoPartner(
        3,
        "Музей истории города «Старая застава»",
        Partner.Kind.CITY,
        T,
        "Городская история от слободы до мегаполиса: постоянная экспозиция и выставки.",
        "Вера Летописцева",
        "Вт–Вс 10:00–20:00, чт до 21:00",
        "Билетная касса",
        2,
        (
            _r("Входной билет в музей", 300, campaign=True),
            _r("Экскурсия «Белый город»", 700, limit=2),
            _r("Экскурсия «Московские усадьбы»", 700, limit=2),
            _r("Аудиогид по постоянной экспозиции", 200),
            _r("Семейный билет (2 взрослых и 2 ребёнка)", 900, limit=1),
            _r("Лекция «Как строили метро»", 400),
        ),
        staff=True,
    ),
    DemoPartner(
        4,
        "Музей техники «Шестерёнка»",
        Partner.Kind.BUSINESS,
        T,
        "Интерактивный музей машин, механизмов и изобретений.",
        "Семён Винтиков",
        "Ежедневно 10:00–21:00",
        "Касса музея",
        2,
        (
            _r("Входной билет в «Шестерёнку»", 450),
            _r("Мастер-класс «Собери робота»", 900, prepared=True, limit=1),
            _r("Экскурсия по залу паровых машин", 600),
            _r("Детский билет", 300),
            _r("Билет на вечернюю программу «Наука после шести»", 750),
            _r("Годовой абонемент", 3000, limit=1, sold_out=True),
        ),
    ),
    DemoPartner(
        5,
        "Планетарий «Звёздный купол»",
        Partner.Kind.CITY,
        T,
        "Полнокупольные программы о космосе и обсерватория на крыше.",
        "Галина Орбитова",
        "Ср–Пн 10:00–21:00",
        "Касса планетария",
        1,
        (
            _r("Билет на программу «Путешествие к Сатурну»", 650),
            _r("Билет на программу «Звёзды над Москвой»", 650, campaign=True),
            _r("Наблюдение в телескоп на крыше", 500, prepared=True),
            _r("Детская программа «Лунный кролик»", 400),
            _r("Лекция «Чёрные дыры простыми словами»", 450),
            _r("Семейный билет в планетарий", 1500, limit=1),
        ),
    ),
    DemoPartner(
        6,
        "Велопрокат «Педаль»",
        Partner.Kind.BUSINESS,
        B,
        "Станции городского проката у парков и набережных.",
        "Артём Спицын",
        "Ежедневно 9:00–22:00 (апрель–октябрь)",
        "Станция проката",
        5,
        (
            _r("Час проката городского велосипеда", 150),
            _r("День проката городского велосипеда", 600, limit=2),
            _r("Час проката электровелосипеда", 350),
            _r("Промокод на 30 минут проката", 100, delivery=CODE),
            _r("Промокод на 3 часа проката", 400, delivery=CODE, campaign=True),
            _r("Прокат детского велосипеда на 2 часа", 200),
        ),
        staff=True,
    ),
    DemoPartner(
        7,
        "Прокат «ВелоГрад»",
        Partner.Kind.BUSINESS,
        B,
        "Велосипеды, самокаты и тандемы напрокат в парках города.",
        "Никита Колёсов",
        "Ежедневно 10:00–21:00",
        "Пункт проката",
        3,
        (
            _r("Прокат тандема на час", 300),
            _r("Прокат самоката на час", 150),
            _r("Прокат велосипеда на выходные", 1200, limit=1, prepared=True),
            _r("Велопрогулка с гидом по бульварам", 700),
            _r("Прокат фэтбайка на 2 часа", 450),
            _r("Промокод на час проката самоката", 120, delivery=CODE),
        ),
    ),
    DemoPartner(
        8,
        "Транспортный оператор «Столичные маршруты»",
        Partner.Kind.CITY,
        TR,
        "Городской транспорт: поездки, речные трамваи, транспортные карты.",
        "Марина Пересадкина",
        "Ежедневно 7:00–21:00",
        "Центр обслуживания пассажиров",
        6,
        (
            _r("Электронный билет на 1 поездку", 80, delivery=CODE),
            _r("Электронный билет на 20 поездок", 1200, delivery=CODE, limit=2),
            _r("Прогулка на речном трамвае", 700, limit=2),
            _r("Транспортная карта с городским рисунком", 300, limit=1),
            _r("Экскурсия в ретро-трамвае", 500, prepared=True),
            _r("Билет на 1 день на все виды транспорта", 450, delivery=CODE, campaign=True),
            _r("Чехол для транспортной карты", 150),
            _r("Экскурсия в депо", 600, prepared=True, limit=1),
        ),
        staff=True,
    ),
    DemoPartner(
        9,
        "Городской парковочный центр",
        Partner.Kind.CITY,
        TR,
        "Платные городские парковки: время стоянки в подарок.",
        "Денис Стоянкин",
        "",
        "",
        0,
        (
            _r("1 час парковки в центре", 200, delivery=CODE),
            _r("3 часа парковки в центре", 550, delivery=CODE, limit=2),
            _r("1 день парковки у перехватывающей стоянки", 300, delivery=CODE),
            _r("Парковка на выходные в спальном районе", 400, delivery=CODE, sold_out=True),
        ),
        staff=True,
    ),
    DemoPartner(
        10,
        "Сувенирная лавка «Белокаменная»",
        Partner.Kind.BUSINESS,
        S,
        "Московские сувениры от художников и мастерских города.",
        "Алла Матрёшкина",
        "Ежедневно 10:00–22:00",
        "Лавка",
        5,
        (
            _r("Магнит «Московские высотки»", 150),
            _r("Кружка «Активный гражданин»", 400),
            _r("Футболка с видом на Кремлёвскую набережную", 900, limit=1),
            _r("Шопер «Мой район»", 350),
            _r("Блокнот с картой метро", 250),
            _r("Значок «Голосую за город»", 100, campaign=True),
            _r("Термокружка с логотипом", 700),
            _r("Зонт «Московский дождь»", 1000, limit=1),
            _r("Настенный календарь «Москва в фотографиях»", 300),
            _r("Плед «Бульварное кольцо»", 1500, limit=1, sold_out=True),
        ),
        staff=True,
    ),
    DemoPartner(
        11,
        "Книжный магазин «Переплёт»",
        Partner.Kind.BUSINESS,
        P,
        "Книги о Москве, детская литература и электронные книги.",
        "Лев Страницын",
        "",
        "",
        0,
        (
            _r("Электронная книга «Прогулки по Замоскворечью»", 300, delivery=CODE),
            _r("Скидка 10 % на покупку в магазине", 200, delivery=CODE),
            _r("Сертификат на 500 рублей", 800, delivery=CODE, limit=2),
            _r("Аудиокнига «Легенды московских переулков»", 350, delivery=CODE),
            _r("Подписка на электронную библиотеку на месяц", 500, delivery=CODE),
            _r("Сертификат на 1000 рублей", 1500, delivery=CODE, limit=1),
        ),
        staff=True,
    ),
    DemoPartner(
        12,
        "Онлайн-кинотеатр «Кадр»",
        Partner.Kind.BUSINESS,
        P,
        "Фильмы и сериалы, отечественная классика и документальное кино о городе.",
        "Ксения Плёнкина",
        "",
        "",
        0,
        (
            _r("Подписка на 7 дней", 150, delivery=CODE),
            _r("Подписка на 30 дней", 500, delivery=CODE, limit=1),
            _r("Прокат фильма-новинки", 200, delivery=CODE),
            _r("Подписка на 90 дней", 1300, delivery=CODE, limit=1),
            _r("Подборка документальных фильмов о Москве", 250, delivery=CODE, campaign=True),
            _r("Семейная подписка на 30 дней", 800, delivery=CODE, limit=1),
        ),
        staff=True,
    ),
    DemoPartner(
        13,
        "Кофейни «Зерно и пар»",
        Partner.Kind.BUSINESS,
        P,
        "Сеть кофеен у станций метро.",
        "Тимур Обжаркин",
        "",
        "",
        0,
        (
            _r("Капучино в подарок", 150, delivery=CODE),
            _r("Завтрак на двоих", 600, delivery=CODE, limit=1),
            _r("Скидка 20 % на зерновой кофе", 250, delivery=CODE),
            _r("Какао с маршмеллоу", 120, delivery=CODE),
            _r("Десерт дня", 180, delivery=CODE),
            _r("Абонемент на 5 чашек кофе", 700, delivery=CODE, limit=1),
        ),
        staff=True,
    ),
    DemoPartner(
        14,
        "Благотворительный фонд «Тёплый дом»",
        Partner.Kind.CHARITY,
        C,
        "Помогает пожилым людям, живущим одиноко: продукты, лекарства, волонтёры.",
        "Надежда Заботина",
        "",
        "",
        0,
        (
            _r("Помочь одинокому пожилому человеку: 100 баллов", 100, delivery=GIFT),
            _r("Продуктовый набор для пенсионера: 300 баллов", 300, delivery=GIFT),
            _r("Лекарства на месяц: 500 баллов", 500, delivery=GIFT),
            _r("Визит волонтёра на дом: 1000 баллов", 1000, delivery=GIFT),
        ),
        staff=True,
    ),
    DemoPartner(
        15,
        "Фонд помощи бездомным животным «Лапа друга»",
        Partner.Kind.CHARITY,
        C,
        "Приюты для собак и кошек, стерилизация и поиск новых хозяев.",
        "Фёдор Хвостов",
        "",
        "",
        0,
        (
            _r("Корм для приюта: 100 баллов", 100, delivery=GIFT),
            _r("Прививка для щенка: 300 баллов", 300, delivery=GIFT),
            _r("Лечение кошки: 500 баллов", 500, delivery=GIFT),
            _r("Тёплый вольер к зиме: 1000 баллов", 1000, delivery=GIFT),
        ),
    ),
    DemoPartner(
        16,
        "Экоцентр «Лесная школа»",
        Partner.Kind.CITY,
        T,
        "Экологические экскурсии по природным паркам, мастер-классы и лекции.",
        "Анна Лесовая",
        "Ежедневно 9:00–18:00",
        "Визит-центр",
        3,
        (
            _r("Экскурсия «Птицы городского парка»", 300),
            _r("Мастер-класс «Скворечник своими руками»", 400, prepared=True),
            _r("Экотропа с гидом", 250, campaign=True),
            _r("Лекция «Деревья Москвы»", 200),
            _r("Детская программа «Юный лесник»", 350),
            _r("Ночная экскурсия «Кто живёт в лесу»", 500, limit=1),
            _r("Мастер-класс по сортировке отходов", 150),
            _r("Велоэкскурсия по природному парку", 600, limit=1),
        ),
    ),
)

CASHIERS = (
    ("Светлана", "Билетова"),
    ("Роман", "Кассин"),
    ("Дарья", "Выдачина"),
    ("Григорий", "Чеков"),
    ("Полина", "Талонова"),
    ("Максим", "Купонов"),
    ("Юлия", "Пропускова"),
)

STREETS = (
    "ул. Садовая",
    "ул. Лесная",
    "ул. Школьная",
    "Центральный пр-д",
    "ул. Парковая",
    "Берёзовая аллея",
    "ул. Молодёжная",
    "Бульварный пр-д",
    "ул. Речная",
    "ул. Весенняя",
)


@dataclass(frozen=True)
class _PlannedPoint:
    name: str
    address: str
    district: District
    lat: Decimal
    lon: Decimal


def _inside(district: District, lat: Decimal, lon: Decimal) -> bool:
    found = district_at(lat=lat, lon=lon)
    return found is not None and found.pk == district.pk


def _place_in(district: District, rng: random.Random, mapped: bool) -> tuple[Decimal, Decimal]:
    """Near the district's centre, a little off it, inside its border (checked)."""
    centre = (district.centre_lat, district.centre_lon)
    offsets = [(rng.uniform(-0.004, 0.004), rng.uniform(-0.006, 0.006)) for _ in range(6)]
    if not mapped:
        return centre
    for dlat, dlon in offsets:
        lat = (district.centre_lat + Decimal(f"{dlat:.6f}")).quantize(Decimal("0.000001"))
        lon = (district.centre_lon + Decimal(f"{dlon:.6f}")).quantize(Decimal("0.000001"))
        if _inside(district, lat, lon):
            return lat, lon
    return centre


def _plan_points(rng: random.Random) -> dict[int, list[_PlannedPoint]]:
    """Issue points of every partner, taking okrugs in turn so that each okrug has some."""
    okrugs = list(Okrug.objects.order_by("code"))
    by_okrug = {
        okrug.pk: list(District.objects.filter(okrug=okrug).defer("boundary").order_by("code"))
        for okrug in okrugs
    }
    okrugs = [o for o in okrugs if by_okrug[o.pk]]
    mapped = District.objects.filter(boundary__isnull=False).exists()
    plan: dict[int, list[_PlannedPoint]] = {}
    turn = 0
    for spec in PARTNERS:
        points = []
        for _n in range(spec.points):
            okrug = okrugs[turn % len(okrugs)]
            turn += 1
            candidates = by_okrug[okrug.pk][:]
            rng.shuffle(candidates)
            street, house = rng.choice(STREETS), rng.randint(1, 60)
            chosen = None
            for district in candidates[:4]:
                lat, lon = _place_in(district, rng, mapped)
                if not mapped or _inside(district, lat, lon):
                    chosen = (district, lat, lon)
                    break
            if chosen is None:
                continue
            district, lat, lon = chosen
            points.append(
                _PlannedPoint(
                    name=f"{spec.place} — {district.name_ru}",
                    address=f"{okrug.name_ru}, {district.name_ru}, {street}, д. {house}",
                    district=district,
                    lat=lat,
                    lon=lon,
                )
            )
        plan[spec.number] = points
    return plan


def _person(phone: str, first: str, last: str, *, staff: bool, role: str) -> User:
    district = District.objects.defer("boundary").order_by("code").first()
    user, created = User.objects.get_or_create(
        phone=phone,
        defaults={
            "first_name": first,
            "last_name": last,
            "is_staff": staff,
            "home_district": district,
            "birth_date": date(1988, 9, 1),
            "verification": User.Verification.RESIDENT_VERIFIED,
            "verified_at": timezone.now(),
        },
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    for name in (Role.CITIZEN, role):
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


class _Counts:
    def __init__(self) -> None:
        self.partners = self.points = self.rewards = self.staff = self.orders = 0
        self.campaign = False


def seed_shop(rng: random.Random) -> str:
    """Create what is missing of the demo shop; returns one line for seed_demo's report."""
    counts = _Counts()
    now = timezone.now()
    plan = _plan_points(rng)
    campaign = _campaign(now, counts)
    partners: dict[int, Partner] = {}
    rewards: dict[int, list[Reward]] = {}
    for spec in PARTNERS:
        partner, created = Partner.objects.get_or_create(
            name=spec.name,
            defaults={
                "kind": spec.kind,
                "description": spec.description,
                "contact_name": spec.contact,
                "phone": f"+7495{5550000 + spec.number:07d}",
                "email": f"shop{spec.number}@example.org",
            },
        )
        counts.partners += created
        partners[spec.number] = partner
        manager = _staff(spec, partner, counts)
        points = []
        for planned in plan[spec.number]:
            point, created = IssuePoint.objects.get_or_create(
                partner=partner,
                name=planned.name,
                defaults={
                    "address": planned.address,
                    "district": planned.district,
                    "lat": planned.lat,
                    "lon": planned.lon,
                    "opening_hours": spec.hours,
                },
            )
            counts.points += created
            points.append(point)
        rewards[spec.number] = [
            _reward(spec, item, partner, points, campaign, manager, rng, now, counts)
            for item in spec.rewards
        ]
    _orders(partners, rewards, rng, now, counts)
    if (
        not any([counts.partners, counts.points, counts.rewards, counts.staff, counts.orders])
        and not counts.campaign
    ):
        return (
            f"nothing new: the {len(PARTNERS)} demo partners and "
            f"{sum(len(p.rewards) for p in PARTNERS)} rewards are there"
        )
    return (
        f"{counts.partners} partners, {counts.points} issue points, {counts.rewards} rewards, "
        f"{counts.staff} partner staff, {counts.orders} orders created"
        + (f", campaign «{CAMPAIGN_TITLE}» started" if counts.campaign else "")
    )


def _campaign(now, counts: _Counts) -> Campaign | None:
    found = Campaign.objects.filter(title=CAMPAIGN_TITLE).first()
    if found is not None:
        return found
    from django.apps import apps

    # The shop does not know polls; the demo looks the polls up only to name their references.
    if not apps.is_installed("activecitizen.polls"):
        return None
    Poll = apps.get_model("polls", "Poll")
    ids = list(Poll.objects.filter(title__in=CAMPAIGN_POLLS).values_list("pk", flat=True))
    if not ids:
        return None
    counts.campaign = True
    return Campaign.objects.create(
        title=CAMPAIGN_TITLE,
        description=(
            "Спасибо всем, кто голосовал! Участники опросов о транспорте, поликлиниках, "
            "школьном питании и фестивале могут заказать по два приза из этой подборки."
        ),
        starts_at=now - timedelta(days=10),
        ends_at=now + timedelta(days=50),
        qualifying_references="\n".join(f"poll:{pk}" for pk in sorted(ids)),
        per_person_limit=2,
    )


def _staff(spec: DemoPartner, partner: Partner, counts: _Counts) -> User | None:
    if not spec.staff:
        return None
    before = User.objects.filter(phone__in=[manager_phone(spec.number), cashier_phone(spec.number)])
    known = before.count()
    first, last = spec.contact.split(" ", 1)
    manager = _person(
        manager_phone(spec.number), first, last, staff=True, role=Role.PARTNER_MANAGER
    )
    PartnerMember.objects.get_or_create(
        partner=partner, user=manager, defaults={"role": PartnerMember.Role.MANAGER}
    )
    if spec.points:
        first, last = CASHIERS[spec.number % len(CASHIERS)]
        cashier = _person(
            cashier_phone(spec.number), first, last, staff=False, role=Role.PARTNER_CASHIER
        )
        PartnerMember.objects.get_or_create(
            partner=partner, user=cashier, defaults={"role": PartnerMember.Role.CASHIER}
        )
    counts.staff += before.count() - known
    if spec.number == 1:
        # seed_demo's cashier, named in the README, works at the first partner.
        irina = User.objects.filter(phone=CASHIER_PHONE).first()
        if irina is not None:
            PartnerMember.objects.get_or_create(
                partner=partner, user=irina, defaults={"role": PartnerMember.Role.CASHIER}
            )
    return manager


def _reward(
    spec: DemoPartner,
    item: DemoReward,
    partner: Partner,
    points: list[IssuePoint],
    campaign: Campaign | None,
    manager: User | None,
    rng: random.Random,
    now,
    counts: _Counts,
) -> Reward:
    # Drawn whether the reward is new or not, so that a second run draws the same numbers.
    stocked = rng.sample(points, k=min(len(points), rng.randint(1, 3))) if points else []
    quantities = [0 if item.sold_out else rng.randint(5, 60) for _ in stocked]
    codes = [
        "".join(rng.choices(string.ascii_uppercase + string.digits, k=10))
        for _ in range(PROMO_CODES_PER_REWARD)
    ]
    reward, created = Reward.objects.get_or_create(
        partner=partner,
        title=item.title,
        defaults={
            "description": spec.description,
            "category": item.category or spec.category,
            "delivery": item.delivery,
            "price": item.price,
            "per_person_limit": item.limit,
            "needs_preparation": item.prepared,
            "voucher_valid_days": 14,
            "campaign": campaign if item.campaign else None,
            "is_published": True,
            "created_at": now - timedelta(days=rng.randint(1, 60)),
        },
    )
    if not created:
        return reward
    counts.rewards += 1
    if item.delivery == PICK_UP:
        Stock.objects.bulk_create(
            [
                Stock(reward=reward, issue_point=point, quantity=quantity)
                for point, quantity in zip(stocked, quantities, strict=True)
            ]
        )
    elif item.delivery == CODE and not item.sold_out:
        prefix = "".join(ch for ch in item.title.upper() if ch.isascii() and ch.isalnum())[:4]
        text = "\n".join(f"{prefix or 'AC'}-{code}" for code in codes)
        if manager is not None:
            services.upload_promo_codes(reward_id=reward.pk, text=text, by=manager)
        else:  # a partner without demo staff: its codes as its manager would upload them
            PromoCode.objects.bulk_create([PromoCode(reward=reward, code=c) for c in codes])
    return reward


def _orders(
    partners: dict[int, Partner],
    rewards: dict[int, list[Reward]],
    rng: random.Random,
    now,
    counts: _Counts,
) -> None:
    """Orders of demo residents in every status, through the services as people make them."""
    admin = User.objects.filter(phone=ADMIN_PHONE, is_superuser=True).first()
    phones = [f"+{RESIDENT_PHONE_BASE + i}" for i in range(1, RESIDENTS_WITH_ORDERS + 1)]
    people = {u.phone: u for u in User.objects.filter(phone__in=phones)}
    # Chosen from the specs, never from what is left in stock: a second run must draw the same.
    sold_out = {item.title for spec in PARTNERS for item in spec.rewards if item.sold_out}
    everything = [
        r
        for rs in rewards.values()
        for r in rs
        if r.campaign_id is None and r.title not in sold_out
    ]
    pick_up = [r for r in everything if r.delivery == PICK_UP and not r.needs_preparation]
    prepared = [r for r in everything if r.delivery == PICK_UP and r.needs_preparation]
    codes = [r for r in everything if r.delivery == CODE]
    gifts = [r for r in everything if r.delivery == GIFT]
    desk = {
        m.partner_id: m.user
        # Cashiers last, so that they are the ones who issue (managers only prepare).
        for m in PartnerMember.objects.select_related("user").order_by("-role", "pk")
    }
    outcomes = ("ready", "issued", "cancelled", "expired", "issued")
    for number, phone in enumerate(phones, start=1):
        wanted = [(1, rng.choice(pick_up), outcomes[number % len(outcomes)])]
        if number % 3 == 0:
            wanted.append((2, rng.choice(codes), "issued"))
        if number % 4 == 0:
            wanted.append((3, rng.choice(gifts), "issued"))
        if number % 5 == 0 and prepared:
            wanted.append((4, rng.choice(prepared), "reserved" if number % 10 else "ready"))
        hours = [rng.randint(1, 72) for _ in wanted]
        person = people.get(phone)
        if person is None or admin is None:
            continue
        services.adjust_points(
            user_id=person.pk,
            amount=RESIDENT_POINTS,
            by=admin,
            note="Демо-данные: баллы, чтобы попробовать магазин поощрений",
            idempotency_key=f"demo-shop:{phone}",
        )
        for (k, reward, outcome), ago in zip(wanted, hours, strict=True):
            key = f"demo-shop:{number}:{k}"
            if Order.objects.filter(user=person, idempotency_key=key).exists():
                continue
            placed_at = now - (timedelta(days=20) if outcome == "expired" else timedelta(hours=ago))
            if _demo_order(person, reward, outcome, key, desk, placed_at, now):
                counts.orders += 1


def _demo_order(person, reward, outcome, key, desk, placed_at, now) -> bool:
    point_id = None
    if reward.delivery == PICK_UP:
        point_id = (
            Stock.objects.filter(reward=reward, quantity__gt=0)
            .order_by("pk")
            .values_list("issue_point_id", flat=True)
            .first()
        )
        if point_id is None:
            return False
    try:
        order = services.place_order(
            user=person,
            reward_id=reward.pk,
            issue_point_id=point_id,
            idempotency_key=key,
            now=placed_at,
        ).order
        staff = desk.get(reward.partner_id)
        if outcome == "cancelled":
            services.cancel_order(order_id=order.pk, by=person, now=placed_at + timedelta(hours=2))
        elif outcome == "expired":
            services.expire_order(order_id=order.pk, now=now)
        elif outcome == "issued" and order.status == Order.Status.READY and staff is not None:
            services.issue_voucher(code=order.voucher_code, by=staff, now=now)
        elif outcome == "ready" and order.status == Order.Status.RESERVED and staff is not None:
            services.mark_ready(order_id=order.pk, by=staff, now=now)
    except DomainError:
        return False
    return True
