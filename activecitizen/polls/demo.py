"""Demo votes: a dozen Moscow polls in every status, scope and audience, with enough ballots on
the finished ones that results and breakdowns look like a real city's.

Registered as the "polls" step of `manage.py seed_demo` (PollsConfig.ready()), which runs it
after the demo people exist. Idempotent: a poll is looked up by its title and, when found,
left alone with its ballots, so `make run` may seed on every start.

Where the ballots come from. The demo has about a thousand residents, but a city vote has tens
of thousands of voters. So each poll gets:
  * ballots of demo residents in its audience, written as `cast_ballot` writes them: a
    `Participation` with the receipt, the anonymous `Ballot`, the points credited once
    (residents +79991000001 … +79991000020 are kept out of the open polls, so that whoever
    signs in as one of them can vote);
  * the rest as anonymous ballots with no `Participation`: stand-ins for voters the demo does
    not have. Their demographic snapshot is drawn from the poll's audience (districts, age,
    gender) and their answers from skewed distributions that shift with age and okrug, so
    the breakdowns differ believably.
On demo polls, therefore, ballots outnumber participations; nowhere else do they.
Every ballot's content is its canonical bytes (`ballots.canonical_bytes`), so receipts and the
transparency log verify; every ballot is queued in the poll's log, sealed and folded by
`services.tally`, so the numbers shown come from `Tally` exactly as for real votes.
"""

from __future__ import annotations

import math
import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from activecitizen.accounts.models import Interest, User
from activecitizen.geo.models import District, Okrug
from activecitizen.polls import services
from activecitizen.polls.audience import Audience, audience_filter
from activecitizen.polls.ballots import (
    AGE_BANDS,
    Answer,
    age_band,
    ballot_hash,
    canonical_bytes,
    leaf_hash,
)
from activecitizen.polls.models import (
    Ballot,
    Channel,
    FreeTextAnswer,
    Option,
    Participation,
    Poll,
    Question,
)
from activecitizen.polls.selectors import forget_poll, poll_log
from activecitizen.rewards.services import credit_points
from activecitizen.transparency.models import QueuedEntry

DEMO_RESIDENTS = "+79991"  # phones of the demo residents seed_demo creates
FREE_FOR_VISITORS = {f"+7999100{i:04d}" for i in range(1, 21)}
EDITOR_PHONE = "+79990000002"
MODERATOR_PHONE = "+79990000003"
OWN = "Свой вариант"


@dataclass(frozen=True)
class DemoQuestion:
    text: str
    options: tuple[tuple[str, float], ...]  # text and how popular it is
    kind: str = Question.Kind.SINGLE
    min_choices: int = 1
    max_choices: int = 1
    own_answers: tuple[str, ...] = ()  # what people write when they choose OWN


@dataclass(frozen=True)
class DemoPoll:
    title: str
    description: str
    category: str
    status: str
    questions: tuple[DemoQuestion, ...]
    ballots: int = 0
    scope: str = Poll.Scope.CITY
    districts: tuple[str, ...] = ()
    okrugs: tuple[str, ...] = ()  # abbreviations: ЦАО, ЮЗАО …
    interests: tuple[str, ...] = ()
    age_min: int | None = None
    age_max: int | None = None
    min_verification: int = 1
    results_visibility: str = Poll.Results.LIVE
    # Relative weights of the age bands among voters (18-24 … 65+), when not the city's usual.
    ages: tuple[float, ...] = ()


# Who votes in Active Citizen: mostly people between 25 and 64.
USUAL_AGES = (0.07, 0.20, 0.25, 0.19, 0.15, 0.14)  # 18-24, 25-34, 35-44, 45-54, 55-64, 65+
ADULT_BANDS = AGE_BANDS[1:]
CHANNELS = ((Channel.APP, 0.61), (Channel.WEB, 0.33), (Channel.SERVICE_CENTRE, 0.06))
FEMALE_SHARE = 0.56

