from django.db import migrations

from patients.instruments import placeholder_wording


def load(apps, schema_editor):
    OdiWording = apps.get_model("patients", "OdiWording")
    for row in placeholder_wording():
        OdiWording.objects.update_or_create(
            clinic=None, section=row["section"], defaults={**row, "is_placeholder": True}
        )


class Migration(migrations.Migration):
    dependencies = [("patients", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
