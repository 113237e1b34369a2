"""The decision rules a new installation starts with (staff keep the table up to date; the
titles are the law's, in Russian).

Defaults after art. 46 part 1 of the Housing Code of the Russian Federation as worded on
2026-01-01; each rule has the date it applies from, so a later change is a new row.
"""

from datetime import date

from django.db import migrations

RULES = [
    ("1", "Реконструкция дома, строительство хозяйственных построек", "two_thirds_of_all"),
    ("1.1", "Капитальный ремонт общего имущества", "two_thirds_of_all"),
    ("2", "Пределы использования земельного участка", "two_thirds_of_all"),
    ("3", "Пользование общим имуществом иными лицами", "two_thirds_of_all"),
    ("4", "Выбор способа управления домом", "majority_of_all"),
    ("4.5", "Пользование общим имуществом в подъезде", "item_4_5"),
    ("reduction", "Уменьшение размера общего имущества (ч. 3 ст. 36, ст. 40 ЖК РФ)", "all_owners"),
    ("other", "Иные вопросы", "majority_of_participants"),
]


def seed(apps, schema_editor):
    DecisionRule = apps.get_model("house", "DecisionRule")
    for subject, title, decision_type in RULES:
        DecisionRule.objects.get_or_create(
            subject=subject,
            effective_from=date(2005, 3, 1),
            defaults={"title": title, "decision_type": decision_type},
        )


class Migration(migrations.Migration):
    dependencies = [("house", "0002_meetings")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
