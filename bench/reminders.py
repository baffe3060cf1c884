"""Reminders at scale (docs/BENCHMARKS.md, "Reminders").

1. Dispatch: select and enqueue 100,000 due patients; query count must grow with batches, not patients; target
   under 30 s.
2. Send: emails/s through the real send path (claim, templates, MIME, SMTP, mark sent) to a local SMTP sink
   (aiosmtpd's Sink, in its own process as a relay would be); target >= 300/s. One process sends the batches
   (REMINDER_BATCH_SIZE each, one SMTP connection per batch, as a worker runs the batch tasks); then two processes
   (a worker with concurrency 2).
   Reported against a baseline measured in the same run: raw smtplib sends of pre-built messages on one
   connection (the ceiling of this machine and sink).

Runs in its own throwaway database (bench_<name>) on whatever DATABASE_URL and CELERY_BROKER_URL point at.
Usage: python -m bench.reminders [--patients 100000] [--emails 2000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import smtplib
import socket
import subprocess
import sys
import time
import zoneinfo
from email.policy import SMTP

import django

ZONES = ["Europe/Oslo", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "America/Los_Angeles"]


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cft.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # aiosmtpd logs every SMTP command at INFO
    django.setup()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _make_patients(count: int, now: dt.datetime, offset: int) -> None:
    from clinics.models import Clinic
    from patients.models import Assignment, Episode, Patient

    clinic, _ = Clinic.objects.get_or_create(slug="bench", defaults={"name": "Bench Clinic"})
    chunk = 5000
    for start in range(0, count, chunk):
        patients = []
        for i in range(start, min(count, start + chunk)):
            zone = ZONES[i % len(ZONES)]
            local = now.astimezone(zoneinfo.ZoneInfo(zone))
            patients.append(
                Patient(
                    clinic=clinic,
                    first_name=f"B{offset + i}",
                    last_name="Bench",
                    email=f"b{offset + i}@example.org",
                    time_zone=zone,
                    checkin_weekday=local.weekday(),
                    checkin_hour=local.hour,
                    reminder_consent=True,
                )
            )
        patients = Patient.objects.bulk_create(patients)
        started = now.date() - dt.timedelta(weeks=3)
        episodes = Episode.objects.bulk_create([Episode(patient=p, started_on=started) for p in patients])
        Assignment.objects.bulk_create([Assignment(episode=e, title="Plan", start_date=started) for e in episodes])
    _analyze()


def _analyze() -> None:
    """Fresh planner statistics after a bulk load, as autovacuum would have them in production."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _dispatch(now: dt.datetime) -> tuple[float, int, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reminders import services

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = services.dispatch_due_reminders(now=now)
        elapsed = time.perf_counter() - started
    return elapsed, len(queries), result.batches, result.created


