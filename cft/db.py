"""Database chores every backend shares."""

from django.db import connection


def analyze() -> None:
    """Fresh query-planner statistics after a bulk load (seed_demo, the benchmarks). Without them PostgreSQL
    plans for empty tables (autovacuum, which would refresh them, may be slow to run or off), and every plan and
    figure after a load is wrong. PostgreSQL and SQLite both take a bare ANALYZE."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
