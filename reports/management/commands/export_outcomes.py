"""python manage.py export_outcomes --clinic <slug> --kind csv_checkins --output outcomes.csv [--start ...]"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from audit.services import record
from cft.api import MAX_ID
from cft.arguments import whole_number
from clinics.models import Clinic
from reports.models import ExportJob
from reports.selectors import ReportFilter
from reports.services import count_checkins, filter_params, write_export


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Dates are YYYY-MM-DD, got {value!r}.") from None


class Command(BaseCommand):
    help = "Export one clinic's outcomes (CSV, XLSX, FHIR or de-identified research) with a progress bar."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", required=True, help="The clinic's slug.")
        parser.add_argument("--kind", required=True, choices=ExportJob.Kind.values)
        parser.add_argument("--output", required=True, help="File to write.")
        parser.add_argument("--start", type=_date, help="First program start date (YYYY-MM-DD).")
        parser.add_argument("--end", type=_date, help="Last program start date (YYYY-MM-DD).")
        parser.add_argument("--program", type=whole_number(1, MAX_ID), help="Program id.")
        parser.add_argument("--therapist", type=whole_number(1, MAX_ID), help="Therapist (user) id.")

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = Clinic.objects.filter(slug=options["clinic"]).first()
        if clinic is None:
            raise CommandError(f"--clinic: no clinic with slug {options['clinic']!r}.")
        if options["start"] and options["end"] and options["start"] > options["end"]:
            raise CommandError("--start must not be after --end.")
        filters = ReportFilter(
            clinic=clinic,
            start=options["start"],
            end=options["end"],
            program_id=options["program"],
            therapist_id=options["therapist"],
        )
        path = Path(options["output"])
        if not path.parent.is_dir():
            raise CommandError(f"--output: the folder {str(path.parent)!r} does not exist.")
        total = count_checkins(None, filters) * (3 if options["kind"] == ExportJob.Kind.FHIR else 1)
        with tqdm(total=total, unit="row", desc=options["kind"], file=cast(TextIO, self.stderr._out)) as bar:

            def progress(done: int) -> None:
                bar.update(done - bar.n)

            count = write_export(options["kind"], user=None, filters=filters, path=path, progress=progress)
        record(
            action=f"export.{options['kind']}",
            actor_label="manage.py export_outcomes",
            clinic_id=clinic.pk,
            details={"rows": count, "command": True, **filter_params(filters)},
        )
        self.stdout.write(f"Wrote {count} rows to {path}")
