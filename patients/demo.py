"""Demo data for `make run` and for benchmarks. Realistic weekly trajectories: most patients improve, some
stall or worsen, a few weeks are missed, and one patient has an open red flag."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from clinics.models import Clinic, StaffMembership
from patients import beliefs, plans, scoring, services
from patients.models import Assignment, AssignmentItem, CheckIn, Episode, Patient
from patients.summaries import rebuild_outcomes
from programs.models import Program

# slug, name, therapist, clinic admin, and the time zone and language a new patient of the clinic gets: North is a
# Norwegian clinic, South an American one.
DEMO_CLINICS = [
    ("demo-north", "North Physiotherapy (demo)", "demo-therapist", "demo-admin", "Europe/Oslo", "nb"),
    ("demo-south", "South Pain Clinic (demo)", "demo-therapist-2", "demo-admin-2", "America/New_York", "en-gb"),
]
# The seeded patients read their pages and emails in English, whatever their clinic's default (the walkthroughs and
# screenshots show them); a patient added to the North clinic in the browser starts in Norwegian.
DEMO_PATIENT_LANGUAGE = "en-gb"
FIRST = ["Ava", "Ben", "Chloe", "Dan", "Ella", "Finn", "Grace", "Hugo", "Isla", "Jack", "Kara", "Liam", "Maya", "Noah"]
LAST = ["Hansen", "Berg", "Smith", "Olsen", "Brown", "Larsen", "Taylor", "Moen", "Wilson", "Dahl", "Evans", "Lie"]


@dataclass
class Login:
    username: str
    role: str
    clinic: str


def _user(username: str, password: str, clinic: Clinic, role: str) -> object:
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username, defaults={"is_staff": True, "email": f"{username}@example.org"}
    )
    if created:
        user.set_password(password)
        user.save()
    StaffMembership.objects.get_or_create(user=user, clinic=clinic, defaults={"role": role})
    return user


def checkin_time(patient: Patient, week_one: dt.date, week: int) -> dt.datetime:
    """When a demo patient sends week `week`'s check-in: on the first day of that program week, at their check-in
    hour in their own time zone (not all on the day the demo is seeded)."""
    day = week_one + dt.timedelta(weeks=week - 1)
    return min(dt.datetime.combine(day, dt.time(patient.checkin_hour), tzinfo=patient.tz), timezone.now())


def trajectory(rng: random.Random, weeks: int) -> list[tuple[int, list[int | None], int] | None]:
    """(week, ODI answers, NRS) for weeks 1..weeks, or None for a missed week."""
    kind = rng.choices(["improve", "stall", "worsen"], weights=[75, 15, 10])[0]
    level = rng.uniform(2.0, 3.4)  # mean ODI answer: 40-68 points
    nrs = rng.uniform(4.5, 7.5)
    slope = {"improve": -rng.uniform(0.08, 0.2), "stall": rng.uniform(-0.02, 0.02), "worsen": rng.uniform(0.1, 0.2)}
    rows: list[tuple[int, list[int | None], int] | None] = []
    for week in range(1, weeks + 1):
        if week > 1 and rng.random() < 0.06:
            rows.append(None)
            continue
        mean = max(0.0, min(5.0, level + slope[kind] * (week - 1) * 1.0))
        answers: list[int | None] = [max(0, min(5, round(rng.gauss(mean, 0.6)))) for _ in range(10)]
        if rng.random() < 0.3:
            answers[7] = None  # section 8 (sex life) is the one most often skipped
        pain = max(0, min(10, round(nrs + slope[kind] * 4 * (week - 1) + rng.gauss(0, 0.6))))
        rows.append((week, answers, pain))
    return rows


def seed(
    *,
    password: str,
    patients_per_clinic: int = 12,
    max_weeks: int = 16,
    seed_value: int = 42,
    progress: Callable[[int], object] | None = None,
) -> list[Login]:
    """Idempotent: clinics, staff and programs are got-or-created; patients are added only up to the count."""
    rng = random.Random(seed_value)  # noqa: S311 - demo data, not security
    logins: list[Login] = []
    programs = list(Program.objects.builtin().prefetch_related("items"))
    for index, (slug, name, therapist_name, admin_name, tz, language) in enumerate(DEMO_CLINICS):
        clinic, _ = Clinic.objects.get_or_create(
            slug=slug, defaults={"name": name, "default_time_zone": tz, "default_language": language}
        )
        therapists = [
            _user(therapist_name, password, clinic, StaffMembership.Role.THERAPIST),
            _user(f"{therapist_name}-b", password, clinic, StaffMembership.Role.THERAPIST),
        ]
        _user(admin_name, password, clinic, StaffMembership.Role.CLINIC_ADMIN)
        logins += [
            Login(therapist_name, "therapist", name),
            Login(f"{therapist_name}-b", "therapist", name),
            Login(admin_name, "clinic admin", name),
        ]
        existing = clinic.patients.count()
        wanted = patients_per_clinic if index == 0 or patients_per_clinic <= 50 else 12
        if existing >= wanted:
            continue
        if wanted - existing > 200:
            _bulk_patients(clinic, therapists, programs, wanted - existing, max_weeks, rng, tz, progress)
        else:
            _service_patients(clinic, therapists, programs, wanted - existing, max_weeks, rng, tz, red_flag=index == 0)
    # The bulk inserts skip the services that keep the summaries: fill in every episode that has none.
    rebuild_outcomes(Episode.objects.filter(outcome__isnull=True))
    return logins


def _service_patients(
    clinic: Clinic,
    therapists: list,
    programs: list[Program],
    count: int,
    max_weeks: int,
    rng: random.Random,
    tz: str,
    red_flag: bool,
) -> None:
    """Small demo: everything through the real services, so alerts and audit entries are real too."""
    for n in range(count):
        with transaction.atomic():
            weeks = rng.randint(1, max_weeks)
            patient = services.create_patient(
                clinic=clinic,
                primary_therapist=therapists[n % 2],
                first_name=rng.choice(FIRST),
                last_name=rng.choice(LAST),
                record_number=f"{clinic.slug[5:].upper()}-{1000 + n}",
                email=f"patient{n}.{clinic.slug}@example.org",
                time_zone=tz,
                language=DEMO_PATIENT_LANGUAGE,
                checkin_weekday=rng.randint(0, 6),
                checkin_hour=rng.choice([8, 9, 12, 18]),
                reminder_consent=True,
            )
            today = patient.local_today()
            start = today - dt.timedelta(weeks=weeks)
            episode = services.open_episode(patient=patient, started_on=start, goals="Walk the dog again")
            services.assign_program(episode=episode, program=rng.choice(programs), start_date=start)
            keeps_up = rng.uniform(0.5, 0.95)  # how often this patient does the week's whole quota
            believes = belief_course(rng, to_address=n % 4 == 1)
            rows = trajectory(rng, weeks)
            first = next((row for row in rows if row is not None), None)
            if first is not None:
                # The intake at the first visit (week 0, entered by the therapist, as the week-1 answers): the belief
                # section's first answers.
                services.submit_checkin(
                    patient=patient,
                    week=0,
                    answers=services.CheckInAnswers(odi=first[1], pain_nrs=first[2], beliefs=believes(0)),
                    by=therapists[n % 2],
                    now=checkin_time(patient, start, 0),  # in the week before week one
                )
            for row in rows:
                if row is None:
                    continue
                week, answers, pain = row
                flags = {"rf_night_pain": True} if red_flag and n == 0 and week == weeks else None
                activities, coping = plan_answers(rng, plans.week_plan(episode, week), keeps_up)
                services.submit_checkin(
                    patient=patient,
                    week=week,
                    answers=services.CheckInAnswers(
                        odi=answers,
                        pain_nrs=pain,
                        red_flags=flags,
                        activities=activities,
                        coping=coping,
                        beliefs=believes(week) if beliefs.is_due(week) else None,
                    ),
                    now=checkin_time(patient, start, week),
                )


def belief_course(rng: random.Random, *, to_address: bool = False) -> Callable[[int], dict[str, int]]:
    """A demo patient's belief answers by week: where they start (high consequences with low control when
    `to_address`), then a little nearer where therapy aims every 4 weeks, as CFT intends."""
    start = {
        beliefs.CONSEQUENCES: rng.randint(8, 9) if to_address else rng.randint(3, 8),
        beliefs.PERSONAL_CONTROL: rng.randint(1, 3) if to_address else rng.randint(3, 7),
        beliefs.TREATMENT_CONTROL: rng.randint(3, 8),
        beliefs.CONCERN: rng.randint(3, 9),
    }
    step = {item: rng.choice([0, 1, 1, 2]) for item in beliefs.ITEMS}

    def at(week: int) -> dict[str, int]:
        moved = week // beliefs.EVERY_WEEKS
        return {
            item: min(
                beliefs.HIGHEST,
                max(beliefs.LOWEST, value + (1 if item in beliefs.REVERSED else -1) * step[item] * moved),
            )
            for item, value in start.items()
        }

    return at


def plan_answers(
    rng: random.Random, plan: plans.WeekPlan, keeps_up: float
) -> tuple[list[services.ActivityAnswer], list[services.CopingAnswer]]:
    """A demo patient's activity and coping answers for the week's plan: each activity's target done with
    probability `keeps_up`, else part of it; each coping strategy used most weeks, rated 3-9 when used."""
    activities = [
        services.ActivityAnswer(
            item=quota.item.pk,
            done=quota.target
            if rng.random() < keeps_up
            else (quota.target * Decimal(rng.randint(3, 9)) / 10).quantize(Decimal(1)),
        )
        for quota in plan.activities
    ]
    coping = []
    for item in plan.coping:
        used = rng.random() < 0.7
        coping.append(services.CopingAnswer(item=item.pk, used=used, helpful=rng.randint(3, 9) if used else None))
    return activities, coping


def _bulk_patients(
    clinic: Clinic,
    therapists: list,
    programs: list[Program],
    count: int,
    max_weeks: int,
    rng: random.Random,
    tz: str,
    progress: Callable[[int], object] | None,
) -> None:
    """Benchmark scale: bulk inserts, scores computed by the same scoring module as the service."""
    batch = 1000
    program_items = {
        # The narratives' versions read once here, not once per patient (`Narrative.current_version`).
        p.pk: list(
            p.items.select_related("narrative", "coping_strategy", "graded_activity").prefetch_related(
                "narrative__versions"
            )
        )
        for p in programs
    }
    for offset in range(0, count, batch):
        size = min(batch, count - offset)
        with transaction.atomic():
            base = clinic.patients.count()
            patients = Patient.objects.bulk_create(
                Patient(
                    clinic=clinic,
                    primary_therapist=therapists[(base + i) % 2],
                    first_name=rng.choice(FIRST),
                    last_name=rng.choice(LAST),
                    record_number=f"B-{base + i}",
                    email=f"bulk{base + i}.{clinic.slug}@example.org",
                    time_zone=tz,
                    language=DEMO_PATIENT_LANGUAGE,
                    checkin_weekday=rng.randint(0, 6),
                    checkin_hour=rng.randint(7, 20),
                    reminder_consent=True,
                )
                for i in range(size)
            )
            today = timezone.localdate()
            weeks_of = [rng.randint(1, max_weeks) for _ in patients]
            episodes = Episode.objects.bulk_create(
                Episode(patient=p, started_on=today - dt.timedelta(weeks=w))
                for p, w in zip(patients, weeks_of, strict=True)
            )
            chosen = [rng.choice(programs) for _ in patients]
            assignments = Assignment.objects.bulk_create(
                Assignment(episode=e, program=prog, title=prog.title, start_date=e.started_on)
                for e, prog in zip(episodes, chosen, strict=True)
            )
            items: list[AssignmentItem] = []
            for assignment, prog in zip(assignments, chosen, strict=True):
                items += services.copy_program_items(assignment, program_items[prog.pk])
            AssignmentItem.objects.bulk_create(items)
            checkins = []
            for n, (patient, episode, weeks) in enumerate(zip(patients, episodes, weeks_of, strict=True)):
                believes = belief_course(rng, to_address=n % 4 == 1)
                rows = trajectory(rng, weeks)
                first = next((row for row in rows if row is not None), None)
                # The intake at the first visit (week 0, entered by the therapist), as the service path has it.
                intake = [(0, first[1], first[2])] if first is not None else []
                for week, answers, pain in intake + [row for row in rows if row is not None]:
                    result = scoring.score_odi(answers)
                    answered = believes(week) if beliefs.is_due(week) else {}
                    checkins.append(
                        CheckIn(
                            patient=patient,
                            episode=episode,
                            week=week,
                            odi_answers=answers,
                            odi_points=result.points,
                            odi_answered=result.answered,
                            odi_score=scoring.four_decimals(result.score),
                            pain_nrs=pain,
                            submitted_at=checkin_time(patient, episode.started_on, week),
                            entered_by=CheckIn.EnteredBy.STAFF if week == 0 else CheckIn.EnteredBy.PATIENT,
                            entered_by_user=therapists[(base + n) % 2] if week == 0 else None,
                            beliefs_version=beliefs.OURS if answered else "",
                            **{f"belief_{item}": answer for item, answer in answered.items()},
                        )
                    )
            CheckIn.objects.bulk_create(checkins, batch_size=5000)
        if progress:
            progress(size)
