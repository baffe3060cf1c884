from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from clinics.models import Clinic
from patients import services
from patients.management.wording import WordingCommand


class Command(WordingCommand):
    help = (
        "Load a clinic's licensed belief questionnaire wording in one language from a JSON file: "
        '{"version": "name-of-the-wording", "items": [{"item": "consequences", "question": "...", '
        '"low_label": "what 0 means", "high_label": "what 10 means"}, ...]} with the four items consequences, '
        "personal_control, treatment_control and concern. Replaces that clinic's wording in that language; a bad "
        "file changes nothing."
    )

    def load(self, file: Path, clinic: Clinic, language: str, data: Any) -> str:
        if not isinstance(data, dict) or set(data) != {"version", "items"}:
            raise CommandError(f"{file}: give an object with exactly: version, items.")
        rows = services.load_belief_wording(
            clinic=clinic, language=language, version=data["version"], items=data["items"]
        )
        return f"Loaded {len(rows)} belief items ({rows[0].version}) for {clinic} in {language}."
