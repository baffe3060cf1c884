from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from cft.stale_edits import StaleEditGuardMixin
from clinics.admin_scoping import Can, ScopedAdminMixin, clinics_where
from clinics.api_tokens import revoke_staff_tokens
from clinics.models import Clinic, StaffMembership, clinic_ids_for


@admin.register(Clinic)
class ClinicAdmin(StaleEditGuardMixin, ScopedAdminMixin, admin.ModelAdmin):
    view_capability = Can.VIEW_CLINIC
    change_capability = Can.CHANGE_CLINIC
    add_capability = Can.NOTHING
    list_display = ("name", "slug", "require_two_factor")
    search_fields = ("name", "slug")
    readonly_fields = ("created_at",)

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        return qs if request.user.is_superuser else qs.filter(pk__in=clinic_ids_for(request.user))

    def object_clinic_id(self, obj: models.Model) -> int:
        return obj.pk

    def save_model(self, request: HttpRequest, obj: Clinic, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if obj.require_two_factor and "require_two_factor" in form.changed_data:
            # Every member's API tokens were issued without the factor now required: they sign in again.
            members = get_user_model().objects.filter(memberships__clinic=obj)
            revoke_staff_tokens(users=members, reason="clinic_requires_second_factor", actor=request.user)

    def get_readonly_fields(self, request: HttpRequest, obj: Clinic | None = None) -> tuple[str, ...]:
        # The slug names the tenant in URLs and exports: only a superuser renames it.
        return self.readonly_fields if request.user.is_superuser else (*self.readonly_fields, "slug")


@admin.register(StaffMembership)
class StaffMembershipAdmin(StaleEditGuardMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Clinic admins manage the roles of their clinic's staff. Creating user accounts is a superuser's job."""

    view_capability = add_capability = change_capability = delete_capability = Can.MANAGE_STAFF
    list_display = ("user", "clinic", "role")
    list_filter = ("role",)
    list_select_related = ("user", "clinic")
    search_fields = ("user__username", "user__first_name", "user__last_name", "user__email")

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        if request.user.is_superuser:
            return qs
        return qs.filter(clinic__in=clinics_where(request.user, Can.MANAGE_STAFF))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "clinic" and not request.user.is_superuser:
            kwargs["queryset"] = Clinic.objects.filter(pk__in=clinics_where(request.user, Can.MANAGE_STAFF))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
