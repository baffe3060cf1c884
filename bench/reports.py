"""The outcome report at clinic scale: the report page and the report API for a clinic of `BENCH_REPORT_PATIENTS`
patients (default: bench.admin's 10,000; issue 19's target is 100,000 with about 1.5M check-ins), against the
admin login page measured in the same run, with the peak Python memory of one report (tracemalloc).

Run: DATABASE_URL=postgres://... python -m bench.reports   (or `make bench BENCH=reports`). It seeds the
configured database once (idempotent, adding patients up to the count), VACUUMs and ANALYZEs it, then renders in-process
through the whole middleware stack with Django's test client, logged in as the first demo clinic's admin.
Target (issue 19): median under 1 s at 100,000 patients and about 1.5M check-ins:
BENCH_REPORT_PATIENTS=100000 BENCH_REPORT_WEEKS=30 (about 1.56M check-ins, every episode with an intake).
"""

from __future__ import annotations

import os
import statistics
import tracemalloc

from bench.admin import PATIENTS as ADMIN_PATIENTS
from bench.admin import WEEKS as ADMIN_WEEKS
from bench.admin import seeded_data, setup_django, timed

PATIENTS = int(os.environ.get("BENCH_REPORT_PATIENTS", str(ADMIN_PATIENTS)))
WEEKS = int(os.environ.get("BENCH_REPORT_WEEKS", str(ADMIN_WEEKS)))
ROUNDS = int(os.environ.get("BENCH_REPORT_ROUNDS", "5"))
TARGET_MS, TARGET_PATIENTS = 1000, 100_000


def main(argv: list[str] | None = None) -> int:
    setup_django()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from bench.report import write_section
    from clinics.models import Clinic
    from patients.demo import DEMO_CLINICS
    from patients.models import CheckIn
    from reports.selectors import ReportFilter, outcome_report

    seeded_s = seeded_data("bench.reports", PATIENTS, WEEKS)
    if seeded_s is None:
        return 2
    clinic, admin_name = Clinic.objects.get(slug=DEMO_CLINICS[0][0]), DEMO_CLINICS[0][3]
    patients = clinic.patients.count()
    checkins = CheckIn.objects.filter(patient__clinic=clinic).count()
    print(f"data: {patients} patients, {checkins} check-ins in the clinic (seeded/checked in {seeded_s:.0f} s)")

    from django.contrib.auth import get_user_model

    client, anonymous = Client(), Client()
    client.force_login(get_user_model().objects.get(username=admin_name))

    pages = {
        "baseline: admin login page": lambda: anonymous.get(reverse("admin:login")),
        "report page": lambda: client.get(reverse("reports:page")),
        "report API": lambda: client.get(reverse("reports-outcomes")),
    }
    rows = []
    for name, fetch in pages.items():
        with CaptureQueriesContext(connection) as queries:
            response = fetch()
        # Counted at once: every request clears the connection's log (`reset_queries` on request_started).
        count = len(queries.captured_queries)
        assert response.status_code == 200, (name, response.status_code)  # type: ignore[attr-defined]
        times = timed(fetch, ROUNDS)
        rows.append((name, statistics.median(times), max(times), count))
        print(f"{name:<28} median {rows[-1][1]:8.1f} ms   max {rows[-1][2]:8.1f} ms   {rows[-1][3]} queries")

    tracemalloc.start()
    outcome_report(None, ReportFilter(clinic=clinic))
    peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    print(f"peak Python memory of one report: {peak_mb:.0f} MB")

    baseline = rows[0][1]
    at_target = patients >= TARGET_PATIENTS
    lines = [
        "## Outcome report (`python -m bench.reports`)",
        "",
        f"{patients:,} patients and {checkins:,} check-ins in the first demo clinic (PostgreSQL, `seed_demo` bulk "
        "data, vacuumed and analyzed, as autovacuum would). Rendered in-process, DEBUG off as in production, "
        "through the full middleware stack with Django's test client as the clinic admin; "
        f"{ROUNDS} rounds after one warm-up; 1-minute load average {os.getloadavg()[0]:.1f} at the "
        f"end. Target (issue 19): median under {TARGET_MS} ms at {TARGET_PATIENTS:,} patients; "
        + ("this run is at that size." if at_target else "this run is smaller, so it shows the trend only."),
        "",
        "| page | median ms | max ms | x login page | queries | target |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, median, worst, count in rows:
        verdict = ""
        if not name.startswith("baseline") and at_target:
            verdict = "met" if median < TARGET_MS else "**missed**"
        lines.append(f"| {name} | {median:.1f} | {worst:.1f} | {median / baseline:.1f} | {count} | {verdict} |")
    lines += [
        "",
        f"Peak Python memory of one report (`outcome_report`, tracemalloc): {peak_mb:.0f} MB. The report adds "
        "its groups, weeks due and belief figures up in SQL over the episodes' stored summaries, which hold its keys "
        "(`reports.selectors.report_outcomes`), and its trajectories over the check-ins joined to them; Python holds "
        "a few rows per program and therapist and one row per program week of the charts, never a row per episode.",
    ]
    write_section("reports", "\n".join(lines))
    missed = [n for n, median, _, _ in rows if at_target and not n.startswith("baseline") and median >= TARGET_MS]
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
