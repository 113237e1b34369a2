"""Demo news: project news for the whole city and for some districts, four "Project in faces"
stories (invented people: no photographs, the page shows their initials) and two novelty
announcements, with tags.

Registered as the "news" step of `manage.py seed_demo` (NewsConfig.ready()). Idempotent: items
and tags are found by slug and never created twice.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from activecitizen.geo.models import District
from activecitizen.news.models import NewsItem, Tag

TAGS = {
    "transport": "Транспорт",
    "parks": "Парки и благоустройство",
    "health": "Здоровье",
    "education": "Образование",
    "culture": "Культура",
    "votes": "Итоги голосований",
}

Kind = NewsItem.Kind
# slug, kind, title, lead, tags, how many districts (0: the whole city)
NEWS = [
    (
        "itogi-golosovaniya-parki",
        Kind.NEWS,
        "Жители выбрали, какие парки обновят летом",
        "В голосовании приняли участие более 200 тысяч москвичей.",
        ["parks", "votes"],
        0,
    ),
    (
        "novye-marshruty-avtobusov",
        Kind.NEWS,
        "Новые маршруты автобусов запустят в трёх районах",
        "Схемы маршрутов учитывают предложения жителей.",
        ["transport"],
        3,
    ),
    (
        "poliklinika-vyhodnye",
        Kind.NEWS,
        "Поликлиники будут работать по субботам дольше",
        "Так решили по итогам опроса о графике приёма.",
        ["health", "votes"],
        0,
    ),
    (
        "shkolnye-dvory",
        Kind.NEWS,
        "Школьные дворы откроют для жителей по вечерам",
        "Пилотный проект начнётся в двух районах.",
        ["education", "parks"],
        2,
    ),
    (
        "biblioteki-kovorking",
        Kind.NEWS,
        "В библиотеках появятся коворкинги",
        "Места для работы и учёбы — бесплатно и без записи.",
        ["culture", "education"],
        0,
    ),
    (
        "velodorozhki-2025",
        Kind.NEWS,
        "Велодорожки продлят до станций метро",
        "Маршруты выбирали сами велосипедисты.",
        ["transport", "votes"],
        0,
    ),
    (
        "dvory-remont",
        Kind.NEWS,
        "Во дворах района начался ремонт детских площадок",
        "Площадки выбраны по итогам районного голосования.",
        ["parks"],
        1,
    ),
    (
        "teatr-leto",
        Kind.NEWS,
        "Летний театральный сезон пройдёт в парках",
        "Спектакли под открытым небом — по выходным.",
        ["culture", "parks"],
        0,
    ),
    (
        "ostanovki-podogrev",
        Kind.NEWS,
        "На остановках установят павильоны с подогревом",
        "Первые павильоны появятся у крупных больниц.",
        ["transport", "health"],
        2,
    ),
    (
        "rezultaty-oprosa-shkol",
        Kind.NEWS,
        "Опрос о школьном питании: результаты",
        "Родители предложили изменить меню завтраков.",
        ["education", "votes"],
        0,
    ),
    (
        "muzei-besplatno",
        Kind.NOVELTY,
        "Новинка: бесплатный вход в музеи по средам",
        "Оцените новинку в разделе «Городские новинки».",
        ["culture"],
        0,
    ),
    (
        "umnye-skameiki",
        Kind.NOVELTY,
        "Новинка: «умные» скамейки с зарядкой в парках",
        "Расскажите, удобно ли ими пользоваться.",
        ["parks"],
        0,
    ),
]

STORIES = [
    (
        "istoriya-marina",
        "Марина Соколова",
        "Я пришла проголосовать за двор — а осталась на годы.",
        "Марина живёт в Хамовниках двенадцать лет. Впервые она проголосовала "
        "в «Активном гражданине» за цвет скамеек во дворе.\n\n"
        "Теперь она помогает соседям разобраться в голосованиях дома.",
    ),
    (
        "istoriya-igor",
        "Игорь Петров",
        "Маршрут моего автобуса изменили по нашему предложению.",
        "Игорь каждый день ездит на работу через весь город.\n\nКогда открылось обсуждение новых "
        "маршрутов, он собрал предложения соседей и отправил их через проект.",
    ),
    (
        "istoriya-anna",
        "Анна Кузнецова",
        "Баллы я трачу на театры — и сама выбираю, какие.",
        "Анна — учитель литературы.\n\nЗа голосования она получает баллы и обменивает их на билеты "
        "в театры, куда потом водит своих учеников.",
    ),
    (
        "istoriya-sergey",
        "Сергей Волков",
        "Наш дом впервые провёл собрание онлайн — и набрал кворум.",
        "Сергей — председатель совета дома.\n\nРаньше собрания срывались без кворума, а через "
        "«Электронный дом» проголосовали больше двух третей собственников.",
    ),
]


def seed_news(rng: random.Random) -> str:
    now = timezone.now()
    districts = list(District.objects.order_by("pk")[:20])
    created = 0
    with transaction.atomic():
        tags = {
            slug: Tag.objects.get_or_create(slug=slug, defaults={"name": name})[0]
            for slug, name in TAGS.items()
        }
        for n, (slug, kind, title, lead, tag_slugs, places) in enumerate(NEWS):
            if NewsItem.objects.filter(slug=slug).exists():
                continue
            item = NewsItem.objects.create(
                slug=slug,
                kind=kind,
                title=title,
                lead=lead,
                body=f"{lead}\n\nПодробности — на странице проекта. Следите за новостями.",
                is_published=True,
                published_at=now - timedelta(days=n * 2 + 1, hours=rng.randint(0, 12)),
            )
            item.tags.set(tags[t] for t in tag_slugs)
            if places and districts:
                item.districts.set(rng.sample(districts, min(places, len(districts))))
            created += 1
        for n, (slug, name, quote, story) in enumerate(STORIES):
            if NewsItem.objects.filter(slug=slug).exists():
                continue
            item = NewsItem.objects.create(
                slug=slug,
                kind=Kind.STORY,
                title=f"Проект в лицах: {name}",
                lead=quote,
                person_name=name,
                person_quote=quote,
                person_story=story,
                is_published=True,
                published_at=now - timedelta(days=n * 3 + 2),
            )
            item.tags.set([tags["votes"]])
            created += 1
        if not NewsItem.objects.filter(slug="chernovik-novosti").exists():
            # One draft: editors see it in the admin; the site and the feeds do not.
            NewsItem.objects.create(slug="chernovik-novosti", title="Черновик новости", body="…")
            created += 1
    return f"news: {created} items created, {NewsItem.objects.count()} in all"
