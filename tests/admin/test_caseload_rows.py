"""The caseload's rows (`{% caseload_result_list %}`, patients/templatetags/caseload_list.py) are Django's
`{% result_list %}` written faster: the page is the same, byte for byte, with every filter, sort and search."""

from __future__ import annotations

import re

import pytest

from patients.templatetags import caseload_list
from tests.admin.conftest import CHANGELIST, rows
from tests.factories import PatientFactory, checkin, patient_on_program

PAGES = {
    "own": {},
    "clinic": {"caseload": "clinic"},
    "attention": {"caseload": "clinic", "attention": "any"},
    "responders": {"caseload": "clinic", "response": "responder"},
    "sorted by latest ODI": {"caseload": "clinic", "o": "-3"},
    "sorted by change, then name": {"caseload": "clinic", "o": "5.2"},
    "search": {"caseload": "clinic", "q": 'Al "ice" <&>'},
    "page beyond the last": {"caseload": "clinic", "p": "2"},
}


def _without_csrf_token(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@pytest.mark.parametrize("query", PAGES.values(), ids=PAGES.keys())
def test_the_caseload_rows_are_djangos_result_list(client, world, monkeypatch, query):
    world.alice.first_name = 'Al "ice" <&>'
    world.alice.record_number = "A<1>&"
    world.alice.save(update_fields=["first_name", "record_number"])
    checkin(world.alice, 1, 3, 6, red_flags={"rf_saddle": True})
    checkin(world.alice, 3, 1, 3)
    checkin(world.aaron, 1, 2, 4)
    patient_on_program(clinic=world.alpha, therapist=world.tess, first_name="Bea", last_name="Brown")
    PatientFactory(clinic=world.alpha, primary_therapist=world.tess, first_name="Nora", last_name="New")
    client.force_login(world.tess)
    ours = client.get(CHANGELIST, query)
    monkeypatch.setattr(caseload_list, "_columns", lambda cl: None)  # Django's own rows
    djangos = client.get(CHANGELIST, query)
    assert ours.status_code == djangos.status_code
    if ours.status_code == 200:
        assert _without_csrf_token(ours.content.decode()) == _without_csrf_token(djangos.content.decode())
        assert rows(ours) == rows(djangos)


def test_a_list_column_that_is_a_model_field_gets_djangos_rows(client, world, monkeypatch):
    from django.contrib import admin

    from patients.models import Patient

    model_admin = admin.site._registry[Patient]
    monkeypatch.setattr(model_admin, "list_display", ("patient", "email"))
    seen = []
    original = caseload_list._columns
    monkeypatch.setattr(caseload_list, "_columns", lambda cl: seen.append(original(cl)) or seen[-1])
    client.force_login(world.tess)
    page = client.get(CHANGELIST).content.decode()
    assert seen == [None]
    assert f'<td class="field-email">{world.alice.email}</td>' in page
