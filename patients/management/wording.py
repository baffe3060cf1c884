"""What the commands that load a clinic's licensed wording share (`load_odi_wording`, `load_belief_wording`):
the file, the clinic (id or slug) and the language, the JSON read, and a refusal that names each bad field. The
services load all or nothing, so a bad file changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from clinics.models import Clinic


class WordingCommand(BaseCommand):
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
        try:
            done = self.load(file, found, language, data)
        except ValidationError as exc:
            messages = "; ".join(f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items())
            raise CommandError(f"{file}: {messages}") from None
        self.stdout.write(self.style.SUCCESS(done))

    def load(self, file: Path, clinic: Clinic, language: str, data: Any) -> str:
        """Load the file's `data` for the clinic and language; the line that says what was loaded."""
        raise NotImplementedError
