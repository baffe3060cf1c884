"""The report page in the admin's look, and programs compared by choosing them by name."""

from __future__ import annotations

import re

import pytest

from programs.models import Program
from programs.services import copy_program_to_clinic
from tests.factories import builtin_program, checkin, patient_on_program


def _own_program(clinic: object, title: str) -> Program:
    program = copy_program_to_clinic(program=builtin_program(), clinic=clinic)
    program.title = title
    program.save(update_fields=["title"])
    return program


def _page(client, user, data=None, status=200) -> str:
    client.force_login(user)
    response = client.get("/reports/", data or {})
    assert response.status_code == status, response.content.decode()[:2000]
    return response.content.decode()


def _compare_menus(page: str) -> list[str]:
    return re.findall(r'<select name="compare">(.*?)</select>', page, flags=re.S)


@pytest.fixture
def walkers(north):
    """North's six patients are on the built-in program; five more on the clinic's own "Walk and talk"."""
    program = _own_program(north.clinic, "Walk and talk")
    for i in range(5):
        patient = patient_on_program(clinic=north.clinic, therapist=north.therapist, weeks_ago=13, program=program)
        checkin(patient, 0, 3, 7, by=north.admin)
        checkin(patient, 12, 1 + i % 2, 3, by=north.admin)
    return program


def test_the_report_page_is_in_the_admins_look_under_the_csp(north, client):
    page = _page(client, north.admin)
    assert 'id="site-name"' in page and 'id="reports-link"' in page  # the admin's header and its user links
    assert re.search(r'<div class="breadcrumbs"><a href="/admin/">Home</a> &rsaquo; Outcome report</div>', page)
    assert "<main" in page and "<h1>Outcome report</h1>" in page
    assert "/static/admin/css/base.css" in page and "/static/reports/report.css" in page
    assert " style=" not in page  # no inline style: the CSP's style-src is 'self'
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)  # nor inline script


def test_programs_are_compared_by_choosing_them_by_name(north, client, walkers):
    builtin = builtin_program()
    menus = _compare_menus(_page(client, north.admin))
    assert len(menus) == 2
    for menu in menus:
        assert f'<option value="{walkers.pk}">Walk and talk</option>' in menu
        assert f'<option value="{builtin.pk}">{builtin.title} (built-in)</option>' in menu

    page = _page(client, north.admin, {"compare": [walkers.pk, builtin.pk], "at": "week_12"})
    assert f"Comparison: Walk and talk minus {builtin.title} (week 12)" in page
    first, second = _compare_menus(page)
    assert f'<option value="{walkers.pk}" selected>' in first and f'<option value="{builtin.pk}" selected>' in second


def test_the_older_comma_separated_comparison_still_works(north, client, walkers):
    builtin = builtin_program()
    page = _page(client, north.admin, {"compare": f"{builtin.pk},{walkers.pk}"})
    assert f"Comparison: {builtin.title} minus Walk and talk" in page


def test_no_comparison_when_both_menus_say_none(north, client):
    page = _page(client, north.admin, {"compare": ["", ""]})
    assert "Comparison:" not in page


@pytest.mark.parametrize(
    ("compare", "message"),
    [
        (["1"], "Choose two different programs to compare."),
        (["", "1"], "Choose two different programs to compare."),
        (["1", "1"], "Choose two different programs to compare."),
        (["1", "01"], "Choose two different programs to compare."),
        (["1", "abc"], "Program ids are whole numbers"),
        (["1", "²"], "Program ids are whole numbers"),
        (["1", str(2**64)], "Program ids are whole numbers"),
        (["1,2,3"], "Choose two different programs to compare."),
        (["1", "987654321"], "No such program in this clinic: 987654321."),
    ],
)
def test_a_bad_comparison_is_a_400_naming_the_field(north, client, compare, message):
    pk = builtin_program().pk
    compare = [str(pk) if value == "1" else f"0{pk}" if value == "01" else value for value in compare]
    page = _page(client, north.admin, {"compare": compare}, status=400)
    assert "<strong>Compare programs</strong>" in page and message in page
    assert 'id="site-name"' in page  # still the admin's page, with a way back
    assert "Show the report without filters" in page


def test_a_clinic_sees_and_compares_only_its_own_programs(north, south, client, walkers):
    theirs = _own_program(south.clinic, "Southern secret program")
    page = _page(client, north.admin)
    assert "Southern secret program" not in page
    page = _page(client, north.admin, {"compare": [walkers.pk, theirs.pk]}, status=400)
    assert f"No such program in this clinic: {theirs.pk}." in page
    assert "Southern secret program" not in page


