from __future__ import annotations

import zoneinfo
from typing import TYPE_CHECKING, Any, Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from clinics import phones

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser, AnonymousUser


def validate_time_zone(value: str) -> None:
    """An IANA time zone name (a clinic's default, a patient's own)."""
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"Unknown time zone {value!r}: use an IANA name such as Europe/Oslo.")


def site_language() -> str:
    return settings.LANGUAGE_CODE


def site_time_zone() -> str:
    return settings.TIME_ZONE


class Clinic(models.Model):
    """The tenant: every program, patient and record belongs to exactly one clinic."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    require_two_factor = models.BooleanField(default=False)
    # The country of the numbers typed without a country code (the clinic's and its patients'), and whose
    # emergency numbers the emergency number is one of (clinics.phones).
    default_country = models.CharField(
        max_length=2,
        default=phones.DEFAULT_COUNTRY,
        validators=[phones.validate_country],
        help_text="Two letters (ISO 3166-1): NO, SE, DK, GB... Numbers typed without a country code are read as "
        "numbers of this country.",
    )
    # Shown to patients beside the advice on warning signs (the emergency panel of every patient page).
    phone = phones.PhoneField(max_length=30, blank=True, help_text=f"The number patients call. {phones.PHONE_HELP}")
    emergency_number = models.CharField(
        max_length=10,
        default="112",
        help_text="The local emergency number patients are told to call (112 across Europe; 113 is Norway's "
        "medical emergency number): one of the emergency numbers of the clinic's country.",
    )
    # What a new patient gets when whoever adds them gives none (`patients.services.create_patient`).
    default_language = models.CharField(
        max_length=10,
        choices=settings.LANGUAGES,
        default=site_language,
        help_text="The language of a new patient's pages and emails, unless another is chosen for them.",
    )
    default_time_zone = models.CharField(
        max_length=64,
        default=site_time_zone,
        validators=[validate_time_zone],
        help_text="A new patient's time zone (their check-in day and hour are in it), unless another is chosen for "
        "them: an IANA name such as Europe/Oslo.",
    )
    allow_reactivation = models.BooleanField(
        "staff may reopen a discharged patient's care",
        default=False,
        help_text="Lets staff undo a discharge (made by mistake, or care resuming soon after): the patient's last "
        "episode opens again. Audited. Otherwise a returning patient starts a new episode.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean_fields(self, exclude: Any = None) -> None:
        self.default_country = (self.default_country or "").strip().upper()
        self.phone = phones.in_country(self.phone, self.default_country)
        super().clean_fields(exclude)

    def clean(self) -> None:
        if self.default_country in phones.COUNTRIES:  # else default_country has its own error
            try:
                self.emergency_number = phones.emergency_code(self.emergency_number, self.default_country)
            except ValidationError as exc:
                raise ValidationError({"emergency_number": exc.messages}) from None

    @property
    def phone_tel(self) -> str:
        """The clinic's phone as a `tel:` URI target (E.164: no spaces or dashes)."""
        return str(self.phone) if self.phone else ""

    @property
    def phone_display(self) -> str:
        """The clinic's phone as people write it (+47 22 00 00 00)."""
        return self.phone.as_international if self.phone and self.phone.is_valid() else str(self.phone or "")

    @property
    def emergency_tel(self) -> str:
        return "".join(c for c in self.emergency_number if c.isdigit() or c == "+")


class StaffMembership(models.Model):
    class Role(models.TextChoices):
        THERAPIST = "therapist", "Therapist"
        CLINIC_ADMIN = "clinic_admin", "Clinic admin"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "clinic"], name="one_membership_per_clinic")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.clinic})"


class ClinicScopedQuerySet(models.QuerySet):
    """Base for every queryset of clinic data: `for_user` is the one place access by clinic is decided."""

    clinic_field = "clinic"

    def for_user(self, user: AbstractUser | AnonymousUser | Any) -> Self:
        return self.for_user_through(user, self.clinic_field)

    def for_user_through(self, user: AbstractUser | AnonymousUser | Any, clinic_field: str) -> Self:
        """`for_user` by another path to the same clinic, when a query joins one anyway (a check-in's summary's,
        for the reports)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(**{f"{clinic_field}__in": clinic_ids_for(user)})


def clinic_ids_for(user: Any, role: str | None = None) -> list[int]:
    """Ids of the clinics the user is staff of (optionally with one role); cached on the user object."""
    if not getattr(user, "is_authenticated", False):
        return []
    cache = user.__dict__.setdefault("_clinic_ids_cache", {})
    if role not in cache:
        memberships = StaffMembership.objects.filter(user=user)
        if role:
            memberships = memberships.filter(role=role)
        cache[role] = list(memberships.values_list("clinic_id", flat=True))
    return cache[role]


def is_staff_of(user: Any, clinic_id: int) -> bool:
    """The user has a membership (any role) in the clinic."""
    return clinic_id in clinic_ids_for(user)
