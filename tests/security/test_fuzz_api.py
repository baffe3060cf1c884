"""Fuzz every operation of /api/schema/ with schemathesis, in-process through the WSGI app: as a clinic admin
(staff token) and as a patient (patient token), a bounded, derandomized number of examples per operation.
No answer may be a 5xx, and every answer must match the schema (status code, content type, body). Both ways
round: a request the schema allows is accepted (positive cases), and one it forbids is refused (negative cases,
such as `page=0`, `?patient=1.5`, an unknown field or parameter), so the schema and the API say the same."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from cft.wsgi import application
from patients import services
from tests.factories import ClinicFactory, checkin, make_clinic_admin, patient_on_program, staff_token

pytestmark = pytest.mark.integration

CHECKS = [schemathesis.checks.not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]  # fmt: skip
POSITIVE = [*CHECKS, positive_data_acceptance]
NEGATIVE = [schemathesis.checks.not_a_server_error, status_code_conformance, content_type_conformance,
            negative_data_rejection]  # fmt: skip
# Schema-valid requests that are refused for what no schema can say: credentials and link tokens nobody can
# guess, and a check-in week that must not be in the patient's future (it depends on today).
REFUSED_ON_MEANING = {
    "POST /api/v1/auth/token/": "a username and password that match an account",
    "POST /api/v1/me/session/": "a magic-link token the clinic signed",
    "POST /api/v1/me/checkins/": "a week that has already begun",
}


@pytest.fixture
def _keep_the_test_connection() -> Iterator[None]:
    """The raw WSGI app closes "obsolete" connections after each request, and inside the test's transaction the
    connection looks obsolete (PostgreSQL); Django's own test client switches this off the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def headers(db: None, _keep_the_test_connection: None) -> dict[str, dict[str, str]]:
    clinic = ClinicFactory()
    admin_user = make_clinic_admin(clinic)
    patient = patient_on_program(clinic=clinic, weeks_ago=3)
    checkin(patient, 1, 2, 5)
    key, _ = services.issue_patient_token(patient=patient)
    return {
        "staff": {"Authorization": f"Token {staff_token(admin_user)}"},
        "patient": {"Authorization": f"Token {key}"},
    }


FUZZ = settings(
    max_examples=12,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def fuzz_every_operation(auth: dict[str, str], mode: GenerationMode = GenerationMode.POSITIVE) -> list[str]:
    """Each operation of the schema, FUZZ examples each; the failures (one line per operation) are returned."""
    api = schemathesis.openapi.from_wsgi("/api/schema/", application)
    failures = []
    for result in api.get_all_operations():
        operation = result.ok()
        if mode == GenerationMode.NEGATIVE:
            checks = NEGATIVE
        else:
            checks = CHECKS if operation.label in REFUSED_ON_MEANING else POSITIVE

        @given(case=operation.as_strategy(generation_mode=mode))
        @FUZZ
        def run(case) -> None:  # type: ignore[no-untyped-def]
            cache.clear()  # throttles would count every example
            case.call_and_validate(headers=auth, checks=checks)  # noqa: B023 - run() is called in this iteration

        try:
            run()
        except Unsatisfiable:
            continue  # no request breaks this operation's schema (a path id alone, say): nothing to refuse
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every operation's failure, report them together
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    return failures


def test_fuzzing_the_api_as_a_clinic_admin_finds_no_failure(headers):  # type: ignore[no-untyped-def]
    failures = fuzz_every_operation(headers["staff"])
    assert failures == [], "\n\n".join(failures)


def test_fuzzing_the_api_as_a_patient_finds_no_failure(headers):  # type: ignore[no-untyped-def]
    failures = fuzz_every_operation(headers["patient"])
    assert failures == [], "\n\n".join(failures)


@pytest.mark.parametrize("who", ["staff", "patient"])
def test_requests_outside_the_schema_are_refused(headers, who):  # type: ignore[no-untyped-def]
    failures = fuzz_every_operation(headers[who], GenerationMode.NEGATIVE)
    assert failures == [], "\n\n".join(failures)


# Issue 40: the numbers a random run seldom draws, sent in every numeric field of the check-in bodies through the
# same schemathesis checks (no 5xx, the status code and body the schema states).
EXTREME_NUMBERS = [1e30, 123456789012345678901234567890.5, int("9" * 60), -(10**60), -1e30, 1e-30, -0.0, 2**63, 2**64]
CHECKIN_NUMBER_FIELDS = [
    "pain_nrs", "week", "odi", "activities.item", "activities.done", "coping.item", "coping.helpful",
]  # fmt: skip


def _checkin_with(number: object, field: str) -> dict[str, object]:
    body: dict[str, object] = {"odi": [2] * 10, "pain_nrs": 5}
    name, _, inner = field.partition(".")
    if name == "odi":
        body["odi"] = [number, *[2] * 9]
    elif name == "activities":
        body["activities"] = [{"item": 1, "done": 5} | {inner: number}]
    elif name == "coping":
        body["coping"] = [{"item": 1, "used": True, "helpful": 5} | {inner: number}]
    else:
        body[name] = number
    return body


@pytest.mark.parametrize("field", CHECKIN_NUMBER_FIELDS)
def test_extreme_numbers_in_the_checkin_bodies_meet_the_schema(headers, field):  # type: ignore[no-untyped-def]
    from patients.models import Patient

    api = schemathesis.openapi.from_wsgi("/api/schema/", application)
    patient = Patient.objects.get()
    failures = []
    for label, auth, path_parameters in [
        ("POST /api/v1/me/checkins/", headers["patient"], {}),
        ("POST /api/v1/patients/{patient_id}/checkins/", headers["staff"], {"patient_id": patient.pk}),
    ]:
        operation = api[label.split()[1]][label.split()[0]]
        for number in EXTREME_NUMBERS:
            cache.clear()
            case = operation.Case(body=_checkin_with(number, field), path_parameters=path_parameters)
            try:
                case.call_and_validate(headers=auth, checks=CHECKS)
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - report every number's failure together
                failures.append(f"{label} {field}={number!r}: {str(exc)[:600]}")
    assert failures == [], "\n\n".join(failures)
