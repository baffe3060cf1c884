"""Phone and emergency numbers (clinics.phones): stored in E.164, read in the clinic's country when typed without a
country code; the emergency number one of that country's emergency short codes. Every way in refuses a wrong
number naming the field: the model, the services, the admin forms and the API."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clinics.models import Clinic
from patients import services
from patients.models import Patient
from tests.factories import ClinicFactory, make_clinic_admin, make_therapist, staff_token

pytestmark = pytest.mark.django_db


def new_patient(clinic, **fields):
    return services.create_patient(
        clinic=clinic, first_name="Kari", last_name="Nordmann", email="kari@example.org", **fields
    )


@pytest.mark.parametrize(
    ("country", "typed", "stored"),
    [
        ("NO", "912 34 567", "+4791234567"),
        ("NO", "+47 912 34 567", "+4791234567"),
        ("SE", "070-123 45 67", "+46701234567"),
        ("NO", "+46 70 123 45 67", "+46701234567"),  # a number with its own country code keeps it
        ("NO", "", ""),
    ],
)
def test_a_patients_phone_is_stored_in_e164_read_in_the_clinics_country(country, typed, stored):
    patient = new_patient(ClinicFactory(default_country=country), phone=typed)
    assert Patient.objects.values_list("phone", flat=True).get(pk=patient.pk) == stored


@pytest.mark.parametrize("typed", ["<script>", "0", "+47 123", "912 34 567 890 12", "call me"])
def test_a_patients_phone_that_is_no_number_is_refused_naming_the_field(typed):
    with pytest.raises(ValidationError) as caught:
        new_patient(ClinicFactory(), phone=typed)
    assert list(caught.value.message_dict) == ["phone"]
    assert "phone number" in caught.value.message_dict["phone"][0]
    assert not Patient.objects.exists()


def test_update_patient_normalises_and_refuses_the_phone(two_clinics):
    services.update_patient(patient=two_clinics.alice, phone="22 33 44 55")
    assert str(Patient.objects.get(pk=two_clinics.alice.pk).phone) == "+4722334455"
    with pytest.raises(ValidationError) as caught:
        services.update_patient(patient=two_clinics.alice, phone="<script>")
    assert "phone" in caught.value.message_dict


def test_the_api_answers_e164_and_a_400_naming_phone(two_clinics):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {staff_token(two_clinics.tess)}")
    url = f"/api/v1/patients/{two_clinics.alice.pk}/"
    assert client.patch(url, {"phone": "912 34 567"}, format="json").json()["phone"] == "+4791234567"
    response = client.patch(url, {"phone": "<script>"}, format="json")
    assert response.status_code == 400
    assert "phone" in response.json()["fields"]
    assert str(Patient.objects.get(pk=two_clinics.alice.pk).phone) == "+4791234567"


def test_the_admin_patient_form_reads_the_clinics_country_and_names_a_wrong_phone(client, two_clinics):
    alice = two_clinics.alice
    client.force_login(two_clinics.tess)
    url = reverse("admin:patients_patient_change", args=[alice.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data |= {"clinic": alice.clinic_id, "primary_therapist": two_clinics.tess.pk, "record_version": alice.version}
    data.pop("status", None)
    response = client.post(url, data | {"phone": "<script>"})
    assert response.status_code == 200
    assert "phone" in response.context["adminform"].form.errors
    response = client.post(url, data | {"phone": "912 34 567"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert str(Patient.objects.get(pk=alice.pk).phone) == "+4791234567"


# --- the clinic -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "typed", "stored"),
    [("NO", "113", "113"), ("NO", "1-1-2", "112"), ("NO", "110", "110"), ("GB", "999", "999"), ("US", "911", "911")],
)
def test_an_emergency_number_of_the_clinics_country_is_accepted(country, typed, stored):
    clinic = ClinicFactory.build(slug="x", default_country=country, emergency_number=typed)
    clinic.full_clean()
    assert clinic.emergency_number == stored


@pytest.mark.parametrize(
    ("country", "typed"),
    [("NO", "0"), ("NO", "911"), ("NO", "22000000"), ("NO", "1813"), ("GB", "113"), ("NO", " "), ("NO", "x")],
)
def test_an_emergency_number_that_is_none_of_the_countrys_is_refused_naming_the_field(country, typed):
    clinic = ClinicFactory.build(slug="x", default_country=country, emergency_number=typed)
    with pytest.raises(ValidationError) as caught:
        clinic.full_clean()
    assert list(caught.value.message_dict) == ["emergency_number"]
    message = caught.value.message_dict["emergency_number"][0]
    assert message.startswith("Emergency number:") and country in message


def test_the_clinics_phone_is_read_in_its_country_and_stored_in_e164():
    clinic = ClinicFactory.build(slug="x", default_country="dk", phone="32 12 34 56")
    clinic.full_clean()
    assert (clinic.default_country, str(clinic.phone)) == ("DK", "+4532123456")
    assert (clinic.phone_tel, clinic.phone_display) == ("+4532123456", "+45 32 12 34 56")


@pytest.mark.parametrize(("field", "value"), [("phone", "0"), ("phone", "<script>"), ("default_country", "XX")])
def test_a_wrong_clinic_phone_or_country_is_refused_naming_the_field(field, value):
    clinic = ClinicFactory.build(slug="x", **{field: value})
    with pytest.raises(ValidationError) as caught:
        clinic.full_clean()
    assert field in caught.value.message_dict


def test_the_clinic_admin_refuses_an_emergency_number_of_0_naming_the_field(client):
    clinic = ClinicFactory()
    client.force_login(make_clinic_admin(clinic))
    make_therapist(clinic)
    url = reverse("admin:clinics_clinic_change", args=[clinic.pk])
    data = {
        "name": clinic.name, "default_country": "NO", "phone": "22 00 00 00", "emergency_number": "0",
        "default_language": "nb", "default_time_zone": "Europe/Oslo",
    }  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["emergency_number"]
    assert "'0' is not an emergency number in NO" in errors["emergency_number"][0]
    assert Clinic.objects.get(pk=clinic.pk).emergency_number == "112"
    assert client.post(url, data | {"emergency_number": "113"}).status_code == 302
    clinic.refresh_from_db()
    assert (str(clinic.phone), clinic.emergency_number) == ("+4722000000", "113")
