"""Narratives tagged with the beliefs they address (programs.models.Belief): the tags are the check-in's belief
items, validated wherever they are written, editable in the narrative admin, and the built-in library has a
narrative for every belief."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from patients import beliefs
from programs import library
from programs.models import Belief, Narrative, clean_beliefs
from programs.services import create_narrative, set_narrative_beliefs


def test_the_tags_are_the_checkin_belief_items():
    assert tuple(Belief.values) == beliefs.ITEMS


def test_tags_are_stored_once_each_in_item_order():
    assert clean_beliefs(["concern", "consequences", "concern"]) == ["consequences", "concern"]


@pytest.mark.parametrize("value", [["worry"], "concern", [3], {"concern": True}])
def test_an_unknown_tag_is_refused_naming_the_field(value):
    with pytest.raises(ValidationError) as caught:
        clean_beliefs(value)
    assert set(caught.value.message_dict) == {"beliefs"}


def test_the_service_refuses_a_bad_tag_and_creates_nothing(db):
    with pytest.raises(ValidationError) as caught:
        create_narrative(clinic=None, title="Odd", body="x", beliefs=["fear"])
    assert caught.value.message_dict == {"beliefs": ["Not a belief item: fear."]}
    assert not Narrative.objects.filter(title="Odd").exists()


def test_the_model_validator_refuses_a_bad_tag(db):
    narrative = Narrative(title="Odd", beliefs=["consequences", "fear"])
    with pytest.raises(ValidationError) as caught:
        narrative.full_clean()
    assert "beliefs" in caught.value.message_dict


def test_retagging_keeps_the_version(db):
    narrative = create_narrative(clinic=None, title="Story", body="x", beliefs=["concern"])
    set_narrative_beliefs(narrative=narrative, beliefs=["treatment_control"])
    narrative.refresh_from_db()
    assert narrative.beliefs == ["treatment_control"] and narrative.versions.count() == 1


def test_the_builtin_library_has_a_narrative_for_every_belief(db):
    tagged = {item for n in Narrative.objects.builtin() for item in n.beliefs}
    assert tagged == set(beliefs.ITEMS)
    for item in beliefs.ITEMS:
        only = [n.title for n in Narrative.objects.builtin() if n.beliefs == [item]]
        assert only, f"no narrative written for {item} alone"


def test_every_builtin_narrative_is_tagged_by_the_migration(db):
    builtin = Narrative.objects.builtin()
    assert {n.title for n in builtin} == set(library.NARRATIVES)
    assert all(n.beliefs == clean_beliefs(library.NARRATIVE_BELIEFS[n.title]) for n in builtin)
    assert set(library.NARRATIVE_BELIEFS) == set(library.NARRATIVES)


def _form(clinic_pk: int, **extra: object) -> dict[str, object]:
    return {
        "clinic": clinic_pk,
        "title": "Moving helps",
        "language": "en-gb",
        "body": "Text",
        "key_messages": "",
        "versions-TOTAL_FORMS": 0,
        "versions-INITIAL_FORMS": 0,
        "versions-MIN_NUM_FORMS": 0,
        "versions-MAX_NUM_FORMS": 1000,
        **extra,
    }


def test_a_therapist_tags_a_narrative_in_the_admin(client, two_clinics):
    client.force_login(two_clinics.tess)
    response = client.post(
        reverse("admin:programs_narrative_add"), _form(two_clinics.alpha.pk, beliefs=["concern", "consequences"])
    )
    assert response.status_code == 302
    narrative = Narrative.objects.get(title="Moving helps")
    assert narrative.beliefs == ["consequences", "concern"]
    url = reverse("admin:programs_narrative_change", args=[narrative.pk])
    page = client.get(url).content.decode()
    assert 'name="beliefs" value="concern"' in page and "checked" in page
    response = client.post(url, _form(two_clinics.alpha.pk, beliefs=["personal_control"]))
    assert response.status_code == 302
    narrative.refresh_from_db()
    assert narrative.beliefs == ["personal_control"] and narrative.versions.count() == 1


def test_the_admin_refuses_an_unknown_tag(client, two_clinics):
    client.force_login(two_clinics.tess)
    response = client.post(reverse("admin:programs_narrative_add"), _form(two_clinics.alpha.pk, beliefs=["fear"]))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Narrative.objects.filter(title="Moving helps").exists()
