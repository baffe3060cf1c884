"""What the commands that load a clinic's licensed wording share (`load_odi_wording`, `load_belief_wording`):
the file, the clinic (id or slug) and the language, the JSON read, and a refusal that names each bad field. The
services load all or nothing, so a bad file changes nothing. A file too large or nested too deep for wording is
refused by name before anything walks it (a 100,000-deep array would exhaust Python's recursion)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from clinics.models import Clinic

MAX_FILE_BYTES = 1024 * 1024  # ten ODI sections or four belief items in one language are a few KiB
MAX_DEPTH = 8  # lists and objects inside each other; a wording file has 3 (a list, of objects, of lists)


def nested_deeper_than(data: Any, limit: int) -> bool:
    """Whether JSON `data` has more than `limit` lists and objects inside each other (walked without recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if not isinstance(value, (dict, list)):
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in (value.values() if isinstance(value, dict) else value))
    return False


def read_json(file: Path) -> Any:
    """The file's JSON, or a CommandError naming the file: unreadable, too large, not JSON or nested too deep."""
    try:
        with file.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)  # never more, whatever the file is (a device, a pipe)
    except OSError as exc:
        raise CommandError(f"{file}: {exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise CommandError(f"{file}: the file is larger than {MAX_FILE_BYTES // 1024} KiB; no wording file is.")
    too_deep = f"{file}: the JSON is nested more than {MAX_DEPTH} levels deep; a wording file has 3."
    try:
        data = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise CommandError(too_deep) from None
    except ValueError as exc:  # not UTF-8, or not JSON
        raise CommandError(f"{file}: {exc}") from None
    if nested_deeper_than(data, MAX_DEPTH):
        raise CommandError(too_deep)
    return data


class WordingCommand(BaseCommand):
    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--clinic", required=True, help="The clinic's id or slug.")
        parser.add_argument("--language", default=settings.LANGUAGE_CODE, choices=list(dict(settings.LANGUAGES)))

    def handle(self, *args: Any, file: Path, clinic: str, language: str, **options: Any) -> None:
        found = Clinic.objects.filter(**({"pk": int(clinic)} if clinic.isdigit() else {"slug": clinic})).first()
        if found is None:
            raise CommandError(f"--clinic: no clinic {clinic!r}.")
        data = read_json(file)
        try:
            done = self.load(file, found, language, data)
        except ValidationError as exc:
            messages = "; ".join(f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items())
            raise CommandError(f"{file}: {messages}") from None
        self.stdout.write(self.style.SUCCESS(done))

    def load(self, file: Path, clinic: Clinic, language: str, data: Any) -> str:
        """Load the file's `data` for the clinic and language; the line that says what was loaded."""
        raise NotImplementedError