POLLS: tuple[DemoPoll, ...] = (
    DemoPoll(
        title="Благоустройство дворов в районе Марьино",
        description=(
            "В следующем году в Марьине обновят 24 двора. Расскажите, что сделать в первую "
            "очередь и какими должны быть новые детские площадки."
        ),
        category=Poll.Category.PARKS,
        status=Poll.Status.OPEN,
        scope=Poll.Scope.DISTRICT,
        districts=("Марьино",),
        ballots=900,
        questions=(
            DemoQuestion(
                "Что в первую очередь обновить во дворах района?",
                (
                    ("Детские площадки", 30),
                    ("Освещение и пешеходные дорожки", 22),
                    ("Спортивные площадки и воркаут", 14),
                    ("Озеленение: деревья, кустарники, цветники", 16),
                    ("Парковочные места", 15),
                    (OWN, 3),
                ),
                own_answers=(
                    "Площадку для выгула собак",
                    "Лавочки со спинками у подъездов",
                    "Навес для колясок и велосипедов",
                    "Убрать шлагбаумы, мешают скорой",
                    "Пандусы у каждого подъезда",
                ),
            ),
            DemoQuestion(
                "Что поставить на новых детских площадках?",
                (
                    ("Качели-гнёзда", 24),
                    ("Песочницы с навесом", 18),
                    ("Инклюзивные качели и карусели", 12),
                    ("Скалодром", 15),
                    ("Теневые навесы", 17),
                    ("Мягкое покрытие", 14),
                ),
                kind=Question.Kind.MULTIPLE,
                max_choices=3,
            ),
        ),
    ),
    DemoPoll(
        title="Новые трамвайные маршруты: куда продлить линии",
        description=(
            "Трамвайная сеть Москвы растёт: в ближайшие годы построят новые участки. Какие "
            "направления нужнее всего и как часто вы ездите на трамвае?"
        ),
        category=Poll.Category.TRANSPORT,
        status=Poll.Status.OPEN,
        ballots=2400,
        questions=(
            DemoQuestion(
                "Какое продление трамвайной сети нужнее всего?",
                (
                    ("От Шаболовки к Нагатинскому Затону", 19),
                    ("По Бульварному кольцу — полностью замкнуть маршрут", 27),
                    ("Из Бирюлёва к станции метро «Царицыно»", 21),
                    ("В Хорошёво-Мнёвники вдоль проспекта Маршала Жукова", 18),
                    ("К станциям МЦД в Новой Москве", 15),
                ),
            ),
            DemoQuestion(
                "Как часто вы ездите на трамвае?",
                (
                    ("Каждый день", 18),
                    ("Несколько раз в неделю", 24),
                    ("Несколько раз в месяц", 27),
                    ("Реже", 19),
                    ("Не езжу", 12),
                ),
            ),
        ),
    ),
    DemoPoll(
        title="Велодорожки: где проложить новые маршруты",
        description=(
            "Опрос для велосипедистов. Город продолжает строить велосипедную сеть — выберите, "
            "где новые дорожки принесут больше всего пользы."
        ),
        category=Poll.Category.TRANSPORT,
        status=Poll.Status.OPEN,
        scope=Poll.Scope.SECTORAL,
        interests=("cyclist",),
        results_visibility=Poll.Results.AFTER_CLOSE,
        ages=(0.16, 0.32, 0.27, 0.14, 0.07, 0.04),
        ballots=1200,
        questions=(
            DemoQuestion(
                "Где велодорожки нужнее всего? Выберите до двух вариантов.",
                (
                    ("Вдоль набережных Москвы-реки", 27),
                    ("Вдоль Садового кольца", 16),
                    ("Между парками юго-запада", 19),
                    ("К станциям МЦК и МЦД", 25),
                    (OWN, 4),
                ),
                kind=Question.Kind.MULTIPLE,
                max_choices=2,
                own_answers=(
                    "По Ленинградскому проспекту до Химок",
                    "Через Лосиный Остров",
                    "Соединить Строгино и Крылатское",
                    "В Зеленограде между районами",
                ),
            ),
            DemoQuestion(
                "Пользуетесь ли вы городским велопрокатом?",
                (("Часто", 31), ("Иногда", 44), ("Никогда", 25)),
            ),
        ),
    ),
    DemoPoll(
        title="«Московское долголетие»: какие занятия добавить",
        description=(
            "Проект «Московское долголетие» приглашает москвичей старшего возраста на "
            "бесплатные занятия. Выберите, что добавить в программу следующего сезона."
        ),
        category=Poll.Category.SPORT,
        status=Poll.Status.OPEN,
        scope=Poll.Scope.SECTORAL,
        age_min=55,
        ages=(0, 0, 0, 0, 0.52, 0.48),
        ballots=1500,
        questions=(
            DemoQuestion(
                "Какие занятия добавить в программу? Выберите до трёх.",
                (
                    ("Скандинавская ходьба", 24),
                    ("Танцы", 19),
                    ("Компьютерная грамотность и смартфон", 17),
                    ("Иностранные языки", 12),
                    ("Плавание", 15),
                    ("Рисование и живопись", 10),
                    (OWN, 3),
                ),
                kind=Question.Kind.MULTIPLE,
                max_choices=3,
                own_answers=(
                    "Шахматы",
                    "Хоровое пение",
                    "Садоводство и цветоводство",
                    "Краеведческие прогулки по Москве",
                    "Йога для суставов",
                ),
            ),
        ),
    ),
    DemoPoll(
        title="Концерты на День города",
        description=(
            "В сентябре Москва отмечает День города. Помогите составить программу концертов "
            "и выбрать главные площадки праздника."
        ),
        category=Poll.Category.CULTURE,
        status=Poll.Status.SCHEDULED,
        questions=(
            DemoQuestion(
                "Какую музыку вы хотите услышать? Выберите до трёх жанров.",
                (
                    ("Рок", 1),
                    ("Эстрада", 1),
                    ("Классическая музыка", 1),
                    ("Джаз", 1),
                    ("Народная музыка", 1),
                    ("Хип-хоп", 1),
                ),
                kind=Question.Kind.MULTIPLE,
                max_choices=3,
            ),
            DemoQuestion(
                "Где вам удобнее всего побывать на концерте?",
                (
                    ("Тверская улица", 1),
                    ("Парк Горького", 1),
                    ("ВДНХ", 1),
                    ("Парк «Зарядье»", 1),
                    ("Площадка в моём округе", 1),
                ),
            ),
        ),
    ),
    DemoPoll(
        title="Название нового парка в Зеленограде",
        description=(
            "У Школьного озера в Зеленограде разбивают новый парк. Выберите его название — "
            "или предложите своё."
        ),
        category=Poll.Category.PARKS,
        status=Poll.Status.DRAFT,
        scope=Poll.Scope.DISTRICT,
        okrugs=("ЗелАО",),
        questions=(
            DemoQuestion(
                "Как назвать новый парк?",
                (
                    ("Парк «Сосновая роща»", 1),
                    ("Парк Строителей", 1),
                    ("Парк «Зелёный город»", 1),
                    ("Парк Первых жителей", 1),
                    (OWN, 1),
                ),
            ),
        ),
    ),
    DemoPoll(
        title="Часы работы поликлиник в выходные",
        description=(
            "Городские поликлиники хотят изменить расписание в субботу и воскресенье. "
            "Когда вам удобнее приходить к врачу и каких специалистов не хватает?"
        ),
        category=Poll.Category.HEALTHCARE,
        status=Poll.Status.CLOSED,
        ballots=11000,
        questions=(
            DemoQuestion(
                "Когда вам удобнее посещать поликлинику в выходные?",
                (
                    ("В субботу утром, с 8:00 до 14:00", 38),
                    ("В субботу весь день, до 20:00", 26),
                    ("В воскресенье", 11),
                    ("В выходные не нужно — удобнее вечером в будни", 25),
                ),
            ),
            DemoQuestion(
                "Каких специалистов не хватает в выходные? Выберите до двух.",
                (
                    ("Терапевт", 30),
                    ("Педиатр", 17),
                    ("Хирург", 9),
                    ("Офтальмолог", 13),
                    ("Невролог", 14),
                    ("Кардиолог", 17),
                ),
                kind=Question.Kind.MULTIPLE,
                max_choices=2,
            ),
        ),
    ),
    DemoPoll(
        title="Воркаут-площадки в Митине",
        description="Где в Митине поставить новые площадки для уличных тренировок?",
        category=Poll.Category.SPORT,
        status=Poll.Status.CLOSED,
        scope=Poll.Scope.DISTRICT,
        districts=("Митино",),
        min_verification=2,
        ballots=2600,
        questions=(
            DemoQuestion(
                "Где поставить новую воркаут-площадку?",
                (
                    ("В Митинском ландшафтном парке", 41),
                    ("У Митинского пруда", 23),
                    ("На бульваре у Пятницкого шоссе", 21),
                    ("Во дворах у школ", 15),
                ),
            ),
        ),
    ),
    DemoPoll(
        title="Программа фестиваля «Московская весна»",
        description=(
            "Фестиваль «Московская весна» проходит на площадках в центре и во всех округах. "
            "Что добавить в программу и куда вы ходите?"
        ),
        category=Poll.Category.CULTURE,
        status=Poll.Status.PUBLISHED,
        ballots=14000,
        questions=(
            DemoQuestion(
                "Что добавить в программу фестиваля? Выберите до трёх.",
                (
                    ("Гастрономические ярмарки", 27),
                    ("Мастер-классы для детей", 20),
                    ("Уличные концерты", 22),
                    ("Спектакли на площадях", 13),
                    ("Спортивные эстафеты", 8),
                    ("Цветочные инсталляции", 17),
                    (OWN, 2),
                ),
                kind=Question.Kind.MULTIPLE,
                max_choices=3,
                own_answers=(
                    "Экскурсии по старой Москве",
                    "Больше лавочек и навесов от дождя",
                    "Ярмарку работ местных мастеров",
                    "Кинопоказы под открытым небом",
                    "Бесплатная вода на площадках",
                    "Меньше громкой музыки вечером",
                ),
            ),
            DemoQuestion(
                "На какие площадки фестиваля вы ходите?",
                (
                    ("В центре города", 37),
                    ("Рядом с домом, в своём округе", 41),
                    ("Не хожу", 22),
                ),
            ),
        ),
    ),
    DemoPoll(
        title="Школьное питание: завтраки и обеды",
        description=(
            "Опрос для родителей школьников. Оцените школьные обеды и расскажите, что "
            "изменить в меню."
        ),
        category=Poll.Category.EDUCATION,
        status=Poll.Status.PUBLISHED,
        scope=Poll.Scope.SECTORAL,
        interests=("schoolchild_parent", "parent"),
        ages=(0.02, 0.17, 0.49, 0.27, 0.04, 0.01),
        ballots=7000,
        questions=(
            DemoQuestion(
                "Как ваш ребёнок оценивает школьные обеды?",
                (("Отлично", 14), ("Хорошо", 37), ("Удовлетворительно", 33), ("Плохо", 16)),
            ),
            DemoQuestion(
                "Что изменить в меню? Выберите до двух.",
                (
                    ("Больше овощей и фруктов", 31),
                    ("Меньше сладкого", 14),
                    ("Выбор из двух горячих блюд", 29),
                    ("Вегетарианские блюда", 8),
                    (OWN, 3),
                ),
                kind=Question.Kind.MULTIPLE,
                max_choices=2,
                own_answers=(
                    "Горячий завтрак и в старших классах",
                    "Указывать аллергены в меню",
                    "Кашу без сахара",
                    "Больше времени на обед",
                ),
            ),
        ),
    ),
    DemoPoll(
        title="Битцевский лес: новые экологические тропы",
        description=(
            "Природный парк «Битцевский лес» готовит обновление. Жители соседних районов "
            "выбирают, что сделать в первую очередь."
        ),
        category=Poll.Category.ECOLOGY,
        status=Poll.Status.PUBLISHED,
        scope=Poll.Scope.DISTRICT,
        districts=("Ясенево", "Тёплый Стан", "Коньково", "Северное Бутово"),
        results_visibility=Poll.Results.AFTER_CLOSE,
        ballots=5200,
        questions=(
            DemoQuestion(
                "Что важнее всего сделать в Битцевском лесу?",
                (
                    ("Экотропы с деревянным настилом", 34),
                    ("Освещение главных аллей", 24),
                    ("Лыжные трассы зимой", 14),
                    ("Места для пикника", 9),
                    ("Ничего не строить, сохранить лес как есть", 19),
                ),
            ),
        ),
    ),
    DemoPoll(
        title="Электробусы на Садовом кольце",
        description="Как должны ходить электробусы по Садовому кольцу?",
        category=Poll.Category.TRANSPORT,
        status=Poll.Status.ARCHIVED,
        ballots=8000,
        questions=(
            DemoQuestion(
                "Какой интервал движения электробусов вас устроит?",
                (
                    ("Каждые 5 минут", 36),
                    ("Каждые 10 минут", 41),
                    ("Каждые 15 минут", 15),
                    ("Не пользуюсь наземным транспортом в центре", 8),
                ),
            ),
            DemoQuestion(
                "Нужен ли ночной маршрут по Садовому кольцу?",
                (("Да", 58), ("Нет", 17), ("Затрудняюсь ответить", 25)),
            ),
        ),
    ),
)

