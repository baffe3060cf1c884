"""Staff see and change only their clinic's data: every list, filter choice, dropdown, autocomplete, action and
button, with two clinics."""

from __future__ import annotations

import json

from django.urls import reverse

from audit.models import AuditEvent
from clinics.models import StaffMembership
from patients.models import Alert, Assignment, Patient
from programs.models import Narrative
from programs.services import create_narrative
from tests.admin.conftest import CHANGELIST, rows
from tests.factories import UserFactory, checkin


def test_staff_land_on_the_caseload_after_logging_in(client, world):
    world.tess.set_password("pw-for-the-test-9")
    world.tess.save()
    form = client.get("/admin/login/").content.decode()
    assert f'name="next" value="{CHANGELIST}"' in form
    response = client.post("/admin/login/", {"username": "tess", "password": "pw-for-the-test-9", "next": CHANGELIST})
    assert response["Location"] == CHANGELIST


def test_admin_home_links_to_the_caseload(client, world):
    client.force_login(world.ada)
    page = client.get("/admin/").content.decode()
    assert f'href="{CHANGELIST}">Open the caseload' in page


def test_therapist_sees_own_caseload_by_default(client, world):
    client.force_login(world.tess)
    assert rows(client.get(CHANGELIST)) == ["Alice Anders"]


def test_therapist_can_switch_to_the_whole_clinic_but_never_another(client, world):
    client.force_login(world.tess)
    assert rows(client.get(CHANGELIST, {"caseload": "clinic"})) == ["Alice Anders", "Aaron Colleague"]


def test_clinic_admin_sees_the_whole_clinic(client, world):
    client.force_login(world.ada)
    assert rows(client.get(CHANGELIST)) == ["Alice Anders", "Aaron Colleague"]


def test_superuser_sees_every_clinic(client, world, admin_user):
    client.force_login(admin_user)
    assert set(rows(client.get(CHANGELIST))) == {"Alice Anders", "Aaron Colleague", "Bob Beta"}


def test_staff_user_without_membership_sees_nothing(client, world):
    client.force_login(UserFactory(username="nomad"))
    assert client.get(CHANGELIST).status_code == 403
    assert "Patients" not in client.get("/admin/").content.decode()


def test_search_never_finds_another_clinics_patient(client, world):
    client.force_login(world.tess)
    assert rows(client.get(CHANGELIST, {"caseload": "clinic", "q": "B-1"})) == []


def test_filter_choices_list_only_own_clinic_programs_and_therapists(client, world):
    client.force_login(world.tess)
    page = client.get(CHANGELIST, {"caseload": "clinic"}).content.decode()
    assert "Alpha back program" in page
    assert "Beta back program" not in page
    assert "Theo Alpha" in page
    assert "Bea Beta" not in page


def test_filtering_by_another_clinics_program_or_therapist_shows_nothing_of_it(client, world):
    client.force_login(world.tess)
    by_program = client.get(CHANGELIST, {"caseload": "clinic", "program": world.beta_program.pk})
    by_therapist = client.get(CHANGELIST, {"caseload": "clinic", "therapist": world.bea.pk})
    for response in (by_program, by_therapist):
        assert "Bob Beta" not in rows(response)


def test_another_clinics_patient_page_is_not_shown(client, world):
    client.force_login(world.tess)
    response = client.get(reverse("admin:patients_patient_change", args=[world.bob.pk]))
    assert response.status_code == 302  # the admin's "doesn't exist" redirect
    assert "Bob Beta" not in client.get(response["Location"]).content.decode()


def test_patient_form_dropdowns_offer_only_own_clinic(client, world):
    client.force_login(world.tess)
    page = client.get(reverse("admin:patients_patient_add")).content.decode()
    assert "Alpha clinic" in page
    assert "Beta clinic" not in page
    assert "theo" in page
    assert ">bea<" not in page


def test_assign_dropdown_on_the_patient_page_offers_only_own_and_builtin_programs(client, world):
    client.force_login(world.tess)
    page = client.get(reverse("admin:patients_patient_change", args=[world.alice.pk])).content.decode()
    assert "Alpha back program" in page
    assert "(built-in)" in page
    assert "Beta back program" not in page


def test_assigning_another_clinics_program_is_refused(client, world):
    client.force_login(world.tess)
    before = Assignment.objects.count()
    client.post(
        reverse("admin:patients_patient_assign", args=[world.alice.pk]),
        {"assign-program": world.beta_program.pk, "assign-start_date": "2026-01-01"},
    )
    assert Assignment.objects.count() == before


