"""The role of a partner's managers, who keep their organisation's rewards in the admin."""

from django.db import migrations


def create(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="partner_manager")


def remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="partner_manager").delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_service_centre_officer")]

    operations = [migrations.RunPython(create, remove)]
