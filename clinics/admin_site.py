"""The admin site: the same Django admin, with the caseload as a therapist's home page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.admin import AdminSite
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
            if not _is_project_app(model._meta.app_label):
                _superusers_only_in_app_list(self._registry[model])

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        from clinics.admin_scoping import is_therapist  # models are not loaded when this module is imported

        # A therapist lands on their caseload; `?apps` shows the usual index (the caseload links to it).
        if is_therapist(request.user) and "apps" not in request.GET:
            return redirect("admin:patients_patient_changelist")
        return super().index(request, extra_context)


def _is_project_app(label: str) -> bool:
    # A project app is a top-level package of this repository (installed packages live deeper, e.g. in .venv).
    return Path(apps.get_app_config(label).path).parent == Path(settings.BASE_DIR)


def _superusers_only_in_app_list(model_admin: Any) -> None:
    """Clinic staff get their rights from memberships (clinics.admin_scoping), never from auth.Permission, so
    the admins of third-party apps (users, groups, tokens, beat schedules, lockouts, OTP devices) are listed
    for superusers only. This also spares every admin page the two permission queries their checks would run."""
    original = model_admin.has_module_permission

    def has_module_permission(request: HttpRequest) -> bool:
        return bool(getattr(request.user, "is_superuser", False)) and original(request)

    model_admin.has_module_permission = has_module_permission


class CftAdminConfig(AdminConfig):
    default_site = "clinics.admin_site.CftAdminSite"
