from __future__ import annotations

import zoneinfo
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand
from django.utils import timezone
from tqdm import tqdm

from patients.models import Patient
from reminders import services
from reminders.models import Reminder


class Command(BaseCommand):
    help = "Send the weekly reminders due now (same selection as the beat dispatcher); --dry-run lists them."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List the due reminders; create and send none.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (e.g. in cron logs).")

    def handle(self, *args: Any, dry_run: bool = False, no_progress: bool = False, **options: Any) -> None:
        if dry_run:
            self._list(disable=no_progress)
            return
        result = services.dispatch_due_reminders(publish=False)
        self.stdout.write(f"{result.created} reminder(s) created; sending.")
        with tqdm(total=result.created, unit="email", disable=no_progress, file=cast(TextIO, self.stderr._out)) as bar:
            counts = services.send_reminder_batch(result.reminder_ids, progress=lambda outcome: bar.update(1))
        summary = ", ".join(f"{count} {status}" for status, count in sorted(counts.items())) or "nothing to send"
        self.stdout.write(self.style.SUCCESS(f"Done: {summary}."))

    def _list(self, disable: bool) -> None:
        due = [item for batch in services.due_weekly(timezone.now(), 1000) for item in batch]
        names = dict(Patient.objects.filter(pk__in=[d.patient_id for d in due]).values_list("pk", "email").iterator())
        for item in tqdm(due, unit="patient", disable=disable, file=cast(TextIO, self.stderr._out)):
            local = item.due_at.astimezone(zoneinfo.ZoneInfo(item.time_zone))
            self.stdout.write(
                f"patient {item.patient_id} <{names.get(item.patient_id, '?')}> week {item.week} "
                f"due {local:%Y-%m-%d %H:%M} {item.time_zone}"
            )
        self.stdout.write(f"{len(due)} {Reminder.Kind.WEEKLY.label.lower()} reminder(s) due; dry run, none sent.")
