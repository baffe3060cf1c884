"""The patient page's "Narratives for these beliefs" panel: the library's narratives tagged with the patient's
highest belief needs (patients.beliefs.highest_needs) and not in the plan, each added to the current program in
one click, audited and scoped to the patient's clinic."""

from __future__ import annotations

import re

from django.db.models import Q
from django.urls import reverse

from audit.models import AuditEvent
from patients import beliefs
from patients.models import AssignmentItem, CheckIn, Patient
from programs.models import Narrative
from programs.services import create_narrative
from tests.admin.conftest import page_of
from tests.factories import checkin


def answer_beliefs(patient: Patient, week: int, **answers: int) -> CheckIn:
    """A check-in of `week` with belief answers (written on the row, as the belief section would store them)."""
    row = checkin(patient, week, 2, 4, by=patient.primary_therapist)  # staff enter the intake (week 0)
    CheckIn.objects.filter(pk=row.pk).update(
        beliefs_version=beliefs.OURS, **{f"belief_{item}": value for item, value in answers.items()}
    )
    return row


def suggested(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'id="suggested-narrative-(\d+)"', page)]


def plan_narratives(patient: Patient, week: int = 5) -> set[int]:
    """The narratives in the patient's plan from `week` on (the world's patients are in week 5)."""
    items = AssignmentItem.objects.filter(assignment__episode__patient=patient, kind="narrative")
    items = items.filter(Q(end_week__isnull=True) | Q(end_week__gte=week))
    return set(items.values_list("narrative_version__narrative_id", flat=True))


def expected(patient: Patient, needs: set[str]) -> set[int]:
    library = Narrative.objects.filter(clinic__isnull=True) | Narrative.objects.filter(clinic=patient.clinic)
    return {n.pk for n in library if needs & set(n.beliefs)} - plan_narratives(patient)


def test_the_suggestions_match_the_highest_beliefs(tess_client, world):
    own = create_narrative(clinic=world.alpha, title="Alpha on control", body="x", beliefs=["personal_control"])
    other = create_narrative(clinic=world.beta, title="Beta on control", body="x", beliefs=["personal_control"])
    # need: consequences 9, personal control 10 - 1 = 9, treatment control 10 - 5 = 5, concern 4
    answer_beliefs(world.alice, 0, consequences=9, personal_control=1, treatment_control=5, concern=4)
    page = page_of(tess_client, world.alice)
    assert "Furthest from where therapy aims: Consequences, Personal control." in page
    shown = suggested(page)
    assert set(shown) == expected(world.alice, {"consequences", "personal_control"})
    assert own.pk in shown and other.pk not in shown
    titles = set(Narrative.objects.filter(pk__in=shown).values_list("title", flat=True))
    assert "Treatment works, and you are part of it" not in titles and "When you worry about your back" not in titles
    assert not plan_narratives(world.alice) & set(shown)
    assert plan_narratives(world.alice)  # the built-in program has narratives of its own: they are left out
    # "Hurt does not mean harm" was in the plan in weeks 1-2 only: past weeks do not hold it back
    assert Narrative.objects.get(title="Hurt does not mean harm").pk in shown


def test_the_latest_belief_answers_decide(tess_client, world):
    answer_beliefs(world.alice, 0, consequences=9, personal_control=1, treatment_control=5, concern=4)
    checkin(world.alice, 2, 2, 4)  # no belief section: the week-0 answers stay the latest
    answer_beliefs(world.alice, 4, consequences=3, personal_control=8, treatment_control=2, concern=3)
    page = page_of(tess_client, world.alice)
    assert "Belief answers in week 4" in page and "Furthest from where therapy aims: Treatment control." in page
    shown = set(suggested(page))
    assert shown == expected(world.alice, {"treatment_control"})
    assert Narrative.objects.get(title="Treatment works, and you are part of it").pk in shown


def test_no_panel_without_belief_answers_and_no_suggestion_without_a_need(tess_client, world):
    checkin(world.alice, 1, 2, 4)
    assert 'id="belief-narratives"' not in page_of(tess_client, world.alice)
    answer_beliefs(world.alice, 4, consequences=0, personal_control=10, treatment_control=10, concern=0)
    page = page_of(tess_client, world.alice)
    assert "nothing to suggest" in page and suggested(page) == []


def test_add_to_plan_adds_the_narrative_to_the_current_program_audited(tess_client, world):
    answer_beliefs(world.alice, 0, consequences=9, personal_control=5, treatment_control=5, concern=2)
    narrative = Narrative.objects.get(title="Back pain does not have to run your life")
    assert narrative.pk in suggested(page_of(tess_client, world.alice))
    url = reverse("admin:patients_patient_add_narrative", args=[world.alice.pk])
    response = tess_client.post(url, {"narrative": narrative.pk})
    assert response.status_code == 302
    item = AssignmentItem.objects.get(narrative_version__narrative=narrative)
    current = world.alice.current_episode().assignments.get(ended_on__isnull=True)
    assert item.assignment == current and item.narrative_version == narrative.current_version()
    event = AuditEvent.objects.get(action="assignment.add_item")
    assert event.actor == world.tess and event.patient_id == world.alice.pk
    page = page_of(tess_client, world.alice)
    assert "added to" in page and narrative.pk not in suggested(page)


def test_add_to_plan_refuses_a_narrative_already_in_the_plan(tess_client, world):
    in_plan = Narrative.objects.get(pk=next(iter(plan_narratives(world.alice))))
    before = AssignmentItem.objects.count()
    url = reverse("admin:patients_patient_add_narrative", args=[world.alice.pk])
    response = tess_client.post(url, {"narrative": in_plan.pk}, follow=True)
    assert "not added" in response.content.decode()
    assert AssignmentItem.objects.count() == before


def test_another_clinics_narrative_or_patient_is_not_found(tess_client, world):
    other = create_narrative(clinic=world.beta, title="Beta story", body="x", beliefs=["concern"])
    mine = create_narrative(clinic=world.alpha, title="Alpha story", body="x", beliefs=["concern"])
    before = AssignmentItem.objects.count()
    add = "admin:patients_patient_add_narrative"
    assert tess_client.post(reverse(add, args=[world.alice.pk]), {"narrative": other.pk}).status_code == 404
    assert tess_client.post(reverse(add, args=[world.alice.pk]), {"narrative": "9" * 30}).status_code == 404
    assert tess_client.post(reverse(add, args=[world.bob.pk]), {"narrative": mine.pk}).status_code == 404
    assert tess_client.get(reverse(add, args=[world.alice.pk])).status_code == 404
    assert AssignmentItem.objects.count() == before


def test_the_panel_adds_a_fixed_number_of_queries(tess_client, world, django_assert_max_num_queries):
    for week in range(1, 6):
        checkin(world.alice, week, 2, 4)
    answer_beliefs(world.alice, 0, consequences=9, personal_control=1, treatment_control=5, concern=4)
    for n in range(20):
        create_narrative(clinic=world.alpha, title=f"Story {n}", body="x", beliefs=["consequences"])
    with django_assert_max_num_queries(25):
        response = tess_client.get(reverse("admin:patients_patient_change", args=[world.alice.pk]))
    assert len(suggested(response.content.decode())) >= 20