# When each status's polls open and close, counted from the day of seeding.
TIMING: dict[str, tuple[timedelta, timedelta]] = {
    Poll.Status.DRAFT: (timedelta(days=14), timedelta(days=28)),
    Poll.Status.SCHEDULED: (timedelta(days=5), timedelta(days=19)),
    Poll.Status.OPEN: (timedelta(days=-6), timedelta(days=24)),
    Poll.Status.CLOSED: (timedelta(days=-17), timedelta(days=-3)),
    Poll.Status.PUBLISHED: (timedelta(days=-60), timedelta(days=-46)),
    Poll.Status.ARCHIVED: (timedelta(days=-400), timedelta(days=-386)),
}
RESIDENT_TURNOUT: dict[str, float] = {
    Poll.Status.OPEN: 0.3
}  # share of demo residents in the audience who voted
FINISHED_TURNOUT = 0.45


def seed_polls(rng: random.Random, *, scale: float | None = None) -> str:
    """Create the demo polls that do not exist yet, with their ballots, and count them.

    `scale` multiplies the numbers of ballots (tests use a small one); by default the setting
    POLLS_DEMO_SCALE, else 1 (about 54,000 ballots, some ten seconds).
    """
    if scale is None:
        scale = float(getattr(settings, "POLLS_DEMO_SCALE", 1.0))
    existing = set(
        Poll.objects.filter(title__in=[p.title for p in POLLS]).values_list("title", flat=True)
    )
    wanted = [p for p in POLLS if p.title not in existing]
    if not wanted:
        return f"nothing new: the {len(POLLS)} demo polls are there"
    city = _City.load()
    now = timezone.now()
    editor = User.objects.filter(phone=EDITOR_PHONE).first()
    moderator = User.objects.filter(phone=MODERATOR_PHONE).first()
    ballots = 0
    for spec in wanted:
        poll = _create_poll(spec, city, now, editor)
        if spec.ballots and spec.status not in {Poll.Status.DRAFT, Poll.Status.SCHEDULED}:
            ballots += _Voting(spec, poll, city, rng, now, moderator).run(
                max(1, round(spec.ballots * scale))
            )
        forget_poll(poll.pk)
    counted = f"{ballots:,}".replace(",", "\u202f")
    polls = f"{len(wanted)} poll{'' if len(wanted) == 1 else 's'} created"
    return f"{polls}, {counted} ballots cast and counted"


