"""Program weeks run from 1 to MAX_PROGRAM_WEEKS (two years): beyond that every edge answers a clear error
naming the field, where it once overflowed a small-integer column and answered 500 (issue 16)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from patients import services as patient_services
from programs import services
from programs.models import MAX_PROGRAM_WEEKS, Narrative, Program, ProgramItem
from tests.api.conftest import staff_client
from tests.factories import ClinicFactory, EpisodeFactory, PatientFactory, make_clinic_admin, walking_activity

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"start_week": 40_000}, "items[0].start_week"),
        ({"start_week": MAX_PROGRAM_WEEKS + 1}, "items[0].start_week"),
        ({"start_week": 1, "end_week": 32_768}, "items[0].end_week"),
    ],
)
def test_the_api_refuses_a_week_past_the_last_naming_it(item, field):
    clinic = ClinicFactory()
    narrative = Narrative.objects.builtin().first()
    payload = {"clinic": clinic.pk, "title": "Ours", "items": [{"narrative": narrative.pk, **item}]}
    response = staff_client(make_clinic_admin(clinic)).post("/api/v1/programs/", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert not Program.objects.filter(title="Ours").exists()


def test_the_last_week_itself_is_accepted():
    clinic = ClinicFactory()
    program = Program.objects.create(clinic=clinic, title="Long")
    item = services.add_program_item(
        program=program, component=walking_activity(clinic=clinic), start_week=1, end_week=MAX_PROGRAM_WEEKS
    )
    assert item.end_week == MAX_PROGRAM_WEEKS


@pytest.mark.parametrize("weeks", [{"start_week": 0}, {"start_week": 40_000}, {"end_week": 105}])
def test_adding_an_item_names_the_week_that_is_out_of_range(weeks):
    clinic = ClinicFactory()
    program = Program.objects.create(clinic=clinic, title="Custom")
    with pytest.raises(ValidationError) as error:
        services.add_program_item(program=program, component=walking_activity(clinic=clinic), **weeks)
    assert set(error.value.message_dict) == set(weeks)
    assert not ProgramItem.objects.filter(program=program).exists()


def test_tailoring_one_patient_refuses_a_week_past_the_last_and_keeps_the_item():
    clinic = ClinicFactory()
    program = Program.objects.create(clinic=clinic, title="Custom")
    services.add_program_item(program=program, component=walking_activity(clinic=clinic))
    episode = EpisodeFactory(patient=PatientFactory(clinic=clinic))
    item = patient_services.assign_program(episode=episode, program=program, start_date=episode.started_on).items.get()
    with pytest.raises(ValidationError) as error:
        patient_services.tailor_item(item=item, start_week=40_000)
    assert "start_week" in error.value.message_dict
    item.refresh_from_db()
    assert item.start_week == 1


def test_the_admin_program_page_refuses_a_huge_week_with_a_message(client):
    clinic = ClinicFactory()
    admin_user = make_clinic_admin(clinic)
    client.force_login(admin_user)
    program = Program.objects.create(clinic=clinic, title="Custom")
    narrative = Narrative.objects.builtin().first()
    url = f"/admin/programs/program/{program.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    prefix = "items"
    data = {
        "clinic": clinic.pk,
        "title": "Custom",
        "kind": program.kind,
        "weeks": 12,
        "description": "",
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        f"{prefix}-0-order": "1",
        f"{prefix}-0-start_week": "40000",
        f"{prefix}-0-end_week": "",
        f"{prefix}-0-narrative": narrative.pk,
    }
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, with the error: not a 500, nothing saved
    assert f"less than or equal to {MAX_PROGRAM_WEEKS}" in response.content.decode()
    assert not ProgramItem.objects.filter(program=program).exists()
