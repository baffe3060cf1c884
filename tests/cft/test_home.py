"""`/` leads to the right place: staff to the admin, anyone else to a short page saying what this is, in English
or Norwegian as the browser asks, instead of a 404."""

from __future__ import annotations

from tests.factories import ClinicFactory, make_therapist


def test_anyone_gets_a_page_saying_what_this_is_in_english(client, db):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en-GB">' in page
    assert "physiotherapy clinics for their patients with low back pain" in page
    assert 'href="/admin/login/"' in page


def test_a_norwegian_browser_gets_it_in_norwegian(client, db):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="nb-NO,nb;q=0.9,en;q=0.5").content.decode()
    assert '<html lang="nb">' in page
    assert "fysioterapiklinikker" in page and "Er du pasient?" in page


def test_staff_are_sent_to_the_admin(client, db):
    client.force_login(make_therapist(ClinicFactory()))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/admin/"
