"""Library content per language: a component's own text is in its `language`; a narrative's text in another
language is a version in that language, a coping strategy's or an activity's a translation row. The built-in
library has every text in English and Norwegian Bokmål."""

from __future__ import annotations

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from programs import library, services
from programs.models import (
    CopingStrategy,
    CopingStrategyTranslation,
    GradedActivity,
    GradedActivityTranslation,
    Narrative,
    NarrativeVersion,
)
from tests.factories import ClinicFactory

pytestmark = pytest.mark.django_db


def test_every_builtin_text_has_a_norwegian_version_with_the_same_shape():
    assert set(library.NARRATIVES_NB) == set(library.NARRATIVES)
    assert set(library.COPING_NB) == set(library.COPING)
    assert set(library.ACTIVITIES_NB) == set(library.ACTIVITIES)
    for title, (body, messages) in library.NARRATIVES.items():
        nb_title, nb_body, nb_messages = library.NARRATIVES_NB[title]
        assert nb_title and nb_title != title
        assert nb_body.count("\n\n") == body.count("\n\n") and nb_body.count("**") == body.count("**")
        assert len(nb_messages.splitlines()) == len(messages.splitlines())
    for title, (_, when) in library.COPING.items():
        assert bool(library.COPING_NB[title][2]) == bool(when)


def test_the_migration_gave_the_builtin_library_its_norwegian_texts():
    for narrative in Narrative.objects.builtin():
        assert narrative.language == "en-gb"
        assert narrative.current_version().language == "en-gb"  # what a plan pins stays the English text
        norwegian = narrative.current_version("nb")
        assert norwegian.title == library.NARRATIVES_NB[narrative.title][0]
        assert norwegian.body == library.NARRATIVES_NB[narrative.title][1]
    assert CopingStrategyTranslation.objects.filter(language="nb").count() == len(library.COPING)
    walking = GradedActivityTranslation.objects.get(graded_activity__title="Walking", language="nb")
    assert (walking.title, walking.activity) == ("Gå tur", "Gå i et behagelig tempo")


def test_loading_the_translations_again_changes_nothing():
    before = NarrativeVersion.objects.count(), CopingStrategyTranslation.objects.count()
    library.load_translations(django_apps)
    assert (NarrativeVersion.objects.count(), CopingStrategyTranslation.objects.count()) == before


def test_a_narrative_translation_is_a_new_version_in_its_language():
    narrative = services.create_narrative(clinic=ClinicFactory(), title="Pain", body="English text")
    version = services.translate_narrative(narrative=narrative, language="nb", title="Smerte", body="Norsk tekst")
    assert (version.version, version.language, version.title) == (2, "nb", "Smerte")
    services.edit_narrative(narrative=narrative, body="English text, second")
    assert narrative.current_version().body == "English text, second"
    assert narrative.current_version("nb").body == "Norsk tekst"


def test_a_narrative_written_in_norwegian_pins_its_norwegian_text():
    narrative = services.create_narrative(clinic=ClinicFactory(), title="Smerte", body="Norsk", language="nb")
    assert narrative.language == "nb" and narrative.current_version().language == "nb"


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"language": "en-gb", "title": "T", "body": "B"}, {"language"}),
        ({"language": "de", "title": "T", "body": "B"}, {"language"}),
        ({"language": "nb", "title": " ", "body": ""}, {"title", "body"}),
    ],
)
def test_a_bad_narrative_translation_names_the_field_and_saves_nothing(fields, errors):
    narrative = services.create_narrative(clinic=ClinicFactory(), title="Pain", body="English text")
    with pytest.raises(ValidationError) as caught:
        services.translate_narrative(narrative=narrative, **fields)
    assert set(caught.value.message_dict) == errors
    assert narrative.versions.count() == 1


def test_the_same_language_twice_is_refused_by_the_database():
    strategy = services.create_coping_strategy(clinic=None, title="Breathe", instructions="Breathe slowly.")
    CopingStrategyTranslation.objects.create(coping_strategy=strategy, language="nb", title="Pust", instructions="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        CopingStrategyTranslation.objects.create(
            coping_strategy=strategy, language="nb", title="Pust", instructions="y"
        )


def test_components_can_be_written_in_norwegian():
    strategy = services.create_coping_strategy(clinic=None, title="Pust", instructions="Pust rolig.", language="nb")
    activity = services.create_graded_activity(
        clinic=None, title="Gå", activity="Gå", unit="minutes", baseline="5", increase="10", goal="20", language="nb"
    )
    assert CopingStrategy.objects.get(pk=strategy.pk).language == "nb"
    assert GradedActivity.objects.get(pk=activity.pk).language == "nb"
