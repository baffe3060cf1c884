"""Patients' phone numbers in E.164 (clinics.phones), read in their clinic's country when stored without a country
code. A value that is no valid number is cleared and reported by patient id (never the value: it may be one);
a bad legacy value never fails the migration."""

import phonenumbers
from django.db import migrations

import clinics.phones


def normalise_phones(apps, schema_editor):
    Patient = apps.get_model("patients", "Patient")
    changed, cleared = [], []
    rows = Patient.objects.exclude(phone="").values_list("pk", "phone", "clinic__default_country")
    for pk, phone, country in rows.iterator(chunk_size=2000):
        number = e164(phone, country)
        if number is None:
            cleared.append(pk)
            number = ""
        if number != str(phone):
            changed.append(Patient(pk=pk, phone=number))
    Patient.objects.bulk_update(changed, ["phone"], batch_size=1000)
    if cleared:
        ids = ", ".join(str(pk) for pk in cleared[:50]) + (", ..." if len(cleared) > 50 else "")
        print(f"\n  patients.0025: {len(cleared)} patients' phone was not a valid number; cleared: {ids}.")


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


class Migration(migrations.Migration):
    dependencies = [
        ("clinics", "0003_clinic_phone_numbers"),
        ("patients", "0024_episode_discharge_note"),
    ]

    operations = [
        migrations.RunPython(normalise_phones, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="patient",
            name="phone",
            field=clinics.phones.PhoneField(
                blank=True,
                help_text="With its country code (+47 22 00 00 00), or as dialled in the clinic's country. Stored as "
                "+4722000000.",
                max_length=40,
                region=None,
            ),
        ),
    ]
