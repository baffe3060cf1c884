"""clinics 0003 and patients 0025 normalise the stored numbers to E.164 (and the emergency number to its digits),
and clear what is no number, reporting it by id, never failing on bad legacy data."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.migrating import migrate

CLINICS = ("clinics", "0003_clinic_phone_numbers")
PATIENTS = ("patients", "0025_patient_phone_e164")


@pytest.fixture
def old_apps(transactional_db):  # type: ignore[no-untyped-def]
    graph = MigrationExecutor(connection).loader.graph
    # Just before each: the patients migration before ours is whichever the app has then.
    before = [parent.key for parent in graph.node_map[CLINICS].parents] + [
        parent.key for parent in graph.node_map[PATIENTS].parents if parent.key[0] == "patients"
    ]
    apps = migrate(before)
    yield apps
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_numbers_are_normalised_and_bad_ones_cleared_and_reported(old_apps, capsys):
    Clinic = old_apps.get_model("clinics", "Clinic")  # noqa: N806
    Patient = old_apps.get_model("patients", "Patient")  # noqa: N806
    fjord = Clinic.objects.create(name="Fjord", slug="fjord", phone="22 00 00 00", emergency_number="1-1-3")
    broken = Clinic.objects.create(name="Broken", slug="broken", phone="<script>", emergency_number="0")
    typed = ["912 34 567", "+47 912 34 568", "+46 70 123 45 67", "<script>", "+47 123", ""]
    patients = [
        Patient.objects.create(clinic=fjord, first_name="P", last_name=str(i), email=f"p{i}@example.org", phone=phone)
        for i, phone in enumerate(typed)
    ]

    new_apps = migrate([CLINICS, PATIENTS])

    clinics = new_apps.get_model("clinics", "Clinic").objects
    assert clinics.filter(pk=fjord.pk).values_list("default_country", "phone", "emergency_number").get() == (
        "NO",
        "+4722000000",
        "113",
    )
    assert clinics.filter(pk=broken.pk).values_list("phone", "emergency_number").get() == ("", "112")
    stored = dict(new_apps.get_model("patients", "Patient").objects.values_list("pk", "phone"))
    assert [str(stored[p.pk]) for p in patients] == ["+4791234567", "+4791234568", "+46701234567", "", "", ""]
    report = capsys.readouterr().out
    assert f"clinic {broken.pk}: its phone was not a valid number" in report
    assert f"clinic {broken.pk}: its emergency number was none of its country's; set to 112" in report
    assert f"2 patients' phone was not a valid number; cleared: {patients[3].pk}, {patients[4].pk}." in report
    assert "<script>" not in report and "+47" not in report  # ids, never the values
