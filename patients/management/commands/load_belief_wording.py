from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from clinics.models import Clinic
from patients import services


class Command(BaseCommand):
    help = (
        "Load a clinic's licensed belief questionnaire wording in one language from a JSON file: "
        '{"version": "name-of-the-wording", "items": [{"item": "consequences", "question": "...", '
        '"low_label": "what 0 means", "high_label": "what 10 means"}, ...]} with the four items consequences, '
        "personal_control, treatment_control and concern. Replaces that clinic's wording in that language; a bad "
        "file changes nothing."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--clinic", required=True, help="The clinic's id or slug.")
        parser.add_argument("--language", default=settings.LANGUAGE_CODE, choices=list(dict(settings.LANGUAGES)))

    def handle(self, *args: Any, file: Path, clinic: str, language: str, **options: Any) -> None:
        found = Clinic.objects.filter(**({"pk": int(clinic)} if clinic.isdigit() else {"slug": clinic})).first()
        if found is None:
            raise CommandError(f"--clinic: no clinic {clinic!r}.")
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"{file}: {exc}") from None
        if not isinstance(data, dict) or set(data) != {"version", "items"}:
            raise CommandError(f"{file}: give an object with exactly: version, items.")
        try:
            rows = services.load_belief_wording(
                clinic=found, language=language, version=data["version"], items=data["items"]
            )
        except ValidationError as exc:
            messages = "; ".join(f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items())
            raise CommandError(f"{file}: {messages}") from None
        self.stdout.write(
            self.style.SUCCESS(f"Loaded {len(rows)} belief items ({rows[0].version}) for {found} in {language}.")
        )
