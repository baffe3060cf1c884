"""The admin site: the same Django admin, with the caseload as a therapist's home page."""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


class CftAdminSite(AdminSite):
    site_header = "CFT Tracker"
    site_title = "CFT Tracker"
    index_title = "Clinic workspace"

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        from clinics.admin_scoping import is_therapist  # models are not loaded when this module is imported

        # A therapist lands on their caseload; `?apps` shows the usual index (the caseload links to it).
        if is_therapist(request.user) and "apps" not in request.GET:
            return redirect("admin:patients_patient_changelist")
        return super().index(request, extra_context)


class CftAdminConfig(AdminConfig):
    default_site = "clinics.admin_site.CftAdminSite"
