"""A program given a start date in the past: before saving, the therapist reads the week of the program the patient
lands in today and that week's targets, and saves again to confirm; nothing is saved until then. On the patient
page, the caseload's action and the intake page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from patients.models import Assignment, CheckIn, Patient
from tests.admin.conftest import CHANGELIST
from tests.admin.test_intake import intake
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer(world):  # type: ignore[no-untyped-def]
    return PatientFactory(clinic=world.alpha, primary_therapist=world.tess)


def five_weeks_ago(patient: Patient) -> dt.date:
    return patient.local_today() - dt.timedelta(weeks=5)


def test_the_patient_page_shows_the_week_and_targets_and_assigns_once_confirmed(tess_client, world, newcomer):
    url = reverse("admin:patients_patient_assign", args=[newcomer.pk])
    data = {"assign-program": world.alpha_program.pk, "assign-start_date": five_weeks_ago(newcomer).isoformat()}

    asked = tess_client.post(url, data)

    assert asked.status_code == 200
    html = asked.content.decode()
    assert "Alpha back program is in its week 6 today: this week&#x27;s targets are" in html
    assert 'name="assign-confirm_week" value="6"' in html
    assert not Assignment.objects.filter(episode__patient=newcomer).exists()

    confirmed = tess_client.post(url, data | {"assign-confirm_week": "6"})
    assert confirmed.status_code == 302
    assert Assignment.objects.get(episode__patient=newcomer).start_date == five_weeks_ago(newcomer)


def test_a_start_this_week_needs_no_confirmation(tess_client, world, newcomer):
    url = reverse("admin:patients_patient_assign", args=[newcomer.pk])
    start = newcomer.local_today() - dt.timedelta(days=3)
    response = tess_client.post(url, {"assign-program": world.alpha_program.pk, "assign-start_date": start.isoformat()})
    assert response.status_code == 302
    assert Assignment.objects.filter(episode__patient=newcomer).exists()


def test_a_confirmation_for_another_week_is_asked_again(tess_client, world, newcomer):
    url = reverse("admin:patients_patient_assign", args=[newcomer.pk])
    data = {
        "assign-program": world.alpha_program.pk,
        "assign-start_date": five_weeks_ago(newcomer).isoformat(),
        "assign-confirm_week": "2",  # confirmed for another date's week
    }
    assert tess_client.post(url, data).status_code == 200
    assert not Assignment.objects.filter(episode__patient=newcomer).exists()


def test_the_caseload_action_asks_on_its_page(tess_client, world, newcomer):
    data = {
        "action": "assign_program_action",
        "_selected_action": [newcomer.pk],
        "apply": "1",
        "program": world.alpha_program.pk,
        "start_date": five_weeks_ago(newcomer).isoformat(),
    }
    asked = tess_client.post(CHANGELIST + "?caseload=clinic", data)
    assert "is in its week 6 today" in asked.content.decode()
    assert not Assignment.objects.filter(episode__patient=newcomer).exists()
    tess_client.post(CHANGELIST + "?caseload=clinic", data | {"confirm_week": "6"})
    assert Assignment.objects.filter(episode__patient=newcomer).exists()


def test_start_care_asks_too_and_then_starts_with_the_baseline(tess_client, world, newcomer):
    url = reverse("admin:patients_patient_start_care", args=[newcomer.pk])
    data = intake(world.alpha_program, five_weeks_ago(newcomer))
    asked = tess_client.post(url, data)
    assert asked.status_code == 400 and "is in its week 6 today" in asked.content.decode()
    assert not CheckIn.objects.filter(patient=newcomer).exists()
    assert tess_client.post(url, data | {"confirm_week": "6"}).status_code == 302
    assert CheckIn.objects.get(patient=newcomer).week == 0
