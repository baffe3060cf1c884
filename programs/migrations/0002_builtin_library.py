from django.db import migrations

from programs import library


def load_library(apps, schema_editor):
    library.load(apps)


class Migration(migrations.Migration):
    dependencies = [("programs", "0001_initial")]

    operations = [migrations.RunPython(load_library, migrations.RunPython.noop)]
