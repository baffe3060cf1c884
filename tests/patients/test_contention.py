"""Nothing lost under contention (PostgreSQL: real row locks and a real unique constraint)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from patients import services
from patients.models import CheckIn, CheckInVersion
from patients.services.checkins import MAX_VERSIONS_A_WEEK
from tests.api.conftest import patient_client
from tests.factories import ClinicFactory, answers, make_therapist, odi, patient_on_program

pytestmark = pytest.mark.integration


def in_thread(fn):
    def run(*args):
        try:
            return fn(*args)
        finally:
            connection.close()

    return run


def test_fifty_concurrent_submissions_of_one_week_leave_one_checkin_with_its_history(transactional_db):
    patient = patient_on_program(weeks_ago=3)
    therapist = make_therapist(patient.clinic)  # staff: not held to a patient's MAX_VERSIONS_A_WEEK

    @in_thread
    def submit(n):
        return services.submit_checkin(
            patient=patient, answers=answers(odi(n % 6), n % 11), week=2, by=therapist
        ).created

    with ThreadPoolExecutor(max_workers=10) as pool:
        created = list(pool.map(submit, range(50)))
    assert created.count(True) == 1
    stored = CheckIn.objects.get(patient=patient, week=2)
    assert stored.version == 50
    assert CheckInVersion.objects.filter(checkin=stored).count() == 49
    assert sorted(CheckInVersion.objects.values_list("version", flat=True)) == list(range(1, 50))


def test_five_hundred_patients_in_parallel_are_all_stored_and_scored(transactional_db):
    clinic = ClinicFactory()
    patients = [patient_on_program(clinic=clinic, weeks_ago=2) for _ in range(500)]

    @in_thread
    def submit(patient):
        return services.submit_checkin(patient=patient, answers=answers(odi(2), 5)).checkin.pk

    with ThreadPoolExecutor(max_workers=16) as pool:
        ids = list(pool.map(submit, patients))
    assert len(set(ids)) == 500
    assert CheckIn.objects.filter(patient__clinic=clinic, odi_score=40, week=3).count() == 500


def test_fifty_concurrent_api_posts_of_one_week_answer_one_201_and_no_5xx(transactional_db):
    """The patient's 50 posts race for one week: one creates it, the next 19 are new versions of it, and the rest
    are refused (400) once it has MAX_VERSIONS_A_WEEK versions."""
    patient = patient_on_program(weeks_ago=3)
    payloads = [{"odi": odi(n % 6), "pain_nrs": n % 11} for n in range(50)]
    clients = [patient_client(patient) for _ in range(10)]

    @in_thread
    def post(n):
        return clients[n % 10].post("/api/v1/me/checkins/", payloads[n], format="json").status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(post, range(50)))
    assert statuses.count(201) == 1
    assert statuses.count(200) == MAX_VERSIONS_A_WEEK - 1
    assert statuses.count(400) == 50 - MAX_VERSIONS_A_WEEK
    stored = CheckIn.objects.get(patient=patient, week=4)
    assert stored.version == MAX_VERSIONS_A_WEEK
    assert CheckInVersion.objects.filter(checkin=stored).count() == MAX_VERSIONS_A_WEEK - 1
