"""A clinic's licensed ODI wording per language (`services.load_odi_wording`, `manage.py load_odi_wording`):
the patient's form shows the clinic's wording in the patient's language, else the clinic's in the default
language, else our placeholder in the patient's language. Bad wording names the field and changes nothing."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation

from audit.models import AuditEvent
from patients import links, services
from patients.forms import odi_sections
from patients.models import OdiWording
from patients.scoring import ODI_SECTIONS
from tests.factories import patient_on_program

pytestmark = pytest.mark.django_db


def _wording(prefix: str) -> list[dict[str, object]]:
    return [
        {"section": n, "title": f"{prefix} {title}", "options": [f"{prefix} s{n} a{i}" for i in range(6)]}
        for n, title in enumerate(ODI_SECTIONS, start=1)
    ]


def _page(patient) -> str:
    client = Client()
    client.post(f"/checkin/{links.issue_token(patient)}/")
    return client.get("/checkin/").content.decode()


def test_each_patient_sees_the_clinics_licensed_wording_in_their_own_language():
    english = patient_on_program(weeks_ago=2)
    norwegian = patient_on_program(weeks_ago=2, clinic=english.clinic, language="nb")
    services.load_odi_wording(clinic=english.clinic, language="en-gb", sections=_wording("EN"))
    services.load_odi_wording(clinic=english.clinic, language="nb", sections=_wording("NB"))

    english_page, norwegian_page = _page(english), _page(norwegian)
    assert "EN s4 a3" in english_page and "NB s" not in english_page
    assert "NB s4 a3" in norwegian_page and "EN s" not in norwegian_page
    assert "placeholder wording" not in english_page and "midlertidig ordlyd" not in norwegian_page


def test_without_wording_in_the_patients_language_the_clinics_licensed_default_comes_before_the_placeholder():
    patient = patient_on_program(weeks_ago=2, language="nb")
    with translation.override("nb"):
        assert odi_sections(patient.clinic_id, "nb")[0].title == "Smerteintensitet"  # our placeholder, translated
        services.load_odi_wording(clinic=patient.clinic, language="en-gb", sections=_wording("EN"))
        sections = odi_sections(patient.clinic_id, "nb")
    assert [s.number for s in sections] == list(range(1, 11))
    assert all(s.title.startswith("EN ") for s in sections)


def test_another_clinics_wording_never_reaches_a_patient():
    patient = patient_on_program(weeks_ago=2)
    other = patient_on_program(weeks_ago=2)
    services.load_odi_wording(clinic=other.clinic, language="en-gb", sections=_wording("OTHER"))
    assert "OTHER" not in _page(patient)


def test_loading_again_replaces_that_language_only():
    patient = patient_on_program(weeks_ago=2)
    services.load_odi_wording(clinic=patient.clinic, language="en-gb", sections=_wording("OLD"))
    services.load_odi_wording(clinic=patient.clinic, language="nb", sections=_wording("NB"))
    services.load_odi_wording(clinic=patient.clinic, language="en-gb", sections=_wording("NEW"))
    titles = set(OdiWording.objects.filter(clinic=patient.clinic).values_list("language", "title"))
    assert {t for lang, t in titles if lang == "en-gb"} == {f"NEW {title}" for title in ODI_SECTIONS}
    assert len([t for lang, t in titles if lang == "nb"]) == 10
    event = AuditEvent.objects.filter(action="odi_wording.load").latest("pk")
    assert event.clinic_id == patient.clinic_id and event.details == {"language": "en-gb"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda w: w[:9], "sections"),
        (lambda w: [*w[:9], {**w[9], "section": 1}], "sections[9].section"),
        (lambda w: [*w[:3], {**w[3], "options": w[3]["options"][:5]}, *w[4:]], "sections[3].options"),
        (lambda w: [*w[:2], {**w[2], "title": "  "}, *w[3:]], "sections[2].title"),
        (lambda w: [*w[:2], {**w[2], "options": ["ok"] * 5 + [7]}, *w[3:]], "sections[2].options[5]"),
        (lambda w: [*w[:1], {**w[1], "extra": 1}, *w[2:]], "sections[1]"),
    ],
)
def test_bad_wording_names_the_field_and_leaves_the_loaded_wording_as_it_was(change, field):
    patient = patient_on_program(weeks_ago=2)
    services.load_odi_wording(clinic=patient.clinic, language="en-gb", sections=_wording("KEPT"))
    with pytest.raises(ValidationError) as caught:
        services.load_odi_wording(clinic=patient.clinic, language="en-gb", sections=change(_wording("BAD")))
    assert list(caught.value.message_dict) == [field]
    assert set(OdiWording.objects.filter(clinic=patient.clinic).values_list("title", flat=True)) == {
        f"KEPT {title}" for title in ODI_SECTIONS
    }


def test_an_unknown_language_is_refused_by_name():
    patient = patient_on_program(weeks_ago=2)
    with pytest.raises(ValidationError) as caught:
        services.load_odi_wording(clinic=patient.clinic, language="sv", sections=_wording("SV"))
    assert list(caught.value.message_dict) == ["language"]


def test_the_command_loads_a_file_and_reports_a_bad_one_by_field(tmp_path):
    patient = patient_on_program(weeks_ago=2, language="nb")
    good = tmp_path / "odi-nb.json"
    good.write_text(json.dumps(_wording("LISENS")), encoding="utf-8")
    call_command("load_odi_wording", str(good), clinic=patient.clinic.slug, language="nb")
    assert "LISENS s1 a0" in _page(patient)

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_wording("X")[:4]), encoding="utf-8")
    with pytest.raises(CommandError, match=r"sections: Give the 10 sections"):
        call_command("load_odi_wording", str(bad), clinic=str(patient.clinic.pk), language="nb")
    with pytest.raises(CommandError, match="--clinic: no clinic"):
        call_command("load_odi_wording", str(good), clinic="nowhere")
