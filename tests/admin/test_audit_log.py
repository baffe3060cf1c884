"""The audit log as a clinic admin reads it: patients by name, actions in words, filters by who and by patient,
and the sign-ins of the clinic's own staff."""

from __future__ import annotations

from django.urls import reverse

from audit.labels import ACTION_LABELS, action_label
from audit.services import record

LOG = reverse("admin:audit_auditevent_changelist")


def _results(page: str) -> str:
    """The result table only (the filter menus list every action's words and every patient)."""
    return page.split('id="result_list"')[1].split("</table>")[0]


def _log(client, world, **query):  # type: ignore[no-untyped-def]
    client.force_login(world.ada)
    response = client.get(LOG, query)
    assert response.status_code == 200
    return response.content.decode()


def test_events_show_the_patient_by_name_and_record_number_and_the_action_in_words(client, world):
    record("patient.pause", world.alice, world.tess)
    page = _results(_log(client, world))
    assert f'<a href="?patient={world.alice.pk}">Alice Anders (A-100)</a>' in page
    assert "Reminders paused" in page
    assert '<td class="field-action_words">patient.pause</td>' not in page


def test_every_action_label_is_words_and_an_unknown_code_is_shown_as_stored():
    assert all(label and "." not in label and "_" not in label for label in ACTION_LABELS.values())
    assert action_label("something.new") == "something.new"


def test_the_log_filters_by_who_and_by_patient(client, world):
    record("patient.pause", world.alice, world.tess)
    record("patient.resume", world.aaron, world.theo)
    by_tess = _results(_log(client, world, actor=world.tess.pk))
    assert "Reminders paused" in by_tess and "Reminders resumed" not in by_tess
    about_aaron = _log(client, world, patient=world.aaron.pk)
    assert "Reminders resumed" in _results(about_aaron) and "Reminders paused" not in _results(about_aaron)
    assert ">Alice Anders (A-100)</a>" in about_aaron  # the patient filter's choices name the patients
    assert "Bob Beta" not in about_aaron  # another clinic's patient is no choice


def test_a_bad_filter_id_is_a_400_not_a_500(client, world):
    client.force_login(world.ada)
    assert client.get(LOG, {"patient": "abc"}).status_code == 400
    assert client.get(LOG, {"actor": "1; drop"}).status_code == 400


def test_clinic_admins_see_their_own_staffs_sign_ins_and_no_one_elses(client, world):
    record(action="login.success", actor=world.tess, ip_address="192.0.2.1")
    record(action="login.failure", actor_label="theo", ip_address="192.0.2.2")
    record(action="login.success", actor=world.bea, ip_address="192.0.2.3")
    record(action="login.failure", actor_label="nobody-here", ip_address="192.0.2.4")
    record(action="api_token.revoked", actor=world.tess)  # no clinic, not a sign-in: superusers only
    page = _results(_log(client, world))
    assert "192.0.2.1" in page and "192.0.2.2" in page
    assert "192.0.2.3" not in page and "192.0.2.4" not in page
    assert "API token revoked" not in page
