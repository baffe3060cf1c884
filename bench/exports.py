"""Export benchmark: 1,000,000 check-in rows to CSV from PostgreSQL.

Compares the app's streamed CSV export (reports.exports.checkin_rows + csv.writer, the code the page, task and
command use) with PostgreSQL's own `COPY (same query) TO STDOUT WITH CSV` in the same run, and measures the
export's peak memory in a fresh child process. Needs DATABASE_URL=postgres://... (its own database: the data
is built there once with generate_series and kept for later runs).

    DEBUG=1 DATABASE_URL=postgres://.../cft_reports python -m bench.exports [--rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import django

WEEKS = 50  # check-ins per episode
CLINIC_SLUG = "bench-exports"


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cft.settings")
    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench.exports needs PostgreSQL: set DATABASE_URL=postgres://...")


def build_data(rows: int) -> None:
    """One clinic, rows / WEEKS patients with an episode, an assignment and WEEKS check-ins each (set-based SQL)."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from cft.db import analyze
    from clinics.models import Clinic
    from patients.models import CheckIn

    call_command("migrate", verbosity=0)
    clinic, _ = Clinic.objects.get_or_create(slug=CLINIC_SLUG, defaults={"name": "Bench clinic"})
    if CheckIn.objects.filter(patient__clinic=clinic).count() == rows:
        return
    patients = rows // WEEKS
    print(f"building {rows:,} check-ins for {patients:,} patients ...", flush=True)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "DELETE FROM patients_checkin WHERE patient_id IN (SELECT id FROM patients_patient WHERE clinic_id = %s)",
            [clinic.pk],
        )
        cur.execute(
            "DELETE FROM patients_assignment WHERE episode_id IN (SELECT e.id FROM patients_episode e "
            "JOIN patients_patient p ON p.id = e.patient_id WHERE p.clinic_id = %s)",
            [clinic.pk],
        )
        cur.execute(
            "DELETE FROM patients_episode WHERE patient_id IN (SELECT id FROM patients_patient WHERE clinic_id = %s)",
            [clinic.pk],
        )
        cur.execute("DELETE FROM patients_patient WHERE clinic_id = %s", [clinic.pk])
        cur.execute(
            """INSERT INTO patients_patient (uuid, clinic_id, first_name, last_name, record_number, email, phone,
                 time_zone, checkin_weekday, checkin_hour, reminder_consent, status, link_generation, created_at)
               SELECT gen_random_uuid(), %s, 'Bench', 'Patient ' || g, 'MRN-' || g, 'bench' || g || '@example.org',
                 '', 'UTC', 0, 9, false, 'active', 0, now()
               FROM generate_series(1, %s) g""",
            [clinic.pk, patients],
        )
        cur.execute(
            """INSERT INTO patients_episode (patient_id, started_on, goals)
               SELECT id, current_date - 400, '' FROM patients_patient WHERE clinic_id = %s""",
            [clinic.pk],
        )
        cur.execute(
            """INSERT INTO patients_assignment (episode_id, program_id, title, start_date, created_at)
               SELECT e.id, NULL, 'Bench program', e.started_on, now()
               FROM patients_episode e JOIN patients_patient p ON p.id = e.patient_id WHERE p.clinic_id = %s""",
            [clinic.pk],
        )
        # Ten answers of a = (id + week) % 6 each: points 10a, answered 10, ODI = 20a (the ODI formula).
        cur.execute(
            """INSERT INTO patients_checkin (patient_id, episode_id, week, odi_answers, odi_points, odi_answered,
                 odi_score, pain_nrs, red_flags, activities, coping, note, entered_by, submitted_at, version)
               SELECT e.patient_id, e.id, w, to_jsonb(array_fill((e.id + w) %% 6, ARRAY[10])), 10 * ((e.id + w) %% 6),
                 10, 20 * ((e.id + w) %% 6), (e.id + w) %% 11,
                 CASE WHEN (e.id + w) %% 97 = 0 THEN '["rf_fever", "rf_trauma"]'::jsonb ELSE '[]'::jsonb END,
                 '[]'::jsonb, '[]'::jsonb, '', 'patient', e.started_on + w * 7 + interval '9 hours', 1
               FROM patients_episode e JOIN patients_patient p ON p.id = e.patient_id,
                 generate_series(0, %s - 1) w
               WHERE p.clinic_id = %s""",
            [WEEKS, clinic.pk],
        )
    analyze()


def _filters():  # type: ignore[no-untyped-def]
    from clinics.models import Clinic
    from reports.selectors import ReportFilter

    return ReportFilter(clinic=Clinic.objects.get(slug=CLINIC_SLUG))


class _Sink:
    """A file that counts what is written to it and keeps nothing."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, text: str) -> int:
        self.bytes += len(text)
        return len(text)


def run_export() -> dict[str, float]:
    from cft.spreadsheets import write_csv
    from reports import exports

    sink = _Sink()
    start = time.perf_counter()
    rows = write_csv(sink, exports.CHECKIN_COLUMNS, exports.checkin_rows(None, _filters()))
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": rows, "seconds": seconds, "bytes": sink.bytes, "peak_rss_mb": peak_mb}


def run_copy() -> dict[str, float]:
    """PostgreSQL COPY of the very query the export runs (same SQL, parameters inlined)."""
    from django.db import connection
    from psycopg import ClientCursor

    from reports import exports

    sql, params = exports.checkin_queryset(None, _filters()).query.sql_with_params()
    connection.ensure_connection()
    raw = connection.connection
    query = ClientCursor(raw).mogrify(sql, params)
    size = 0
    start = time.perf_counter()
    with raw.cursor() as cur, cur.copy(f"COPY ({query}) TO STDOUT WITH CSV") as copy:
        for block in copy:
            size += len(block)
    raw.rollback()
    return {"seconds": time.perf_counter() - start, "bytes": size}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--export-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] if __name__ == "__main__" else [])
    _setup()
    if args.export_only:
        print(json.dumps(run_export()))
        return
    build_data(args.rows)
    copies, runs = [], []
    for _ in range(2):
        copies.append(run_copy())
        child = subprocess.run(
            [sys.executable, "-m", "bench.exports", "--export-only"], capture_output=True, text=True, check=True
        )
        runs.append(json.loads(child.stdout.strip().splitlines()[-1]))
    copy = min(copies, key=lambda r: r["seconds"])
    export = min(runs, key=lambda r: r["seconds"])
    peak = max(r["peak_rss_mb"] for r in runs)
    ratio = copy["seconds"] / export["seconds"]
    print(f"rows exported:               {export['rows']:,}")
    print(f"COPY (same query) TO STDOUT: {copy['seconds']:.2f} s, {copy['bytes'] / 1e6:.0f} MB")
    print(f"app CSV export (streamed):   {export['seconds']:.2f} s, {export['bytes'] / 1e6:.0f} MB")
    print(f"speed vs COPY:               {ratio:.2f} (target >= 0.33)")
    print(f"export peak RSS (process):   {peak:.0f} MB (target < 200 MB)")


if __name__ == "__main__":
    main()
