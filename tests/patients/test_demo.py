"""seed_demo's check-ins: each dated in the program week it belongs to."""

from __future__ import annotations

import datetime as dt

from django.db.models import F

from patients import demo
from patients.models import CheckIn


def _assert_each_checkin_is_in_its_week(checkins: list[CheckIn]) -> None:
    assert checkins
    for checkin in checkins:
        week_one = checkin.episode.started_on
        local_day = checkin.submitted_at.astimezone(checkin.patient.tz).date()
        first_day = week_one + dt.timedelta(weeks=checkin.week - 1)
        assert first_day <= local_day < first_day + dt.timedelta(weeks=1)


def test_seeded_checkins_are_submitted_in_their_program_week(db):
    demo.seed(password="demo-password-123", patients_per_clinic=3, max_weeks=6)
    checkins = list(CheckIn.objects.select_related("episode", "patient"))
    _assert_each_checkin_is_in_its_week(checkins)
    assert len({c.submitted_at.date() for c in checkins}) > 1


def test_bulk_seeded_checkins_are_submitted_in_their_program_week(db):
    demo.seed(password="demo-password-123", patients_per_clinic=201, max_weeks=4)
    bulk = CheckIn.objects.select_related("episode", "patient").filter(patient__record_number__startswith="B-")
    checkins = list(bulk)
    _assert_each_checkin_is_in_its_week(checkins)


def test_bulk_seeded_patients_have_an_intake_and_belief_answers_as_the_service_path_gives_them(db):
    """The benchmarks' clinic answers the belief section like a real one (intake, then every 4 weeks), so the
    report's belief figures are measured on every episode; the summaries hold the changes and the report keys."""
    from patients.models import EpisodeOutcome

    demo.seed(password="demo-password-123", patients_per_clinic=201, max_weeks=9)
    bulk = CheckIn.objects.filter(patient__record_number__startswith="B-")
    intakes = bulk.filter(week=0)
    assert intakes.count() == bulk.values("episode").distinct().count()
    assert not intakes.filter(beliefs_version="").exists() and not intakes.exclude(entered_by="staff").exists()
    assert {c.week for c in bulk.exclude(beliefs_version="")} <= {0, 4, 8}
    outcomes = EpisodeOutcome.objects.filter(patient__record_number__startswith="B-")
    assert outcomes.exclude(belief_consequences_change=None).exists()
    assert not outcomes.filter(clinic=None).exists() and not outcomes.filter(program=None).exists()


def test_seeded_patients_report_their_activities_and_coping_so_adherence_has_data(db):
    from patients import adherence
    from patients.adherence_queries import with_adherence
    from patients.models import Patient
    from patients.outcomes import with_current_outcome

    demo.seed(password="demo-password-123", patients_per_clinic=8, max_weeks=8)
    checkins = list(CheckIn.objects.exclude(activities=[]))
    assert checkins, "no demo check-in reports an activity"
    assert CheckIn.objects.exclude(coping=[]).exists()
    # Some quotas met and some not, so the caseload's bands show more than one value.
    assert any(c.activities_met for c in checkins)
    assert any(c.activities_met < len(c.activities) for c in checkins)
    patients = with_adherence(with_current_outcome(Patient.objects.all()))
    bands = set(patients.annotate(band=F("adherence_band")).values_list("band", flat=True))
    assert bands - {adherence.NO_DATA}


def test_seeded_patients_answer_the_belief_section_at_intake_and_every_4_weeks(db):
    from patients import beliefs
    from patients.caseload import caseload_queryset
    from patients.models import Patient

    demo.seed(password="demo-password-123", patients_per_clinic=8, max_weeks=9)
    answered = CheckIn.objects.exclude(beliefs_version="")
    assert answered.filter(week=0).exists() and answered.filter(week=4).exists()
    assert {c.week for c in answered} <= {0, 4, 8}
    assert not CheckIn.objects.filter(beliefs_version="").exclude(belief_consequences=None).exists()
    flagged = caseload_queryset(Patient.objects.all()).filter(beliefs_to_address=True)
    assert flagged.exists(), "no demo patient shows the beliefs-to-address flag"
    for patient in flagged:
        intake = CheckIn.objects.get(patient=patient, week=0)
        assert beliefs.to_address(intake.beliefs)
