"""The Norwegian Bokmål catalogue is complete and compiled: every patient-facing string (the templates of the
patient's pages and emails, and every gettext call in our code, which only patient-facing code makes) has a
translation that is not fuzzy and keeps its placeholders, and the committed .mo is the .po compiled. Runs
without GNU gettext: strings are found with Django's own `templatize` and Python's `ast`."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import polib
import pytest
from django.utils.translation.template import templatize

from patients.instruments import SECTION_TITLES
from patients.scoring import ODI_SECTIONS

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "nb" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
PATIENT_TEMPLATES = [
    *sorted((ROOT / "templates" / "patients").glob("*.html")),
    ROOT / "templates" / "reminders" / "pause.html",
    ROOT / "templates" / "reminders" / "email" / "checkin.html",
    ROOT / "templates" / "reminders" / "email" / "checkin.txt",
]
SKIP_DIRS = {".venv", "tests", "var", "bench", "node_modules", "migrations", ".git"}
CALLS = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "pgettext", "pgettext_lazy"}
Key = tuple[str | None, str]


def _python_files() -> list[Path]:
    return [p for p in ROOT.rglob("*.py") if not SKIP_DIRS & set(p.relative_to(ROOT).parts)]


def _python_strings(path: Path) -> set[Key]:
    found: set[Key] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", getattr(node.func, "attr", None))
        args = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if name in CALLS and args:
            found.add((args[0], args[1]) if name.startswith("pgettext") else (None, args[0]))
    return found


STRING = r"u?'(?:\\.|[^'\\])*'"
TEMPLATE_CALL = re.compile(rf"\b(n?p?gettext)\(({STRING})(?:, ({STRING}))?")


def _template_strings(path: Path) -> set[Key]:
    found: set[Key] = set()
    for call, first, second in TEMPLATE_CALL.findall(templatize(path.read_text(), origin=str(path))):
        first = ast.literal_eval(first)
        second = ast.literal_eval(second) if second else None
        found.add((first, second) if call.startswith("p") and second else (None, first))
    return found


def patient_facing_strings() -> set[Key]:
    strings: set[Key] = set()
    for path in _python_files():
        strings |= _python_strings(path)
    for path in PATIENT_TEMPLATES:
        strings |= _template_strings(path)
    return strings


@pytest.fixture(scope="module")
def catalogue() -> polib.POFile:
    return polib.pofile(str(PO))


def test_the_extraction_finds_the_strings_of_pages_emails_and_code():
    strings = patient_facing_strings()
    assert (None, "Start my check-in") in strings  # a template
    assert (None, "Open your check-in") in strings  # an email
    assert (None, "Answer yes or no.") in strings  # a form
    assert ("in the chart's point labels", "week") in strings  # a context
    assert (None, "Please check %(counter)s answer") in strings  # a plural


def test_every_patient_facing_string_has_a_norwegian_translation_that_is_not_fuzzy(catalogue):
    entries = {(e.msgctxt, e.msgid): e for e in catalogue if not e.obsolete}
    missing = sorted(msgid for key in patient_facing_strings() if key not in entries for msgid in [key[1]])
    assert not missing, f"run `make messages` and translate: {missing}"
    fuzzy = [e.msgid for e in entries.values() if "fuzzy" in e.flags]
    assert not fuzzy, f"fuzzy translations in {PO.name}: {fuzzy}"
    untranslated = [e.msgid for e in entries.values() if not e.translated()]
    assert not untranslated, f"untranslated in {PO.name}: {untranslated}"


PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|%s|\{[a-z_]+\}|<[^>]+>")


def test_every_translation_keeps_its_placeholders_and_markup(catalogue):
    for entry in catalogue:
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(entry.msgid)), entry.msgid


def test_the_compiled_catalogue_is_the_po_file_compiled(catalogue):
    def pairs(entries) -> dict:
        return {
            (e.msgctxt, e.msgid): (dict(e.msgstr_plural) if e.msgid_plural else e.msgstr)
            for e in entries
            if e.msgid and not e.obsolete and "fuzzy" not in e.flags
        }

    compiled = {
        k: ({int(i): s for i, s in v.items()} if isinstance(v, dict) else v)
        for k, v in pairs(polib.mofile(str(MO))).items()
    }
    source = {k: ({int(i): s for i, s in v.items()} if isinstance(v, dict) else v) for k, v in pairs(catalogue).items()}
    assert compiled == source, "locale/nb/LC_MESSAGES/django.mo is stale: run `make compilemessages`"


def test_the_marked_odi_titles_are_the_scored_sections():
    assert SECTION_TITLES == ODI_SECTIONS
