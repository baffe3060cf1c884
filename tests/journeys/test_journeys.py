"""Journeys through the running product (`make run`: web, worker and beat under honcho, DEBUG on), in Chromium,
as its people use it. Each fails on a CSP violation, a 5xx, a page error, a serious or critical axe-core
violation, or a traceback in the processes' output (tests/journeys/conftest.py)."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from patients.models import RED_FLAGS

from .conftest import DEMO_PASSWORD, PHONE, Journey, Product

pytestmark = [pytest.mark.journey, pytest.mark.integration, pytest.mark.browser]

CHECKIN_LINK = re.compile(r"(http://[^\s\"<>]+/checkin/[^\s\"<>]+/)")


def log_in(person: Journey, username: str) -> None:
    page = person.page
    page.goto(f"{person.product.url}/admin/")
    person.check_page("login")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{person.product.url}/admin/")


def text_of(message) -> str:  # type: ignore[no-untyped-def]
    return message.get_body(preferencelist=("plain",)).get_content()


def test_a_link_sent_now_reaches_the_patient_whose_red_flag_reaches_the_therapist(journey, product: Product):
    # 1. The therapist logs in, opens the caseload and sends the first patient a check-in link now.
    therapist = journey("therapist")
    log_in(therapist, "demo-therapist")
    page = therapist.page
    therapist.check_page("home")
    page.get_by_role("link", name="Open the caseload").click()
    page.wait_for_url("**/admin/patients/patient/**")
    therapist.check_page("caseload")
    # The demo's intakes answered the belief section: some patients are marked for the conversation (#22).
    assert page.locator("#result_list .beliefs-flag").count() >= 1
    first = page.locator("#result_list tbody tr").first
    name = first.locator("th a, td a").first.inner_text().strip()
    first.locator("th a, td a").first.click()
    page.wait_for_selector("#id_email")
    patient_email = page.input_value("#id_email")
    patient_url = page.url
    therapist.check_page("patient")
    page.go_back()
    page.wait_for_selector("#result_list")
    page.locator("#result_list tbody tr", has_text=name).first.locator("input.action-select").check()
    page.select_option("select[name=action]", label="Send a check-in link now")
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist")
    assert "Check-in link queued" in page.locator(".messagelist").inner_text()

    # 2. The worker mails it; its link is on the port being served and opens the check-in at phone size.
    mail = product.wait_for_mail(patient_email, "Your check-in link")
    link = CHECKIN_LINK.search(text_of(mail))
    assert link, text_of(mail)
    assert link.group(1).startswith(f"{product.url}/checkin/"), link.group(1)
    patient = journey("patient", viewport=PHONE)
    checkin = patient.page
    checkin.goto(link.group(1))
    patient.check_page("open-link")
    checkin.get_by_role("button", name="Start my check-in").click()
    checkin.wait_for_selector("#checkin-form")
    patient.check_page("checkin-form")

    # 3. The patient checks in with a bladder/bowel red flag; the emergency advice shows, the therapist is mailed.
    checkin.locator('input[name="pain_nrs"][value="6"]').check()
    for index in range(10):
        checkin.locator(f'input[name="odi[{index}]"][value="2"]').check()
    for key in RED_FLAGS:
        answer = "yes" if key == "rf_bladder_bowel" else "no"
        checkin.locator(f'input[name="red_flags.{key}"][value="{answer}"]').check()
    checkin.locator("#checkin-form [type=submit]").click()
    checkin.wait_for_selector("#red-flag-message")
    patient.check_page("red-flag-advice")
    # The demo's own red flag (night pain) was mailed at start: wait for this patient's bladder/bowel alert.
    alert_mail = product.wait_for_mail(
        "demo-therapist@example.org",
        "Urgent: please review a patient in CFT Tracker",
        containing=(name.split(" (")[0], RED_FLAGS["rf_bladder_bowel"][0]),  # the row reads "Name (record)"
    )
    alert_text = text_of(alert_mail)
    assert f"{product.url}/admin/" in alert_text

    # 4. The therapist acknowledges the alert on the patient page.
    page.goto(patient_url)
    alerts = page.locator("#open-alerts")
    assert alerts.get_by_text(RED_FLAGS["rf_bladder_bowel"][0][:40], exact=False).count() >= 1
    therapist.check_page("patient-with-alert")
    # Tick it, say what was done, acknowledge (#20's alert workflow); it moves to the history with the note.
    alerts.locator(".cft-alert", has_text=RED_FLAGS["rf_bladder_bowel"][0][:40]).get_by_role("checkbox").first.check()
    page.fill("#ack-note", "Phoned the patient: sent to the emergency department.")
    page.get_by_role("button", name="Acknowledge selected").click()
    page.wait_for_selector("text=acknowledged.")
    history = page.locator("#alert-history")
    assert history.get_by_text("Phoned the patient: sent to the emergency department.").is_visible()
    assert page.locator("#adherence").is_visible()  # the adherence panel of the same patient
    assert page.locator("#beliefs svg.trend-chart").is_visible()  # the belief answers since the intake
    therapist.check_page("acknowledged")


EXPORT_KINDS = {
    "csv_checkins": "CSV, one row per check-in",
    "csv_episodes": "CSV, one row per patient episode",
    "xlsx": "Excel workbook (summary, check-ins, episodes)",
    "fhir": "FHIR R4 Bundle (JSON)",
    "research": "De-identified research export (ZIP of two CSVs)",
}


def download(person: Journey, click) -> Path:  # type: ignore[no-untyped-def]
    """What the browser saves, under the name the server gave it."""
    with person.page.expect_download() as info:
        click()
    target = person.product.var_dir / "downloads" / info.value.suggested_filename
    info.value.save_as(target)
    return target


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_clinic_admin_reads_the_report_and_downloads_every_export_kind(journey, product: Product):
    from reports import exports

    admin = journey("clinic-admin")
    log_in(admin, "demo-admin")
    page = admin.page
    page.goto(f"{product.url}/reports/")
    page.wait_for_selector("h1")
    admin.check_page("report")
    assert page.locator("table").count() >= 1

    # Streamed now: both CSVs.
    checkins = csv_rows(download(admin, lambda: page.get_by_role("link", name="check-ins CSV").click()).read_bytes())
    assert checkins and list(checkins[0]) == exports.CHECKIN_HEADERS
    assert all(row["Patient"].startswith("P-") for row in checkins)
    assert any(row["ODI score"] for row in checkins)
    episodes = csv_rows(download(admin, lambda: page.get_by_role("link", name="episodes CSV").click()).read_bytes())
    assert episodes and list(episodes[0]) == exports.EPISODE_HEADERS

    # Prepared by the worker: every kind, each downloaded and parsed.
    files: dict[str, Path] = {}
    for kind, label in EXPORT_KINDS.items():
        page.select_option("select[name=kind]", value=kind)
        page.get_by_role("button", name="Start export").click()
        row = page.locator("tbody tr", has_text=label).first
        row.get_by_role("link", name="Download").wait_for(timeout=90_000)
        assert "Failed" not in row.inner_text()
        files[kind] = download(admin, lambda row=row: row.get_by_role("link", name="Download").click())
    admin.check_page("report-with-exports")

    prepared = csv_rows(files["csv_checkins"].read_bytes())
    assert len(prepared) == len(checkins) and list(prepared[0]) == exports.CHECKIN_HEADERS
    assert list(csv_rows(files["csv_episodes"].read_bytes())[0]) == exports.EPISODE_HEADERS

    workbook = load_workbook(files["xlsx"], read_only=True)
    assert {"Summary", "Check-ins", "Episodes"} <= set(workbook.sheetnames)
    sheet_rows = list(workbook["Check-ins"].iter_rows(values_only=True))
    assert len(sheet_rows) == len(checkins) + 1, "a header and one row per check-in, as in the CSV"

    bundle = json.loads(files["fhir"].read_text())
    assert bundle["resourceType"] == "Bundle" and bundle["entry"]
    codes = {c["code"] for e in bundle["entry"] for c in e["resource"].get("code", {}).get("coding", [])}
    assert {"97909-6", "72514-3"} <= codes, codes  # LOINC: ODI score, pain NRS (DOMAIN.md)

    with zipfile.ZipFile(files["research"]) as archive:
        names = archive.namelist()
        assert len([n for n in names if n.endswith(".csv")]) == 2, names
        for name in names:
            rows = csv_rows(archive.read(name))
            assert rows, name
            assert "record_number" not in rows[0]


def start_care_with(page, *, odi: str, nrs: str) -> None:  # type: ignore[no-untyped-def]
    """On the Start care page: the first program offered, and the baseline the patient gives (no red flag)."""
    page.select_option("#id_program", index=1)
    for index in range(10):
        page.locator(f'input[name="baseline-odi[{index}]"][value="{odi}"]').check()
    page.locator(f'input[name="baseline-pain_nrs"][value="{nrs}"]').check()
    for key in RED_FLAGS:
        page.locator(f'input[name="baseline-red_flags.{key}"][value="no"]').check()


def test_a_new_patient_starts_care_at_the_first_visit_is_discharged_and_returns(journey, product: Product):
    """The clinic's first week (issue 39): a therapist adds a patient, records the week-0 intake with them and
    starts care, and the first link reaches the patient; later she discharges them with a note, the record stays
    readable, and care starts again months later."""
    therapist = journey("therapist")
    log_in(therapist, "demo-therapist")
    page = therapist.page

    # 1. A new patient, added in the browser, lands on "Start care".
    page.goto(f"{product.url}/admin/patients/patient/add/")
    page.fill("#id_first_name", "Journey")
    page.fill("#id_last_name", "Newcomer")
    page.fill("#id_email", "journey.newcomer@example.org")
    page.locator("input[name=_save]").click()
    page.wait_for_selector("#start-care")
    assert "Now start their care with them" in page.locator(".messagelist").inner_text()
    therapist.check_page("start-care")

    # 2. The week-0 baseline with the patient, then the program starts today and the first link goes.
    start_care_with(page, odi="2", nrs="6")
    page.locator("#id_reminder_consent").check()
    page.get_by_role("button", name="Start care").click()
    page.wait_for_selector("#trend")
    assert "Care started" in page.locator(".messagelist").inner_text()
    assert "The first check-in link is on its way." in page.locator(".messagelist").inner_text()
    assert page.locator("#checkins").get_by_text("Staff at a visit").count() == 1
    patient_url = page.url
    # The demo's North clinic is Norwegian: a new patient's emails are in Norwegian unless chosen otherwise.
    mail = product.wait_for_mail("journey.newcomer@example.org", "Lenken til innsjekkingen din")
    assert CHECKIN_LINK.search(text_of(mail))

    # 3. Discharged with a note, after a confirmation: the trend, check-ins and note stay on the page.
    page.locator("#discharge-link").click()
    page.wait_for_selector("#id_discharge_note")
    therapist.check_page("discharge")
    page.fill("#id_discharge_note", "Back at work; self-managing with the flare plan.")
    page.get_by_role("button", name="Discharge").click()
    page.wait_for_url(patient_url)
    assert page.locator("#discharged-note").is_visible()
    assert page.locator("#trend-table").is_visible()
    assert page.locator("#episodes").get_by_text("Back at work; self-managing with the flare plan.").is_visible()
    therapist.check_page("discharged-patient")

    # 4. Months later the patient returns: a new episode, the first one a click away.
    page.locator("#start-care-link").click()
    page.wait_for_selector("#start-care")
    start_care_with(page, odi="1", nrs="3")
    page.get_by_role("button", name="Start care").click()
    page.wait_for_selector("#episodes")
    assert page.locator("#episodes tbody tr").count() == 2
    page.locator("#episodes tbody a").first.click()
    page.wait_for_selector("#trend-table")
    assert " to " in page.locator("#trend-title").inner_text()  # the first, ended episode
    therapist.check_page("returning-patient")