# --- The polls ---------------------------------------------------------------------------------


@dataclass
class _City:
    districts: dict[str, District]
    okrugs: dict[str, Okrug]
    interests: dict[str, Interest]

    @classmethod
    def load(cls) -> _City:
        districts = list(District.objects.select_related("okrug"))
        return cls(
            districts={d.name_ru: d for d in districts},
            okrugs={o.abbreviation or o.name_ru: o for o in Okrug.objects.all()},
            interests={i.code: i for i in Interest.objects.all()},
        )

    def all_districts(self) -> list[District]:
        return sorted(self.districts.values(), key=lambda d: d.code)


def _create_poll(spec: DemoPoll, city: _City, now: datetime, editor: User | None) -> Poll:
    opens, closes = TIMING[spec.status]
    poll = Poll.objects.create(
        title=spec.title,
        description=spec.description,
        category=spec.category,
        scope=spec.scope,
        status=spec.status,
        opens_at=now + opens,
        closes_at=now + closes,
        results_visibility=spec.results_visibility,
        age_min=spec.age_min,
        age_max=spec.age_max,
        min_verification=spec.min_verification,
        created_by=editor,
    )
    poll.audience_districts.set([city.districts[n] for n in spec.districts if n in city.districts])
    poll.audience_okrugs.set([city.okrugs[n] for n in spec.okrugs if n in city.okrugs])
    poll.audience_interests.set([city.interests[c] for c in spec.interests if c in city.interests])
    for qi, q in enumerate(spec.questions):
        question = Question.objects.create(
            poll=poll,
            position=qi,
            text=q.text,
            kind=q.kind,
            min_choices=q.min_choices,
            max_choices=q.max_choices,
        )
        for oi, (text, _weight) in enumerate(q.options):
            Option.objects.create(question=question, position=oi, text=text, free_text=text == OWN)
    return poll


