"""One open alert per episode and kind (docs/clinical-rules.md, "Alerts").

Adds the weeks an alert covers (`week` stays the first, `latest_week` the last, `weeks` all of them), `updated_at`
and the acknowledgement `note`, then collapses each episode's open alerts of one kind into the earliest one: its
weeks become the union, red-flag questions are merged by week, and the notifications of the removed rows move to
the survivor under fresh escalation numbers (AlertNotification is unique per alert and escalation), so every
email already sent stays recorded and none is sent again. Only then does the database take the new constraint.

Not atomic as a whole: PostgreSQL refuses to alter a table in the transaction that deleted rows other tables
point at with deferred foreign keys. The data step is one transaction of its own and can run again safely.
"""

import django.utils.timezone
from django.db import migrations, models
from django.db.models import Q


def _flags_by_week(alert):
    details = alert.details if isinstance(alert.details, dict) else {}
    by_week = details.get("by_week")
    if isinstance(by_week, dict):
        return {str(week): list(keys) for week, keys in by_week.items()}
    questions = details.get("questions") or []
    return {str(alert.week): list(questions)} if questions else {}


def collapse_open_alerts(apps, schema_editor):
    Alert = apps.get_model("patients", "Alert")
    AlertNotification = apps.get_model("reminders", "AlertNotification")
    for alert in Alert.objects.order_by("pk").iterator():
        if alert.weeks:
            continue
        alert.weeks = [alert.week]
        alert.latest_week = alert.week
        alert.updated_at = alert.raised_at
        if alert.kind == "red_flag":
            alert.details = {**(alert.details or {}), "by_week": _flags_by_week(alert)}
        alert.save(update_fields=["weeks", "latest_week", "updated_at", "details"])

    groups = {}
    for alert in Alert.objects.filter(acknowledged_at__isnull=True).order_by("week", "pk"):
        groups.setdefault((alert.episode_id, alert.kind), []).append(alert)
    for alerts in groups.values():
        if len(alerts) < 2:
            continue
        survivor, others = alerts[0], alerts[1:]
        weeks = sorted({week for alert in alerts for week in (alert.weeks or [alert.week])})
        survivor.weeks, survivor.week, survivor.latest_week = weeks, weeks[0], weeks[-1]
        survivor.raised_at = min(alert.raised_at for alert in alerts)
        survivor.updated_at = max(alert.updated_at for alert in alerts)
        survivor.urgent = any(alert.urgent for alert in alerts)
        if survivor.kind == "red_flag":
            by_week = {}
            for alert in alerts:
                for week, keys in _flags_by_week(alert).items():
                    by_week[week] = [*by_week.get(week, []), *(k for k in keys if k not in by_week.get(week, []))]
            questions = []
            for _week, keys in sorted(by_week.items(), key=lambda item: int(item[0])):
                questions += [key for key in keys if key not in questions]
            survivor.details = {
                **(survivor.details or {}),
                "questions": questions,
                "by_week": dict(sorted(by_week.items(), key=lambda item: int(item[0]))),
            }
        escalation = max(
            [survivor.escalation, *AlertNotification.objects.filter(alert=survivor).values_list("escalation", flat=True)]
        )
        for notification in AlertNotification.objects.filter(alert__in=others).order_by("created_at", "pk"):
            escalation += 1
            notification.alert_id = survivor.pk
            notification.escalation = escalation
            notification.save(update_fields=["alert", "escalation"])
        survivor.escalation = escalation
        survivor.save()
        Alert.objects.filter(pk__in=[alert.pk for alert in others]).delete()


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("patients", "0009_odi_wording_language"),
        ("reminders", "0004_reminder_claim"),
    ]

    operations = [
        migrations.AddField(
            model_name="alert",
            name="latest_week",
            field=models.PositiveSmallIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="alert",
            name="weeks",
            field=models.JSONField(blank=True, default=list, help_text="Every program week the alert covers, in order."),
        ),
        migrations.AddField(
            model_name="alert",
            name="updated_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name="alert",
            name="note",
            field=models.TextField(blank=True, help_text="What was done, written when acknowledging.", max_length=1000),
        ),
        migrations.RunPython(collapse_open_alerts, migrations.RunPython.noop, atomic=True),
        migrations.RemoveConstraint(model_name="alert", name="one_alert_per_kind_week"),
        migrations.AddConstraint(
            model_name="alert",
            constraint=models.UniqueConstraint(
                condition=Q(acknowledged_at__isnull=True), fields=("episode", "kind"), name="one_open_alert_per_kind"
            ),
        ),
    ]
