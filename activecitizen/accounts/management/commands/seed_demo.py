"""Fill the database with demo people: staff for each role and residents across the districts.

Idempotent: people are found by phone, so a second run adds nothing. Later sections extend the
demo with steps registered in `activecitizen.core.demo`, run here after the people.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from activecitizen.accounts.models import Interest, User
from activecitizen.accounts.roles import Role
from activecitizen.accounts.services import HOME_PLACES
from activecitizen.core.demo import demo_steps
from activecitizen.geo.models import District
from activecitizen.geo.selectors import district_at

STAFF = [
    # phone, first name, last name, role, superuser
    ("+79990000001", "Анна", "Админова", None, True),
    ("+79990000002", "Егор", "Редакторов", Role.EDITOR, False),
    ("+79990000003", "Мария", "Модераторова", Role.MODERATOR, False),
    ("+79990000004", "Олег", "Аудиторов", Role.AUDITOR, False),
    ("+79990000005", "Ирина", "Кассирова", Role.PARTNER_CASHIER, False),
    ("+79990000006", "Павел", "Управдомов", Role.HOUSE_ADMINISTRATOR, False),
]
RESIDENT_PHONE_BASE = 79991000000  # residents are +79991000001, +79991000002, …

FEMALE_FIRST = [
    "Анна",
    "Мария",
    "Елена",
    "Ольга",
    "Наталья",
    "Татьяна",
    "Ирина",
    "Светлана",
    "Екатерина",
    "Юлия",
    "Анастасия",
    "Дарья",
    "Полина",
    "Ксения",
    "Людмила",
    "Галина",
    "Валентина",
    "Алиса",
    "Виктория",
    "Софья",
]
MALE_FIRST = [
    "Александр",
    "Сергей",
    "Дмитрий",
    "Андрей",
    "Алексей",
    "Максим",
    "Иван",
    "Михаил",
    "Николай",
    "Владимир",
    "Евгений",
    "Павел",
    "Артём",
    "Игорь",
    "Юрий",
    "Виктор",
    "Константин",
    "Роман",
    "Тимофей",
    "Григорий",
]
SURNAMES = [
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Никитин",
    "Захаров",
    "Зайцев",
    "Соловьёв",
    "Борисов",
    "Яковлев",
    "Григорьев",
    "Романов",
    "Воробьёв",
    "Сергеев",
    "Кузьмин",
    "Фролов",
]


def _surname(stem: str, gender: str) -> str:
    return stem + "а" if gender == User.Gender.FEMALE else stem


def _age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _interests_for(age: int, rng: random.Random) -> list[str]:
    chances = {
        "pensioner": 0.9 if age >= 63 else 0.0,
        "student": 0.7 if age <= 23 else 0.0,
        "parent": 0.6 if 27 <= age <= 50 else 0.05,
        "schoolchild_parent": 0.35 if 30 <= age <= 50 else 0.0,
        "large_family": 0.06 if 28 <= age <= 50 else 0.0,
        "car_owner": 0.45 if 23 <= age <= 70 else 0.05,
        "cyclist": 0.2 if age <= 50 else 0.05,
        "public_transport": 0.7,
        "dog_owner": 0.15,
        "athlete": 0.3 if age <= 45 else 0.1,
        "theatre_goer": 0.25,
        "entrepreneur": 0.08 if 25 <= age <= 60 else 0.0,
        "disability": 0.04 + (0.06 if age >= 65 else 0.0),
        "gardener": 0.35 if age >= 50 else 0.08,
    }
    return [code for code, p in chances.items() if rng.random() < p]


class Command(BaseCommand):
    help = "Create demo people (staff for every role and residents across the districts)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--residents", type=int, default=1000, help="how many residents")
        parser.add_argument("--seed", type=int, default=2026, help="random seed")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options) -> None:
        districts = list(District.objects.select_related("okrug").order_by("code"))
        if not districts:
            raise CommandError("No districts: run `manage.py migrate` (it loads Moscow) first.")
        rng = random.Random(options["seed"])
        quiet = options["no_progress"] or options["verbosity"] == 0
        with transaction.atomic():
            staff_created = self._staff(districts)
            residents_created = self._residents(districts, options["residents"], rng, quiet)
        for step in demo_steps():
            with transaction.atomic():
                self.stdout.write(f"{step.name}: {step.run(random.Random(options['seed']))}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo people ready: {staff_created} staff and {residents_created} residents "
                f"created ({User.objects.count()} people in all)."
            )
        )

    def _staff(self, districts: list[District]) -> int:
        created = 0
        citizen = Group.objects.get_or_create(name=Role.CITIZEN)[0]
        for phone, first, last, role, superuser in STAFF:
            user, was_created = User.objects.get_or_create(
                phone=phone,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "is_staff": True,
                    "is_superuser": superuser,
                    "home_district": districts[0],
                    "birth_date": date(1985, 5, 17),
                    "verification": User.Verification.RESIDENT_VERIFIED,
                    "verified_at": timezone.now(),
                },
            )
            if was_created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
                created += 1
            user.groups.add(citizen)
            if role:
                user.groups.add(Group.objects.get_or_create(name=role)[0])
        return created

    def _residents(
        self, districts: list[District], count: int, rng: random.Random, quiet: bool
    ) -> int:
        today = timezone.localdate()
        phones = [f"+{RESIDENT_PHONE_BASE + i}" for i in range(1, count + 1)]
        existing = set(User.objects.filter(phone__in=phones).values_list("phone", flat=True))
        # Districts, not settlements, hold most of the people.
        weights = [1.0 if d.kind == District.Kind.DISTRICT else 0.25 for d in districts]
        interests = {i.code: i for i in Interest.objects.all()}
        citizen = Group.objects.get_or_create(name=Role.CITIZEN)[0]
        new_people: list[tuple[User, list[str]]] = []
        for phone in tqdm(phones, desc="residents", unit="person", disable=quiet):
            # Draw for every phone, created or not, so that the same seed gives the same people.
            gender = rng.choice([User.Gender.FEMALE, User.Gender.MALE])
            first = rng.choice(FEMALE_FIRST if gender == User.Gender.FEMALE else MALE_FIRST)
            last = _surname(rng.choice(SURNAMES), gender)
            birth = today - timedelta(days=rng.randint(18 * 365 + 5, 88 * 365))
            home = rng.choices(districts, weights)[0]
            work = rng.choices(districts, weights)[0] if rng.random() < 0.6 else None
            verified = rng.random() < 0.3
            wants_email = rng.random() < 0.5
            codes = _interests_for(_age_on(birth, today), rng)
            if phone in existing:
                continue
            user = User(
                phone=phone,
                first_name=first,
                last_name=last,
                gender=gender,
                birth_date=birth,
                home_district=home,
                work_district=work,
                email=f"resident{phone[-4:]}@example.org" if wants_email else "",
                verification=(
                    User.Verification.RESIDENT_VERIFIED
                    if verified
                    else User.Verification.PHONE_CONFIRMED
                ),
                verified_at=timezone.now() if verified else None,
            )
            user.home_lat, user.home_lon = _home_point(phone, home)
            user.set_unusable_password()
            new_people.append((user, codes))
        User.objects.bulk_create([u for u, _codes in new_people], batch_size=500)
        saved = {
            u.phone: u.pk for u in User.objects.filter(phone__in=[u.phone for u, _c in new_people])
        }
        Through = User.interests.through
        Through.objects.bulk_create(
            [
                Through(user_id=saved[u.phone], interest_id=interests[c].pk)
                for u, codes in new_people
                for c in codes
                if c in interests
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )
        GroupThrough = User.groups.through
        GroupThrough.objects.bulk_create(
            [GroupThrough(user_id=pk, group_id=citizen.pk) for pk in saved.values()],
            batch_size=1000,
            ignore_conflicts=True,
        )
        return len(new_people)


def _home_point(phone: str, district: District) -> tuple[Decimal | None, Decimal | None]:
    """Half of the residents give a home point (for "new near my home"): a place in their
    district near its centre. Drawn from the phone, so the main draw (and with it every other
    demo section) stays as it was."""
    rng = random.Random(phone)
    if phone != f"+{RESIDENT_PHONE_BASE + 1}" and rng.random() < 0.5:
        return None, None
    for _ in range(10):
        lat = (district.centre_lat + Decimal(rng.randint(-60, 60)) / 10000).quantize(HOME_PLACES)
        lon = (district.centre_lon + Decimal(rng.randint(-90, 90)) / 10000).quantize(HOME_PLACES)
        found = district_at(lat=lat, lon=lon)
        if found is not None and found.pk == district.pk:
            return lat, lon
    return None, None
