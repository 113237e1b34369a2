"""Seed the aspects each category of facility is rated on. Staff may rename, reorder or add
aspects afterwards; re-running leaves their edits alone."""

from django.db import migrations

COMMON = [
    ("cleanliness", "Чистота", "Cleanliness"),
    ("staff", "Работа сотрудников", "Staff"),
    ("accessibility", "Доступность", "Accessibility"),
    ("comfort", "Комфорт", "Comfort"),
]
WAITING = ("waiting_time", "Время ожидания", "Waiting time")
ASPECTS = {
    "park": [
        ("cleanliness", "Чистота", "Cleanliness"),
        ("safety", "Безопасность", "Safety"),
        ("lighting", "Освещение", "Lighting"),
        ("accessibility", "Доступность", "Accessibility"),
        ("comfort", "Комфорт", "Comfort"),
    ],
    "clinic": [*COMMON[:2], WAITING, *COMMON[2:]],
    "library": [*COMMON, ("collection", "Фонд и выбор книг", "Collection")],
    "service_centre": [*COMMON[:2], WAITING, *COMMON[2:]],
    "school": [*COMMON, ("safety", "Безопасность", "Safety")],
    "transport_hub": [
        ("cleanliness", "Чистота", "Cleanliness"),
        ("navigation", "Навигация", "Signposting"),
        WAITING,
        ("accessibility", "Доступность", "Accessibility"),
        ("comfort", "Комфорт", "Comfort"),
    ],
    "sports_centre": [*COMMON, WAITING],
    "theatre_museum": [*COMMON, WAITING],
}


def create(apps, schema_editor):
    Aspect = apps.get_model("pulse", "Aspect")
    for category, aspects in ASPECTS.items():
        for position, (code, name_ru, name_en) in enumerate(aspects):
            Aspect.objects.get_or_create(
                category=category,
                code=code,
                defaults={"name_ru": name_ru, "name_en": name_en, "position": position},
            )


def remove(apps, schema_editor):
    apps.get_model("pulse", "Aspect").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("pulse", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
