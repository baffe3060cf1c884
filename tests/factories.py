"""factory_boy factories shared by every test. Build clinics, staff, patients with an episode and a program,
and check-ins through the real service so that scores are always computed, never typed in."""

from __future__ import annotations

import datetime as dt

import factory
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.utils import timezone

from clinics.models import Clinic, StaffMembership
from patients import services
from patients.models import Episode, Patient
from programs import library
from programs.models import GradedActivity, Program


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMembership

    user = factory.SubFactory(UserFactory)
    clinic = factory.SubFactory(ClinicFactory)
    role = StaffMembership.Role.THERAPIST


def make_therapist(clinic: Clinic, **kwargs: object) -> object:
    return MembershipFactory(clinic=clinic, role=StaffMembership.Role.THERAPIST, **kwargs).user


def make_clinic_admin(clinic: Clinic, **kwargs: object) -> object:
    return MembershipFactory(clinic=clinic, role=StaffMembership.Role.CLINIC_ADMIN, **kwargs).user


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    first_name = factory.Sequence(lambda n: f"Pat{n}")
    last_name = factory.Sequence(lambda n: f"Ient{n}")
    email = factory.LazyAttribute(lambda p: f"{p.first_name.lower()}@example.org")
    time_zone = "Europe/Oslo"
    reminder_consent = True


class EpisodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Episode

    patient = factory.SubFactory(PatientFactory)
    started_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(weeks=20))


def builtin_program(kind: str = Program.Kind.PERSISTENT) -> Program:
    if not Program.objects.builtin().exists():
        # A transactional_db test flushes the tables, data-migration rows included: load the library again.
        library.load(django_apps)
        library.tag_narratives(django_apps)
        library.load_translations(django_apps)
    return Program.objects.builtin().filter(kind=kind).first()


def walking_activity(clinic: Clinic | None = None, **overrides: object) -> GradedActivity:
    """The DOMAIN.md worked example: 10 min, +20 % a week, goal 30, flare margin 2."""
    fields = {
        "clinic": clinic,
        "title": "Walking (test)",
        "activity": "Walking",
        "unit": "minutes",
        "baseline": "10",
        "increase_kind": "percent",
        "increase": "20",
        "goal": "30",
        "flare_margin": 2,
        **overrides,
    }
    return GradedActivity.objects.create(**fields)


def patient_on_program(
    *,
    clinic: Clinic | None = None,
    therapist: object = None,
    weeks_ago: int = 4,
    program: Program | None = None,
    **patient_fields: object,
) -> Patient:
    """An active patient whose program started `weeks_ago` weeks ago (so the current week is weeks_ago + 1)."""
    clinic = clinic or ClinicFactory()
    patient = PatientFactory(clinic=clinic, primary_therapist=therapist, **patient_fields)
    start = patient.local_today() - dt.timedelta(weeks=weeks_ago)
    episode = EpisodeFactory(patient=patient, started_on=start)
    services.assign_program(episode=episode, program=program or builtin_program(), start_date=start)
    return patient


def odi(*answers: int | None) -> list[int | None]:
    """Ten answers; a single value is repeated ten times."""
    if len(answers) == 1:
        return [answers[0]] * 10
    return list(answers)


def answers(
    odi_answers: list[int | None],
    nrs: object,
    *,
    red_flags: object = None,
    activities: object = (),
    coping: object = (),
    note: object = "",
    beliefs: object = None,
) -> services.CheckInAnswers:
    """CheckInAnswers from a test's plain values: activity and coping entries may be dicts, as in the API body.
    Values are passed on as given, so a test of bad input reaches the service's checks."""

    def entries(value: object, kind: type) -> object:
        if not isinstance(value, (list, tuple)):
            return value
        return [kind(**entry) if isinstance(entry, dict) else entry for entry in value]

    return services.CheckInAnswers(
        odi=odi_answers,
        pain_nrs=nrs,
        red_flags=red_flags,
        activities=entries(activities, services.ActivityAnswer),
        coping=entries(coping, services.CopingAnswer),
        note=note,
        beliefs=beliefs,  # type: ignore[arg-type]
    )


def checkin(
    patient: Patient,
    week: int,
    odi_answers: list[int | None] | int,
    nrs: int,
    *,
    by: object = None,
    now: dt.datetime | None = None,
    **given: object,
):
    odi_list = odi_answers if isinstance(odi_answers, list) else odi(odi_answers)
    return services.submit_checkin(
        patient=patient, week=week, answers=answers(odi_list, nrs, **given), by=by, now=now
    ).checkin


def staff_token(user: object) -> str:
    """A new staff API token's key (clinics.api_tokens, the same call the token endpoint makes)."""
    from clinics.api_tokens import issue_staff_token

    return issue_staff_token(user=user)[0]


def patient_meeting_some_quotas(**fields: object) -> Patient:
    """On the built-in persistent program for 4 weeks (week 5 now): walking from week 1 (targets 10, 12, 14, 17
    minutes), sit to stand from week 2 (10, 12, 14 repetitions). Week 1 met; week 2 walking short (11 of 12),
    sit to stand met; week 3 missed; week 4 walking met, sit to stand not reported: 3 of 7 activity-weeks met."""
    from patients.models import AssignmentItem

    patient = patient_on_program(weeks_ago=4, **fields)
    items = dict(
        AssignmentItem.objects.filter(assignment__episode__patient=patient, kind="activity").values_list("title", "pk")
    )
    coping = dict(
        AssignmentItem.objects.filter(assignment__episode__patient=patient, kind="coping").values_list("title", "pk")
    )
    walk, stand, breathing = items["Walking"], items["Sit to stand"], coping["Relaxed breathing"]
    checkin(
        patient, 1, 2, 5,
        activities=[{"item": walk, "done": "10"}],
        coping=[{"item": breathing, "used": True, "helpful": 7}],
    )  # fmt: skip
    checkin(
        patient, 2, 2, 5,
        activities=[{"item": walk, "done": "11"}, {"item": stand, "done": "10"}],
        coping=[{"item": breathing, "used": False}],
    )  # fmt: skip
    checkin(patient, 4, 2, 5, activities=[{"item": walk, "done": "17"}])
    return patient


def licensed_odi_wording(clinic: Clinic, language: str = "en-gb") -> None:
    """A clinic's own ODI wording in `language` (as `manage.py load_odi_wording` loads it), so its patients are
    not shown the placeholder and may be sent check-in links."""
    sections = [
        {"section": n, "title": f"Licensed section {n}", "options": [f"Statement {n}.{a}" for a in range(6)]}
        for n in range(1, 11)
    ]
    services.load_odi_wording(clinic=clinic, language=language, sections=sections)
