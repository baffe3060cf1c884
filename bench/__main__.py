"""`make bench` = `python -m bench`: runs every benchmark module, in order, each in a process of its own
(`python -m bench.<name>`): Django is set up once a process, so in one process the first benchmark's settings
stood for all (bench.admin measured under bench.load's). `python -m bench load` runs one.
Needs DATABASE_URL=postgres://... (the Makefile defaults it to a `cft_bench` database, created and migrated here
if missing) and CELERY_BROKER_URL=redis://...; exits non-zero when a benchmark misses its target or fails."""

from __future__ import annotations

import os
import subprocess
import sys

MODULES = ["load", "admin", "reports", "reminders", "exports"]


def prepare_database() -> None:
    """Create the PostgreSQL database DATABASE_URL names if it does not exist, and migrate it."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("make bench needs DATABASE_URL=postgres://... (PostgreSQL)")
    config = dj_database_url.parse(url)
    params = {
        "host": config["HOST"] or None,
        "port": config["PORT"] or None,
        "user": config["USER"] or None,
        "password": config["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
            print(f"created database {config['NAME']}", flush=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], check=True)


def main(names: list[str]) -> int:
    unknown = sorted(set(names) - set(MODULES))
    if unknown:
        sys.exit(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(MODULES)}")
    os.environ.setdefault("DEBUG", "1")  # for migrate and set-up; bench.load runs its server with DEBUG off
    prepare_database()
    failed = []
    for name in names or MODULES:
        print(f"== bench.{name}", flush=True)
        if subprocess.run([sys.executable, "-m", f"bench.{name}"], check=False).returncode:
            failed.append(name)
    if failed:
        print(f"missed a target or failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
