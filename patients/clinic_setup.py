"""What a clinic needs before its patients get check-in links, and whether a link may go to a patient now.

The checklist on the admin home for clinic admins (`patients/admin_setup.py`) and the guard in
`services.send_checkin_link_now` read the same rules here: the licensed ODI wording a patient would be shown
(`patients.forms.odi_sections` falls back from the patient's language to the default one, then to our
placeholder), and the day the patient's program starts.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count

from clinics.models import Clinic, StaffMembership
from patients.models import Episode, OdiWording, Patient
from patients.scoring import ODI_SECTION_COUNT

LANGUAGE_NAMES = dict(settings.LANGUAGES)


def is_demo_clinic(clinic: Clinic) -> bool:
    """The demo clinics of `manage.py seed_demo` (patients.demo), where the placeholder wording is expected."""
    from patients.demo import DEMO_CLINICS  # the demo module imports the services, which import this one

    return clinic.slug in {slug for slug, *_ in DEMO_CLINICS}


def licensed_odi_languages(clinic_id: int) -> set[str]:
    """The languages the clinic has loaded its licensed ODI wording in (all ten sections)."""
    rows = (
        OdiWording.objects.filter(clinic_id=clinic_id, is_placeholder=False)
        .values("language")
        .annotate(sections=Count("section", distinct=True))
    )
    return {row["language"] for row in rows if row["sections"] >= ODI_SECTION_COUNT}


def sees_placeholder_odi(patient: Patient, licensed: set[str] | None = None) -> bool:
    """Whether the patient's check-in would show our placeholder ODI wording: the clinic has no licensed wording in
    the patient's language nor in the default language (the order of `patients.forms.odi_sections`)."""
    licensed = licensed_odi_languages(patient.clinic_id) if licensed is None else licensed
    return not ({patient.language, settings.LANGUAGE_CODE} & licensed)


def load_wording_hint(clinic: Clinic, language: str) -> str:
    name = LANGUAGE_NAMES.get(language, language)
    return (
        f"Ask whoever runs the server to load the clinic's licensed ODI text in {name}: "
        f"manage.py load_odi_wording FILE --clinic {clinic.slug} --language {language}."
    )


def program_start(patient: Patient) -> dt.date | None:
    """The day the open episode's program starts (its week one), or None without an open episode or program."""
    episode = Episode.objects.filter(patient=patient, ended_on__isnull=True).with_week_one().first()
    return episode.week_one if episode is not None else None


def check_checkin_link_may_be_sent(patient: Patient) -> None:
    """A check-in link goes only to a patient whose program has started (before, the link would open on "your
    program has not started yet"; the weekly reminders wait too) and, outside the demo clinics, whose clinic shows
    them its licensed ODI wording rather than our placeholder. Raises ValidationError saying why and what to do."""
    start = program_start(patient)
    if start is None:
        raise ValidationError({"program": "No program is assigned yet: assign one, then send the link."})
    today = patient.local_today()
    if start > today:
        raise ValidationError(
            {
                "program": f"The program starts on {start:%Y-%m-%d} ({start:%A}); there is nothing to check in before "
                "then. The weekly reminder sends the first link on the patient's check-in day from that date."
            }
        )
    clinic = patient.clinic
    if not is_demo_clinic(clinic) and sees_placeholder_odi(patient):
        raise ValidationError(
            {
                "clinic": f"{clinic} has not loaded its licensed ODI wording, so the check-in would show placeholder "
                f"questions. {load_wording_hint(clinic, patient.language)} The admin home lists what is missing."
            }
        )


# --- the checklist on the admin home ------------------------------------------------------------------------------
@dataclass
class Step:
    title: str
    done: bool | None  # None: to know, nothing to do
    lines: list[str] = field(default_factory=list)
    link: str = ""
    link_text: str = ""


@dataclass
class Checklist:
    clinic: Clinic
    steps: list[Step]

    @property
    def to_do(self) -> int:
        return sum(1 for step in self.steps if step.done is False)


def checklist(clinic: Clinic, *, clinic_url: str = "", staff_url: str = "") -> Checklist:
    """The clinic's setup, step by step: licensed ODI wording for each language its patients use, phone and
    emergency number, the defaults new patients get, and who is admin. Four queries."""
    in_care = Patient.objects.filter(clinic=clinic).exclude(status=Patient.Status.DISCHARGED)
    languages = Counter(dict(in_care.values_list("language").annotate(n=Count("pk")).order_by()))
    zones = Counter(dict(in_care.values_list("time_zone").annotate(n=Count("pk")).order_by()))
    licensed = licensed_odi_languages(clinic.pk)
    needed = sorted(languages) or [settings.LANGUAGE_CODE]
    missing = [language for language in needed if language not in licensed]
    wording = Step(
        "Licensed ODI wording for each language your patients use",
        not missing,
        [
            f"{LANGUAGE_NAMES.get(language, language)} ({languages.get(language, 0)} patients in care): "
            + ("loaded." if language in licensed else "not loaded, patients see placeholder questions.")
            for language in needed
        ],
    )
    if missing:
        wording.lines.append(
            "Check-in links are not sent while a patient would see the placeholder"
            + (" (except in the demo clinic)." if is_demo_clinic(clinic) else ".")
        )
        wording.lines += [load_wording_hint(clinic, language) for language in missing]
    contact = Step(
        "Clinic phone and emergency number (on every patient page)",
        bool(clinic.phone and clinic.emergency_number),
        [
            f"Phone: {clinic.phone or 'not set'}.",
            f"Emergency number: {clinic.emergency_number or 'not set'}.",
        ],
        clinic_url,
        "Edit the clinic",
    )
    language = LANGUAGE_NAMES.get(clinic.default_language, clinic.default_language)
    defaults = Step(
        "Default language and time zone of new patients",
        None,
        [
            f"A new patient starts in {language} and {clinic.default_time_zone} unless you choose otherwise for them; "
            "each patient's own are on their page.",
            "Your patients in care: " + _counts(languages, zones) + ".",
        ],
        clinic_url,
        "Edit the clinic",
    )
    admins = list(
        StaffMembership.objects.filter(clinic=clinic, role=StaffMembership.Role.CLINIC_ADMIN)
        .select_related("user")
        .order_by("user__last_name", "user__username")
    )
    names = [m.user.get_full_name() or m.user.get_username() for m in admins]
    who = Step(
        "Who is admin",
        bool(names),
        [f"Clinic admins: {', '.join(names)}." if names else "No clinic admin."],
        staff_url,
        "Staff and roles",
    )
    return Checklist(clinic, [wording, contact, defaults, who])


def _counts(languages: Counter[str], zones: Counter[str]) -> str:
    if not languages:
        return "none yet"
    spoken = ", ".join(f"{n} {LANGUAGE_NAMES.get(code, code)}" for code, n in languages.most_common())
    return f"{spoken}; " + ", ".join(f"{n} in {zone}" for zone, n in zones.most_common())
