"""Demo Electronic House: four apartment buildings in Moscow districts with their registers,
the demo house administrator, tenants, and owners' meetings at every stage — one in voting now,
one whose protocol is published, a draft.

Registered as the "house" step of `manage.py seed_demo` (HouseConfig.ready()). The addresses
and the owners are invented. Everything is written through the services, as an administrator and
owners do it: the registers by `register.import_register` (owners whose phone is a demo
resident's are linked to that person, the rest are named only), the meetings by
`services.create_meeting` … `publish_protocol` with explicit times, so that the timeline rules
hold (the notice 11 days before voting, paper ballots until 48 hours before the end).

Resident `+7 999 100-00-01` owns flat 7 at the first building, whose meeting is in voting, and
has not voted: a visitor signing in as them can try. Idempotent: buildings are found by address
and meetings by title, and a building or meeting found is left as it is.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.utils import timezone

from activecitizen.accounts.models import User
from activecitizen.accounts.roles import Role
from activecitizen.geo.models import District
from activecitizen.house import register, services, surveys
from activecitizen.house.models import Building, Meeting, RegisterEntry
from activecitizen.house.selectors import owner_key
from activecitizen.polls.editing import QuestionDraft

HOUSE_ADMIN_PHONE = "+79990000006"
RESIDENT_PHONE_BASE = 79991000000
DEMO_VOTER_PHONE = "+79991000001"  # owns flat 7 at the first building and has not voted
DEMO_VOTER_FLAT = "7"


@dataclass(frozen=True)
class DemoBuilding:
    address: str
    district: str  # name_ru
    lat: str
    lon: str
    cadastral: str
    entrances: int
    flats: int
    non_residential: int
    residents: range  # demo residents (phone numbers' last digits) who own flats here
    tenants: range  # demo residents who rent here (seed_demo makes 1,000; tests 100)


BUILDINGS = [
    DemoBuilding(
        "ул. Льва Толстого, д. 18, корп. 2",
        "Хамовники",
        "55.734180",
        "37.586890",
        "77:01:0005012:1187",
        4,
        72,
        3,
        range(1, 31),
        range(91, 94),
    ),
    DemoBuilding(
        "Бакунинская ул., д. 54",
        "Басманный",
        "55.777630",
        "37.684290",
        "77:01:0003015:2210",
        3,
        48,
        2,
        range(31, 51),
        range(94, 96),
    ),
    DemoBuilding(
        "ул. Братиславская, д. 27, корп. 1",
        "Марьино",
        "55.659240",
        "37.751770",
        "77:04:0004017:3306",
        6,
        108,
        4,
        range(51, 81),
        range(96, 99),
    ),
    DemoBuilding(
        "ул. Профсоюзная, д. 142, корп. 3",
        "Тёплый Стан",
        "55.627010",
        "37.508110",
        "77:06:0012003:4419",
        2,
        40,
        1,
        range(81, 91),
        range(99, 101),
    ),
]

FIRST = [
    "Анна",
    "Мария",
    "Елена",
    "Ольга",
    "Наталья",
    "Татьяна",
    "Ирина",
    "Светлана",
    "Александр",
    "Сергей",
    "Дмитрий",
    "Андрей",
    "Алексей",
    "Михаил",
    "Николай",
    "Владимир",
]
PATRONYMIC_M = ["Иванович", "Петрович", "Сергеевич", "Андреевич", "Викторович", "Олегович"]
PATRONYMIC_F = ["Ивановна", "Петровна", "Сергеевна", "Андреевна", "Викторовна", "Олеговна"]
SURNAMES = [
    "Кузнецов",
    "Соколов",
    "Лебедев",
    "Козлов",
    "Новиков",
    "Морозов",
    "Волков",
    "Зайцев",
    "Павлов",
    "Семёнов",
    "Голубев",
    "Виноградов",
    "Богданов",
    "Воробьёв",
    "Фёдоров",
    "Михайлов",
]
COMPANIES = [
    "ООО «Аптека на углу»",
    "ИП Гасанов Р. А.",
    "ООО «Пекарня „Хлеб да соль“»",
    "ООО «Стоматология Дента»",
    "Город Москва (ДГИ)",
]

MEETING_IN_VOTING = "Годовое общее собрание собственников 2026 года"
MEETING_PUBLISHED = "Капитальный ремонт лифтов и благоустройство двора"
MEETING_DRAFT = "Установка шлагбаума и видеонаблюдения"


def seed_house(rng: random.Random) -> str:
    now = timezone.now()
    admin = _house_administrator()
    made = []
    buildings = []
    for spec in BUILDINGS:
        building, created = _building(spec, admin, rng)
        buildings.append(building)
        if created:
            made.append(building)
    meetings = 0
    meetings += _meeting_in_voting(buildings[0], admin, rng, now)
    meetings += _meeting_published(buildings[1], admin, rng, now)
    meetings += _meeting_draft(buildings[2], admin, now)
    services.seal_meeting_logs()
    asked = _survey(buildings[0], admin, now)
    return f"{len(made)} buildings, {meetings} meetings and {asked} survey created"


def _survey(building: Building, admin: User, now: datetime) -> int:
    """A building survey open for a week, in the building of the meeting in voting."""
    if surveys.surveys_of(building).exists():
        return 0
    surveys.create_building_survey(
        building=building,
        by=admin,
        title="Озеленение двора",
        description="Совет дома предлагает высадить деревья и кустарники во дворе.",
        questions=[
            QuestionDraft(
                text="Что посадить во дворе весной?",
                options=["Липы", "Сирень и шиповник", "Цветники у подъездов", "Ничего не сажать"],
            )
        ],
        closes_at=now + timedelta(days=7),
        now=now,
    )
    return 1


# --- People and buildings -----------------------------------------------------------------------


def _house_administrator() -> User:
    admin, created = User.objects.get_or_create(
        phone=HOUSE_ADMIN_PHONE,
        defaults={"first_name": "Павел", "last_name": "Управдомов", "is_staff": True},
    )
    if created:
        admin.set_unusable_password()
        admin.save(update_fields=["password"])
    admin.groups.add(Group.objects.get_or_create(name=Role.HOUSE_ADMINISTRATOR)[0])
    return admin


def _phone(n: int) -> str:
    return f"+{RESIDENT_PHONE_BASE + n}"


def _name(rng: random.Random, used: set[str] | None = None) -> str:
    """A full name, different from those in `used`: owners known only by name are told apart
    by it (`selectors.owner_key`), so two namesakes would be taken for one owner."""
    while True:
        first = rng.choice(FIRST)
        female = first[-1] == "а" or first[-1] == "я"
        surname = rng.choice(SURNAMES) + ("а" if female else "")
        patronymic = rng.choice(PATRONYMIC_F if female else PATRONYMIC_M)
        name = f"{surname} {first} {patronymic}"
        if used is None or name not in used:
            if used is not None:
                used.add(name)
            return name


def _building(spec: DemoBuilding, admin: User, rng: random.Random) -> tuple[Building, bool]:
    found = Building.objects.filter(address=spec.address).first()
    if found is not None:
        found.administrators.add(admin)
        return found, False
    district = District.objects.filter(name_ru=spec.district).first() or District.objects.first()
    building = Building.objects.create(
        address=spec.address,
        district=district,
        lat=Decimal(spec.lat),
        lon=Decimal(spec.lon),
        cadastral_number=spec.cadastral,
        documents_kept_at="ГБУ «Жилищник района», " + spec.district,
    )
    building.administrators.add(admin)
    report = register.import_register(building=building, csv_text=_csv(spec, rng), by=admin)
    assert not report.rejected, report.rejected  # the demo's own register is right
    _tenants(building, spec, admin)
    return building, True


def _csv(spec: DemoBuilding, rng: random.Random) -> str:
    """The building's register as an administrator would paste it."""
    people = {
        u.phone: u for u in User.objects.filter(phone__in=[_phone(n) for n in spec.residents])
    }
    residents = [n for n in spec.residents if _phone(n) != DEMO_VOTER_PHONE]
    used: set[str] = set()
    per_entrance = -(-spec.flats // spec.entrances)
    rows = ["premises;entrance;kind;area;owner;phone;share;title_document"]
    for flat in range(1, spec.flats + 1):
        entrance = (flat - 1) // per_entrance + 1
        rooms = rng.choices([1, 2, 3, 4], [30, 40, 24, 6])[0]
        area = Decimal(rng.uniform(*{1: (30, 42), 2: (44, 62), 3: (63, 88), 4: (90, 120)}[rooms]))
        area = area.quantize(Decimal("0.01"))
        year = rng.randint(2005, 2024)
        document = f"ЕГРН {spec.cadastral}{flat:03d}-77/0{rng.randint(10, 99)}/{year}-1"
        owners: list[tuple[str, str]] = []  # (name, phone)
        if spec.residents.start == 1 and str(flat) == DEMO_VOTER_FLAT:
            owners.append(_linked(DEMO_VOTER_PHONE, people, rng, used))
        elif residents and rng.random() < 0.45:
            owners.append(_linked(_phone(residents.pop(0)), people, rng, used))
        else:
            owners.append((_name(rng, used), ""))
        co_owned = rng.random() < 0.15 and str(flat) != DEMO_VOTER_FLAT
        if co_owned:
            owners.append((_name(rng, used), ""))
        share = "1/2" if co_owned else "1"
        for name, phone in owners:
            rows.append(f"{flat};{entrance};жилое;{area};{name};{phone};{share};{document}")
    for n in range(1, spec.non_residential + 1):
        area = Decimal(rng.uniform(45, 220)).quantize(Decimal("0.01"))
        company = COMPANIES[(n - 1 + len(spec.address)) % len(COMPANIES)]
        rows.append(f"Н-{n};;нежилое;{area};{company};;1;ЕГРН {spec.cadastral}Н{n}")
    return "\n".join(rows) + "\n"


def _linked(
    phone: str, people: dict[str, User], rng: random.Random, used: set[str]
) -> tuple[str, str]:
    person = people.get(phone)
    if person is None:
        return _name(rng, used), phone  # no such demo resident here: added by name
    name = f"{person.last_name} {person.first_name}".strip() or _name(rng)
    return name, phone


def _tenants(building: Building, spec: DemoBuilding, admin: User) -> None:
    """Demo residents who rent a flat here: residents, not owners (building surveys ask them)."""
    flats = list(building.premises.filter(kind="residential").order_by("pk"))
    for i, person in enumerate(User.objects.filter(phone__in=[_phone(n) for n in spec.tenants])):
        register.add_resident(
            building=building, user=person, premises=flats[(i * 7 + 3) % len(flats)], by=admin
        )
    # The owner of flat 7 lives there too.
    voter = User.objects.filter(phone=DEMO_VOTER_PHONE).first()
    if spec.residents.start == 1 and voter is not None:
        register.add_resident(
            building=building,
            user=voter,
            premises=building.premises.get(number=DEMO_VOTER_FLAT),
            by=admin,
        )


# --- Meetings -----------------------------------------------------------------------------------


def _agenda(*items: tuple[str, str, str]) -> list[services.AgendaItemInput]:
    return [services.AgendaItemInput(title=t, proposal=p, subject=s) for t, p, s in items]


def _owners(meeting: Meeting) -> dict[str, list[RegisterEntry]]:
    grouped: dict[str, list[RegisterEntry]] = {}
    for entry in RegisterEntry.objects.filter(meeting=meeting).order_by("premises_number", "pk"):
        grouped.setdefault(
            owner_key(entry.owner_id, entry.owner_name, entry.owner_code), []
        ).append(entry)
    return grouped


def _vote(
    meeting: Meeting,
    admin: User,
    rng: random.Random,
    *,
    share_voting: float,
    leaning: float,
    start: datetime,
    until: datetime,
    skip: set[int] = frozenset(),  # type: ignore[assignment]
) -> int:
    """Ballots of about `share_voting` of the owners: the registered ones on the platform, the
    others on paper (entered by the administrator), each "for" with probability `leaning`."""
    numbers = list(meeting.items.values_list("number", flat=True))
    cast = 0
    span = (until - start).total_seconds()
    for entries in _owners(meeting).values():
        owner = entries[0].owner
        if (owner is not None and owner.pk in skip) or rng.random() > share_voting:
            continue
        decisions = {
            n: ("for" if rng.random() < leaning else rng.choice(["against", "against", "abstain"]))
            for n in numbers
        }
        at = start + timedelta(seconds=rng.uniform(0, span))
        if owner is not None:
            services.cast_meeting_vote(meeting=meeting, user=owner, decisions=decisions, now=at)
        else:
            services.enter_paper_ballot(
                meeting=meeting,
                by=admin,
                entry_ids=[e.pk for e in entries],
                decisions=decisions,
                scan_reference=f"Бюллетень № {meeting.number}-{cast + 1:03d}, скан в деле собрания",
                now=at,
            )
        cast += 1
    return cast


def _meeting_in_voting(building: Building, admin: User, rng: random.Random, now: datetime) -> int:
    if Meeting.objects.filter(building=building, title=MEETING_IN_VOTING).exists():
        return 0
    starts = (now - timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    ends = starts + timedelta(days=17)
    meeting = services.create_meeting(
        building=building,
        by=admin,
        title=MEETING_IN_VOTING,
        voting_starts_at=starts,
        voting_ends_at=ends,
        form=Meeting.Form.MIXED,
        place="Помещение совета дома, 1-й подъезд, по будням с 18:00 до 21:00",
        initiator_name="Совет многоквартирного дома",
        items=_agenda(
            (
                "Избрание председателя и секретаря собрания, счётной комиссии",
                "Председатель — Управдомов П., секретарь — собственник кв. 12.",
                "other",
            ),
            (
                "Утверждение плана текущего ремонта общего имущества на 2026 год",
                "Утвердить план: ремонт подъездов 2 и 3, замена почтовых ящиков.",
                "other",
            ),
            (
                "Размещение рекламной конструкции на фасаде дома",
                "Разрешить ООО «Аптека на углу» вывеску на фасаде за 6 000 ₽ в месяц.",
                "3",
            ),
            (
                "Выбор способа управления домом",
                "Сохранить управление управляющей организацией ГБУ «Жилищник».",
                "4",
            ),
        ),
    )
    services.publish_notice(meeting=meeting, by=admin, now=starts - timedelta(days=11))
    services.start_voting(meeting=meeting, now=starts)
    voter = User.objects.filter(phone=DEMO_VOTER_PHONE).first()
    _vote(
        meeting,
        admin,
        rng,
        share_voting=0.35,
        leaning=0.7,
        start=starts,
        until=min(now, ends - services.PAPER_CLOSES_BEFORE_END) - timedelta(minutes=5),
        skip={voter.pk} if voter else set(),
    )
    return 1


def _meeting_published(building: Building, admin: User, rng: random.Random, now: datetime) -> int:
    if Meeting.objects.filter(building=building, title=MEETING_PUBLISHED).exists():
        return 0
    starts = (now - timedelta(days=40)).replace(hour=9, minute=0, second=0, microsecond=0)
    ends = starts + timedelta(days=14)
    meeting = services.create_meeting(
        building=building,
        by=admin,
        title=MEETING_PUBLISHED,
        voting_starts_at=starts,
        voting_ends_at=ends,
        form=Meeting.Form.MIXED,
        place="Офис ГБУ «Жилищник района Басманный», окно 3",
        initiator_name="Управдомов Павел, собственник кв. 1",
        items=_agenda(
            (
                "Избрание председателя и секретаря собрания",
                "Председатель — Управдомов П., секретарь — собственник кв. 5.",
                "other",
            ),
            (
                "Капитальный ремонт лифтов в 2026 году за счёт фонда капитального ремонта",
                "Заменить 3 лифта; предельная стоимость 9 800 000 ₽.",
                "1.1",
            ),
            (
                "Благоустройство двора: детская площадка и парковочные места",
                "Принять участие в программе «Мой район» с софинансированием города.",
                "other",
            ),
        ),
    )
    services.publish_notice(meeting=meeting, by=admin, now=starts - timedelta(days=11))
    services.start_voting(meeting=meeting, now=starts)
    _vote(
        meeting,
        admin,
        rng,
        share_voting=0.85,
        leaning=0.85,
        start=starts,
        until=ends - services.PAPER_CLOSES_BEFORE_END - timedelta(hours=1),
    )
    services.end_voting(meeting=meeting, now=ends)
    services.publish_protocol(meeting=meeting, by=admin, now=ends + timedelta(days=3))
    return 1


def _meeting_draft(building: Building, admin: User, now: datetime) -> int:
    if Meeting.objects.filter(building=building, title=MEETING_DRAFT).exists():
        return 0
    starts = (now + timedelta(days=20)).replace(hour=9, minute=0, second=0, microsecond=0)
    services.create_meeting(
        building=building,
        by=admin,
        title=MEETING_DRAFT,
        voting_starts_at=starts,
        voting_ends_at=starts + timedelta(days=14),
        items=_agenda(
            (
                "Установка шлагбаума на въезде во двор",
                "Установить шлагбаум с доступом по звонку; 1 200 ₽ с квартиры единовременно.",
                "2",
            ),
            (
                "Видеонаблюдение в подъездах",
                "Установить камеры в подъездах 1–6; запись хранится 30 дней.",
                "other",
            ),
        ),
    )
    return 1
