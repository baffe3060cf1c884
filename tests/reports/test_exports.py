import csv
import io
import json
import re
import zipfile

import pytest
from fhir.resources.R4B.bundle import Bundle
from openpyxl import load_workbook

from audit.models import AuditEvent
from cft.spreadsheets import stream_csv
from patients import scoring
from reports import exports
from reports.models import ExportJob
from reports.selectors import ReportFilter, outcome_report
from reports.services import write_export
from tests.reports.data import bulk_episodes


def _csv(user, filters):
    text = "".join(stream_csv(exports.CHECKIN_COLUMNS, exports.checkin_rows(user, filters), batch=5))
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_checkin_csv_has_one_row_per_check_in_and_no_names_or_contacts(north):
    rows = _csv(north.admin, ReportFilter(clinic=north.clinic))
    assert len(rows) == 6 * 4
    assert list(rows[0]) == list(exports.CHECKIN_COLUMNS)
    text = json.dumps(rows)
    for patient in north.patients:
        assert patient.first_name not in text and patient.email not in text
    assert rows[0]["patient"].startswith("P-") and rows[0]["record_number"] == north.patients[0].record_number
    assert {r["odi_score"] for r in rows if r["week"] == "8"} == {"60.0"}


@pytest.mark.django_db
def test_exported_odi_is_the_scoring_rule_one_decimal_for_every_possible_score():
    combos = [(p, a) for a in (8, 9, 10) for p in range(0, 5 * a + 1)]
    answers = [[min(5, max(0, p - 5 * i)) for i in range(a)] + [None] * (10 - a) for p, a in combos]
    episode = bulk_episodes(series=[[(week, ans, 0) for week, ans in enumerate(answers)]], weeks_ago=200)[0]
    clinic = episode.patient.clinic
    rows = _csv(None, ReportFilter(clinic=clinic))
    assert len(rows) == len(combos)
    for row in rows:
        points, answered = combos[int(row["week"])]
        assert row["odi_score"] == str(scoring.one_decimal(scoring.odi_score_from(points, answered)))


def test_episode_csv_has_baseline_latest_change_and_all_three_responder_flags(north):
    rows = list(exports.episode_export_rows(outcome_report_rows(north), north.clinic.pk))
    header = exports.EPISODE_COLUMNS
    first = dict(zip(header, rows[0], strict=True))
    assert first["odi_baseline"] == scoring.one_decimal(60)
    assert first["nrs_baseline"] == 7
    assert {"odi_responder_points", "odi_responder_percent", "odi_responder", "nrs_responder"} <= set(first)
    assert first["odi_responder"] in {"yes", "no"}


def outcome_report_rows(data):
    from reports.selectors import episode_rows

    return episode_rows(data.admin, ReportFilter(clinic=data.clinic))


def test_xlsx_has_summary_checkins_and_episodes_sheets(north, tmp_path):
    path = tmp_path / "out.xlsx"
    write_export(
        "xlsx", user=north.admin, filters=ReportFilter(clinic=north.clinic), path=path, progress=lambda n: None
    )
    book = load_workbook(path)
    assert book.sheetnames == ["Summary", "Check-ins", "Episodes"]
    assert book["Check-ins"].max_row == 1 + 24
    assert book["Episodes"].max_row == 1 + 6
    summary = [row for row in book["Summary"].iter_rows(values_only=True)]
    assert any(row[0] == "overall" and row[3] == "odi" and row[4] == "week_12" and row[5] == 6 for row in summary)


def test_summary_sheet_shows_small_groups_as_too_few(north):
    from tests.factories import checkin, patient_on_program

    checkin(patient_on_program(clinic=north.clinic, weeks_ago=2), 1, 2, 4)
    report = outcome_report(north.admin, ReportFilter(clinic=north.clinic))
    rows = list(exports.summary_rows(report))
    assert ("therapist", "Unassigned", "too few") in rows


