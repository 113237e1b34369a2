"""The role of public service centre officers, who cast ballots for residents they help."""

from django.db import migrations


def create(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="service_centre_officer")


def remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="service_centre_officer").delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_roles_and_interests")]

    operations = [migrations.RunPython(create, remove)]
