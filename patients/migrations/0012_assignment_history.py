from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0011_checkin_activities_met"),
    ]

    operations = [
        migrations.AddField(
            model_name="assignment",
            name="ended_on",
            field=models.DateField(
                blank=True,
                help_text="The day another program replaced it (it applies on the days before).",
                null=True,
            ),
        ),
        migrations.AddConstraint(
            model_name="assignment",
            constraint=models.CheckConstraint(
                condition=models.Q(("ended_on__isnull", True), ("ended_on__gte", models.F("start_date")), _connector="OR"),
                name="assignment_ends_after_start",
            ),
        ),
    ]