def test_fhir_bundle_is_valid_r4_with_the_domain_loinc_codes(north, tmp_path):
    buffer = io.StringIO()
    count = exports.write_fhir_bundle(buffer, north.admin, ReportFilter(clinic=north.clinic))
    data = json.loads(buffer.getvalue())
    Bundle.model_validate(data)  # raises on anything invalid against the (R4B) specification
    resources = [e["resource"] for e in data["entry"]]
    assert count == len(resources) == 6 + 24 * 3  # a Patient per subject, then each check-in's three entries
    responses = [r for r in resources if r["resourceType"] == "QuestionnaireResponse"]
    observations = [r for r in resources if r["resourceType"] == "Observation"]
    assert len(responses) == 24
    assert {o["code"]["coding"][0]["code"] for o in observations} == {"97909-6", "72514-3"}
    assert all(c["system"] == "http://loinc.org" for o in observations for c in o["code"]["coding"])
    odi = next(o for o in observations if o["code"]["coding"][0]["code"] == "97909-6")
    assert odi["valueQuantity"] == {
        "value": 60.0,
        "unit": "{score}",
        "system": "http://unitsofmeasure.org",
        "code": "{score}",
    }
    assert odi["category"][0]["coding"][0]["code"] == "survey"
    assert all(r["subject"]["reference"].startswith("urn:uuid:") for r in resources if "subject" in r)
    week_8 = [r for r in responses if len(r["item"][0]["item"]) == 9]
    assert week_8 and all("odi-10" not in {i["linkId"] for i in r["item"][0]["item"]} for r in week_8)
    assert responses[0]["questionnaire"].endswith("/Questionnaire/cft-weekly-checkin|1")
    assert "+00:00" in responses[0]["authored"]


@pytest.mark.django_db
def test_fhir_leaves_out_the_odi_observation_when_the_score_is_null():
    episode = bulk_episodes(series=[[(1, [1] * 7 + [None] * 3, 4)]])[0]
    entries = exports.fhir_entries({**episode.checkins.values().get(), "pk": 1, "version": 1}, "Patient/P-x")
    codes = [e["resource"].get("code", {}).get("coding", [{}])[0].get("code") for e in entries]
    assert codes == [None, "72514-3"]


def test_research_export_is_de_identified_with_weeks_not_dates(north, tmp_path):
    path = tmp_path / "research.zip"
    write_export(
        "research", user=north.admin, filters=ReportFilter(clinic=north.clinic), path=path, progress=lambda n: None
    )
    archive = zipfile.ZipFile(path)
    assert set(archive.namelist()) == {"README.txt", "checkins.csv", "episodes.csv"}
    checkins = archive.read("checkins.csv").decode()
    episodes = archive.read("episodes.csv").decode()
    assert checkins.splitlines()[0].split(",") == list(exports.RESEARCH_CHECKIN_COLUMNS)
    assert "record_number" not in episodes and "week_one" not in episodes and "therapist" not in episodes
    for patient in north.patients:
        for value in (
            patient.first_name,
            patient.last_name,
            patient.email,
            str(patient.uuid),
            north.therapist.username,
        ):
            assert value not in checkins and value not in episodes
    assert not re.search(r"\d{4}-\d{2}-\d{2}", checkins + episodes)  # program weeks, never calendar dates


def test_pseudonym_is_stable_per_clinic_and_key_and_changes_with_either(north, south, settings):
    patient = north.patients[0]
    first = exports.pseudonym(north.clinic.pk, patient.uuid)
    assert exports.pseudonym(north.clinic.pk, patient.uuid) == first
    assert exports.pseudonym(south.clinic.pk, patient.uuid) != first
    settings.REPORTS_PSEUDONYM_KEY = "another key"
    assert exports.pseudonym(north.clinic.pk, patient.uuid) != first
    assert str(patient.uuid) not in first


def test_clinic_admin_exports_never_contain_another_clinics_patients(north, south):
    rows = _csv(north.admin, ReportFilter(clinic=south.clinic))
    assert rows == []
    buffer = io.StringIO()
    assert exports.write_fhir_bundle(buffer, north.admin, ReportFilter(clinic=south.clinic)) == 0


def test_streamed_csv_view_records_the_export(north, client):
    client.force_login(north.admin)
    response = client.get("/reports/export/checkins.csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert len(body.strip().splitlines()) == 25
    assert AuditEvent.objects.filter(action="export.csv_checkins", actor=north.admin, clinic=north.clinic).exists()


def test_streamed_csv_view_is_refused_to_a_therapist(north, client):
    client.force_login(north.therapist)
    assert client.get("/reports/export/checkins.csv").status_code == 403


def test_export_kinds_cover_every_writer():
    assert set(ExportJob.Kind.values) == {"csv_checkins", "csv_episodes", "xlsx", "fhir", "research"}
