"""Bulk builders for report tests: many patients quickly, with every score computed by `patients.scoring`
(never typed in). Small cases go through `patients.services.submit_checkin` via tests.factories instead."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils import timezone

from patients import scoring
from patients.models import Assignment, CheckIn, Episode, Patient
from patients.summaries import rebuild_outcomes
from tests.factories import ClinicFactory


def odi_answers_for(score: int) -> list[int]:
    """Ten answers whose ODI (all sections answered) is `score`, an even number 0-100."""
    if score % 2 or not 0 <= score <= 100:
        raise ValueError("with ten sections answered an ODI score is an even number 0-100")
    points = score // 2
    answers = [5] * (points // 5) + ([points % 5] if points % 5 else [])
    return answers + [0] * (10 - len(answers))


def bulk_episodes(
    *,
    clinic=None,
    program=None,
    therapist=None,
    series: Sequence[Sequence[tuple[int, list[int | None], int]]],
    weeks_ago: int = 20,
    activities: Sequence[Sequence[dict]] | None = None,
) -> list[Episode]:
    """One patient, episode and assignment per entry of `series`; each entry lists (week, ODI answers, NRS)."""
    clinic = clinic or ClinicFactory()
    start = timezone.localdate() - dt.timedelta(weeks=weeks_ago)
    patients = Patient.objects.bulk_create(
        Patient(
            clinic=clinic,
            primary_therapist=therapist,
            first_name=f"Bulk{i}",
            last_name="Patient",
            email=f"bulk{i}@example.org",
            record_number=f"MRN-{i}",
        )
        for i in range(len(series))
    )
    episodes = Episode.objects.bulk_create(Episode(patient=p, started_on=start) for p in patients)
    if program is not None:
        Assignment.objects.bulk_create(
            Assignment(episode=e, program=program, title=program.title, start_date=start) for e in episodes
        )
    checkins = []
    for index, (patient, episode, weeks) in enumerate(zip(patients, episodes, series, strict=True)):
        for week, answers, nrs in weeks:
            result = scoring.score_odi(answers)
            checkins.append(
                CheckIn(
                    patient=patient,
                    episode=episode,
                    week=week,
                    odi_answers=list(answers),
                    odi_points=result.points,
                    odi_answered=result.answered,
                    odi_score=scoring.four_decimals(result.score),
                    pain_nrs=scoring.validate_nrs(nrs),
                    activities=list(activities[index]) if activities else [],
                    submitted_at=timezone.now() - dt.timedelta(weeks=weeks_ago - week),
                )
            )
    CheckIn.objects.bulk_create(checkins, batch_size=500)
    # A bulk load bypasses submit_checkin, so it writes the episodes' summaries as seed_demo does.
    rebuild_outcomes(Episode.objects.filter(pk__in=[e.pk for e in episodes]))
    return episodes
