"""The patient page's program change (replace from a date, or alongside), its history, and the tailoring page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from patients.models import Assignment, AssignmentItem
from programs.models import CopingStrategy

pytestmark = pytest.mark.django_db


@pytest.fixture
def tess_client(client, world):  # type: ignore[no-untyped-def]
    client.force_login(world.tess)
    return client


def assign(client, patient, program, start, change=None):  # type: ignore[no-untyped-def]
    data = {"assign-program": program.pk, "assign-start_date": start.isoformat()}
    if change:
        data["assign-change"] = change
    return client.post(reverse("admin:patients_patient_assign", args=[patient.pk]), data, follow=True)


def tailor_url(patient, assignment) -> str:  # type: ignore[no-untyped-def]
    return reverse("admin:patients_patient_tailor", args=[patient.pk, assignment.pk])


def form_data(client, url) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The tailoring form as the page shows it (every item's current values)."""
    page = client.get(url).context["page"]
    data: dict[str, str] = {}
    for form in page.item_forms:
        for name in form.fields:
            value = form.initial.get(name)
            if value is not None and name != "remove":
                data[form.add_prefix(name)] = str(value)
    return data


def test_replacing_from_a_date_ends_the_old_program_shown_in_the_history(tess_client, world):
    old = Assignment.objects.get(episode__patient=world.alice)
    start = world.alice.local_today()
    response = assign(tess_client, world.alice, world.alpha_program, start, "replace")
    old.refresh_from_db()
    assert old.ended_on == start
    html = response.content.decode()
    assert f"{old.title} from {old.start_date:%Y-%m-%d}, ended {start:%Y-%m-%d} (replaced)" in html
    assert f"Alpha back program from {start:%Y-%m-%d}, current" in html


def test_the_change_defaults_to_replace_and_alongside_keeps_both(tess_client, world):
    page = tess_client.get(reverse("admin:patients_patient_change", args=[world.alice.pk])).content.decode()
    assert "Replace the current program from the start date" in page and "Add alongside" in page
    assign(tess_client, world.alice, world.alpha_program, world.alice.local_today(), "alongside")
    assert not Assignment.objects.filter(episode__patient=world.alice, ended_on__isnull=False).exists()
    assert Assignment.objects.filter(episode__patient=world.alice).count() == 2


def test_an_ended_program_has_no_tailor_link_and_its_page_is_not_found(tess_client, world):
    old = Assignment.objects.get(episode__patient=world.alice)
    assign(tess_client, world.alice, world.alpha_program, world.alice.local_today())
    page = tess_client.get(reverse("admin:patients_patient_change", args=[world.alice.pk])).content.decode()
    assert tailor_url(world.alice, old) not in page
    assert tess_client.get(tailor_url(world.alice, old)).status_code == 404


def test_tailoring_an_activitys_quota_on_the_page(tess_client, world):
    assignment = Assignment.objects.get(episode__patient=world.alice)
    walking = assignment.items.get(title="Walking")
    url = tailor_url(world.alice, assignment)
    data = form_data(tess_client, url) | {f"item-{walking.pk}-baseline": "6", f"item-{walking.pk}-goal": "24"}
    response = tess_client.post(url, data, follow=True)
    walking.refresh_from_db()
    assert (walking.baseline, walking.goal) == (Decimal("6.0"), Decimal("24.0"))
    assert "(tailored for this patient)" in response.content.decode()
    event = AuditEvent.objects.get(action="assignment.tailor")
    assert event.actor_id == world.tess.pk and event.details == {"baseline": "6", "goal": "24"}


def test_a_bad_value_on_the_page_names_the_field_and_saves_nothing(tess_client, world):
    assignment = Assignment.objects.get(episode__patient=world.alice)
    walking, breathing = assignment.items.get(title="Walking"), assignment.items.get(title="Relaxed breathing")
    url = tailor_url(world.alice, assignment)
    data = form_data(tess_client, url) | {
        f"item-{walking.pk}-goal": "2",
        f"item-{breathing.pk}-remove": "on",
        "add-component": f"coping:{CopingStrategy.objects.get(clinic=None, title='Pacing your day').pk}",
    }
    response = tess_client.post(url, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was saved" in html
    assert f'<a href="#id_item-{walking.pk}-goal">Walking, Goal</a>: The goal cannot be below the baseline.' in html
    walking.refresh_from_db()
    assert walking.goal == Decimal("30.0")
    assert AssignmentItem.objects.filter(pk=breathing.pk, end_week__isnull=True).exists()
    assert not assignment.items.filter(title="Pacing your day").exists()
    assignment.refresh_from_db()
    assert not assignment.is_tailored


def test_a_value_that_is_no_number_is_refused_by_the_form(tess_client, world):
    assignment = Assignment.objects.get(episode__patient=world.alice)
    walking = assignment.items.get(title="Walking")
    url = tailor_url(world.alice, assignment)
    response = tess_client.post(url, form_data(tess_client, url) | {f"item-{walking.pk}-baseline": "ten"})
    assert response.status_code == 400
    assert "Walking, Week-1 quota (minutes)</a>: Enter a number." in response.content.decode()


def test_removing_and_adding_items_on_the_page(tess_client, world):
    assignment = Assignment.objects.get(episode__patient=world.alice)
    breathing = assignment.items.get(title="Relaxed breathing")
    pacing = CopingStrategy.objects.get(clinic=None, title="Pacing your day")
    url = tailor_url(world.alice, assignment)
    data = form_data(tess_client, url) | {f"item-{breathing.pk}-remove": "on", "add-component": f"coping:{pacing.pk}"}
    assert tess_client.post(url, data).status_code == 302
    breathing.refresh_from_db()
    assert breathing.end_week == 4  # this is week 5: from it on, the item is gone
    assert assignment.items.get(title="Pacing your day").start_week == 5


def test_another_clinics_assignment_is_not_found(tess_client, world):
    theirs = Assignment.objects.get(episode__patient=world.bob)
    assert tess_client.get(tailor_url(world.bob, theirs)).status_code == 404
    assert tess_client.get(tailor_url(world.alice, theirs)).status_code == 404


def test_the_tailoring_page_reads_a_fixed_number_of_queries(tess_client, world, django_assert_max_num_queries):
    assignment = Assignment.objects.get(episode__patient=world.alice)
    with django_assert_max_num_queries(18):
        response = tess_client.get(tailor_url(world.alice, assignment))
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="patient.read.program", patient_id=world.alice.pk).exists()


def test_the_program_filter_leaves_out_a_replaced_program(tess_client, world):
    from tests.admin.conftest import CHANGELIST, rows

    old_program = Assignment.objects.get(episode__patient=world.alice).program
    assign(tess_client, world.alice, world.alpha_program, world.alice.local_today())
    assert rows(tess_client.get(CHANGELIST, {"caseload": "clinic", "program": world.alpha_program.pk})) == [
        "Alice Anders"
    ]
    on_old = rows(tess_client.get(CHANGELIST, {"caseload": "clinic", "program": old_program.pk}))
    assert "Alice Anders" not in on_old and "Aaron Colleague" in on_old
