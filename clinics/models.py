from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

# A number a phone can dial: digits, spaces and dashes, an optional leading "+".
validate_phone_number = RegexValidator(
    r"^\+?[0-9][0-9 -]*[0-9]$|^[0-9]$", "Enter a phone number: digits, spaces or dashes, optionally starting with +."
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser, AnonymousUser


class Clinic(models.Model):
    """The tenant: every program, patient and record belongs to exactly one clinic."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    require_two_factor = models.BooleanField(default=False)
    # Shown to patients beside the advice on warning signs (the emergency panel of every patient page).
    phone = models.CharField(
        max_length=30, blank=True, validators=[validate_phone_number], help_text="The number patients call."
    )
    emergency_number = models.CharField(
        max_length=10,
        default="112",
        validators=[validate_phone_number],
        help_text="The local emergency number patients are told to call (112 across Europe; 113 is Norway's "
        "medical emergency number).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_tel(self) -> str:
        """The clinic's phone as a `tel:` URI target (no spaces or dashes)."""
        return "".join(c for c in self.phone if c.isdigit() or c == "+")

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
