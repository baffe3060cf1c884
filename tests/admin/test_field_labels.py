"""Messages in the admin name a field by its label ("Reminder consent: ..."), never by its internal name."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from patients.admin import error_text
from patients.models import Patient
from tests.admin.conftest import CHANGELIST


def test_a_service_error_names_the_fields_label():
    error = ValidationError({"reminder_consent": "Not agreed.", "start_date": "Too early.", "__all__": "Whole form."})
    assert error_text(error) == "Reminder consent: Not agreed.; Start date: Too early.; Whole form."


def test_an_action_refused_for_one_patient_says_which_field_in_words(tess_client, world):
    Patient.objects.filter(pk=world.alice.pk).update(reminder_consent=False)
    data = {"action": "send_checkin_link_action", "_selected_action": [world.alice.pk]}
    page = tess_client.post(CHANGELIST + "?caseload=clinic", data, follow=True).content.decode()
    assert "Reminder consent: The patient has not agreed to be emailed." in page
    messages = page.split('class="messagelist"')[1].split("</ul>")[0]
    assert "reminder_consent" not in messages
