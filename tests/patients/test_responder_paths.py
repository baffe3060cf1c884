"""Every path decides responders and bands from the exact ODI score (points and sections answered), by the one
rule of `patients.scoring.change_from_baseline`: the patient's outcome in the API, the caseload's column, flag
and filter (SQL), the outcome report and the episodes export (docs/clinical-rules.md, responders)."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from cft import spreadsheets
from patients import caseload, scoring
from patients.models import Patient
from reports import exports
from reports.selectors import ReportFilter, episode_rows
from tests.factories import ClinicFactory, checkin, make_clinic_admin, make_therapist, patient_on_program

pytestmark = pytest.mark.django_db

EXACTLY_30_PERCENT = ([1, 1, 1, 1, 1, 1, 1, None, 1, 2], [1, 1, 1, 1, 1, 1, 1, None, 0, 0])  # 10/45 -> 7/45


def yes_no(flag: bool | None) -> str:
    return "" if flag is None else ("yes" if flag else "no")


def paths(baseline: list, follow_up: list, nrs: tuple[int, int]) -> dict[str, object]:
    """Run one baseline and one follow-up through every path; return what each path decided."""
    clinic = ClinicFactory()
    therapist = make_therapist(clinic)
    patient = patient_on_program(clinic=clinic, therapist=therapist, weeks_ago=3)
    checkin(patient, 1, baseline, nrs[0])
    checkin(patient, 2, follow_up, nrs[1])
    return decided(patient, therapist)


def decided(patient: Patient, therapist: object) -> dict[str, object]:
    """What every path decides of a patient's baseline and latest check-in (responders, bands)."""
    clinic = patient.clinic
    admin = make_clinic_admin(clinic)
    api = APIClient()
    api.force_authenticate(therapist)
    outcome = api.get(f"/api/v1/patients/{patient.pk}/outcomes/").json()
    row = caseload.caseload_queryset(Patient.objects.filter(pk=patient.pk)).get()
    odi_column, nrs_column = caseload.measure_change(row, "odi"), caseload.measure_change(row, "nrs")
    [report] = episode_rows(admin, ReportFilter(clinic=clinic))
    header = exports.EPISODE_COLUMNS
    [exported] = [dict(zip(header, r, strict=True)) for r in exports.episode_export_rows([report], clinic.pk)]
    text = "".join(spreadsheets.stream_csv(header, exports.episode_export_rows([report], clinic.pk)))
    [csv_row] = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    return {
        "api_odi": outcome["odi"]["responder"],
        "api_nrs": outcome["nrs"]["responder"],
        "api_band": outcome["latest"]["odi_band"],
        "column_odi": odi_column.change.responder,
        "column_nrs": nrs_column.change.responder,
        "column_band": caseload.latest_odi_shown(row)[1],
        "flag_any": row.is_responder,
        "filter_any": caseload.responders(caseload.caseload_queryset(Patient.objects.filter(pk=patient.pk))).exists(),
        "report_odi": report.changes["latest"]["odi"].responder,
        "report_nrs": report.changes["latest"]["nrs"].responder,
        "export_odi": exported["odi_responder"],
        "csv_odi_points": csv_row["odi_responder_points"],
        "csv_odi_percent": csv_row["odi_responder_percent"],
    }


def expected(baseline: list, follow_up: list, nrs: tuple[int, int]) -> dict[str, object]:
    b, f = scoring.score_odi(baseline).score, scoring.score_odi(follow_up).score
    odi = scoring.change_from_baseline(b, f, scoring.ODI_MCID_POINTS)
    pain = scoring.change_from_baseline(nrs[0], nrs[1], scoring.NRS_MCID_POINTS)
    any_ = bool(odi.responder or pain.responder)
    return {
        "api_odi": odi.responder,
        "api_nrs": pain.responder,
        "api_band": scoring.odi_band(f),
        "column_odi": odi.responder,
        "column_nrs": pain.responder,
        "column_band": scoring.odi_band(f),
        "flag_any": any_,
        "filter_any": any_,
        "report_odi": odi.responder,
        "report_nrs": pain.responder,
        "export_odi": yes_no(odi.responder),
        "csv_odi_points": yes_no(odi.responder_points),
        "csv_odi_percent": yes_no(odi.responder_percent),
    }


def test_an_improvement_of_exactly_30_percent_is_a_responder_on_every_path():
    baseline, follow_up = EXACTLY_30_PERCENT
    assert scoring.change_from_baseline(
        scoring.score_odi(baseline).score, scoring.score_odi(follow_up).score, 10
    ).responder_percent
    decided = paths(baseline, follow_up, (5, 5))
    assert decided == expected(baseline, follow_up, (5, 5))
    assert decided["flag_any"] is True and decided["csv_odi_percent"] == "yes"


@st.composite
def answers(draw: st.DrawFn) -> list[int | None]:
    """Ten ODI answers with up to two sections skipped (so the week is scored)."""
    values: list[int | None] = draw(st.lists(st.integers(0, 5), min_size=10, max_size=10))
    for index in draw(st.sets(st.integers(0, 9), max_size=scoring.ODI_MAX_SKIPPED)):
        values[index] = None
    return values


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(baseline=answers(), follow_up=answers(), nrs=st.tuples(st.integers(0, 10), st.integers(0, 10)))
@example(baseline=EXACTLY_30_PERCENT[0], follow_up=EXACTLY_30_PERCENT[1], nrs=(4, 4))
@example(baseline=[1] * 9 + [None], follow_up=[1, 1, 1, 1, 1, 0, 0, 0, 0, 0], nrs=(3, 1))  # 20 -> 10: 10 points
def test_every_path_agrees_with_the_pure_rule(baseline, follow_up, nrs):
    assert paths(baseline, follow_up, nrs) == expected(baseline, follow_up, nrs)
