"""Who may do what in the admin: the one place a staff membership role becomes admin permissions.

Permissions for staff who are not superusers come from their `StaffMembership` rows, not from Django's
per-model permission table: a clinic never has to hand out `auth.Permission` rows, and a user's rights follow
their role the moment the membership changes. `ROLE_CAPABILITIES` maps a role to capabilities; each ModelAdmin
says which capability it needs to view, add, change and delete (`ScopedAdminMixin`). On top of that, every row
a staff member sees, every foreign-key dropdown, autocomplete, list-filter choice and action starts from the
`for_user` querysets in `clinics/models.py`, `programs/models.py` and `patients/models.py`, so an object of
another clinic is never shown and never changeable, whatever the capability.

- Therapist: sees their clinic(s); changes its caseload (patients, alerts, assignments) and its own program
  library; views the clinic.
- Clinic admin: everything a therapist may, plus changes the clinic, manages its staff memberships, and reads
  its reports, exports and audit log.
- Superuser: everything, in every clinic; the only one who edits the built-in library or adds clinics.

A user with `is_staff` but no membership sees nothing (no module is shown).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.http import HttpRequest

from clinics.models import Clinic, StaffMembership, clinic_ids_for


class Can(StrEnum):
    VIEW_CLINIC = "view_clinic"
    CHANGE_CLINIC = "change_clinic"
    MANAGE_STAFF = "manage_staff"
    VIEW_CASELOAD = "view_caseload"
    CHANGE_CASELOAD = "change_caseload"
    VIEW_LIBRARY = "view_library"
    CHANGE_LIBRARY = "change_library"
    VIEW_REPORTS = "view_reports"  # outcome reports and exports
    VIEW_AUDIT_LOG = "view_audit_log"
    NOTHING = "nothing"  # never granted to a role: superusers only


_THERAPIST = {Can.VIEW_CLINIC, Can.VIEW_CASELOAD, Can.CHANGE_CASELOAD, Can.VIEW_LIBRARY, Can.CHANGE_LIBRARY}
ROLE_CAPABILITIES: dict[str, frozenset[Can]] = {
    StaffMembership.Role.THERAPIST: frozenset(_THERAPIST),
    StaffMembership.Role.CLINIC_ADMIN: frozenset(
        _THERAPIST | {Can.CHANGE_CLINIC, Can.MANAGE_STAFF, Can.VIEW_REPORTS, Can.VIEW_AUDIT_LOG}
    ),
}


def load_memberships(user: Any) -> None:
    """Fill `clinic_ids_for`'s per-user cache for every role with one query (it would take one per role)."""
    cache = user.__dict__.setdefault("_clinic_ids_cache", {})
    if None in cache and all(role in cache for role in ROLE_CAPABILITIES):
        return
    rows = list(StaffMembership.objects.filter(user=user).values_list("clinic_id", "role"))
    cache[None] = [clinic_id for clinic_id, _ in rows]
    for role in ROLE_CAPABILITIES:
        cache[role] = [clinic_id for clinic_id, row_role in rows if row_role == role]


def capabilities(user: Any, clinic_id: int | None = None) -> frozenset[Can]:
    """What the user may do in one clinic (or in any of their clinics when `clinic_id` is None)."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return frozenset()
    if user.is_superuser:
        return frozenset(Can)
    load_memberships(user)
    granted: set[Can] = set()
    for role, caps in ROLE_CAPABILITIES.items():
        ids = clinic_ids_for(user, role)
        if ids and (clinic_id is None or clinic_id in ids):
            granted |= caps
    return frozenset(granted)


def clinics_where(user: Any, can: Can) -> list[int]:
    """Ids of the clinics where the user has a capability."""
    if getattr(user, "is_superuser", False):
        return list(Clinic.objects.values_list("pk", flat=True))
    return [
        clinic_id for role, caps in ROLE_CAPABILITIES.items() if can in caps for clinic_id in clinic_ids_for(user, role)
    ]


def may_view_reports(user: Any) -> bool:
    """Staff with the reports capability in at least one clinic (clinic admins and superusers)."""
    return bool(getattr(user, "is_staff", False)) and Can.VIEW_REPORTS in capabilities(user)


def is_therapist(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    load_memberships(user)
    return not getattr(user, "is_superuser", False) and bool(clinic_ids_for(user, StaffMembership.Role.THERAPIST))


def staff_users_for(user: Any) -> models.QuerySet:
    """Users who are staff of the requester's clinics: the choices for a therapist dropdown or filter."""
    users = get_user_model().objects.filter(memberships__isnull=False)
    if not getattr(user, "is_superuser", False):
        users = users.filter(memberships__clinic__in=clinic_ids_for(user))
    return users.distinct().order_by("last_name", "first_name", "username")


