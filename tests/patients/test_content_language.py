"""The patient's program content in their language (`patients.content`): the built-in library in Norwegian for a
Norwegian patient on the check-in and program pages; a clinic's item with no text in the patient's language is
shown in its own, with a note saying so in the patient's language."""

from __future__ import annotations

import pytest
from django.test import Client

from patients import links
from patients.content import in_language
from patients.models import RED_FLAGS, AssignmentItem, CheckIn, Patient
from patients.plans import episode_items
from programs import services as library
from programs.models import CopingStrategyTranslation, GradedActivityTranslation, Program
from tests.factories import ClinicFactory, patient_on_program, walking_activity

pytestmark = pytest.mark.django_db

NOTE_NB = "Ikke tilgjengelig på norsk ennå; vises på engelsk."


def _signed_in(patient: Patient) -> Client:
    client = Client()
    assert client.post(f"/checkin/{links.issue_token(patient)}/").status_code == 302
    return client


def _clinic_program(clinic, *, translated: bool = False, language: str = "en-gb") -> Program:
    """A clinic's program of one narrative, one coping strategy and one activity, written in `language`; with
    `translated`, each also has a Norwegian text."""
    narrative = library.create_narrative(
        clinic=clinic, title="Our story", body="Our **own** story.", key_messages="Keep moving.", language=language
    )
    strategy = library.create_coping_strategy(
        clinic=clinic, title="Our breathing", instructions="Breathe out slowly.", language=language
    )
    activity = walking_activity(clinic=clinic, title="Our walk", activity="Walking outdoors", language=language)
    if translated:
        library.translate_narrative(
            narrative=narrative, language="nb", title="Vår fortelling", body="Vår **egen** fortelling.",
            key_messages="Hold deg i bevegelse.",
        )  # fmt: skip
        CopingStrategyTranslation.objects.create(
            coping_strategy=strategy, language="nb", title="Vår pust", instructions="Pust rolig ut."
        )
        GradedActivityTranslation.objects.create(
            graded_activity=activity, language="nb", title="Vår tur", activity="Gå ute"
        )
    return library.create_program(
        clinic=clinic, title="Ours", items=[{"component": c} for c in (narrative, strategy, activity)]
    )


@pytest.fixture
def nb_patient() -> Patient:
    return patient_on_program(weeks_ago=4, language="nb")  # the built-in persistent-pain program, week 5


def test_the_builtin_program_page_is_in_norwegian_for_a_norwegian_patient(nb_patient):
    page = _signed_in(nb_patient).get("/checkin/program/").content.decode()
    # this week's narrative, its body and key messages
    assert "Stress, søvn og smerte" in page and "Dårlig søvn, bekymring, nedstemthet og stress" in page
    assert "Søvn og stress påvirker hvor mye smerte du kjenner." in page
    # the coping strategies in full
    assert "Avslappet pust" in page and "Pust rolig ned i magen" in page
    assert "Når du merker at du spenner deg eller holder pusten" in page
    assert "Plan for oppblussing" in page and "Avslappet foroverbøying" in page
    # the activities' names; the goals as before
    assert "Gå tur" in page and "Reise seg fra stol" in page and "Mål: <strong>21 minutter</strong>" in page
    # the narratives of earlier weeks
    earlier = page.split('id="earlier-title"')[1]
    assert "Vondt betyr ikke skade" in earlier and "Ryggen din er sterk" in earlier
    for english in ("Stress, sleep and pain", "Relaxed breathing", "Breathe slowly", "Walking", "Hurt does not"):
        assert english not in page
    assert "fallback-note" not in page


def test_the_builtin_check_in_page_is_in_norwegian_for_a_norwegian_patient(nb_patient):
    page = _signed_in(nb_patient).get("/checkin/").content.decode()
    assert "Stress, søvn og smerte" in page and "Små endringer, som å legge deg til faste tider" in page
    assert "Gå tur: hvor mange minutter" in page
    assert "Avslappet pust" in page and "Avslappet foroverbøying" in page
    for english in ("Stress, sleep and pain", "Relaxed breathing", "Walking", "Sit to stand"):
        assert english not in page
    assert "fallback-note" not in page


def test_a_norwegian_patients_check_in_is_stored_against_their_own_items(nb_patient):
    client = _signed_in(nb_patient)
    items = {item.title: item.pk for item in episode_items(nb_patient.current_episode())}
    data = {f"odi[{i}]": "2" for i in range(10)} | {f"red_flags.{key}": "no" for key in RED_FLAGS}
    data |= {"pain_nrs": "5", "activities[0].done": "21", "coping[0].used": "yes", "coping[0].helpful": "7"}
    assert client.post("/checkin/", data).status_code == 302
    saved = CheckIn.objects.get(patient=nb_patient, week=5)
    assert saved.activities[0]["item"] == items["Walking"]
    assert saved.coping[0]["item"] == items["Relaxed breathing"]
    # the plan the patient has is still the library's English copy: only what is shown is in Norwegian
    assert set(items) >= {"Walking", "Relaxed breathing", "Stress, sleep and pain"}


