"""patients 0010_alert_workflow collapses each episode's duplicate open alerts of one kind into the earliest,
keeping every week, red-flag question and notification."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.migrating import migrate

# The clinics of that time too: a later clinic column without a database default would refuse the old rows.
BEFORE = [
    ("patients", "0009_odi_wording_language"),
    ("reminders", "0004_reminder_claim"),
    ("clinics", "0002_clinic_emergency_number_clinic_phone"),
]
AFTER = [("patients", "0010_alert_workflow")]


@pytest.fixture
def old_apps(transactional_db):  # type: ignore[no-untyped-def]
    apps = migrate(BEFORE)
    yield apps
    executor = MigrationExecutor(connection)
    migrate(executor.loader.graph.leaf_nodes())


def test_duplicate_open_alerts_collapse_into_the_earliest_with_their_weeks_and_notifications(old_apps):
    Clinic = old_apps.get_model("clinics", "Clinic")  # noqa: N806
    Patient = old_apps.get_model("patients", "Patient")  # noqa: N806
    Episode = old_apps.get_model("patients", "Episode")  # noqa: N806
    Alert = old_apps.get_model("patients", "Alert")  # noqa: N806
    Notification = old_apps.get_model("reminders", "AlertNotification")  # noqa: N806
    clinic = Clinic.objects.create(name="Fjord", slug="fjord")
    patient = Patient.objects.create(clinic=clinic, first_name="Ola", last_name="Nordmann", email="ola@example.org")
    episode = Episode.objects.create(patient=patient, started_on=dt.date(2026, 1, 5))
    now = timezone.now()

    def alert(kind, week, acknowledged=False, **fields):  # type: ignore[no-untyped-def]
        return Alert.objects.create(
            patient=patient,
            episode=episode,
            kind=kind,
            week=week,
            raised_at=now + dt.timedelta(days=week),
            acknowledged_at=now if acknowledged else None,
            **fields,
        )

    worsening = [alert("worsening", week) for week in (5, 3, 4)]
    done = alert("worsening", 2, acknowledged=True)
    flags = [
        alert("red_flag", 2, urgent=True, details={"questions": ["rf_fever"]}, escalation=1),
        alert("red_flag", 4, urgent=True, details={"questions": ["rf_saddle", "rf_fever"]}),
    ]
    Notification.objects.create(alert=flags[0], escalation=0, status="sent")
    Notification.objects.create(alert=flags[0], escalation=1, status="sent")
    Notification.objects.create(alert=flags[1], escalation=0, status="sent")
    single = alert("missed", 6)

    apps = migrate(AFTER)
    Alert = apps.get_model("patients", "Alert")  # noqa: N806
    Notification = apps.get_model("reminders", "AlertNotification")  # noqa: N806
    open_worsening = Alert.objects.get(kind="worsening", acknowledged_at__isnull=True)
    assert open_worsening.pk == worsening[1].pk  # the earliest week's row survives
    assert (open_worsening.week, open_worsening.latest_week, open_worsening.weeks) == (3, 5, [3, 4, 5])
    assert open_worsening.raised_at == now + dt.timedelta(days=3)
    assert Alert.objects.get(pk=done.pk).weeks == [2]  # acknowledged alerts are history: left alone
    red = Alert.objects.get(kind="red_flag")
    assert red.pk == flags[0].pk and red.weeks == [2, 4]
    assert red.details["questions"] == ["rf_fever", "rf_saddle"]
    assert red.details["by_week"] == {"2": ["rf_fever"], "4": ["rf_saddle", "rf_fever"]}
    # Every email already sent stays recorded, on the surviving alert; the next escalation number is free.
    assert sorted(Notification.objects.filter(alert=red).values_list("escalation", flat=True)) == [0, 1, 2]
    assert red.escalation == 2
    missed = Alert.objects.get(pk=single.pk)
    assert (missed.weeks, missed.latest_week, missed.updated_at) == ([6], 6, missed.raised_at)
    assert Alert.objects.count() == 4
