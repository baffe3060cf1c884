"""The clinic's country for numbers typed without one; its phone in E.164 and its emergency number one of the
country's emergency short codes (clinics.phones). Existing values are normalised; a phone that is no number is
cleared and an emergency number that is none is set to 112, each reported by clinic id: never a failed migrate."""

import phonenumbers
from django.db import migrations, models

import clinics.phones


def normalise_numbers(apps, schema_editor):
    Clinic = apps.get_model("clinics", "Clinic")
    for clinic in Clinic.objects.only("pk", "phone", "emergency_number", "default_country").iterator():
        before = (str(clinic.phone or ""), clinic.emergency_number)
        phone, emergency = e164(before[0], clinic.default_country), emergency_digits(clinic.emergency_number)
        if phone is None:
            print(f"\n  clinics.0003: clinic {clinic.pk}: its phone was not a valid number; cleared, enter it again.")
            phone = ""
        if not emergency or not phonenumbers.is_emergency_number(emergency, clinic.default_country):
            print(f"\n  clinics.0003: clinic {clinic.pk}: its emergency number was none of its country's; set to 112.")
            emergency = "112"
        if (phone, emergency) != before:
            Clinic.objects.filter(pk=clinic.pk).update(phone=phone, emergency_number=emergency)


def e164(value, country):
    """The number in E.164, "" for none, None when it is no valid number of `country` or with its own code."""
    value = str(value or "")  # the text as stored (a PhoneNumber when run with the current model, in a test)
    if not value.strip():
        return ""
    try:
        number = phonenumbers.parse(value, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def emergency_digits(value):
    return "".join(c for c in (value or "") if c.isdigit())


class Migration(migrations.Migration):
    dependencies = [
        ("clinics", "0002_clinic_emergency_number_clinic_phone"),
    ]

    operations = [
        migrations.AddField(
            model_name="clinic",
            name="default_country",
            field=models.CharField(
                default="NO",
                help_text="Two letters (ISO 3166-1): NO, SE, DK, GB... Numbers typed without a country code are read "
                "as numbers of this country.",
                max_length=2,
                validators=[clinics.phones.validate_country],
            ),
        ),
        migrations.RunPython(normalise_numbers, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="clinic",
            name="emergency_number",
            field=models.CharField(
                default="112",
                help_text="The local emergency number patients are told to call (112 across Europe; 113 is Norway's "
                "medical emergency number): one of the emergency numbers of the clinic's country.",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="clinic",
            name="phone",
            field=clinics.phones.PhoneField(
                blank=True,
                help_text="The number patients call. With its country code (+47 22 00 00 00), or as dialled in the "
                "clinic's country. Stored as +4722000000.",
                max_length=30,
                region=None,
            ),
        ),
    ]
