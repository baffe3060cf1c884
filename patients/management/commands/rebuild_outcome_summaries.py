from django.core.management.base import BaseCommand, CommandParser

from cft.arguments import whole_number
from cft.db import analyze
from clinics.models import Clinic
from patients.models import Episode
from patients.summaries import rebuild_outcomes


class Command(BaseCommand):
    help = (
        "Recompute every episode's outcome summary (EpisodeOutcome) from its check-ins and open alerts, in bulk. "
        "Idempotent: run it after a bulk import or to check the stored summaries."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", help="Only this clinic's episodes (its slug).")
        parser.add_argument(
            "--batch-size", type=whole_number(1, 100_000), default=2000, help="Episodes per batch (default 2000)."
        )

    def handle(self, *args: object, **options: object) -> None:
        episodes = Episode.objects.all()
        if options["clinic"]:
            clinic = Clinic.objects.filter(slug=options["clinic"]).first()
            if clinic is None:
                self.stderr.write(f"No clinic with the slug {options['clinic']!r}.")
                raise SystemExit(2)
            episodes = episodes.filter(patient__clinic=clinic)
        done = rebuild_outcomes(episodes, batch_size=int(options["batch_size"]))  # type: ignore[call-overload]  # a transaction per batch
        analyze()  # every summary row rewritten: the planner's figures for it are stale
        self.stdout.write(self.style.SUCCESS(f"Rebuilt the outcome summaries of {done} episodes."))