# --- The ballots -------------------------------------------------------------------------------


class _Voting:
    """Draws one poll's ballots: who (a demographic snapshot) and what (the answers)."""

    def __init__(
        self,
        spec: DemoPoll,
        poll: Poll,
        city: _City,
        rng: random.Random,
        now: datetime,
        moderator: User | None,
    ) -> None:
        self.spec, self.poll, self.rng, self.now, self.moderator = spec, poll, rng, now, moderator
        self.today = timezone.localdate(now)
        self.questions = list(poll.questions.prefetch_related("options"))
        self.places = self._places(city)
        self.place_weights = [w for _d, w in self.places]
        self.bands = [band for _lo, _hi, band in ADULT_BANDS]
        self.band_weights = self._band_weights()
        okrug_ids = sorted({d.okrug_id for d, _w in self.places})
        # How each answer leans with age and place: drawn once per poll, so breakdowns differ.
        self.lean = {
            q.pk: {
                o.pk: (
                    0.0 if o.free_text else rng.uniform(-0.7, 0.7),
                    {k: rng.uniform(0.75, 1.3) for k in okrug_ids},
                )
                for o in q.options.all()
            }
            for q in self.questions
        }
        self.base = {
            q.pk: [w for _t, w in spec_q.options]
            for q, spec_q in zip(self.questions, spec.questions, strict=True)
        }
        self.own_texts = {
            q.pk: spec_q.own_answers or ("Другое",)
            for q, spec_q in zip(self.questions, spec.questions, strict=True)
        }
        self._cum: dict[tuple[int, int, str], list[float]] = {}
        self.start = poll.opens_at
        self.end = min(poll.closes_at, now - timedelta(minutes=1))

    def _places(self, city: _City) -> list[tuple[District, float]]:
        if self.spec.districts:
            chosen = [city.districts[n] for n in self.spec.districts if n in city.districts]
        elif self.spec.okrugs:
            okrugs = {city.okrugs[n].pk for n in self.spec.okrugs if n in city.okrugs}
            chosen = [d for d in city.all_districts() if d.okrug_id in okrugs]
        else:
            chosen = city.all_districts()
        chosen = chosen or city.all_districts()[:1]
        # Settlements of New Moscow are thinly peopled; some districts simply vote more.
        return [
            (d, (1.0 if d.kind == District.Kind.DISTRICT else 0.25) * self.rng.uniform(0.5, 1.5))
            for d in chosen
        ]

    def _band_weights(self) -> list[float]:
        weights = list(self.spec.ages or USUAL_AGES)
        low = self.spec.age_min if self.spec.age_min is not None else 0
        high = self.spec.age_max if self.spec.age_max is not None else 200
        return [
            w if hi >= low and lo <= high else 0.0
            for w, (lo, hi, _band) in zip(weights, ADULT_BANDS, strict=True)
        ]

    # Who

    def _anonymous_voter(self) -> tuple[int | None, int | None, str, str]:
        district = self.rng.choices(self.places, self.place_weights)[0][0]
        band = self.rng.choices(self.bands, self.band_weights)[0]
        gender = "female" if self.rng.random() < FEMALE_SHARE else "male"
        return district.okrug_id, district.pk, band, gender

    def _demo_residents(self) -> list[User]:
        audience = Audience.of(self.poll)
        people = User.objects.filter(
            audience_filter(audience, self.today),
            Q(phone__startswith=DEMO_RESIDENTS),
            is_staff=False,
        ).select_related("home_district")
        if self.poll.status == Poll.Status.OPEN:
            people = people.exclude(phone__in=FREE_FOR_VISITORS)
        turnout = RESIDENT_TURNOUT.get(self.poll.status, FINISHED_TURNOUT)
        return [p for p in people.order_by("pk") if self.rng.random() < turnout]

    # What

    def _answers(self, okrug_id: int | None, band: str) -> list[Answer]:
        answers = []
        for question in self.questions:
            options = list(question.options.all())
            cum = self._cum.get((question.pk, okrug_id or 0, band))
            if cum is None:
                cum = self._weights(question, options, okrug_id, band)
                self._cum[(question.pk, okrug_id or 0, band)] = cum
            if question.kind == Question.Kind.SINGLE:
                count = 1
            else:
                count = self.rng.randint(question.min_choices, question.max_choices)
            chosen: set[Option] = set()
            while len(chosen) < count:
                chosen.add(self.rng.choices(options, cum_weights=cum)[0])
            own = next((o for o in chosen if o.free_text), None)
            answers.append(
                Answer(
                    question_id=question.pk,
                    option_ids=tuple(sorted(o.pk for o in chosen)),
                    text=self.rng.choice(self.own_texts[question.pk]) if own else None,
                )
            )
        return answers

    def _weights(
        self, question: Question, options: list[Option], okrug_id: int | None, band: str
    ) -> list[float]:
        position = (self.bands.index(band) - 2.5) / 2.5 if band in self.bands else 0.0
        total = 0.0
        cum = []
        for option, base in zip(options, self.base[question.pk], strict=True):
            age_lean, okrug_lean = self.lean[question.pk][option.pk]
            total += base * math.exp(age_lean * position) * okrug_lean.get(okrug_id or 0, 1.0)
            cum.append(total)
        return cum

    def _when(self) -> datetime:
        # Most people vote in the first days after the announcement.
        return self.start + (self.end - self.start) * (self.rng.random() ** 1.8)

    # Writing

    def run(self, total: int) -> int:
        residents = self._demo_residents()[:total]
        ballots: list[Ballot] = []
        texts: list[Answer] = []  # answers that carry an own-answer text
        participations: list[Participation] = []
        for person in residents:
            district = person.home_district
            band = age_band(person.birth_date, self.today)
            okrug_id = district.okrug_id if district else None
            ballot = self._ballot(
                okrug_id,
                district.pk if district else None,
                band,
                person.gender or "unknown",
                self.rng.choice((Channel.APP, Channel.WEB)),
                texts,
            )
            ballots.append(ballot)
            content = ballot.content.encode()
            participations.append(
                Participation(
                    poll=self.poll,
                    user=person,
                    cast_at=ballot.cast_at,
                    channel=ballot.channel,
                    ballot_public_id=ballot.public_id,
                    ballot_hash=ballot_hash(content),
                    leaf_hash=leaf_hash(content),
                )
            )
        channels = [c for c, _w in CHANNELS]
        channel_weights = [w for _c, w in CHANNELS]
        for _ in range(total - len(residents)):
            okrug_id, district_id, band, gender = self._anonymous_voter()
            channel = self.rng.choices(channels, channel_weights)[0]
            ballots.append(self._ballot(okrug_id, district_id, band, gender, channel, texts))

        Ballot.objects.bulk_create(ballots, batch_size=2000)
        if any(b.pk is None for b in ballots):  # a database that does not return new ids
            ids = dict(
                Ballot.objects.filter(poll=self.poll).values_list("public_id", "pk").iterator()
            )
            for b in ballots:
                b.pk = ids[b.public_id]
        Participation.objects.bulk_create(participations, batch_size=2000)
        # Queued in the poll's log as a real ballot is, then sealed and counted by the tally.
        log_id = poll_log(self.poll).pk
        QueuedEntry.objects.bulk_create(
            (
                QueuedEntry(log_id=log_id, data=b.content.encode(), ref=b.pk, queued_at=b.cast_at)
                for b in ballots
            ),
            batch_size=5000,
        )
        FreeTextAnswer.objects.bulk_create(
            (self._free_text(answer) for answer in texts), batch_size=2000
        )
        for person in residents:
            credit_points(
                user_id=person.pk,
                amount=self.poll.points,
                reason="poll",
                reference=f"poll:{self.poll.pk}",
                idempotency_key=f"poll:{self.poll.pk}:user:{person.pk}",
            )
        return services.tally(poll_id=self.poll.pk)

    def _ballot(
        self,
        okrug_id: int | None,
        district_id: int | None,
        band: str,
        gender: str,
        channel: str,
        texts: list[Answer],
    ) -> Ballot:
        answers = self._answers(okrug_id, band)
        texts.extend(a for a in answers if a.text)
        public_id = secrets.token_hex(16)
        content = canonical_bytes(origin=self.poll.origin, public_id=public_id, answers=answers)
        return Ballot(
            poll=self.poll,
            public_id=public_id,
            content=content.decode(),
            channel=channel,
            okrug_id=okrug_id,
            district_id=district_id,
            age_band=band,
            gender=gender,
            cast_at=self._when(),
        )

    def _free_text(self, answer: Answer) -> FreeTextAnswer:
        free_option = next(
            o.pk
            for q in self.questions
            if q.pk == answer.question_id
            for o in q.options.all()
            if o.free_text
        )
        moderation = FreeTextAnswer.Moderation.PENDING
        if self.moderator is not None and self.poll.status != Poll.Status.OPEN:
            finished = self.poll.status in {Poll.Status.PUBLISHED, Poll.Status.ARCHIVED}
            draw = self.rng.random()
            if draw < (0.6 if finished else 0.3):
                moderation = FreeTextAnswer.Moderation.PUBLISHED
            elif draw < (0.85 if finished else 0.4):
                moderation = FreeTextAnswer.Moderation.REJECTED
        return FreeTextAnswer(
            poll=self.poll,
            option_id=free_option,
            text=answer.text or "",
            moderation=moderation,
            moderated_by=(
                self.moderator if moderation != FreeTextAnswer.Moderation.PENDING else None
            ),
        )
