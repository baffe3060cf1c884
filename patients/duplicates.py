"""Possible duplicates of a patient about to be added: the same name, email or phone in the clinic. The model has
no birth date, so the name alone is matched. Shown on the add form before saving; a confirming tick saves anyway."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Func, Q, QuerySet, Value
from django.db.models.functions import Lower, Replace
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from patients.models import Patient

PHONE_PUNCTUATION = (" ", "-", "(", ")", ".")


def phone_digits(value: Any) -> str:
    """A phone number without spaces, dashes, brackets or dots (a PhoneNumber object as its text)."""
    value = str(value or "").strip()
    for mark in PHONE_PUNCTUATION:
        value = value.replace(mark, "")
    return value


def _phone_in_sql() -> Func:
    expression: Any = F("phone")
    for mark in PHONE_PUNCTUATION:
        expression = Replace(expression, Value(mark), Value(""))
    return expression


def possible_duplicates(
    clinic_id: int, *, first_name: str = "", last_name: str = "", email: str = "", phone: Any = ""
) -> QuerySet[Patient]:
    """Patients of the clinic (discharged ones too: a returning patient) with the same first and last name, the
    same email or the same phone number (ignoring case, spaces and dashes)."""
    same = Q()
    if first_name.strip() and last_name.strip():
        same |= Q(first_name__iexact=first_name.strip(), last_name__iexact=last_name.strip())
    if email.strip():
        same |= Q(email_lower=email.strip().lower())
    if phone_digits(phone):
        same |= Q(phone_plain=phone_digits(phone))
    if not same:
        return Patient.objects.none()
    return (
        Patient.objects.filter(clinic_id=clinic_id)
        .annotate(email_lower=Lower("email"), phone_plain=_phone_in_sql())
        .filter(same)
        .order_by("last_name", "first_name", "pk")
    )


def describe(found: list[Patient], new: dict[str, Any]) -> str:
    """The warning, with a link to each patient found and what they have in common with the new one."""

    def why(patient: Patient) -> str:
        reasons = []
        if patient.first_name.lower() == str(new.get("first_name", "")).strip().lower() and (
            patient.last_name.lower() == str(new.get("last_name", "")).strip().lower()
        ):
            reasons.append("same name")
        if new.get("email") and patient.email.lower() == str(new["email"]).strip().lower():
            reasons.append("same email")
        if new.get("phone") and phone_digits(patient.phone) == phone_digits(new["phone"]):
            reasons.append("same phone")
        return ", ".join(reasons)

    items = format_html_join(
        "",
        '<li><a href="{}">{}</a>{} ({}; {})</li>',
        (
            (
                reverse("admin:patients_patient_change", args=[p.pk]),
                p,
                f", record {p.record_number}" if p.record_number else "",
                why(p),
                p.get_status_display().lower(),
            )
            for p in found[:10]
        ),
    )
    return format_html(
        "This may be a patient the clinic already has: <ul>{}</ul>Open them to check (a returning patient starts a "
        "new episode on their own page). If this is a different person, tick "
        "“Not the same patient: save anyway” below and save again.",
        items,
    )