def test_assign_and_acknowledge_on_another_clinics_patient_are_not_found(client, world):
    checkin(world.bob, 1, 2, 4, red_flags={"rf_fever": True})
    alert = Alert.objects.get(patient=world.bob)
    client.force_login(world.tess)
    ack = client.post(reverse("admin:patients_patient_acknowledge_alerts", args=[world.bob.pk]), {"alerts": [alert.pk]})
    assign = client.post(
        reverse("admin:patients_patient_assign", args=[world.bob.pk]),
        {"assign-program": world.alpha_program.pk, "assign-start_date": "2026-01-01"},
    )
    assert ack.status_code == 404
    assert assign.status_code == 404
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_acknowledge_through_own_patient_cannot_reach_another_clinics_alert(client, world):
    checkin(world.bob, 1, 2, 4, red_flags={"rf_fever": True})
    alert = Alert.objects.get(patient=world.bob)
    client.force_login(world.tess)
    response = client.post(
        reverse("admin:patients_patient_acknowledge_alerts", args=[world.alice.pk]), {"alerts": [alert.pk]}
    )
    assert response.status_code == 302  # back to Alice's page, saying nothing was acknowledged
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_actions_never_touch_another_clinics_patients(client, world):
    client.force_login(world.tess)
    for action in ("pause_reminders_action", "discharge_action", "send_checkin_link_action"):
        client.post(
            CHANGELIST + "?caseload=clinic",
            {
                "action": action,
                "_selected_action": [world.bob.pk, world.alice.pk],
                "apply": "1",  # the discharge's confirmation
                "ended_on": world.bob.local_today().isoformat(),
            },
        )
    world.bob.refresh_from_db()
    assert world.bob.status == Patient.Status.ACTIVE
    assert not AuditEvent.objects.filter(patient_id=world.bob.pk).exclude(action__startswith="assignment").exists()


def test_csv_export_never_contains_another_clinics_patients(client, world):
    client.force_login(world.tess)
    response = client.post(
        CHANGELIST + "?caseload=clinic",
        {"action": "export_csv_action", "_selected_action": [world.bob.pk, world.alice.pk]},
    )
    body = response.content.decode()
    assert "Alice" in body
    assert "Bob" not in body


def test_program_library_lists_builtin_and_own_programs_only(client, world):
    client.force_login(world.tess)
    page = client.get(reverse("admin:programs_program_changelist")).content.decode()
    assert "Alpha back program" in page
    assert "(built-in)" not in page or "Built-in" in page
    assert "Built-in" in page
    assert "Beta back program" not in page
    other = client.get(reverse("admin:programs_program_change", args=[world.beta_program.pk]))
    assert other.status_code == 302


def test_builtin_programs_are_read_only_for_clinic_staff(client, world):
    from tests.factories import builtin_program

    program = builtin_program()
    client.force_login(world.tess)
    url = reverse("admin:programs_program_change", args=[program.pk])
    page = client.get(url).content.decode()
    assert 'name="_save"' not in page
    response = client.post(url, {"title": "Hijacked", "kind": "custom", "weeks": 3})
    assert response.status_code == 403
    program.refresh_from_db()
    assert program.title != "Hijacked"


def test_component_autocomplete_offers_only_own_and_builtin_components(client, world):
    create_narrative(clinic=world.beta, title="Zebra narrative of Beta", body="b")
    create_narrative(clinic=world.alpha, title="Zebra narrative of Alpha", body="a")
    client.force_login(world.tess)
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "programs", "model_name": "programitem", "field_name": "narrative", "term": "Zebra"},
    )
    titles = [row["text"] for row in json.loads(response.content)["results"]]
    assert titles == ["Zebra narrative of Alpha"]
    assert Narrative.objects.filter(title__startswith="Zebra").count() == 2


def test_component_dropdowns_in_the_library_offer_only_own_clinic(client, world):
    client.force_login(world.tess)
    page = client.get(reverse("admin:programs_narrative_add")).content.decode()
    assert "Alpha clinic" in page
    assert "Beta clinic" not in page


def test_staff_admin_is_for_clinic_admins_and_shows_only_their_clinic(client, world):
    client.force_login(world.tess)
    assert client.get(reverse("admin:clinics_staffmembership_changelist")).status_code == 403
    client.force_login(world.ada)
    page = client.get(reverse("admin:clinics_staffmembership_changelist")).content.decode()
    assert "tess" in page
    assert "bea" not in page
    bea_membership = StaffMembership.objects.get(user=world.bea)
    response = client.get(reverse("admin:clinics_staffmembership_change", args=[bea_membership.pk]))
    assert response.status_code == 302


def test_clinic_admin_changes_their_clinic_and_a_therapist_only_views_it(client, world):
    url = reverse("admin:clinics_clinic_change", args=[world.alpha.pk])
    client.force_login(world.tess)
    assert 'name="_save"' not in client.get(url).content.decode()
    client.force_login(world.ada)
    response = client.post(
        url,
        {
            "name": "Alpha renamed",
            "require_two_factor": "on",
            "default_country": "NO",
            "phone": "22 00 00 00",  # without a country code: the clinic's country's
            "emergency_number": "113",
            "default_language": "nb",
            "default_time_zone": "Europe/Oslo",
        },
    )
    assert response.status_code == 302
    world.alpha.refresh_from_db()
    assert world.alpha.name == "Alpha renamed"
    assert (str(world.alpha.phone), world.alpha.emergency_number) == ("+4722000000", "113")
    assert client.get(reverse("admin:clinics_clinic_change", args=[world.beta.pk])).status_code == 302


def test_third_party_admins_are_listed_for_superusers_only(client, world, admin_user):
    client.force_login(world.ada)
    page = client.get("/admin/").content.decode()
    assert "Patients" in page
    assert "Periodic tasks" not in page and "Groups" not in page
    client.force_login(admin_user)
    page = client.get("/admin/").content.decode()
    assert "Periodic tasks" in page and "Groups" in page
