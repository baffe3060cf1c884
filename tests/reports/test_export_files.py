"""The export files as the software that opens them reads them: the csv module, openpyxl, fhir.resources."""

import codecs
import csv
import datetime as dt
import io
import json
import re
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from openpyxl import load_workbook
from rest_framework.test import APIClient

from audit.models import AuditEvent
from patients import services as patient_services
from patients.models import Assignment, CheckIn, Patient
from programs.models import Program
from reports import exports, services
from reports.models import ExportJob
from reports.selectors import ReportFilter
from tests.factories import builtin_program, checkin, patient_on_program, staff_token

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?\d+(\.\d+)?")
HYPERLINK = '=HYPERLINK("http://evil.example/x","open")'


@pytest.fixture(autouse=True)
def _export_dir(settings, tmp_path):
    settings.REPORTS_EXPORT_DIR = tmp_path / "exports"


def read_csv(raw: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def export(data, kind: str, tmp_path, **kwargs) -> bytes:
    path = tmp_path / f"export.{kind}"
    filters = ReportFilter(clinic=data.clinic)
    services.write_export(kind, user=data.admin, filters=filters, path=path, progress=lambda n: None, **kwargs)
    return path.read_bytes()


def tables(data, tmp_path) -> dict[str, list[list]]:
    """Every sheet of every clinic and research export, as the rows a reader gets back."""
    found = {kind: read_csv(export(data, kind, tmp_path)) for kind in ("csv_checkins", "csv_episodes")}
    book = load_workbook(io.BytesIO(export(data, "xlsx", tmp_path)))
    for sheet in book.worksheets:
        found[f"xlsx:{sheet.title}"] = [list(row) for row in sheet.iter_rows(values_only=True)]
    archive = zipfile.ZipFile(io.BytesIO(export(data, "research", tmp_path)))
    for name in archive.namelist():
        if name.endswith(".csv"):
            found[f"research:{name}"] = read_csv(archive.read(name))
    return found


def column(rows: list[list], name: str) -> list:
    index = rows[0].index(name)
    return [row[index] for row in rows[1:]]


# --- formula injection ------------------------------------------------------------------------------------


def test_formula_text_is_quoted_in_every_csv_and_every_sheet(north, tmp_path):
    Patient.objects.filter(pk=north.patients[0].pk).update(record_number="=1+2")
    assignments = Assignment.objects.filter(episode__patient__clinic=north.clinic)
    assignments.update(title=HYPERLINK)  # an episode's program as assigned: the episode rows
    Program.objects.filter(pk__in=assignments.values("program")).update(title=HYPERLINK)  # a group's: the summary
    found = tables(north, tmp_path)
    for name, rows in found.items():
        for row in rows:
            for cell in row:
                if isinstance(cell, str) and not NUMBER.fullmatch(cell):
                    assert not cell.startswith(FORMULA_START), (name, cell)
    assert "'=1+2" in column(found["csv_checkins"], "Record number")
    assert "'=1+2" in column(found["xlsx:Episodes"], "Record number")
    assert set(column(found["csv_episodes"], "Program")) == {"'" + HYPERLINK}
    assert set(column(found["research:checkins.csv"], "program")) == {"'" + HYPERLINK}
    assert any(row[:2] == ["program", "'" + HYPERLINK] for row in found["xlsx:Summary"])


def test_no_xlsx_cell_is_a_formula(north, tmp_path):
    Patient.objects.filter(pk=north.patients[0].pk).update(record_number="=cmd|' /C calc'!A0")
    Assignment.objects.filter(episode__patient__clinic=north.clinic).update(title=HYPERLINK)
    book = load_workbook(io.BytesIO(export(north, "xlsx", tmp_path)))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert cells and all(cell.data_type != "f" for cell in cells)


def test_negative_changes_stay_numbers(north, tmp_path):
    worse = patient_on_program(clinic=north.clinic, weeks_ago=6, program=builtin_program())
    checkin(worse, 0, 1, 2, by=north.admin)
    checkin(worse, 4, 3, 6)  # ODI 20 -> 60, NRS 2 -> 6: a change of -40.0 and -4
    rows = read_csv(export(north, "csv_episodes", tmp_path))
    odi, nrs = "ODI improvement (baseline - latest)", "NRS improvement (baseline - latest)"
    assert "-40.0" in column(rows, odi) and "-4" in column(rows, nrs)
    sheet = load_workbook(io.BytesIO(export(north, "xlsx", tmp_path)))["Episodes"]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert Decimal("-40.0") in column(values, odi) and -4 in column(values, nrs)


# --- line breaks ------------------------------------------------------------------------------------------


def test_a_line_break_inside_a_value_never_splits_a_row(north, tmp_path):
    # Stored before identifiers refused control characters (the API no longer accepts it).
    Patient.objects.filter(pk=north.patients[0].pk).update(record_number="AB\r=9")
    Assignment.objects.filter(episode__patient__clinic=north.clinic).update(title="Persistent\npain")
    raw = export(north, "csv_checkins", tmp_path)
    rows = read_csv(raw)
    assert len(rows) == 1 + 24 and all(len(row) == len(exports.CHECKIN_COLUMNS) for row in rows)
    assert column(rows, "Record number").count("AB\r=9") == 4
    assert raw.endswith(b"\r\n") and raw.count(b"\r\n") == 25  # RFC 4180 line ends; breaks in values are quoted
    episodes = read_csv(export(north, "csv_episodes", tmp_path))
    assert len(episodes) == 1 + 6 and set(column(episodes, "Program")) == {"Persistent\npain"}


@pytest.mark.parametrize("field", ["record_number", "first_name", "last_name", "phone"])
@pytest.mark.parametrize("value", ["AB\r=9", "AB\n9", "A\tB", "A\x00B", "A\u2028B"])
def test_the_api_refuses_control_characters_in_identifiers_naming_the_field(north, field, value):
    patient = north.patients[0]
    before = Patient.objects.values().get(pk=patient.pk)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(north.therapist)}")
    response = client.patch(f"/api/v1/patients/{patient.pk}/", {field: value}, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert Patient.objects.values().get(pk=patient.pk) == before


def test_the_service_refuses_a_record_number_with_a_carriage_return(north):
    with pytest.raises(ValidationError) as error:
        patient_services.create_patient(
            clinic=north.clinic, first_name="Ada", last_name="Lovelace", email="ada@example.org", record_number="A\rB"
        )
    assert "record_number" in error.value.message_dict
    assert not Patient.objects.filter(first_name="Ada").exists()


# --- byte-order mark --------------------------------------------------------------------------------------


def test_clinic_csvs_start_with_the_utf8_bom_and_keep_non_ascii_names(north, tmp_path, client):
    Assignment.objects.filter(episode__patient__clinic=north.clinic).update(title="Bjørn Ødegård's program")
    for kind in ("csv_checkins", "csv_episodes"):
        raw = export(north, kind, tmp_path)
        assert raw.startswith(codecs.BOM_UTF8)
        assert read_csv(raw)[0][0] == "Patient"
        assert "Bjørn Ødegård's program" in column(read_csv(raw), "Program")
    client.force_login(north.admin)
    streamed = b"".join(client.get("/reports/export/episodes.csv").streaming_content)
    assert streamed.startswith(codecs.BOM_UTF8)


def test_research_csvs_have_no_bom(north, tmp_path):
    archive = zipfile.ZipFile(io.BytesIO(export(north, "research", tmp_path)))
    for name in ("checkins.csv", "episodes.csv"):
        assert archive.read(name).startswith(b"patient,")


# --- XLSX times -------------------------------------------------------------------------------------------


def test_xlsx_and_csv_write_the_same_utc_instant_under_a_header_that_says_utc(north, tmp_path):
    patient = north.patients[0]
    Patient.objects.filter(pk=patient.pk).update(time_zone="Pacific/Auckland")
    at = dt.datetime(2026, 1, 5, 20, 30, tzinfo=dt.UTC)  # 09:30 on 6 January in Auckland
    CheckIn.objects.filter(patient=patient, week=4).update(submitted_at=at)
    csv_rows = read_csv(export(north, "csv_checkins", tmp_path))
    assert "2026-01-05T20:30:00Z" in column(csv_rows, "Submitted (UTC)")
    sheet = load_workbook(io.BytesIO(export(north, "xlsx", tmp_path)))["Check-ins"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == exports.CHECKIN_HEADERS and "Submitted (UTC)" in rows[0]
    assert dt.datetime(2026, 1, 5, 20, 30) in column(rows, "Submitted (UTC)")


# --- XLSX summary comparison ------------------------------------------------------------------------------


def test_xlsx_summary_has_the_comparison_the_report_page_shows(north, client):
    flare = builtin_program("acute_flare")
    for i in range(5):
        patient = patient_on_program(clinic=north.clinic, therapist=north.therapist, weeks_ago=5, program=flare)
        checkin(patient, 0, 3, 7, by=north.admin)
        checkin(patient, 4, 2 - i % 2, 4)
    persistent = north.patients[0].episodes.get().assignments.get().program_id
    query = f"compare={persistent},{flare.pk}&at=latest"
    client.force_login(north.admin)
    page = client.get(f"/reports/?{query}").content.decode()
    client.post(f"/reports/exports/?{query}", {"kind": "xlsx"})
    job = services.run_export(ExportJob.objects.get().pk)
    summary = [list(r) for r in load_workbook(services.export_path(job))["Summary"].iter_rows(values_only=True)]
    heading = next(row for row in summary if row[0] == "comparison")
    assert heading[1].endswith(f" minus {flare.title}") and heading[3] == "latest"
    differences = {row[1]: row for row in summary if row[0] == "difference in improvement"}
    assert set(differences) == {"odi", "nrs"}
    assert all(isinstance(row[2], float | int) for row in differences.values())
    assert f"{differences['odi'][2]:.1f}" in page  # the page's number, one decimal


# --- FHIR -------------------------------------------------------------------------------------------------


def references(node) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [ref for value in node.values() for ref in references(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in references(value)]
    return []


def test_fhir_bundle_validates_and_every_reference_resolves_inside_it(north):
    buffer = io.StringIO()
    exports.write_fhir_bundle(buffer, north.admin, ReportFilter(clinic=north.clinic))
    data = json.loads(buffer.getvalue())
    Bundle.model_validate(data)
    urls = [entry["fullUrl"] for entry in data["entry"]]
    assert all(re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", url) for url in urls) and len(set(urls)) == len(urls)
    by_url = {entry["fullUrl"]: entry["resource"] for entry in data["entry"]}
    refs = references([entry["resource"] for entry in data["entry"]])
    assert refs and all(ref in by_url for ref in refs)
    patients = [r for r in by_url.values() if r["resourceType"] == "Patient"]
    assert len(patients) == 6
    subjects = {by_url[r["subject"]["reference"]]["resourceType"] for r in by_url.values() if "subject" in r}
    assert subjects == {"Patient"}
    pseudonyms = {exports.pseudonym(north.clinic.pk, p.uuid) for p in north.patients}
    for patient in patients:
        assert set(patient) == {"resourceType", "identifier"}  # no name, birth date, contact or address
        assert patient["identifier"][0]["system"] == exports.PSEUDONYM_SYSTEM
    assert {p["identifier"][0]["value"] for p in patients} == pseudonyms


# --- research de-identification ---------------------------------------------------------------------------


def test_no_identifying_value_appears_in_any_file_of_the_research_zip(north, tmp_path):
    for i, patient in enumerate(north.patients):
        Patient.objects.filter(pk=patient.pk).update(record_number=f"MRN-77{i}", phone=f"+47 912 34 56{i}")
    clinic_rows = read_csv(export(north, "csv_checkins", tmp_path))
    archive = zipfile.ZipFile(io.BytesIO(export(north, "research", tmp_path)))
    assert set(archive.namelist()) == {"README.txt", "checkins.csv", "episodes.csv"}
    texts = {name: archive.read(name).decode() for name in archive.namelist()}
    identifying = set(column(clinic_rows, "Patient"))  # the clinic's pseudonyms sit next to record numbers
    for patient in Patient.objects.filter(clinic=north.clinic):
        identifying |= {patient.record_number, patient.first_name, patient.last_name, patient.email}
        identifying |= {str(patient.phone), patient.phone.as_national, patient.phone.as_international}
        identifying.add(str(patient.uuid))
    identifying |= {north.therapist.username, north.admin.username, north.clinic.name, north.clinic.slug}
    for name, text in texts.items():
        for value in identifying - {""}:
            assert value not in text, (name, value)
    for name in ("checkins.csv", "episodes.csv"):
        rows = read_csv(archive.read(name))
        assert not set(rows[0]) & {"record_number", "therapist", "week_one", "submitted_at_utc", "name", "email"}
        assert all(cell.startswith("R-") for cell in column(rows, "patient"))
        text = texts[name]
        assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}", text)  # program weeks, never dates or times


# --- downloads through the API ----------------------------------------------------------------------------


def token_client(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(user)}")
    return client


def test_an_api_client_downloads_its_export_with_a_token_and_the_download_is_audited(north):
    admin = token_client(north.admin)
    job_id = admin.post("/api/v1/reports/exports/", {"kind": "csv_checkins"}, format="json").json()["id"]
    job = services.run_export(ExportJob.objects.get(uuid=job_id).pk)
    link = admin.get(f"/api/v1/reports/exports/{job_id}/").json()["download"]
    assert link.endswith(f"/api/v1/reports/exports/{job_id}/download/")
    response = admin.get(link)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == services.export_path(job).read_bytes()
    assert job.download_name in response["Content-Disposition"]
    assert AuditEvent.objects.filter(action="export.download", actor=north.admin, clinic=north.clinic).count() == 1


def test_api_download_answers_401_403_and_404_where_due(north, south):
    job = services.request_export(user=north.admin, filters=ReportFilter(clinic=north.clinic), kind="fhir")
    url = f"/api/v1/reports/exports/{job.uuid}/download/"
    assert token_client(north.admin).get(url).status_code == 404  # queued: nothing to download yet
    services.run_export(job.pk)
    assert token_client(None).get(url).status_code == 401
    assert token_client(north.therapist).get(url).status_code == 403
    assert token_client(south.admin).get(url).status_code == 404
    services.delete_expired_exports(now=timezone.now() + dt.timedelta(days=30))
    assert token_client(north.admin).get(url).status_code == 404
    assert not AuditEvent.objects.filter(action="export.download").exists()


# --- headers and the XLSX layout --------------------------------------------------------------------------


def test_clinic_files_have_headers_in_words_and_the_research_files_keep_the_codebook_names(north, tmp_path):
    checkins, episodes = (read_csv(export(north, kind, tmp_path))[0] for kind in ("csv_checkins", "csv_episodes"))
    assert checkins[:6] == ["Patient", "Record number", "Program", "Program week", "Submitted (UTC)", "ODI score"]
    assert episodes[:8] == ["Patient", "Record number", "Program", "Therapist", "Week one", "Baseline week",
                            "Latest week", "Baseline ODI"]  # fmt: skip
    assert not any("_" in header for header in checkins + episodes)
    book = load_workbook(io.BytesIO(export(north, "xlsx", tmp_path)))
    assert [c.value for c in book["Check-ins"][1]] == checkins and [c.value for c in book["Episodes"][1]] == episodes
    archive = zipfile.ZipFile(io.BytesIO(export(north, "research", tmp_path)))
    assert read_csv(archive.read("checkins.csv"))[0] == list(exports.RESEARCH_CHECKIN_COLUMNS)
    assert read_csv(archive.read("episodes.csv"))[0] == list(exports.RESEARCH_EPISODE_COLUMNS)
    readme = archive.read("README.txt").decode()
    for name in exports.RESEARCH_CHECKIN_COLUMNS + exports.RESEARCH_EPISODE_COLUMNS:  # its codebook documents them
        assert f"  {name}: {exports.HEADERS[name]}\n" in readme


def test_the_xlsx_data_sheets_freeze_their_header_row_and_fit_their_headers(north, tmp_path):
    book = load_workbook(io.BytesIO(export(north, "xlsx", tmp_path)))
    for name in ("Check-ins", "Episodes"):
        sheet = book[name]
        assert sheet.freeze_panes == "A2"
        for cell in sheet[1]:
            assert sheet.column_dimensions[cell.column_letter].width >= len(cell.value), (name, cell.value)
    assert book["Summary"].column_dimensions["B"].width >= 20
