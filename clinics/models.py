from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from django.conf import settings
from django.db import models

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser, AnonymousUser


class Clinic(models.Model):
    """The tenant: every program, patient and record belongs to exactly one clinic."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    require_two_factor = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


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
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(**{f"{self.clinic_field}__in": clinic_ids_for(user)})


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
