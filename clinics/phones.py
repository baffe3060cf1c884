"""Phone numbers: the clinic's number and its patients' numbers are stored in E.164 (`+4722000000`), validated by
django-phonenumber-field over Google's libphonenumber (`phonenumbers`). A number typed without its country code
is read as a number of the clinic's country (`Clinic.default_country`). The clinic's emergency number is not an
E.164 number but a short code of that country (112 or 113 in Norway, 999 in the UK, 911 in the US), checked
against libphonenumber's short-number metadata for the country."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from phonenumber_field.modelfields import PhoneNumberField
from phonenumber_field.phonenumber import PhoneNumber, to_python
from phonenumbers.phonemetadata import PhoneMetadata

# Where the product started; a clinic elsewhere sets its own (ISO 3166-1 alpha-2, as libphonenumber names regions).
DEFAULT_COUNTRY = "NO"
COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS)
PHONE_HELP = "With its country code (+47 22 00 00 00), or as dialled in the clinic's country. Stored as +4722000000."


def validate_country(value: str) -> None:
    if value not in COUNTRIES:
        raise ValidationError(
            f"{value!r} is not a country code: use the two capital letters of ISO 3166-1, such as NO, SE or GB.",
            code="invalid_country",
        )


def in_country(value: Any, country: str | None) -> Any:
    """The number as `country` reads it when it was typed without a country code: the model field parses on
    assignment with no country, so a national number arrives here invalid and is read again with the clinic's."""
    if not value or not isinstance(value, PhoneNumber) or value.is_valid():
        return value
    if country not in COUNTRIES:
        return value
    return to_python(value.raw_input, region=country)


def validate_phone(value: Any) -> None:
    number = to_python(value)
    if isinstance(number, PhoneNumber) and not number.is_valid():
        raise ValidationError(
            "Enter a phone number that can be dialled: with its country code (+47 22 00 00 00), or as dialled in "
            "the clinic's country.",
            code="invalid_phone",
        )


if TYPE_CHECKING:  # set as text or a PhoneNumber, read as a PhoneNumber ("" when empty): Any to django-stubs
    _PhoneNumberField = models.Field[Any, Any]
else:
    _PhoneNumberField = PhoneNumberField


class PhoneField(_PhoneNumberField):
    """A PhoneNumberField whose form field is plain text: the model reads it in the clinic's country (`in_country`
    in the model's `clean_fields`), which a form field cannot know before the form's clinic is cleaned."""

    default_validators = [validate_phone]

    def formfield(self, **kwargs: Any) -> forms.Field | None:
        return models.CharField.formfield(self, **kwargs)


def emergency_code(value: str, country: str) -> str:
    """The emergency number as its digits, when it is one of the country's emergency short codes."""
    digits = "".join(c for c in value if c.isdigit())
    if not value.strip() or not digits or not phonenumbers.is_emergency_number(digits, country):
        example = emergency_example(country)
        raise ValidationError(
            f"Emergency number: {value!r} is not an emergency number in {country}"
            + (f"; enter the one patients call there, such as {example}." if example else "."),
            code="invalid_emergency_number",
        )
    return digits


def emergency_example(country: str) -> str:
    if phonenumbers.is_emergency_number("112", country):  # the number across Europe, and on most mobile networks
        return "112"
    metadata = PhoneMetadata.short_metadata_for_region(country)
    emergency = metadata.emergency if metadata else None
    return (emergency.example_number or "") if emergency else ""
