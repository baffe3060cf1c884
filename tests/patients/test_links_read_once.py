"""A check-in link is read once, and a newer link ends the older ones (docs/security.md, magic links)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from patients import links
from patients.models import PatientToken
from patients.views import SESSION_PATIENT
from reminders import emails
from tests.factories import patient_on_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient():
    return patient_on_program(weeks_ago=2)


def _used_page(response) -> bool:
    return response.status_code == 410 and 'data-problem="used"' in response.content.decode()


def test_opening_the_link_asks_first_and_uses_nothing_up(patient):
    """Mail scanners and link previews fetch links before the patient does: a GET must not spend the link."""
    path = f"/checkin/{links.issue_token(patient)}/"
    for _ in range(3):
        page = Client().get(path)
        assert page.status_code == 200
        assert "Start my check-in" in page.content.decode()
        assert patient.first_name not in page.content.decode()
    client = Client()
    response = client.post(path)
    assert response.status_code == 302 and response["Location"] == "/checkin/"
    assert client.session[SESSION_PATIENT] == patient.pk


def test_a_link_opens_one_session_only(patient):
    path = f"/checkin/{links.issue_token(patient)}/"
    assert Client().post(path).status_code == 302
    someone_else = Client()
    assert _used_page(someone_else.get(path))
    assert _used_page(someone_else.post(path))
    assert SESSION_PATIENT not in someone_else.session


def test_the_browser_that_opened_the_link_carries_on_from_it(patient):
    path = f"/checkin/{links.issue_token(patient)}/"
    client = Client()
    client.post(path)
    again = client.get(path)
    assert again.status_code == 302 and again["Location"] == "/checkin/"
    assert client.get("/checkin/").status_code == 200


def test_a_newer_link_ends_the_older_ones(patient):
    older, newer = links.issue_token(patient), links.issue_token(patient)
    assert _used_page(Client().get(f"/checkin/{older}/"))
    assert _used_page(Client().post(f"/checkin/{older}/"))
    assert Client().post(f"/checkin/{newer}/").status_code == 302


def test_each_email_carries_a_new_link_that_ends_the_last_one(patient):
    first = emails.patient_link_message(patient, "link", "link-1")
    second = emails.patient_link_message(patient, "link", "link-2")
    mail.outbox = [first, second]
    link_of = lambda message: message.body.split("/checkin/")[1].split("/")[0]  # noqa: E731
    assert link_of(first) != link_of(second)
    assert _used_page(Client().post(f"/checkin/{link_of(first)}/"))
    assert Client().post(f"/checkin/{link_of(second)}/").status_code == 302


def test_redeeming_twice_fails_the_second_time_naming_the_reason(patient):
    token = links.issue_token(patient)
    assert links.redeem(token) == patient
    with pytest.raises(links.LinkError) as problem:
        links.redeem(token)
    assert problem.value.problem == links.LinkProblem.USED


def test_one_link_makes_one_api_token(patient):
    token = links.issue_token(patient)
    first = APIClient().post("/api/v1/me/session/", {"token": token}, format="json")
    assert first.status_code == 201
    second = APIClient().post("/api/v1/me/session/", {"token": token}, format="json")
    assert second.status_code == 400
    assert second.json()["code"] == "invalid"
    assert "used already" in second.json()["fields"]["token"][0]
    assert PatientToken.objects.filter(patient=patient).count() == 1


def test_a_link_used_by_the_app_cannot_open_a_page_session_too(patient):
    token = links.issue_token(patient)
    assert APIClient().post("/api/v1/me/session/", {"token": token}, format="json").status_code == 201
    assert _used_page(Client().post(f"/checkin/{token}/"))


def test_the_used_page_says_how_to_get_a_new_link(patient):
    token = links.issue_token(patient)
    Client().post(f"/checkin/{token}/")
    body = Client().get(f"/checkin/{token}/").content.decode()
    assert "This link has been used" in body
    assert "contact your clinic and ask them to send you a new check-in link" in body