def bench_dispatch(patients: int, now: dt.datetime) -> list[str]:
    from reminders.models import Reminder

    small = max(patients // 10, 1)
    _make_patients(small, now, 0)
    t_small, q_small, b_small, c_small = _dispatch(now)
    Reminder.objects.all().delete()
    _make_patients(patients - small, now, small)
    t_big, q_big, b_big, c_big = _dispatch(now)
    return [
        f"| {c_small:,} | {b_small} | {q_small} | {q_small / b_small:.1f} | {t_small:.1f} s |",
        f"| {c_big:,} | {b_big} | {q_big} | {q_big / b_big:.1f} | {t_big:.1f} s |",
    ]


def _start_sink() -> tuple[subprocess.Popen, int]:
    """aiosmtpd's Sink handler in its own process, as a relay would be: its CPU does not share our GIL."""
    port = _free_port()
    sink = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"]
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return sink, port
        except OSError:
            if time.monotonic() > deadline:
                sink.kill()
                raise
            time.sleep(0.1)


def _smtp(port: int):
    from django.core.mail import get_connection

    return get_connection("django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1", port=port)


def _send_batches(batches: list[list[int]], port: int) -> int:
    """What a worker process does with its batch tasks: one SMTP connection per batch."""
    from reminders import services

    return sum(services.send_reminder_batch(batch, connection=_smtp(port))["sent"] for batch in batches)


def _send_batch_in_child(args: tuple[list[int], int]) -> int:
    return _send_batches([args[0]], args[1])


def _timed_send(ids: list[int], port: int, processes: int = 1) -> tuple[int, float]:
    from django.conf import settings
    from django.db import connections

    from reminders.models import DeliveryStatus, Reminder

    Reminder.objects.filter(pk__in=ids).update(status=DeliveryStatus.PENDING, attempts=0, sent_at=None)
    size = settings.REMINDER_BATCH_SIZE
    batches = [ids[i : i + size] for i in range(0, len(ids), size)]
    if processes == 1:
        started = time.perf_counter()
        sent = _send_batches(batches, port)
        return sent, time.perf_counter() - started
    connections.close_all()  # the children must not share the parent's database connection
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        pool.map(_connect, range(processes))  # fork and connect before the clock starts
        started = time.perf_counter()
        sent = sum(pool.imap_unordered(_send_batch_in_child, [(batch, port) for batch in batches]))
        return sent, time.perf_counter() - started


def _connect(_: int) -> None:
    from django.db import connection

    connection.ensure_connection()


def bench_send(emails: int) -> list[str]:
    from django.conf import settings

    from reminders import services
    from reminders.emails import reminder_message
    from reminders.models import DeliveryStatus, Reminder

    _analyze()
    sink, port = _start_sink()
    try:
        ids = list(Reminder.objects.order_by("pk").values_list("pk", flat=True)[:emails])
        reminders = list(Reminder.objects.filter(pk__in=ids).select_related("patient__clinic"))
        built = [(r.patient.email, reminder_message(r).message(policy=SMTP).as_bytes()) for r in reminders]

        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for to, data in built:
                smtp.sendmail(settings.DEFAULT_FROM_EMAIL, [to], data)
        baseline = len(built) / (time.perf_counter() - started)

        rows = []
        for label, processes in [
            ("send path, 1 process, one connection per batch", 1),
            ("send path, 2 processes (worker concurrency 2)", 2),
        ]:
            sent, elapsed = _timed_send(ids, port, processes)
            rows.append((label, sent, sent / elapsed))

        few = ids[: max(len(ids) // 5, 1)]
        Reminder.objects.filter(pk__in=few).update(status=DeliveryStatus.PENDING, attempts=0)
        started = time.perf_counter()
        for pk in few:
            services.send_one_reminder(pk, connection=_smtp(port))
        rows.append(("send path, a new connection per email", len(few), len(few) / (time.perf_counter() - started)))
    finally:
        sink.terminate()
        sink.wait(10)
    lines = [
        f"| raw smtplib, pre-built messages, one connection (baseline) | {len(built):,} | {baseline:,.0f} | 1.00 |"
    ]
    lines += [f"| {label} | {sent:,} | {rate:,.0f} | {rate / baseline:.2f} |" for label, sent, rate in rows]
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--emails", type=int, default=2000)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] if __name__ == "__main__" else [])
    _setup()
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from cft.celery import app

    name = settings.DATABASES["default"]["NAME"]
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"bench_{os.path.basename(str(name))}"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        now = timezone.now()
        print(f"Reminders bench: {connection.vendor}, broker {settings.CELERY_BROKER_URL.split(':')[0]}")
        print("\nDispatch (select, insert, queue in batches of", settings.REMINDER_BATCH_SIZE, "):")
        print("| due patients | batches | queries | queries per batch | time (target < 30 s) |")
        print("|---|---|---|---|---|")
        for line in bench_dispatch(args.patients, now):
            print(line)
        print("\nSend (target >= 300 emails/s):")
        print("| path | emails | emails/s | ratio to baseline |")
        print("|---|---|---|---|")
        for line in bench_send(args.emails):
            print(line)
    finally:
        app.control.purge()
        connection.creation.destroy_test_db(name, verbosity=0)


if __name__ == "__main__":
    main()
