"""Create the roles (as groups) and the interests that polls can target."""

from django.db import migrations

ROLES = [
    "citizen",
    "moderator",
    "editor",
    "partner_cashier",
    "house_administrator",
    "auditor",
]

INTERESTS = [
    ("parent", "Родитель", "Parent"),
    ("large_family", "Многодетная семья", "Large family"),
    ("car_owner", "Автовладелец", "Car owner"),
    ("cyclist", "Велосипедист", "Cyclist"),
    ("public_transport", "Пользуюсь общественным транспортом", "Public transport user"),
    ("pensioner", "Пенсионер", "Pensioner"),
    ("student", "Студент", "Student"),
    ("schoolchild_parent", "Родитель школьника", "Parent of a schoolchild"),
    ("dog_owner", "Владелец собаки", "Dog owner"),
    ("athlete", "Занимаюсь спортом", "Does sport"),
    ("theatre_goer", "Хожу в театры и музеи", "Goes to theatres and museums"),
    ("entrepreneur", "Предприниматель", "Entrepreneur"),
    ("disability", "Человек с инвалидностью", "Person with a disability"),
    ("gardener", "Дачник", "Gardener"),
]


def create(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Interest = apps.get_model("accounts", "Interest")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    for position, (code, name_ru, name_en) in enumerate(INTERESTS):
        Interest.objects.update_or_create(
            code=code, defaults={"name_ru": name_ru, "name_en": name_en, "position": position}
        )


def remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()
    apps.get_model("accounts", "Interest").objects.filter(
        code__in=[c for c, _ru, _en in INTERESTS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create, remove)]