def scoped_queryset(model: type[models.Model], user: Any) -> models.QuerySet | None:
    """The rows of `model` this user may pick, or None when the model is not clinic data."""
    if model is Clinic:
        qs = Clinic.objects.all()
        return qs if getattr(user, "is_superuser", False) else qs.filter(pk__in=clinic_ids_for(user))
    if model is get_user_model():
        return staff_users_for(user)
    manager = model._default_manager
    if hasattr(manager, "for_user"):
        return manager.for_user(user)
    return None


class ScopedAdminMixin:
    """ModelAdmin mixin: permissions from the membership role, rows from `for_user`.

    Subclasses set the capabilities needed (`view_capability`, ...), and override `scope_queryset` when the
    model has no `for_user` of its own (they then filter through a model that has one). `object_clinic_id`
    says which clinic an object belongs to, for the per-object checks (None = built-in library).
    """

    view_capability: Can = Can.VIEW_CASELOAD
    add_capability: Can = Can.CHANGE_CASELOAD
    change_capability: Can = Can.CHANGE_CASELOAD
    delete_capability: Can = Can.NOTHING

    # --- rows ---------------------------------------------------------------------------------------------
    def scope_queryset(self, request: HttpRequest, qs: models.QuerySet) -> models.QuerySet:
        return qs.for_user(request.user)  # type: ignore[attr-defined]

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return self.scope_queryset(request, super().get_queryset(request))  # type: ignore[misc]

    def object_clinic_id(self, obj: models.Model) -> int | None:
        return obj.clinic_id  # type: ignore[attr-defined]

    # --- permissions --------------------------------------------------------------------------------------
    def _allowed(self, request: HttpRequest, can: Can, obj: models.Model | None = None) -> bool:
        user = request.user
        if getattr(user, "is_superuser", False) and user.is_active:
            return True
        if not getattr(user, "is_staff", False):
            return False
        if obj is None:
            return can in capabilities(user)
        clinic_id = self.object_clinic_id(obj)
        if clinic_id is None:  # the built-in library: shared, read-only for clinics
            return can in (Can.VIEW_LIBRARY,) and can in capabilities(user)
        return can in capabilities(user, clinic_id)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request, self.view_capability)

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._allowed(request, self.view_capability, obj) or self.has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._allowed(request, self.add_capability)

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._allowed(request, self.change_capability, obj)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._allowed(request, self.delete_capability, obj)

    # --- choices ------------------------------------------------------------------------------------------
    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        scoped = scoped_queryset(db_field.related_model, request.user)
        if scoped is not None:
            base = kwargs.get("queryset")
            kwargs["queryset"] = scoped if base is None else base & scoped
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        scoped = scoped_queryset(db_field.related_model, request.user)
        if scoped is not None:
            kwargs["queryset"] = scoped
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]


class ScopedInlineMixin(ScopedAdminMixin):
    """Inlines: the same rules. Django passes the *parent* object to their permission checks, and the parent
    admin has already scoped the parent, so the rows need no further filter."""

    def scope_queryset(self, request: HttpRequest, qs: models.QuerySet) -> models.QuerySet:
        return qs
