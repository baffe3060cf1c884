"""CheckIn.activities_met: how many of the week's graded activities were met (docs/clinical-rules.md,
adherence), filled in for the check-ins already stored from the quota and done each one recorded."""

from decimal import Decimal

from django.db import migrations, models

from patients.adherence import met_in_checkin
from programs.quotas import weekly_target


def fill_activities_met(apps, schema_editor):
    CheckIn = apps.get_model("patients", "CheckIn")
    changed = []
    for checkin in CheckIn.objects.exclude(activities=[]).only("pk", "activities").iterator(chunk_size=2000):
        entries = [e for e in checkin.activities if isinstance(e, dict) and "quota" in e and "done" in e]
        targets = {e["item"]: weekly_target(Decimal(e["quota"])) for e in entries}
        met = met_in_checkin(targets, {e["item"]: Decimal(e["done"]) for e in entries})
        if met:
            checkin.activities_met = met
            changed.append(checkin)
    CheckIn.objects.bulk_update(changed, ["activities_met"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0009_odi_wording_language"),
    ]

    operations = [
        migrations.AddField(
            model_name="checkin",
            name="activities_met",
            field=models.PositiveSmallIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(fill_activities_met, migrations.RunPython.noop),
    ]
