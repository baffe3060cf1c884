"""seed_demo leaves fresh planner statistics for what it loaded (autovacuum is off here and may lag anywhere:
without them every plan after a bulk load is wrong). Each backend is checked where it keeps them."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from patients.models import CheckIn, Patient

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _planner_row_count(table: str) -> int | None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
            (value,) = cursor.fetchone()
            return None if value < 0 else value  # -1: never analyzed
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return None
        # One row per index, led by the rows it holds: a partial index holds fewer, so the table's is the largest.
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s", [table])
        counts = [int(stat.split()[0]) for (stat,) in cursor.fetchall()]
        return max(counts) if counts else None


def test_seed_demo_analyzes_what_it_loaded():
    call_command("seed_demo", patients=4, weeks=3, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert CheckIn.objects.exists()
    assert _planner_row_count("patients_checkin") == CheckIn.objects.count()
    assert _planner_row_count("patients_patient") == Patient.objects.count()
