"""One disclosure rule (`reports.disclosure.too_few`) for every output: the same small groups held back as "too
few" on the page, in the API, the XLSX summary and the research export, while the clinic's own per-patient files
(CSV, FHIR) keep every patient's record."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from programs.services import copy_program_to_clinic
from reports import exports
from reports.disclosure import MIN_GROUP, TOO_FEW, too_few
from reports.selectors import ReportFilter, outcome_report
from tests.factories import builtin_program, checkin, patient_on_program
from tests.reports.test_export_files import column, export, read_csv


def test_too_few_is_one_to_four_patients_and_nobody_is_not_too_few():
    assert MIN_GROUP == 5
    assert [n for n in range(8) if too_few(n)] == [1, 2, 3, 4]
    assert too_few(6, 2) and not too_few(5, 9) and not too_few(0, 7)  # a difference: either group


@pytest.fixture
def small_groups(north):
    """Beside North's six: a two-patient group (the clinic's "Walk and talk", followed up at week 4: ODI 60 -> 20)
    and the five-patient "Acute flare" group of whom only two have a follow-up (ODI 60 -> 22)."""
    walk = copy_program_to_clinic(program=builtin_program(), clinic=north.clinic)
    walk.title = "Walk and talk"
    walk.save(update_fields=["title"])
    walkers = []
    for _ in range(2):
        patient = patient_on_program(clinic=north.clinic, therapist=north.therapist, weeks_ago=5, program=walk)
        checkin(patient, 0, 3, 7, by=north.admin)
        checkin(patient, 4, 1, 3, by=north.admin)
        walkers.append(patient)
    flare = builtin_program("acute_flare")
    for i in range(5):
        patient = patient_on_program(clinic=north.clinic, therapist=north.therapist, weeks_ago=5, program=flare)
        checkin(patient, 0, 3, 7, by=north.admin)
        if i < 2:
            checkin(patient, 4, [1] * 9 + [2], 3, by=north.admin)  # ODI 22
    return walk, walkers, flare


def _row(page: str, label: str) -> str:
    match = re.search(rf'<tr>\s*<th scope="row">{re.escape(label)}.*?</tr>', page, flags=re.S)
    assert match, label
    return match.group(0)


def test_the_same_small_groups_are_too_few_in_every_output(north, small_groups, client, tmp_path, settings):
    settings.REPORTS_EXPORT_DIR = tmp_path / "exports"
    walk, walkers, flare = small_groups
    report = outcome_report(north.admin, ReportFilter(clinic=north.clinic))
    groups = {g.label: g for g in report.by_program}
    assert groups["Walk and talk"].started == 2
    assert (groups[flare.title].started, groups[flare.title].outcomes["latest"]["odi"].change.n) == (5, 2)

    # The page: the two-patient group is marked and shows no figure; the flare group's latest change is held back.
    client.force_login(north.admin)
    page = client.get("/reports/").content.decode()
    walk_row = _row(page, "Walk and talk")
    assert "(under 5)" in walk_row and "too few" in walk_row and "40.0" not in walk_row
    flare_row = _row(page, flare.title)
    assert "too few" in flare_row and "38.0" not in flare_row and "2 of 2" not in flare_row
    assert "Walk and talk</strong>: Too few patients to say (under 5)." in page
    assert "5 patients; too few have a check-in after their baseline" in page

    # The API.
    api = APIClient()
    api.force_authenticate(north.admin)
    data = {g["label"]: g for g in api.get("/api/v1/reports/outcomes/").json()["by_program"]}
    assert data["Walk and talk"] == {"key": str(walk.pk), "label": "Walk and talk", "no_data": False, "too_few": True}
    latest = data[flare.title]["outcomes"]["latest"]["odi"]
    assert latest["change"] == latest["responders"] == TOO_FEW and data[flare.title]["started"] == 5

    # The XLSX summary sheet.
    summary = [list(r) for r in load_workbook(io.BytesIO(export(north, "xlsx", tmp_path)))["Summary"].values]
    walk_line = next(r for r in summary if r[1] == "Walk and talk")
    assert [c for c in walk_line if c is not None] == ["program", "Walk and talk", TOO_FEW]
    assert any(r[:6] == ["program", flare.title, 5, "odi", "latest", TOO_FEW] for r in summary)

    # The research export: the two walkers are too few even merged into "other programs", so they are left out.
    archive = zipfile.ZipFile(io.BytesIO(export(north, "research", tmp_path)))
    episodes = read_csv(archive.read("episodes.csv"))
    assert "Walk and talk" not in column(episodes, "program") and exports.OTHER_PROGRAMS not in column(
        episodes, "program"
    )
    assert len(episodes) - 1 == 6 + 5

    # The clinic's own per-patient files hold each patient's record: nothing there is a figure over a group.
    walker_ids = {exports.pseudonym(north.clinic.pk, p.uuid) for p in walkers}
    assert walker_ids <= {row[0] for row in read_csv(export(north, "csv_episodes", tmp_path))}  # the patient
    bundle = json.loads(export(north, "fhir", tmp_path))
    identifiers = {e["resource"]["identifier"][0]["value"] for e in bundle["entry"] if "identifier" in e["resource"]}
    assert walker_ids <= identifiers
