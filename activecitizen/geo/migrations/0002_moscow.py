"""Moscow's 12 okrugs and 146 districts, settlements and urban okrugs (data/moscow/).

Names in Russian and English, centres inside each polygon, boundaries as GeoJSON. Data
© OpenStreetMap contributors, ODbL 1.0 (see data/moscow/README.md).
"""

from django.db import migrations

from activecitizen.geo.loading import read_moscow, write_city


def load_moscow(apps, schema_editor):
    write_city(
        read_moscow(),
        okrug_model=apps.get_model("geo", "Okrug"),
        district_model=apps.get_model("geo", "District"),
    )


def unload_moscow(apps, schema_editor):
    city = read_moscow()
    apps.get_model("geo", "District").objects.filter(
        code__in=[d.code for d in city.districts]
    ).delete()
    okrugs = apps.get_model("geo", "Okrug").objects.filter(code__in=[o.code for o in city.okrugs])
    okrugs.filter(districts__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("geo", "0001_initial")]

    operations = [migrations.RunPython(load_moscow, unload_moscow, elidable=False)]
