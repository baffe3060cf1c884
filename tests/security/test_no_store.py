"""No cache keeps a copy of anything the app answers (Cache-Control: no-store, private): the reports, the clinic
CSVs, export downloads, the admin's CSV exports, the API, the patient pages and the TOTP enrolment page, and every
other URL of the URL conf as a clinic admin and as a patient (the access matrix's calls)."""

from __future__ import annotations

import pytest

from tests.security.test_access_matrix import CASES, Case, call
from tests.security.world import ROLE_BY_NAME, World

ROLES = ("admin_a", "patient_a1_session")
SWEEP = [case for case in CASES if case.role.name in ROLES]


def assert_no_store(response, what: str) -> None:  # type: ignore[no-untyped-def]
    cache_control = response.get("Cache-Control", "")
    assert "no-store" in cache_control and "private" in cache_control, (what, response.status_code, cache_control)


def test_phi_downloads_and_reports_are_never_stored(world: World) -> None:
    admin = world.client(ROLE_BY_NAME["admin_a"])
    clinic = world.clinic_a.pk
    answers = {
        "report page": admin.get("/reports/", {"clinic": clinic}),
        "check-ins CSV": admin.get("/reports/export/checkins.csv", {"clinic": clinic}),
        "episodes CSV": admin.get("/reports/export/episodes.csv", {"clinic": clinic}),
        "export download": admin.get(f"/reports/exports/{world.export_a.uuid}/download/"),
        "API export download": admin.get(f"/api/v1/reports/exports/{world.export_a.uuid}/download/"),
        "caseload CSV (admin action)": admin.post(
            "/admin/patients/patient/", {"action": "export_csv_action", "_selected_action": [world.patient_a1.pk]}
        ),
        "audit log CSV (admin action)": admin.post(
            "/admin/audit/auditevent/", {"action": "export_csv", "select_across": "1", "_selected_action": ["0"]}
        ),
        "enrolment page": admin.get("/account/two-factor/"),
        "pause page": admin.get(f"/reminders/pause/{world.pause_token_a1}/"),
    }
    for what, response in answers.items():
        assert response.status_code == 200, (what, response.status_code)
        assert_no_store(response, what)


@pytest.mark.parametrize("case", SWEEP, ids=[case.id for case in SWEEP])
def test_every_answer_of_the_url_conf_is_never_stored(case: Case, world: World) -> None:
    assert_no_store(call(case, world), case.id)
