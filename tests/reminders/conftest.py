from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from programs.models import Program
from tests.factories import ClinicFactory, make_therapist, patient_on_program


def slot_now(zone: str, now: dt.datetime) -> dict[str, int]:
    """The weekday and hour that are due at `now` in `zone` (the window always holds the current local hour)."""
    local = now.astimezone(zoneinfo.ZoneInfo(zone))
    return {"checkin_weekday": local.weekday(), "checkin_hour": local.hour}


def not_due(zone: str, now: dt.datetime) -> dict[str, int]:
    local = now.astimezone(zoneinfo.ZoneInfo(zone))
    return {"checkin_weekday": local.weekday(), "checkin_hour": (local.hour + 3) % 24}


@pytest.fixture
def now() -> dt.datetime:
    return timezone.now()


@pytest.fixture
def clinic():
    return ClinicFactory(name="Fjord Physio")


@pytest.fixture
def therapist(clinic):
    return make_therapist(clinic, user__email="therapist@example.org")


@pytest.fixture
def plan(clinic):
    """A program with no items: reminders need a started program, not its content (and this is fast)."""
    return Program.objects.create(clinic=clinic, title="Plan")


@pytest.fixture
def due_patient(clinic, therapist, now, plan):
    def make(zone: str = "Europe/Oslo", **fields):
        return patient_on_program(
            clinic=clinic, therapist=therapist, program=plan, time_zone=zone, **{**slot_now(zone, now), **fields}
        )

    return make


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # The factories set a password for every staff user; the default hasher is slow by design.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
