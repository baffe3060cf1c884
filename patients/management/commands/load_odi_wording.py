from __future__ import annotations

from pathlib import Path
from typing import Any

from clinics.models import Clinic
from patients import services
from patients.management.wording import WordingCommand


class Command(WordingCommand):
    help = (
        "Load a clinic's licensed ODI wording in one language from a JSON file: a list of the ten sections, "
        'each {"section": 1, "title": "...", "options": [six statements, for answers 0 to 5]}. Replaces that '
        "clinic's wording in that language; a bad file changes nothing."
    )

    def load(self, file: Path, clinic: Clinic, language: str, data: Any) -> str:
        rows = services.load_odi_wording(clinic=clinic, language=language, sections=data)
        return f"Loaded {len(rows)} ODI sections for {clinic} in {language}."