def test_a_clinic_item_without_norwegian_text_is_shown_in_english_with_a_note(db):
    clinic = ClinicFactory()
    patient = patient_on_program(clinic=clinic, program=_clinic_program(clinic), weeks_ago=0, language="nb")
    client = _signed_in(patient)
    program = client.get("/checkin/program/").content.decode()
    assert "Programmet ditt, uke 1" in program  # the page itself in Norwegian
    assert program.count(NOTE_NB) == 3  # the narrative, the coping strategy, the activity
    assert '<h3 lang="en-GB">Our story</h3>' in program
    assert '<div class="narrative-text" lang="en-GB"><p>Our <strong>own</strong> story.</p></div>' in program
    assert '<h3 lang="en-GB">Our breathing</h3>' in program
    assert '<span class="goal-title" lang="en-GB">Our walk</span>' in program
    checkin = client.get("/checkin/").content.decode()
    assert checkin.count(NOTE_NB) == 3
    assert "Our walk: hvor mange minutter" in checkin


def test_a_clinic_item_with_norwegian_text_is_shown_in_norwegian(db):
    clinic = ClinicFactory()
    program = _clinic_program(clinic, translated=True)
    patient = patient_on_program(clinic=clinic, program=program, weeks_ago=0, language="nb")
    page = _signed_in(patient).get("/checkin/program/").content.decode()
    assert "Vår fortelling" in page and "Vår <strong>egen</strong> fortelling." in page
    assert "Hold deg i bevegelse." in page
    assert "Vår pust" in page and "Pust rolig ut." in page and "Vår tur" in page
    assert "Our story" not in page and "Our breathing" not in page and "Our walk" not in page
    assert NOTE_NB not in page


def test_an_english_patient_keeps_the_english_text_and_no_note(db):
    clinic = ClinicFactory()
    program = _clinic_program(clinic, translated=True)
    patient = patient_on_program(clinic=clinic, program=program, weeks_ago=0)
    page = _signed_in(patient).get("/checkin/program/").content.decode()
    assert "Our story" in page and "Our breathing" in page and "Our walk" in page
    assert "Vår" not in page and "fallback-note" not in page


def test_content_written_in_norwegian_falls_back_for_an_english_patient_with_an_english_note(db):
    clinic = ClinicFactory()
    program = _clinic_program(clinic, language="nb")
    patient = patient_on_program(clinic=clinic, program=program, weeks_ago=0)
    page = _signed_in(patient).get("/checkin/program/").content.decode()
    assert page.count("Not yet available in English; shown in Norwegian.") == 3
    assert '<h3 lang="nb">Our story</h3>' in page


def test_the_newest_text_in_the_patients_language_is_shown(db):
    clinic = ClinicFactory()
    program = _clinic_program(clinic, translated=True)
    patient = patient_on_program(clinic=clinic, program=program, weeks_ago=0, language="nb")
    narrative = program.items.get(narrative__isnull=False).narrative
    library.translate_narrative(narrative=narrative, language="nb", title="Vår nye fortelling", body="Ny tekst.")
    page = _signed_in(patient).get("/checkin/program/").content.decode()
    assert "Vår nye fortelling" in page and "Ny tekst." in page and "Vår egen" not in page


def test_display_copies_leave_the_patients_items_as_they_are(nb_patient):
    items = episode_items(nb_patient.current_episode())
    shown = in_language(items, "nb")
    walking = next(i for i in items if i.title == "Walking")
    assert next(i for i in shown if i.pk == walking.pk).title == "Gå tur"
    assert walking.title == "Walking" and AssignmentItem.objects.get(pk=walking.pk).title == "Walking"
    narrative = next(i for i in items if i.kind == "narrative")
    shown_narrative = next(i for i in shown if i.pk == narrative.pk)
    assert shown_narrative.narrative_version.language == "nb" and narrative.narrative_version.language == "en-gb"


def test_an_english_patients_pages_read_no_translations(db, django_assert_num_queries):
    items = episode_items(patient_on_program(weeks_ago=4).current_episode())
    with django_assert_num_queries(0):
        shown = in_language(items, "en-gb")
    assert [i.title for i in shown] == [i.title for i in items]
    assert not any(i.fallback for i in shown)


def test_a_norwegian_plan_costs_one_query_per_kind_of_item(nb_patient, django_assert_num_queries):
    items = episode_items(nb_patient.current_episode())
    with django_assert_num_queries(3):
        in_language(items, "nb")


def test_the_patients_api_gives_the_program_in_their_language_saying_which_each_item_is_in():
    from tests.api.conftest import patient_client

    clinic = ClinicFactory()
    program = _clinic_program(clinic, translated=True)
    patient = patient_on_program(clinic=clinic, program=program, weeks_ago=1, language="nb")
    body = patient_client(patient).get("/api/v1/me/program/").json()
    assert [n["title"] for n in body["narratives"]] == ["Vår fortelling"]
    assert [(c["title"], c["language"]) for c in body["coping"]] == [("Vår pust", "nb")]
    assert [(a["title"], a["language"]) for a in body["activities"]] == [("Vår tur", "nb")]

    untranslated = patient_on_program(clinic=clinic, program=_clinic_program(clinic), weeks_ago=1, language="nb")
    body = patient_client(untranslated).get("/api/v1/me/program/").json()
    assert [(c["title"], c["language"]) for c in body["coping"]] == [("Our breathing", "en-gb")]
