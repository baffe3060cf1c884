"""The clinic setup checklist on the admin home, for clinic admins: what their clinic still needs before its patients
get check-in links (`patients.clinic_setup.checklist`). Superusers see it for the clinics they are admin of."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from clinics.models import Clinic, StaffMembership, clinic_ids_for
from patients.clinic_setup import checklist


def clinic_setup_panel(request: HttpRequest) -> str:
    user = request.user
    if not getattr(user, "is_staff", False):
        return ""
    ids = clinic_ids_for(user, StaffMembership.Role.CLINIC_ADMIN)
    if not ids:
        return ""
    staff_url = reverse("admin:clinics_staffmembership_changelist")
    lists = [
        checklist(
            clinic,
            clinic_url=reverse("admin:clinics_clinic_change", args=[clinic.pk]),
            staff_url=staff_url,
        )
        for clinic in Clinic.objects.filter(pk__in=ids).order_by("name")
    ]
    return render_to_string("admin/patients/clinic_setup.html", {"checklists": lists}, request=request)


admin.site.add_index_panel(clinic_setup_panel)  # type: ignore[attr-defined]
