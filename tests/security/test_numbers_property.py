"""Issue 40, the property: any JSON number (huge, tiny, negative zero, exponent forms, sixty digits) in any numeric
field of any write endpoint or of the patient's form is answered 2xx or 4xx, never 5xx, and a refusal leaves no
row behind. Every field gets every number of EXTREME; hypothesis then draws more."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from audit.models import AuditEvent
from patients import links, services
from patients.models import RED_FLAGS, Assignment, CheckIn, CheckInVersion, Patient
from programs.models import Program
from tests.factories import ClinicFactory, make_clinic_admin, patient_on_program, staff_token

pytestmark = [pytest.mark.django_db, pytest.mark.integration]  # about 1,000 requests: run with the fuzzing

EXTREME = [
    "1e30", "123456789012345678901234567890.5", "9" * 60, "-" + "9" * 60, "1E+30", "-1e30", "1e400", "-1e400",
    "1e-30", "1e-400", "-0", "-0.0", "0e-999999", "0.1", "2.5", "-1", "0", "1", "10", "11", "32768",
    "2147483648", "9223372036854775807", "9223372036854775808", "18446744073709551616", "1.7976931348623157e308",
]  # fmt: skip
NUMBERS = st.one_of(
    st.sampled_from(EXTREME),
    st.integers(min_value=-(10**70), max_value=10**70).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
)
N = "__N__"  # where the number goes in a body


def _rows() -> tuple[int, ...]:
    return (
        CheckIn.objects.count(),
        CheckInVersion.objects.count(),
        Patient.objects.count(),
        Program.objects.count(),
        Assignment.objects.count(),
        AuditEvent.objects.count(),
    )


def _checkin(plan: dict[str, Any], path: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "odi": [2, 2, 2, 2, 2, 2, 1, 1, 2, None],
        "pain_nrs": 6,
        "activities": [{"item": plan["activities"][0]["item"], "done": 5}],
        "coping": [{"item": plan["coping"][0]["item"], "used": True, "helpful": 5}],
        "beliefs": {"concern": 5},
    }
    _put(body, path)
    return body


def _put(body: Any, path: str) -> None:
    """Put the placeholder at `path` ("activities[0].done", "odi[3]", "week")."""
    keys: list[str | int] = []
    for part in path.split("."):
        name, _, index = part.partition("[")
        keys.append(name)
        if index:
            keys.append(int(index.rstrip("]")))
    target = body
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = N


CHECKIN_FIELDS = [
    *(f"odi[{i}]" for i in (0, 9)), "pain_nrs", "week", "activities[0].item", "activities[0].done",
    "coping[0].item", "coping[0].helpful", "beliefs.concern",
]  # fmt: skip


@pytest.fixture
def world(db: None) -> SimpleNamespace:
    clinic = ClinicFactory()
    admin = make_clinic_admin(clinic)
    patient = patient_on_program(clinic=clinic, weeks_ago=3)  # week 4: the belief section is due
    key, _ = services.issue_patient_token(patient=patient)
    me = APIClient(raise_request_exception=False)
    me.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    staff = APIClient(raise_request_exception=False)
    staff.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(admin)}")
    plan = me.get("/api/v1/me/program/").json()
    program = Program.objects.filter(clinic__isnull=True).first()
    assert program is not None
    posts: list[tuple[str, APIClient, str, Callable[[str], Any]]] = []
    for path in CHECKIN_FIELDS:
        posts.append(("post", me, "/api/v1/me/checkins/", lambda p=path: _checkin(plan, p)))
        posts.append(("post", staff, f"/api/v1/patients/{patient.pk}/checkins/", lambda p=path: _checkin(plan, p)))
    patient_body = {"clinic": clinic.pk, "first_name": "A", "last_name": "B", "checkin_hour": 9}
    for path in ("clinic", "checkin_hour", "primary_therapist"):
        posts.append(("post", staff, "/api/v1/patients/", lambda p=path: _with(patient_body, p)))
        posts.append(("patch", staff, f"/api/v1/patients/{patient.pk}/", lambda p=path: _with(patient_body, p)))
    assignment = {"program": program.pk, "start_date": patient.local_today().isoformat(), "change": "alongside"}
    posts.append(("post", staff, f"/api/v1/patients/{patient.pk}/assignments/", lambda: _with(assignment, "program")))
    new_program = {"clinic": clinic.pk, "title": "P", "weeks": 12, "items": [{"graded_activity": 1, "start_week": 1}]}
    item_fields = ("graded_activity", "start_week", "end_week")
    program_fields = ["clinic", "copy_from", "weeks", *(f"items[0].{name}" for name in item_fields)]
    for path in program_fields:
        posts.append(("post", staff, "/api/v1/programs/", lambda p=path: _with(new_program, p)))
    return SimpleNamespace(patient=patient, posts=posts)


def _with(body: dict[str, Any], path: str) -> dict[str, Any]:
    copy = json.loads(json.dumps(body))
    if path not in copy and "." not in path and "[" not in path:
        copy[path] = None
    _put(copy, path)
    return copy


def _send(post: tuple[str, APIClient, str, Callable[[], Any]], number: str) -> tuple[int, str]:
    method, client, url, make = post
    text = json.dumps(make()).replace(f'"{N}"', number)
    cache.clear()  # throttles would count every request
    before = _rows()
    response = getattr(client, method)(url, data=text, content_type="application/json")
    where = f"{method.upper()} {url} {text}"
    assert response.status_code < 500, f"{response.status_code} from {where}"
    if response.status_code >= 400:
        assert _rows() == before, f"a refused request left rows: {where}"
        assert response.json()["fields"], f"the refusal names no field: {where}"
    else:
        CheckIn.objects.all().delete()  # the next check-in starts afresh, never held by the week's version limit
    return response.status_code, where


def test_every_extreme_number_in_every_numeric_field_of_the_api_is_answered_without_a_5xx(world):
    refused = 0
    for post in world.posts:
        for number in EXTREME:
            status, _ = _send(post, number)
            refused += status >= 400
    assert refused > len(world.posts)  # most of these numbers are refused, each naming its field


@settings(max_examples=100, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_number_in_any_numeric_field_of_the_api_is_answered_without_a_5xx(world, data):
    post = data.draw(st.sampled_from(world.posts))
    _send(post, data.draw(NUMBERS))


FORM_FIELDS = ["odi[0]", "pain_nrs", "activities[0].done", "coping[0].helpful", "beliefs.concern"]


@settings(max_examples=80, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(FORM_FIELDS), number=NUMBERS)
def test_any_number_in_the_patients_form_is_answered_without_a_5xx(world, field, number):
    client = Client(raise_request_exception=False)
    client.post(f"/checkin/{links.issue_token(world.patient)}/")
    data = {f"odi[{i}]": "2" for i in range(10)} | {"pain_nrs": "6", "activities[0].done": "5"}
    data |= {"coping[0].used": "yes", "coping[0].helpful": "5", "beliefs.concern": "5"}
    data |= {f"red_flags.{key}": "no" for key in RED_FLAGS}
    data[field] = number
    before = _rows()
    response = client.post("/checkin/", data)
    assert response.status_code in (302, 400), f"{response.status_code} for {field}={number}"
    if response.status_code == 400:
        assert _rows() == before
        assert field in response.context["form"].errors
    else:
        CheckIn.objects.all().delete()


@pytest.mark.parametrize("number", EXTREME)
def test_each_extreme_number_in_the_forms_activity_amount_is_refused_or_stored(world, number):
    test_any_number_in_the_patients_form_is_answered_without_a_5xx.hypothesis.inner_test(  # type: ignore[attr-defined]
        world, "activities[0].done", number
    )