def test_the_api_takes_both_forms_of_the_comparison(north, client, walkers):
    client.force_login(north.admin)
    builtin = builtin_program()
    repeated = client.get("/api/v1/reports/outcomes/", {"compare": [walkers.pk, builtin.pk]})
    comma = client.get("/api/v1/reports/outcomes/", {"compare": f"{walkers.pk},{builtin.pk}"})
    assert repeated.status_code == comma.status_code == 200
    assert repeated.json()["comparison"] == comma.json()["comparison"] is not None
    bad = client.get("/api/v1/reports/outcomes/", {"compare": [walkers.pk]})
    assert bad.status_code == 400 and "compare" in bad.json()["fields"]


def test_an_admin_of_two_clinics_chooses_the_clinic_by_name(north, south, client):
    from clinics.models import StaffMembership

    StaffMembership.objects.create(user=north.admin, clinic=south.clinic, role=StaffMembership.Role.CLINIC_ADMIN)
    page = _page(client, north.admin, {"clinic": south.clinic.pk})
    assert re.search(rf'<option value="{south.clinic.pk}" selected>South clinic</option>', page)
    assert f'<option value="{north.clinic.pk}">North clinic</option>' in page
    page = _page(client, north.admin, status=400)
    assert "<strong>Clinic</strong>: Choose the clinic" in page


def test_the_report_page_takes_the_same_queries_for_a_larger_clinic(north, client, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.reports.conftest import add_patients

    client.force_login(north.admin)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/reports/").status_code == 200
    add_patients(north, 12)
    for title in ("Walk and talk", "Lift and carry"):
        _own_program(north.clinic, title)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get("/reports/").content.decode()
    assert "Lift and carry" in page


def test_an_export_requested_from_the_page_keeps_the_programs_chosen_by_name(north, client, walkers):
    from reports.models import ExportJob

    client.force_login(north.admin)
    builtin = builtin_program()
    query = f"compare={walkers.pk}&compare={builtin.pk}&at=week_12"
    response = client.post(f"/reports/exports/?{query}", {"kind": "xlsx"})
    assert response.status_code == 302 and response["Location"].endswith(query)
    assert ExportJob.objects.get().params["compare"] == [walkers.pk, builtin.pk]


def test_a_therapist_is_told_which_of_their_clinics_admins_to_ask(north, south, client):
    for data, name in ((north, "Nora North"), (south, "Sam South")):
        data.admin.first_name, data.admin.last_name = name.split()
        data.admin.save(update_fields=["first_name", "last_name"])
    page = _page(client, north.therapist, status=403)
    assert "Outcome reports and exports are for clinic admins" in page
    assert f'Nora North (<a href="mailto:{north.admin.email}">{north.admin.email}</a>)' in page
    assert "Sam South" not in page and south.admin.email not in page


def test_the_comparison_shows_each_programs_mean_beside_the_difference(north, client, walkers, tmp_path, settings):
    from django.template.defaultfilters import floatformat
    from openpyxl import load_workbook

    from reports import services
    from reports.models import ExportJob
    from reports.selectors import ReportFilter, outcome_report

    settings.REPORTS_EXPORT_DIR = tmp_path
    builtin = builtin_program()
    query = {"compare": [walkers.pk, builtin.pk], "at": "week_12"}
    comparison = outcome_report(
        north.admin, ReportFilter(clinic=north.clinic), compare_programs=(walkers.pk, builtin.pk), compare_at="week_12"
    ).comparison
    page = _page(client, north.admin, query)
    rows = dict(re.findall(r'<tr><th scope="row">(ODI|NRS)</th>(.*?)</tr>', page, flags=re.S))
    for measure, a, b, d in comparison.rows():
        cells = re.findall(r"<td>(.*?)</td>", rows[measure.upper()], flags=re.S)
        assert [re.sub(r"<[^>]+>", "", cell) for cell in cells] == [
            str(a.n),
            f"{floatformat(a.mean, 1)} [{floatformat(a.ci_low, 1)}, {floatformat(a.ci_high, 1)}]",
            str(b.n),
            f"{floatformat(b.mean, 1)} [{floatformat(b.ci_low, 1)}, {floatformat(b.ci_high, 1)}]",
            f"{floatformat(d.difference, 1)} [{floatformat(d.ci_low, 1)}, {floatformat(d.ci_high, 1)}]",
        ]
    assert "Walk and talk: mean improvement [95 % CI]" in page

    client.force_login(north.admin)
    api = client.get("/api/v1/reports/outcomes/", query).json()["comparison"]
    assert api["mean_improvement"]["odi"]["a"]["n"] == 5 and api["mean_improvement"]["odi"]["b"]["n"] == 6
    client.post(f"/reports/exports/?compare={walkers.pk}&compare={builtin.pk}&at=week_12", {"kind": "xlsx"})
    job = services.run_export(ExportJob.objects.get().pk)
    summary = [list(r) for r in load_workbook(services.export_path(job))["Summary"].values]
    means = {(r[1], r[2]): r[3] for r in summary if r[0] == "mean improvement"}
    assert means[("odi", "Walk and talk")] == api["mean_improvement"]["odi"]["a"]["mean"]
    assert means[("odi", builtin.title)] == api["mean_improvement"]["odi"]["b"]["mean"]
