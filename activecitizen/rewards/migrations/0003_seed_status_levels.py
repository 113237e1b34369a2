"""Seed the status levels: "Active citizen" at 1,000 lifetime points (DESIGN.md domain rules).

Staff may rename or move them afterwards; re-running leaves their edits alone.
"""

from django.db import migrations

LEVELS = [
    # code, Russian, English, lifetime points
    ("newcomer", "Новичок", "Newcomer", 0),
    ("participant", "Участник", "Participant", 100),
    ("engaged_resident", "Неравнодушный житель", "Engaged resident", 400),
    ("active_citizen", "Активный гражданин", "Active citizen", 1000),
    ("honoured_citizen", "Почётный активный гражданин", "Honoured active citizen", 5000),
]


def create(apps, schema_editor):
    StatusLevel = apps.get_model("rewards", "StatusLevel")
    for code, name_ru, name_en, points in LEVELS:
        StatusLevel.objects.get_or_create(
            code=code,
            defaults={"name_ru": name_ru, "name_en": name_en, "min_lifetime_points": points},
        )


def remove(apps, schema_editor):
    apps.get_model("rewards", "StatusLevel").objects.filter(
        code__in=[code for code, *_rest in LEVELS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("rewards", "0002_status_levels_and_corrections")]

    operations = [migrations.RunPython(create, remove)]
