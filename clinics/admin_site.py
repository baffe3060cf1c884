"""The admin site: the same Django admin, with the caseload as a therapist's home page."""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite, ModelAdmin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


class CftAdminSite(AdminSite):
    site_header = "CFT Tracker"
    site_title = "CFT Tracker"
    index_title = "Clinic workspace"

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        super().register(model_or_iterable, admin_class, **options)
        models = model_or_iterable if isinstance(model_or_iterable, (list, tuple)) else [model_or_iterable]
        for model in models:
            if _uses_model_permissions(self._registry[model]):
                _superusers_only_in_app_list(self._registry[model])

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        from clinics.admin_scoping import is_therapist  # models are not loaded when this module is imported

        # A therapist lands on their caseload; `?apps` shows the usual index (the caseload links to it).
        if is_therapist(request.user) and "apps" not in request.GET:
            return redirect("admin:patients_patient_changelist")
        return super().index(request, extra_context)


def _uses_model_permissions(model_admin: Any) -> bool:
    """True when the admin keeps Django's default module check, i.e. relies on auth.Permission rows."""
    return type(model_admin).has_module_permission is ModelAdmin.has_module_permission


def _superusers_only_in_app_list(model_admin: Any) -> None:
    """Clinic staff get their rights from memberships (clinics.admin_scoping), never from auth.Permission, so an
    admin that still relies on model permissions (users, groups, tokens, beat schedules, lockouts, OTP devices,
    and any app admin not yet built on `ScopedAdminMixin`) is listed for superusers only. Its own view checks
    are unchanged. This also spares every admin page the two permission queries those checks would run."""
    original = model_admin.has_module_permission

    def has_module_permission(request: HttpRequest) -> bool:
        return bool(getattr(request.user, "is_superuser", False)) and original(request)

    model_admin.has_module_permission = has_module_permission


class CftAdminConfig(AdminConfig):
    default_site = "clinics.admin_site.CftAdminSite"
