from django.db import migrations
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce


def fill_report_keys(apps, schema_editor):
    """The new columns of the summaries already written, from their patient, episode and first assignment, in two
    UPDATEs (a fresh database has none; an episode with no summary yet gets one, keys and all, from
    `rebuild_outcome_summaries`, as docs/admin.md says)."""
    EpisodeOutcome = apps.get_model("patients", "EpisodeOutcome")
    Patient = apps.get_model("patients", "Patient")
    Episode = apps.get_model("patients", "Episode")
    Assignment = apps.get_model("patients", "Assignment")

    def patient(field):
        return Subquery(Patient.objects.filter(pk=OuterRef("patient_id")).values(field)[:1])

    def first(field):
        return Subquery(Assignment.objects.filter(pk=OuterRef("first_assignment_id")).values(field)[:1])

    def episode(field):
        return Subquery(Episode.objects.filter(pk=OuterRef("episode_id")).values(field)[:1])

    EpisodeOutcome.objects.update(
        clinic_id=patient("clinic_id"),
        therapist_id=patient("primary_therapist_id"),
        time_zone=patient("time_zone"),
        program_id=first("program_id"),
        week_one=first("start_date"),
        ended_on=episode("ended_on"),
    )
    EpisodeOutcome.objects.update(starts_on=Coalesce(F("week_one"), episode("started_on")))


class Migration(migrations.Migration):
    # Its own migration: on PostgreSQL the UPDATE's deferred foreign-key checks must not share a transaction with
    # the schema changes of 0018.
    dependencies = [("patients", "0018_outcome_report_keys")]

    operations = [migrations.RunPython(fill_report_keys, migrations.RunPython.noop, elidable=True)]
