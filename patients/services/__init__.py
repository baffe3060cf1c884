"""Every write to patient data with a rule or a side effect, by capability (as zulip's `actions/`): `care`
(patients, episodes, discharge, links), `assignments` (programs on an episode, tailoring), `checkins` (a week's
answers and the alerts they raise) and `wording` (a clinic's licensed ODI wording per language). Called the same
way from the admin, the patient pages, the API and tasks; each raises django ValidationError with a dict naming
the bad field. Import from here: `from patients import services`, then `services.submit_checkin(...)`."""

from patients.services.assignments import (
    TAILORABLE,
    ItemToAdd,
    add_item,
    assign_program,
    assign_program_to_patient,
    checked_weeks,
    copy_component,
    copy_program_items,
    drop_item,
    first_open_week,
    remove_item,
    tailor_assignment,
    tailor_item,
)
from patients.services.care import (
    CHECKIN_LINK_TASK,
    EDITABLE_PATIENT_FIELDS,
    check_primary_therapist,
    create_patient,
    discharge_patient,
    issue_patient_token,
    open_episode,
    send_checkin_link_now,
    set_reminders_paused,
    update_patient,
)
from patients.services.checkins import (
    ALERT_TASK,
    ActivityAnswer,
    CheckInAnswers,
    CheckInResult,
    CopingAnswer,
    acknowledge_alert,
    acknowledge_alerts,
    current_week,
    raise_missed_checkin_alerts,
    submit_checkin,
)
from patients.services.wording import load_odi_wording

__all__ = [
    "ALERT_TASK",
    "CHECKIN_LINK_TASK",
    "EDITABLE_PATIENT_FIELDS",
    "TAILORABLE",
    "ItemToAdd",
    "add_item",
    "ActivityAnswer",
    "CheckInAnswers",
    "CheckInResult",
    "CopingAnswer",
    "acknowledge_alert",
    "acknowledge_alerts",
    "assign_program",
    "assign_program_to_patient",
    "check_primary_therapist",
    "checked_weeks",
    "copy_component",
    "copy_program_items",
    "create_patient",
    "current_week",
    "discharge_patient",
    "drop_item",
    "first_open_week",
    "issue_patient_token",
    "load_odi_wording",
    "open_episode",
    "raise_missed_checkin_alerts",
    "remove_item",
    "send_checkin_link_now",
    "set_reminders_paused",
    "submit_checkin",
    "tailor_assignment",
    "tailor_item",
    "update_patient",
]
