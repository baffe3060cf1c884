"""The wording commands (`load_odi_wording`, `load_belief_wording`) refuse a file too large or nested too deep with
one line naming the file, before anything walks it, and load nothing."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from patients.management.wording import MAX_DEPTH, MAX_FILE_BYTES, nested_deeper_than
from patients.models import BeliefWording, OdiWording
from tests.factories import ClinicFactory

pytestmark = pytest.mark.django_db

COMMANDS = ["load_odi_wording", "load_belief_wording"]


def _refusal(command: str, file, clinic) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError) as caught:
        call_command(command, str(file), clinic=clinic.slug, language="en")
    assert not OdiWording.objects.filter(clinic=clinic).exists()
    assert not BeliefWording.objects.filter(clinic=clinic).exists()
    return str(caught.value)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_json_file_100000_levels_deep_is_refused_by_name(command, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    message = _refusal(command, deep, ClinicFactory())
    assert message == f"{deep}: the JSON is nested more than {MAX_DEPTH} levels deep; a wording file has 3."


@pytest.mark.parametrize("command", COMMANDS)
def test_json_deeper_than_wording_but_parseable_is_refused_too(command, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text(json.dumps({"version": "v", "items": [[[[[[[[["x"]]]]]]]]]}), encoding="utf-8")
    assert "nested more than" in _refusal(command, deep, ClinicFactory())


@pytest.mark.parametrize("command", COMMANDS)
def test_a_huge_file_is_refused_by_name_without_being_read_whole(command, tmp_path):
    huge = tmp_path / "huge.json"
    huge.write_text(json.dumps(["x" * (MAX_FILE_BYTES + 1)]), encoding="utf-8")
    assert _refusal(command, huge, ClinicFactory()) == f"{huge}: the file is larger than 1024 KiB; no wording file is."


def test_the_depth_of_wording_itself_is_within_the_limit():
    odi = [{"section": 1, "title": "t", "options": ["a", "b"]}]
    beliefs = {"version": "v", "items": [{"item": "concern", "question": "q"}]}
    assert not nested_deeper_than(odi, 3) and not nested_deeper_than(beliefs, 3)
    assert nested_deeper_than(odi, 2) and nested_deeper_than([[[]]], 2) and not nested_deeper_than([[[]]], 3)
