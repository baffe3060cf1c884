"""A clinic enters its own narratives, coping strategies and activities in more than one language in the program
admin, and the tailoring page warns when a patient's plan has an item with no text in the patient's language."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from patients.models import Assignment
from programs import services as library
from programs.models import CopingStrategy, CopingStrategyTranslation, GradedActivityTranslation, Narrative
from tests.factories import patient_on_program, walking_activity


def _management(prefix: str, total: int = 0, initial: int = 0) -> dict[str, Any]:
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


def _narrative_form(narrative: Narrative, **translation: str) -> dict[str, Any]:
    version = narrative.current_version()
    return {
        "clinic": narrative.clinic_id,
        "title": narrative.title,
        "body": version.body,
        "key_messages": version.key_messages,
        **_management("versions", 1, 1),
        "versions-0-id": version.pk,
        "versions-0-narrative": narrative.pk,
        **{f"translation_{name}": value for name, value in translation.items()},
    }


@pytest.fixture
def story(world) -> Narrative:  # type: ignore[no-untyped-def]
    return library.create_narrative(clinic=world.alpha, title="Moving helps", body="Moving helps your back.")


def test_a_therapist_adds_the_norwegian_text_of_a_narrative(tess_client, story):
    url = reverse("admin:programs_narrative_change", args=[story.pk])
    page = tess_client.get(url).content.decode()
    assert "Text in another language" in page and '<option value="nb" selected>' in page
    form = _narrative_form(story, language="nb", title="Bevegelse hjelper", body="Bevegelse hjelper ryggen.")
    response = tess_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    norwegian = story.current_version("nb")
    assert (norwegian.title, norwegian.body, norwegian.version) == ("Bevegelse hjelper", "Bevegelse hjelper ryggen.", 2)
    assert story.current_version().body == "Moving helps your back."  # the English text, still what plans pin
    # Saved again unchanged, the form adds no version; changed, it adds the next one.
    assert tess_client.get(url).context["adminform"].form["translation_body"].initial == "Bevegelse hjelper ryggen."
    assert tess_client.post(url, form).status_code == 302
    assert story.versions.count() == 2
    form["translation_body"] = "Å bevege seg hjelper ryggen."
    assert tess_client.post(url, form).status_code == 302
    assert story.current_version("nb").body == "Å bevege seg hjelper ryggen." and story.versions.count() == 3


@pytest.mark.parametrize(
    ("translation", "field", "message"),
    [
        ({"language": "nb", "title": "Bevegelse hjelper"}, "translation_body", "Write the text in the other language."),
        ({"language": "nb", "body": "Tekst"}, "translation_title", "Give the title in the other language."),
        (
            {"language": "en-gb", "title": "Moving", "body": "Text"},
            "translation_language",
            "The narrative is written in English: choose another language.",
        ),
    ],
)
def test_a_bad_narrative_translation_is_refused_at_its_field_and_nothing_is_saved(
    tess_client, story, translation, field, message
):
    url = reverse("admin:programs_narrative_change", args=[story.pk])
    form = _narrative_form(story, **translation)
    form["body"] = "A changed English text"
    response = tess_client.post(url, form)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [message]
    label = response.context["adminform"].form[field].label
    assert f">{label}:</label>" in response.content.decode()
    assert story.versions.count() == 1


def test_a_narrative_written_in_norwegian_is_added_with_its_language(tess_client, world):
    form = {"clinic": world.alpha.pk, "title": "Bevegelse", "language": "nb", "body": "Tekst", "key_messages": ""}
    response = tess_client.post(reverse("admin:programs_narrative_add"), {**form, **_management("versions")})
    assert response.status_code == 302
    narrative = Narrative.objects.get(title="Bevegelse")
    assert narrative.language == "nb" and narrative.current_version().language == "nb"


def _coping_form(world, **extra: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {
        "clinic": world.alpha.pk,
        "title": "Shoulder drop",
        "language": "en-gb",
        "instructions": "Let your shoulders drop.",
        "when_to_use": "",
        **_management("translations", 1),
        **extra,
    }


def test_a_coping_strategy_is_added_with_its_norwegian_text(tess_client, world):
    page = tess_client.get(reverse("admin:programs_copingstrategy_add")).content.decode()
    assert "Text in another language" in page  # the heading: one other language is offered
    form = _coping_form(
        world,
        **{
            "translations-0-language": "nb",
            "translations-0-title": "Senk skuldrene",
            "translations-0-instructions": "La skuldrene synke.",
        },
    )
    response = tess_client.post(reverse("admin:programs_copingstrategy_add"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    text = CopingStrategyTranslation.objects.get(coping_strategy__title="Shoulder drop")
    assert (text.language, text.title, text.instructions) == ("nb", "Senk skuldrene", "La skuldrene synke.")


def test_a_translation_in_the_strategys_own_language_names_the_field_and_saves_nothing(tess_client, world):
    form = _coping_form(
        world,
        **{
            "translations-0-language": "en-gb",
            "translations-0-title": "Shoulders",
            "translations-0-instructions": "Drop them.",
        },
    )
    response = tess_client.post(reverse("admin:programs_copingstrategy_add"), form)
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors
    assert errors[0]["language"] == ["The text above is in English: choose another language for this one."]
    assert not CopingStrategy.objects.filter(title="Shoulder drop").exists()


def test_an_activitys_norwegian_words_are_added_in_its_page(tess_client, world):
    activity = walking_activity(clinic=world.alpha, title="Our walk")
    url = reverse("admin:programs_gradedactivity_change", args=[activity.pk])
    form = {
        "clinic": world.alpha.pk,
        "title": "Our walk",
        "language": "en-gb",
        "activity": "Walking",
        "unit": "minutes",
        "baseline": "10",
        "increase_kind": "percent",
        "increase": "20",
        "goal": "30",
        "flare_margin": 2,
        "flare_response": "hold",
        **_management("translations", 1),
        "translations-0-language": "nb",
        "translations-0-title": "Vår tur",
        "translations-0-activity": "Gå",
    }
    assert tess_client.post(url, form).status_code == 302
    assert GradedActivityTranslation.objects.get(graded_activity=activity).title == "Vår tur"


def test_the_builtin_strategies_show_their_norwegian_text_read_only(tess_client):
    breathing = CopingStrategy.objects.builtin().get(title="Relaxed breathing")
    page = tess_client.get(reverse("admin:programs_copingstrategy_change", args=[breathing.pk])).content.decode()
    assert "Avslappet pust" in page and 'name="translations-0-title"' not in page


# --- the tailoring page ---------------------------------------------------------------------------------------
def _tailor_page(client, patient) -> str:  # type: ignore[no-untyped-def]
    assignment = Assignment.objects.get(episode__patient=patient)
    url = reverse("admin:patients_patient_tailor", args=[patient.pk, assignment.pk])
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_tailoring_page_warns_of_items_with_no_text_in_the_patients_language(tess_client, world):
    strategy = library.create_coping_strategy(clinic=world.alpha, title="Shoulder drop", instructions="Drop them.")
    library.add_program_item(program=world.alpha_program, component=strategy)
    patient = patient_on_program(clinic=world.alpha, program=world.alpha_program, language="nb")
    page = _tailor_page(tess_client, patient)
    warning = page.split('id="language-warning"')[1].split("</div>")[0]
    assert f"Not in {patient}'s language (Norsk bokmål)" in warning
    assert "<li>Shoulder drop: shown in English</li>" in warning
    assert "Relaxed breathing" not in warning  # the built-in library has Norwegian texts


def test_no_warning_when_every_item_is_in_the_patients_language(tess_client, world):
    nb_patient = patient_on_program(clinic=world.alpha, program=world.alpha_program, language="nb")
    assert 'id="language-warning"' not in _tailor_page(tess_client, nb_patient)
    library.add_program_item(
        program=world.alpha_program,
        component=library.create_coping_strategy(clinic=world.alpha, title="Shoulder drop", instructions="Drop."),
    )
    en_patient = patient_on_program(clinic=world.alpha, program=world.alpha_program)
    assert 'id="language-warning"' not in _tailor_page(tess_client, en_patient)
