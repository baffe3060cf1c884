"""CheckIn.activities_met: how many of the week's graded activities were met (docs/clinical-rules.md,
adherence), filled in for the check-ins already stored from the quota and done each one recorded."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import migrations, models


def fill_activities_met(apps, schema_editor):
    """The rule as it stands now (a migration keeps its own copy): an activity the check-in reported is met when
    done reaches the recorded quota in whole units, rounded half up. Activities it left out were not met, unless
    their target was 0, which the recorded answers cannot tell: such rows (a baseline under half a unit) stay 0."""
    CheckIn = apps.get_model("patients", "CheckIn")
    changed = []
    for checkin in CheckIn.objects.exclude(activities=[]).only("pk", "activities").iterator(chunk_size=2000):
        entries = [e for e in checkin.activities if isinstance(e, dict) and "quota" in e and "done" in e]
        met = sum(
            1 for e in entries if Decimal(e["done"]) >= Decimal(e["quota"]).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        )
        if met:
            checkin.activities_met = met
            changed.append(checkin)
    CheckIn.objects.bulk_update(changed, ["activities_met"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0010_alert_workflow"),
    ]

    operations = [
        migrations.AddField(
            model_name="checkin",
            name="activities_met",
            field=models.PositiveSmallIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(fill_activities_met, migrations.RunPython.noop),
    ]
