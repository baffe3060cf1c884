from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from cft.arguments import whole_number
from cft.db import analyze
from patients.demo import seed


class Command(BaseCommand):
    help = "Create (idempotently) two demo clinics with staff, patients on CFT programs and weekly check-ins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--patients", type=whole_number(1, 1_000_000), default=12, help="Patients in the first clinic (default 12)."
        )
        parser.add_argument(
            "--weeks", type=whole_number(1, 52), default=16, help="Most weeks of check-ins per patient (1-52)."
        )
        parser.add_argument(
            "--seed", type=whole_number(0, 2**32 - 1), default=42, help="Random seed, for repeatable data."
        )

    def handle(self, *args: object, **options: int) -> None:
        with tqdm(total=options["patients"], unit="patients", disable=options["patients"] <= 200) as bar:
            logins = seed(
                password=settings.DEMO_PASSWORD,
                patients_per_clinic=options["patients"],
                max_weeks=options["weeks"],
                seed_value=options["seed"],
                progress=bar.update,
            )
        analyze()  # the planner's statistics for what was just loaded
        self.stdout.write(self.style.SUCCESS("Demo data ready. Logins (password from DEMO_PASSWORD):"))
        for login in logins:
            self.stdout.write(f"  {login.username:<20} {login.role:<13} {login.clinic}")
