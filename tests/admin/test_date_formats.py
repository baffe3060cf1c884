"""Dates and times on the staff pages read one way, 2026-12-02 and 2026-12-02 09:30 (cft/formats/en), not
Django's "2 Dec 2026, 9:30 a.m." beside our templates' ISO dates."""

from __future__ import annotations

import re

from django.urls import reverse

from audit.services import record
from tests.factories import checkin

MONTH_WORDS = re.compile(r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{4}\b|\b[ap]\.m\.")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def _page(client, user, url):  # type: ignore[no-untyped-def]
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_caseload_the_patient_page_and_the_audit_log_show_iso_dates_only(client, world):
    checkin(world.alice, 1, 2, 5, red_flags={"rf_saddle": True})
    record("patient.pause", world.alice, world.tess)
    pages = {
        "caseload": _page(client, world.tess, reverse("admin:patients_patient_changelist")),
        "patient": _page(client, world.tess, reverse("admin:patients_patient_change", args=[world.alice.pk])),
        "audit": _page(client, world.ada, reverse("admin:audit_auditevent_changelist")),
    }
    for name, page in pages.items():
        assert ISO_DATE.search(page), name
        assert not MONTH_WORDS.search(page), (name, MONTH_WORDS.search(page))
