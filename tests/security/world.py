"""Two clinics, each with a therapist, a clinic admin and two patients with check-ins, alerts, their own
program library, an export job and reminders; a superuser; and the credentials of every role.

Built once per test module (`module_world` in conftest.py) inside a transaction that is rolled back at the
end of the module; each test runs in a savepoint of it, so a test's writes never reach the next test.
Credentials are kept as plain values (cookies, header values), never as shared Client objects, so a request
that logs out or flushes a session cannot change what the next test sends.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from audit.services import record
from clinics.models import StaffMembership
from patients import links, services
from patients.models import Alert, Patient
from programs import services as program_services
from programs.models import Program
from reminders.models import AlertNotification, Reminder, TherapistDigest
from reports.models import ExportJob
from reports.services import export_path
from tests.factories import (
    ClinicFactory,
    UserFactory,
    builtin_program,
    checkin,
    make_clinic_admin,
    make_therapist,
    patient_on_program,
    staff_token,
)

PASSWORD = "correct-horse-battery"


@dataclass(frozen=True)
class Role:
    """Who calls. `kind` is anonymous, patient, staff or superuser; staff have a clinic ("A" or "B") and a
    membership role; patients a name ("A1", "A2") and the credential they use (API token, magic-link session,
    or both)."""

    name: str
    kind: str
    clinic: str | None = None
    staff_role: str | None = None
    via: frozenset[str] = frozenset()

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"

    @property
    def is_admin(self) -> bool:
        return self.staff_role == StaffMembership.Role.CLINIC_ADMIN


THERAPIST, CLINIC_ADMIN = StaffMembership.Role.THERAPIST, StaffMembership.Role.CLINIC_ADMIN
ROLES = [
    Role("anonymous", "anonymous"),
    Role("patient_a1_token", "patient", "A", via=frozenset({"token"})),
    Role("patient_a1_session", "patient", "A", via=frozenset({"session"})),
    Role("patient_a2", "patient", "A", via=frozenset({"token", "session"})),
    Role("therapist_a", "staff", "A", THERAPIST),
    Role("admin_a", "staff", "A", CLINIC_ADMIN),
    Role("therapist_b", "staff", "B", THERAPIST),
    Role("admin_b", "staff", "B", CLINIC_ADMIN),
    Role("superuser", "superuser"),
]
ROLE_BY_NAME = {role.name: role for role in ROLES}


@dataclass
class Credentials:
    cookies: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class World:
    clinic_a: Any
    clinic_b: Any
    users: dict[str, Any]
    patient_a1: Patient
    patient_a2: Patient
    patient_b1: Patient
    alert_a1: Alert
    program_a: Program
    export_a: ExportJob
    objects: dict[str, Any]  # "app_label.model" -> an object of clinic A (or any, for third-party models)
    credentials: dict[str, Credentials]
    magic_token_a1: str
    pause_token_a1: str

    def client(self, role: Role) -> Client:
        client = Client()
        creds = self.credentials.get(role.name, Credentials())
        for name, value in creds.cookies.items():
            client.cookies[name] = value
        client.defaults.update(creds.headers)
        return client


def _session_cookie_for_link(token: str) -> str:
    client = Client()
    response = client.post(f"/checkin/{token}/")
    assert response.status_code == 302, response.status_code
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _staff_session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _clinic(label: str) -> dict[str, Any]:
    clinic = ClinicFactory(name=f"Clinic {label}", slug=f"matrix-{label.lower()}")
    therapist = make_therapist(clinic, user__username=f"therapist_{label.lower()}")
    admin_user = make_clinic_admin(clinic, user__username=f"admin_{label.lower()}")
    p1 = patient_on_program(clinic=clinic, therapist=therapist, first_name=f"Pat{label}1", last_name="One")
    p2 = patient_on_program(clinic=clinic, therapist=therapist, first_name=f"Pat{label}2", last_name="Two")
    for patient in (p1, p2):
        checkin(patient, 1, 3, 6)
        checkin(patient, 2, 2, 5, red_flags=["rf_trauma"])
    program = program_services.copy_program_to_clinic(program=builtin_program(), clinic=clinic)
    narrative = program_services.create_narrative(clinic=clinic, title=f"Narrative {label}", body="Backs are strong.")
    coping = program_services.create_coping_strategy(clinic=clinic, title=f"Breathing {label}", instructions="Breathe.")
    activity = program_services.create_graded_activity(
        clinic=clinic, title=f"Walking {label}", activity="Walking", unit="minutes", baseline="10", increase="20",
        goal="30",
    )  # fmt: skip
    job = ExportJob.objects.create(
        clinic=clinic,
        requested_by=admin_user,
        kind=ExportJob.Kind.CSV_CHECKINS,
        status=ExportJob.Status.DONE,
        file_name=f"matrix-{uuid.uuid4().hex}.csv",
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )
    path = export_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("week,odi\n1,60\n")
    alert = Alert.objects.filter(patient=p1).first()
    episode = p1.current_episode()
    reminder = Reminder.objects.create(patient=p1, episode=episode, week=3, due_at=timezone.now())
    notification, _ = AlertNotification.objects.get_or_create(alert=alert)
    digest = TherapistDigest.objects.create(therapist=therapist, day=timezone.localdate())
    event = record(action="matrix.event", actor=admin_user, clinic_id=clinic.pk, patient_id=p1.pk)
    return {
        "clinic": clinic,
        "therapist": therapist,
        "admin": admin_user,
        "p1": p1,
        "p2": p2,
        "alert": alert,
        "program": program,
        "job": job,
        "objects": {
            "clinics.clinic": clinic,
            "clinics.staffmembership": StaffMembership.objects.get(user=therapist),
            "audit.auditevent": event,
            "programs.narrative": narrative,
            "programs.copingstrategy": coping,
            "programs.gradedactivity": activity,
            "programs.program": program,
            "patients.patient": p1,
            "reminders.reminder": reminder,
            "reminders.alertnotification": notification,
            "reminders.therapistdigest": digest,
        },
    }


def build_world() -> World:
    a, b = _clinic("A"), _clinic("B")
    superuser = UserFactory(username="matrix_superuser", is_superuser=True)
    users = {
        "therapist_a": a["therapist"],
        "admin_a": a["admin"],
        "therapist_b": b["therapist"],
        "admin_b": b["admin"],
        "superuser": superuser,
    }
    third_party = {
        "auth.group": Group.objects.create(name="matrix group"),
        "auth.user": a["therapist"],
        "knox.authtoken": AuthToken.objects.create(user=a["therapist"])[0],
        "axes.accessattempt": AccessAttempt.objects.create(
            username="x", ip_address="10.0.0.1", user_agent="t", failures_since_start=1, attempt_time=timezone.now()
        ),
        "axes.accesslog": AccessLog.objects.create(username="x", ip_address="10.0.0.1", user_agent="t"),
        "axes.accessfailurelog": AccessFailureLog.objects.create(username="x", ip_address="10.0.0.1", user_agent="t"),
        "otp_totp.totpdevice": TOTPDevice.objects.create(user=a["therapist"], name="phone", confirmed=False),
        "django_celery_beat.clockedschedule": ClockedSchedule.objects.create(clocked_time=timezone.now()),
        "django_celery_beat.crontabschedule": CrontabSchedule.objects.create(minute="5"),
        "django_celery_beat.solarschedule": SolarSchedule.objects.create(event="sunrise", latitude=60, longitude=10),
        "django_celery_beat.intervalschedule": (interval := IntervalSchedule.objects.create(every=7, period="days")),
        "django_celery_beat.periodictask": PeriodicTask.objects.create(
            name="matrix task", task="cft.none", interval=interval
        ),
    }
    credentials = {
        name: Credentials(
            cookies={settings.SESSION_COOKIE_NAME: _staff_session_cookie(user)},
            headers={"HTTP_AUTHORIZATION": f"Token {staff_token(user)}"},
        )
        for name, user in users.items()
    }
    for user in users.values():
        # The session cookie alone must carry staff: their API requests use the token (no CSRF with a token).
        assert get_user_model().objects.filter(pk=user.pk).exists()
    a1_key, _ = services.issue_patient_token(patient=a["p1"])
    a2_key, _ = services.issue_patient_token(patient=a["p2"])
    credentials["patient_a1_token"] = Credentials(headers={"HTTP_AUTHORIZATION": f"Token {a1_key}"})
    credentials["patient_a1_session"] = Credentials(
        cookies={settings.SESSION_COOKIE_NAME: _session_cookie_for_link(links.issue_token(a["p1"]))}
    )
    credentials["patient_a2"] = Credentials(
        cookies={settings.SESSION_COOKIE_NAME: _session_cookie_for_link(links.issue_token(a["p2"]))},
        headers={"HTTP_AUTHORIZATION": f"Token {a2_key}"},
    )
    return World(
        clinic_a=a["clinic"],
        clinic_b=b["clinic"],
        users=users,
        patient_a1=a["p1"],
        patient_a2=a["p2"],
        patient_b1=b["p1"],
        alert_a1=a["alert"],
        program_a=a["program"],
        export_a=a["job"],
        objects={**a["objects"], **third_party},
        credentials=credentials,
        magic_token_a1=links.issue_token(a["p1"]),
        pause_token_a1=links.pause_token(a["p1"]),
    )


def content_type_id(model_label: str) -> int:
    app_label, model = model_label.split(".")
    return ContentType.objects.get(app_label=app_label, model=model).pk
