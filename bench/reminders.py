"""Reminders at scale (docs/BENCHMARKS.md, "Reminders").

1. Dispatch: select and enqueue 100,000 due patients; query count must grow with batches, not patients; target
   under 30 s.
2. Send: emails/s through the real send path (claim, templates, MIME, SMTP, mark sent) to a local SMTP sink
   (aiosmtpd's Sink, in its own process as a relay would be); target >= 300/s. One process sends the batches
   (REMINDER_BATCH_SIZE each, one SMTP connection per batch, as a worker runs the batch tasks); then two processes
   (a worker with concurrency 2).
   Reported against a baseline measured in the same run: raw smtplib sends of pre-built messages on one
   connection (the ceiling of this machine and sink). The send path before issue #18 (PostgreSQL's advisory-lock
   claim, kept here only as a measured baseline) runs interleaved with the portable claim in the same run.
3. MIME: CPU per email of Django's EmailMessage serialization (message().as_bytes(), as its SMTP backend does)
   and of reminders.mime.serialize, from bodies already rendered (each template rendered once per batch).

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
    from cft.db import analyze

    analyze()


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


# Namespace of the advisory locks of the send path before issue #18.
ADVISORY_LOCKS = 0x52454D49


def advisory_lock_batch(reminder_ids: list[int], *, connection) -> int:
    """The reminder send path before issue #18 (commit a250527), PostgreSQL's branch, as a measured baseline
    only: a session advisory lock per reminder (one query), load the locked rows still pending, then per email
    send and one autocommit UPDATE; unlock at the end. Returns the number sent."""
    from django.conf import settings
    from django.db import connection as db
    from django.utils import timezone

    from reminders import services
    from reminders.models import DeliveryStatus
    from reminders.services import delivery

    key = "(id %% 2147483648)::integer"
    ids = list(dict.fromkeys(reminder_ids))
    with db.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM unnest(%s::bigint[]) AS claim(id) WHERE pg_try_advisory_lock(%s, {key})",  # noqa: S608
            [ids, ADVISORY_LOCKS],
        )
        claimed = [pk for (pk,) in cursor.fetchall()]
    sent = 0
    try:
        rows = delivery._reminders().filter(status=DeliveryStatus.PENDING).in_bulk(claimed)
        for pk in ids:
            row = rows.get(pk)
            if row is None:
                continue
            outcome, fields = delivery._attempt(
                row,
                connection=connection,
                compose=lambda r: delivery._reminder_email(r, set()),  # the bench sends weekly reminders only
                now=timezone.now(),
                max_attempts=settings.REMINDER_MAX_ATTEMPTS,
            )
            delivery._mark(pk, fields)
            if outcome.status in ("retry", "failed"):
                services.reset_connection(connection)
            sent += outcome.status == "sent"
    finally:
        with db.cursor() as cursor:
            cursor.execute(
                f"SELECT pg_advisory_unlock(%s, {key}) FROM unnest(%s::bigint[]) AS claim(id)",  # noqa: S608
                [ADVISORY_LOCKS, claimed],
            )
        services.reset_connection(connection)
    return sent


def _portable_claim_batch(reminder_ids: list[int], *, connection) -> int:
    from reminders import services

    return services.send_reminder_batch(reminder_ids, connection=connection)["sent"]


PATHS = {"advisory": advisory_lock_batch, "portable": _portable_claim_batch}


def _send_batches(batches: list[list[int]], port: int, path: str = "portable") -> int:
    """What a worker process does with its batch tasks: one SMTP connection per batch."""
    return sum(PATHS[path](batch, connection=_smtp(port)) for batch in batches)


def _send_batch_in_child(args: tuple[list[int], int, str]) -> int:
    return _send_batches([args[0]], args[1], args[2])


def _timed_send(ids: list[int], port: int, processes: int = 1, path: str = "portable") -> tuple[int, float]:
    from django.conf import settings
    from django.db import connections

    from reminders.models import DeliveryStatus, Reminder

    Reminder.objects.filter(pk__in=ids).update(status=DeliveryStatus.PENDING, attempts=0, sent_at=None, claimed_at=None)
    size = settings.REMINDER_BATCH_SIZE
    batches = [ids[i : i + size] for i in range(0, len(ids), size)]
    if processes == 1:
        started = time.perf_counter()
        sent = _send_batches(batches, port, path)
        return sent, time.perf_counter() - started
    connections.close_all()  # the children must not share the parent's database connection
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        pool.map(_connect, range(processes))  # fork and connect before the clock starts
        started = time.perf_counter()
        sent = sum(pool.imap_unordered(_send_batch_in_child, [(batch, port, path) for batch in batches]))
        return sent, time.perf_counter() - started


def _connect(_: int) -> None:
    from django.db import connection

    connection.ensure_connection()


ROUNDS = 3  # each variant, interleaved; the best round is kept (the machine is shared)


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

        variants = [
            ("advisory", 1, "before: advisory-lock claim, 1 process, one connection per batch"),
            ("portable", 1, "after: portable claim, 1 process, one connection per batch"),
            ("advisory", 2, "before: advisory-lock claim, 2 processes (worker concurrency 2)"),
            ("portable", 2, "after: portable claim, 2 processes (worker concurrency 2)"),
        ]
        best: dict[str, tuple[int, float]] = {}
        for _ in range(ROUNDS):
            for path, processes, label in variants:
                sent, elapsed = _timed_send(ids, port, processes, path)
                if label not in best or sent / elapsed > best[label][1]:
                    best[label] = (sent, sent / elapsed)
        rows = [(label, *best[label]) for _, _, label in variants]

        few = ids[: max(len(ids) // 5, 1)]
        Reminder.objects.filter(pk__in=few).update(status=DeliveryStatus.PENDING, attempts=0)
        started = time.perf_counter()
        for pk in few:
            services.send_one_reminder(pk, connection=_smtp(port))
        rows.append(
            ("after: portable claim, a new connection per email", len(few), len(few) / (time.perf_counter() - started))
        )
    finally:
        sink.terminate()
        sink.wait(10)
    lines = [
        f"| raw smtplib, pre-built messages, one connection (baseline) | {len(built):,} | {baseline:,.0f} | 1.00 |"
    ]
    lines += [f"| {label} | {sent:,} | {rate:,.0f} | {rate / baseline:.2f} |" for label, sent, rate in rows]
    return lines


def bench_mime(count: int) -> list[str]:
    """Per email, from rendered bodies: building the EmailMultiAlternatives and serializing it, as Django's SMTP
    backend does (prep_address, message(policy=SMTP).as_bytes()) and as the send path does (reminders.mime)."""
    from django.core.mail import EmailMultiAlternatives
    from django.core.mail.backends.smtp import EmailBackend

    from reminders import mime
    from reminders.emails import reminder_message
    from reminders.models import Reminder

    reminders = Reminder.objects.order_by("pk").select_related("patient__clinic")[:count]
    rendered = []
    for reminder in reminders:
        message = reminder_message(reminder)
        rendered.append((message.subject, message.body, message.to, message.extra_headers, message.alternatives))
    backend = EmailBackend(fail_silently=True)

    def build(subject, body, to, headers, alternatives) -> EmailMultiAlternatives:
        message = EmailMultiAlternatives(subject=subject, body=body, to=to, headers=headers)
        for content, mimetype in alternatives:
            message.attach_alternative(content, mimetype)
        return message

    def django_serializer(message: EmailMultiAlternatives) -> bytes:
        backend.prep_address(message.from_email)
        [backend.prep_address(address) for address in message.recipients()]
        return message.message(policy=SMTP).as_bytes()

    def fast_serializer(message: EmailMultiAlternatives) -> bytes:
        mime.envelope_sender(message.from_email)
        message.recipients()
        return mime.serialize(message)

    def build_only(message: EmailMultiAlternatives) -> bytes:
        return b""

    variants = [
        ("build the message only (baseline)", build_only),
        ("Django: EmailMessage.message().as_bytes()", django_serializer),
        ("reminders.mime.serialize", fast_serializer),
    ]
    best: dict[str, float] = {}
    for _ in range(ROUNDS):
        for label, serialize in variants:
            started = time.perf_counter()
            for parts in rendered:
                serialize(build(*parts))
            per_email = (time.perf_counter() - started) / len(rendered) * 1000
            best[label] = min(best.get(label, per_email), per_email)
    fast = best["reminders.mime.serialize"]
    return [f"| {label} | {len(rendered):,} | {best[label]:.3f} | {best[label] / fast:.1f} |" for label, _ in variants]


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
        print("\nMIME per email, from rendered bodies (Django's serializer stays out of the send path unless <= 1 ms):")
        print("| serializer | emails | ms per email (best of 3) | x reminders.mime |")
        print("|---|---|---|---|")
        for line in bench_mime(args.emails):
            print(line)
    finally:
        app.control.purge()
        connection.creation.destroy_test_db(name, verbosity=0)


if __name__ == "__main__":
    main()
