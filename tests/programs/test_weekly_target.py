"""The weekly target: the schedule's quota in whole units, the same in the form, the plan, the API, the admin
preview and the report's "quota met" (docs/clinical-rules.md, graded activity, rule 5)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from rest_framework.test import APIClient

from patients import links, services
from patients.models import AssignmentItem
from programs import quotas
from programs.admin import GradedActivityAdmin
from programs.models import Program
from programs.services import add_program_item
from reports.selectors import ReportFilter, outcome_report
from tests.factories import ClinicFactory, checkin, make_clinic_admin, patient_on_program, walking_activity

WORKED_EXAMPLE = quotas.QuotaPlan(
    baseline=Decimal(10), increase_kind=quotas.PERCENT, increase=Decimal(20), goal=Decimal(30), unit="minutes"
)


@pytest.mark.parametrize(
    ("quota", "target"),
    [("20.8", 21), ("14.4", 14), ("12.5", 13), ("17.3", 17), ("30.0", 30), ("0.4", 0), ("7", 7)],
)
def test_the_target_is_the_quota_rounded_half_up_to_a_whole_unit(quota, target):
    assert quotas.weekly_target(Decimal(quota)) == target


def test_the_schedule_still_compounds_on_one_decimal_and_only_the_target_is_whole():
    schedule = quotas.quota_schedule(WORKED_EXAMPLE, 8)
    assert [str(q) for q in schedule] == ["10.0", "12.0", "14.4", "17.3", "20.8", "25.0", "30.0", "30.0"]
    assert [int(quotas.weekly_target(q)) for q in schedule] == [10, 12, 14, 17, 21, 25, 30, 30]


@pytest.fixture
def walker(db):
    """A patient in week 5 of a program with the worked-example walking plan alone."""
    clinic = ClinicFactory()
    program = Program.objects.create(clinic=clinic, title="Walking only")
    add_program_item(program=program, component=walking_activity(clinic=clinic))
    return patient_on_program(clinic=clinic, weeks_ago=4, program=program)


def test_the_form_and_the_app_ask_for_the_whole_unit_target(walker):
    browser = Client()
    browser.post(f"/checkin/{links.issue_token(walker)}/")
    assert "Your goal this week: 21 minutes." in browser.get("/checkin/").content.decode()
    key, _ = services.issue_patient_token(patient=walker)
    app = APIClient()
    app.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    (activity,) = app.get("/api/v1/me/program/").json()["activities"]
    assert (activity["quota"], activity["target"]) == (20.8, 21)


def test_the_admin_preview_shows_the_targets(db):
    activity = walking_activity()
    assert GradedActivityAdmin.quota_preview(None, activity).startswith("10, 12, 14, 17, 21, 25, 30, 30")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("week", "done", "met"),
    [
        (3, "14", True),  # quota 14.4, target 14: the patient did what they were asked
        (5, "20.8", False),  # quota 20.8, target 21: not yet
        (5, "21", True),
    ],
)
def test_quota_met_in_the_report_compares_with_the_target_the_patient_saw(walker, week, done, met):
    admin = make_clinic_admin(walker.clinic)
    walking = AssignmentItem.objects.get(assignment__episode__patient=walker)
    checkin(walker, week, 2, 5, by=admin, activities=[{"item": walking.pk, "done": done}])
    overall = outcome_report(admin, ReportFilter(clinic=walker.clinic)).overall
    assert (overall.quota_met.k, overall.quota_met.n) == (int(met), 1)
