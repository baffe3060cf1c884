"""Start care at the first visit (the admin's intake page): a patient added in the browser goes straight to it;
the program, its start and the week-0 baseline taken with the patient (in their language and the clinic's ODI
wording) are saved together with the consent and the first link, or nothing is saved and each error is named."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from outbox.models import OutboxMessage
from patients import beliefs, services
from patients.models import RED_FLAGS, Alert, Assignment, CheckIn, Episode, Patient
from patients.services import CHECKIN_LINK_TASK, CheckInAnswers, discharge_patient
from tests.factories import PatientFactory, checkin, licensed_odi_wording

pytestmark = pytest.mark.django_db


def start_care_url(patient: Patient) -> str:
    return reverse("admin:patients_patient_start_care", args=[patient.pk])


def intake(program: object, start: dt.date, **changes: str) -> dict[str, str]:
    """A filled-in intake: the care form and the patient's baseline answers (ODI all 1, NRS 6, no red flag)."""
    data = {
        "program": str(program.pk),  # type: ignore[attr-defined]
        "start_date": start.isoformat(),
        "goals": "Carry my grandson",
        "reminder_consent": "on",
        "send_link": "on",
        "baseline-pain_nrs": "6",
        **{f"baseline-odi[{i}]": "1" for i in range(10)},
        **{f"baseline-red_flags.{key}": "no" for key in RED_FLAGS},
        **{f"baseline-beliefs.{item}": "5" for item in beliefs.ITEMS},
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def newcomer(world):  # type: ignore[no-untyped-def]
    return PatientFactory(clinic=world.alpha, primary_therapist=world.tess, first_name="Nina", last_name="New")


def test_a_patient_added_in_the_browser_goes_on_to_start_care_with_the_baseline_and_first_link(tess_client, world):
    added = tess_client.post(
        reverse("admin:patients_patient_add"),
        {
            "first_name": "Nina",
            "last_name": "New",
            "email": "nina@example.org",
            "clinic": world.alpha.pk,
            "primary_therapist": world.tess.pk,
            "time_zone": "Europe/Oslo",
            "checkin_weekday": 0,
            "checkin_hour": 9,
            "language": "en-gb",
        },
    )
    nina = Patient.objects.get(first_name="Nina")
    licensed_odi_wording(world.alpha)
    assert added.status_code == 302 and added["Location"] == start_care_url(nina)
    page = tess_client.get(start_care_url(nina)).content.decode()
    assert "Baseline (week 0), with the patient" in page and "pain" in page.lower()

    today = nina.local_today()
    response = tess_client.post(start_care_url(nina), intake(world.alpha_program, today))
    assert response.status_code == 302
    assignment = Assignment.objects.get(episode__patient=nina)
    assert (assignment.program, assignment.start_date) == (world.alpha_program, today)
    assert Episode.objects.get(patient=nina).goals == "Carry my grandson"
    baseline = CheckIn.objects.get(patient=nina)
    assert (baseline.week, baseline.pain_nrs, baseline.entered_by) == (0, 6, CheckIn.EnteredBy.STAFF)
    assert baseline.beliefs == dict.fromkeys(beliefs.ITEMS, 5)
    assert OutboxMessage.objects.filter(task_name=CHECKIN_LINK_TASK, kwargs={"patient_id": nina.pk}).exists()
    shown = tess_client.get(response["Location"]).content.decode()
    assert "Care started" in shown and "The first check-in link is on its way." in shown
    assert "Start care: program and baseline" not in shown  # in care now


def test_bad_input_names_each_field_and_saves_nothing(tess_client, world, newcomer):
    data = intake(world.alpha_program, newcomer.local_today()) | {"program": ""}
    del data["baseline-pain_nrs"]
    response = tess_client.post(start_care_url(newcomer), data)

    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing has been saved" in html
    assert "This field is required." in html  # the program
    assert "Choose a number from 0 (no pain) to 10 (worst pain imaginable)." in html
    assert not Episode.objects.filter(patient=newcomer).exists()
    assert not CheckIn.objects.filter(patient=newcomer).exists()
    assert not OutboxMessage.objects.filter(task_name=CHECKIN_LINK_TASK).exists()


def test_a_baseline_the_service_refuses_takes_the_episode_and_program_back_with_it(world, newcomer):
    # The forms cannot send this (ten ODI answers, each 0-5); a client of the service could: the episode and the
    # assignment written before the baseline is refused are rolled back with it.
    answers = CheckInAnswers(odi=[1] * 9, pain_nrs=6, red_flags={})
    with pytest.raises(ValidationError) as refused:
        services.start_care(
            patient=newcomer,
            program=world.alpha_program,
            start_date=newcomer.local_today(),
            baseline=answers,
            reminder_consent=True,
            send_link=True,
            by=world.tess,
        )
    assert "odi" in refused.value.message_dict
    assert not Episode.objects.filter(patient=newcomer).exists()
    assert not Assignment.objects.filter(episode__patient=newcomer).exists()
    assert not AuditEvent.objects.filter(patient_id=newcomer.pk, action__startswith="episode").exists()


def test_a_red_flag_at_intake_opens_its_alert_and_warns_the_therapist(tess_client, world, newcomer):
    data = intake(world.alpha_program, newcomer.local_today(), **{"baseline-red_flags.rf_saddle": "yes"})
    response = tess_client.post(start_care_url(newcomer), data, follow=True)
    assert "The baseline has a red flag" in response.content.decode()
    assert Alert.objects.get(patient=newcomer).kind == Alert.Kind.RED_FLAG


def test_a_later_start_sends_no_link_now_and_says_when_it_comes(tess_client, world, newcomer):
    licensed_odi_wording(world.alpha)
    start = newcomer.local_today() + dt.timedelta(days=7)
    response = tess_client.post(start_care_url(newcomer), intake(world.alpha_program, start), follow=True)
    html = response.content.decode()
    assert f"No check-in link was sent: The program starts on {start:%Y-%m-%d}" in html
    assert "Care started" in html
    assert not OutboxMessage.objects.filter(task_name=CHECKIN_LINK_TASK).exists()
    assert CheckIn.objects.get(patient=newcomer).week == 0


def test_a_link_the_clinic_may_not_send_yet_does_not_stop_care_starting(tess_client, world, newcomer):
    # No licensed ODI wording loaded: care starts, the link waits, and the therapist is told why.
    response = tess_client.post(
        start_care_url(newcomer), intake(world.alpha_program, newcomer.local_today()), follow=True
    )
    html = response.content.decode()
    assert "Care started" in html and "No check-in link was sent: Alpha clinic has not loaded" in html
    assert CheckIn.objects.get(patient=newcomer).week == 0
    assert not OutboxMessage.objects.filter(task_name=CHECKIN_LINK_TASK).exists()


def test_the_questionnaire_is_in_the_patients_language(tess_client, world, newcomer):
    Patient.objects.filter(pk=newcomer.pk).update(language="nb")
    page = tess_client.get(start_care_url(newcomer)).content.decode()
    assert 'lang="nb"' in page
    assert "Nei" in page and "Ja" in page  # the red-flag answers, as the patient reads them
    assert "Program start date" in page  # the therapist's own fields stay in English


def test_a_patient_already_in_care_is_sent_to_the_patient_page(tess_client, world):
    response = tess_client.post(start_care_url(world.alice), intake(world.alpha_program, world.alice.local_today()))
    assert response.status_code == 400
    assert "This patient is already in care" in response.content.decode()
    assert CheckIn.objects.filter(patient=world.alice).count() == 0


def test_a_returning_patient_starts_care_again_and_the_old_episode_stays_readable(tess_client, world):
    alice = world.alice
    checkin(alice, 1, 4, 7)
    first = alice.episodes.get()
    discharge_patient(patient=alice, note="Done.")
    assert (
        "Start care again (new episode)"
        in tess_client.get(reverse("admin:patients_patient_change", args=[alice.pk])).content.decode()
    )

    late = intake(world.alpha_program, first.started_on)
    late["confirm_week"] = str((alice.local_today() - first.started_on).days // 7 + 1)  # the late start confirmed
    too_early = tess_client.post(start_care_url(alice), late)
    assert "The new episode cannot start before the last one ended" in too_early.content.decode()
    assert alice.episodes.count() == 1

    later = alice.local_today() + dt.timedelta(days=10)
    tess_client.post(start_care_url(alice), intake(world.alpha_program, later))

    alice.refresh_from_db()
    assert alice.status == Patient.Status.ACTIVE
    current = alice.episodes.get(ended_on__isnull=True)
    assert current.started_on == later and current.checkins.get().week == 0
    assert AuditEvent.objects.filter(action="patient.return", patient_id=alice.pk).count() == 1
    old = tess_client.get(reverse("admin:patients_patient_change", args=[alice.pk]) + f"?episode={first.pk}")
    assert f"Trend (episode from {first.started_on:%Y-%m-%d} to" in old.content.decode()
