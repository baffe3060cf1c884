"""The belief rules (patients/beliefs.py, docs/clinical-rules.md, beliefs), on plain values."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from patients import beliefs
from patients.beliefs import CONCERN, CONSEQUENCES, PERSONAL_CONTROL, TREATMENT_CONTROL
from tests import factories


@pytest.mark.parametrize(("week", "due"), [(0, True), (1, False), (3, False), (4, True), (6, False), (8, True)])
def test_the_section_is_due_at_intake_and_every_fourth_week(week, due):
    assert beliefs.is_due(week) is due


@pytest.mark.parametrize(
    ("consequences", "control", "flag"),
    [(7, 3, True), (10, 0, True), (6, 3, False), (7, 4, False), (None, 2, False), (9, None, False)],
)
def test_the_flag_is_high_consequences_with_low_personal_control(consequences, control, flag):
    assert beliefs.to_address({CONSEQUENCES: consequences, PERSONAL_CONTROL: control}) is flag


def test_the_control_items_count_as_need_reversed():
    assert beliefs.need(CONSEQUENCES, 8) == 8
    assert beliefs.need(CONCERN, 2) == 2
    assert beliefs.need(PERSONAL_CONTROL, 2) == 8
    assert beliefs.need(TREATMENT_CONTROL, 10) == 0


def test_the_highest_needs_come_first_and_ties_keep_every_item():
    answers = {CONSEQUENCES: 6, PERSONAL_CONTROL: 2, TREATMENT_CONTROL: 8, CONCERN: 8}
    assert beliefs.highest_needs(answers) == [PERSONAL_CONTROL, CONCERN]
    assert beliefs.highest_needs({CONSEQUENCES: 0, PERSONAL_CONTROL: 10, CONCERN: None}) == []
    assert beliefs.highest_needs({}) == []


@pytest.mark.django_db
def test_the_database_refuses_a_belief_answer_above_10():
    checkin = factories.checkin(factories.patient_on_program(), 4, 2, 5)
    checkin.belief_consequences, checkin.beliefs_version = 10, beliefs.OURS
    checkin.save()
    checkin.refresh_from_db()
    assert checkin.beliefs == {CONSEQUENCES: 10, PERSONAL_CONTROL: None, TREATMENT_CONTROL: None, CONCERN: None}
    checkin.belief_concern = 11
    with pytest.raises(IntegrityError), transaction.atomic():
        checkin.save()
