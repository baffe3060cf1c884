"""The audit log's admin: read-only, for clinic admins (their clinic's events) and superusers. It lives in the
patients app because it names the patients the events are about; who may read it is the `VIEW_AUDIT_LOG`
capability of `clinics.admin_scoping`."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.html import format_html

from audit.labels import ACTION_LABELS, action_label
from audit.models import AuditEvent
from audit.services import client_ip, record
from cft.spreadsheets import stream_csv
from clinics.admin_scoping import Can, capabilities, clinics_where, staff_users_for
from clinics.models import StaffMembership
from patients.models import Patient


class AuditActionFilter(admin.SimpleListFilter):
    title = "action"
    parameter_name = "action__exact"  # the name the plain field filter used, so saved links keep working

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return sorted(ACTION_LABELS.items(), key=lambda item: item[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(action=self.value()) if self.value() else queryset


class AuditActorFilter(admin.SimpleListFilter):
    """The clinic's own staff (the same choices as the caseload's therapist filter)."""

    title = "who"
    parameter_name = "actor"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(u.pk), u.get_full_name() or u.get_username()) for u in staff_users_for(request.user)]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(actor_id=_whole_number(self.value(), "actor")) if self.value() else queryset


class AuditPatientFilter(admin.SimpleListFilter):
    """The patients of the reader's clinics, by name; a patient's name in the list links here too."""

    title = "patient"
    parameter_name = "patient"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        patients = Patient.objects.for_user(request.user).order_by("last_name", "first_name", "pk")
        return [(str(p.pk), _patient_label(p.first_name, p.last_name, p.record_number)) for p in patients]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(patient_id=_whole_number(self.value(), "patient")) if self.value() else queryset


def _whole_number(value: str | None, name: str) -> int:
    # A bad id in the address is the reader's mistake: a ValidationError the admin site answers with a 400.
    if value is None or not value.isdigit() or len(value) > 18:
        raise ValidationError(f"{name} must be the id of one of your clinic's records.")
    return int(value)


def _patient_label(first_name: str | None, last_name: str | None, record_number: str | None) -> str:
    name = f"{first_name or ''} {last_name or ''}".strip() or "(no name)"
    return f"{name} ({record_number})" if record_number else name


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only, for clinic admins (their clinic) and superusers; exportable as CSV; never editable. Clinic
    admins also see the sign-in events (recorded without a clinic) of their clinic's own staff."""

    list_display = ("at", "actor_label", "action_words", "patient", "object_type", "object_id", "ip_address")
    list_filter = (AuditActionFilter, AuditActorFilter, AuditPatientFilter)
    search_fields = ("actor_label", "action", "=patient_id")
    date_hierarchy = "at"
    show_full_result_count = False
    actions = ["export_csv"]

    def get_queryset(self, request: HttpRequest) -> Any:
        patients = Patient.objects.filter(pk=OuterRef("patient_id"), clinic_id=OuterRef("clinic_id"))
        events = AuditEvent.objects.select_related("clinic").annotate(
            patient_first_name=Subquery(patients.values("first_name")[:1]),
            patient_last_name=Subquery(patients.values("last_name")[:1]),
            patient_record_number=Subquery(patients.values("record_number")[:1]),
        )
        if request.user.is_superuser:
            return events  # logins and other events of no clinic included
        clinic_ids = clinics_where(request.user, Can.VIEW_AUDIT_LOG)
        staff = StaffMembership.objects.filter(clinic__in=clinic_ids)
        own_staff_logins = Q(clinic__isnull=True, action__startswith="login.") & (
            Q(actor_id__in=staff.values("user_id"))
            # A failed sign-in has no user, only the name typed: the clinic's staff's usernames.
            | Q(actor__isnull=True, actor_label__in=staff.values("user__username"))
        )
        return events.filter(Q(clinic__in=clinic_ids) | own_staff_logins)

    @admin.display(description="Action", ordering="action")
    def action_words(self, event: Any) -> str:
        return action_label(event.action)

    @admin.display(description="Patient")
    def patient(self, event: Any) -> str:
        if event.patient_id is None:
            return "-"
        if event.patient_first_name is None and event.patient_last_name is None:
            return f"patient #{event.patient_id} (erased or another clinic's)"
        label = _patient_label(event.patient_first_name, event.patient_last_name, event.patient_record_number)
        return format_html('<a href="?patient={}">{}</a>', event.patient_id, label)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return Can.VIEW_AUDIT_LOG in capabilities(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return Can.VIEW_AUDIT_LOG in capabilities(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Export selected events as CSV")
    def export_csv(self, request: HttpRequest, queryset: Any) -> StreamingHttpResponse:
        # One entry in each exported clinic's own log, so its admins see that their log left the app.
        for clinic_id in queryset.order_by().values_list("clinic_id", flat=True).distinct():
            record(action="export.audit_log", actor=request.user, clinic_id=clinic_id, ip_address=client_ip(request))
        header = ["at", "actor", "action", "clinic_id", "patient_id", "object_type", "object_id", "ip_address"]
        rows = queryset.values_list(
            "at", "actor_label", "action", "clinic_id", "patient_id", "object_type", "object_id", "ip_address"
        )
        response = StreamingHttpResponse(stream_csv(header, rows.iterator()), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
        return response
