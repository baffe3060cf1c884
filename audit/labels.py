"""The audit log's action codes in words, for the people who read the log (clinic admins). The codes stay the
stored value and the CSV column; only the admin shows the words."""

from __future__ import annotations

ACTION_LABELS: dict[str, str] = {
    "alert.acknowledge": "Alert acknowledged",
    "alert.escalate": "Alert escalated",
    "api_token.revoked": "API token revoked",
    "assignment.add_item": "Program item added for this patient",
    "assignment.create": "Program assigned",
    "assignment.drop_item": "Program item dropped",
    "assignment.end": "Program ended (replaced)",
    "assignment.remove_item": "Program item removed for this patient",
    "assignment.tailor": "Program tailored",
    "checkin.create": "Check-in submitted",
    "checkin.update": "Check-in resubmitted",
    "episode.open": "Episode of care opened",
    "export.audit_log": "Audit log exported",
    "export.csv_checkins": "Check-ins exported (CSV)",
    "export.csv_episodes": "Episodes exported (CSV)",
    "export.xlsx": "Report exported (Excel)",
    "export.fhir": "Report exported (FHIR)",
    "export.research": "Research export",
    "export.download": "Export downloaded",
    "export.request": "Export requested",
    "job.row_failed": "Background job failed for one row",
    "login.api_token": "Signed in to the API",
    "login.api_token.bad_otp": "API sign-in refused: wrong second-factor code",
    "login.failure": "Sign-in failed",
    "login.second_factor": "Second factor verified",
    "login.second_factor.bad_code": "Second-factor step refused: wrong code",
    "login.second_factor.bad_password": "Second-factor step refused: wrong password",
    "login.success": "Signed in",
    "patient.api_session": "Patient opened their check-in link",
    "patient.create": "Patient added",
    "patient.discharge": "Patient discharged",
    "patient.erase": "Patient erased",
    "patient.export": "Caseload exported (CSV)",
    "patient.export_data": "Patient's data exported",
    "patient.pause": "Reminders paused",
    "patient.read.alert_list": "Alert list viewed",
    "patient.read.caseload": "Caseload viewed",
    "patient.read.checkins": "Check-ins viewed",
    "patient.read.history": "Patient history viewed",
    "patient.read.outcomes": "Outcomes viewed",
    "patient.read.patient_list": "Patient list viewed",
    "patient.read.program": "Patient's program viewed",
    "patient.read.record": "Patient record viewed",
    "patient.resume": "Reminders resumed",
    "patient.send_checkin_link": "Check-in link sent",
    "patient.update": "Patient details changed",
    "program.create": "Program created",
    "reminder.resend": "Reminder resent",
}


def action_label(action: str) -> str:
    """The words for an action code; a code without a label (a new one) is shown as it is stored."""
    return ACTION_LABELS.get(action, action)
